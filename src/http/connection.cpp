#include "http/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "http/tls.h"

namespace promha::http {
namespace {

// After a response, the client may still be sending (a body promha did not read, headers past
// the limit). Closing with unread data makes the kernel send a RST, which can destroy the
// response before the client reads it; so, like nginx's lingering_close and Go's
// closeWriteAndWait, read and discard for a short, bounded while first.
constexpr std::chrono::milliseconds kLingerTime{1'000};
constexpr size_t kLingerBytes = 256 << 10;

bool addressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return false;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  ip = host;
  port = std::atoi(serv);
  return true;
}

}  // namespace

Connection::Connection(int fd, const ConnectionLimits& limits, int stop_fd)
    : fd_(fd), stop_fd_(stop_fd), limits_(limits) {
  const int flags = ::fcntl(fd_, F_GETFL, 0);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  // cpp-httplib writes a response's headers and body separately: without this, Nagle's
  // algorithm and the client's delayed ACK hold the body back for up to 40 ms.
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Connection::~Connection() {
  if (ssl_ != nullptr) {
    // One non-blocking call sends our close_notify; the peer's is not awaited.
    if (!write_failed_) (void)SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ERR_clear_error();
  }
  lingeringClose();
}

void Connection::lingeringClose() {
  // Only when the client may still be sending: a client that sent its whole request and got its
  // answer must not hold the connection's slot while it takes its time to close.
  pollfd p{fd_, POLLIN, 0};
  const bool unread = failure_ == Failure::kTimeout || failure_ == Failure::kHeaderTooLarge ||
                      close_after_ || pos_ < len_ || (::poll(&p, 1, 0) == 1 && p.revents != 0);
  if (wrote_ && !write_failed_ && unread && ::shutdown(fd_, SHUT_WR) == 0) {
    const auto deadline = Clock::now() + kLingerTime;
    size_t discarded = 0;
    char scratch[4096];
    while (discarded < kLingerBytes && wait(POLLIN, deadline, /*watch_stop=*/true)) {
      const ssize_t n = ::recv(fd_, scratch, sizeof(scratch), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
      if (n > 0) discarded += static_cast<size_t>(n);
    }
  }
  ::close(fd_);
}

bool Connection::wait(short events, Clock::time_point deadline, bool watch_stop) const {
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const int timeout = static_cast<int>(std::min<int64_t>(left, INT_MAX));
    pollfd p[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    const nfds_t nfds = watch_stop && stop_fd_ >= 0 ? 2 : 1;
    const int n = ::poll(p, nfds, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) continue;  // the deadline check above decides
    if (nfds == 2 && (p[1].revents & POLLIN) != 0) return false;
    if (p[0].revents != 0) return true;  // POLLERR/POLLHUP too: the next I/O call reports it
  }
}

bool Connection::waitRead(short events, Clock::time_point deadline) {
  if (wait(events, deadline, /*watch_stop=*/true)) return true;
  if (failure_ == Failure::kNone) {
    failure_ = Clock::now() >= deadline ? Failure::kTimeout : Failure::kStopped;
  }
  return false;
}

bool Connection::waitWrite(short events) const {
  if (write_deadline_ == Clock::time_point::max()) {
    write_deadline_ = Clock::now() + limits_.write_timeout;
  }
  // A stop does not abort a response being written: the write deadline bounds it.
  if (wait(events, write_deadline_, /*watch_stop=*/false)) return true;
  write_failed_ = true;
  return false;
}

bool Connection::handshake(SSL_CTX* ctx, std::string* error) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    *error = "cannot set up TLS: " + takeSslErrors();
    write_failed_ = true;
    failure_ = Failure::kError;
    return false;
  }
  const auto deadline = Clock::now() + limits_.handshake_timeout;
  for (;;) {
    ERR_clear_error();
    const int r = SSL_accept(ssl_);
    if (r == 1) return true;
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (waitRead(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) continue;
      *error = failure_ == Failure::kStopped ? "server stopping" : "TLS handshake timed out";
      write_failed_ = true;  // no close_notify on an unfinished handshake
      return false;
    }
    const unsigned long code = ERR_peek_error();
    write_failed_ = true;
    failure_ = Failure::kError;
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST) {
      // Go's http.Server answers so (net/http/server.go), and the client sees why.
      static constexpr std::string_view kResp =
          "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      if (::send(fd_, kResp.data(), kResp.size(), MSG_NOSIGNAL) > 0) wrote_ = true;
      write_failed_ = false;  // for the lingering close; there is no TLS session to shut down
      SSL_free(ssl_);
      ssl_ = nullptr;
      ERR_clear_error();
      *error = "client sent an HTTP request to an HTTPS server";
      return false;
    }
    if (e == SSL_ERROR_SYSCALL && code == 0) {
      *error = "connection closed during the TLS handshake";
    } else {
      *error = "TLS handshake failed: " + takeSslErrors();
    }
    return false;
  }
}

bool Connection::awaitRequest() {
  if (failure_ != Failure::kNone || write_failed_) return false;
  if (pos_ < len_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
  return wait(POLLIN, Clock::now() + limits_.idle_timeout, /*watch_stop=*/true);
}

void Connection::beginRequest() {
  read_deadline_ = Clock::now() + limits_.read_timeout;
  write_deadline_ = Clock::time_point::max();
  in_headers_ = true;
  no_body_ = false;
  answered_ = false;
  header_bytes_ = 0;
  crlf_state_ = 0;
}

const std::string& Connection::remoteAddr() {
  if (remote_.empty()) {
    std::string ip;
    int port = 0;
    remote_ = addressOf(fd_, true, ip, port) ? ip + ":" + std::to_string(port) : "unknown";
  }
  return remote_;
}

ssize_t Connection::fill() {
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int r = SSL_read(ssl_, buf_.data(), static_cast<int>(buf_.size()));
      if (r > 0) {
        pos_ = 0;
        len_ = static_cast<size_t>(r);
        return r;
      }
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!waitRead(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, read_deadline_)) return -1;
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
        ERR_clear_error();
        return 0;  // close_notify, or EOF without one
      }
      ERR_clear_error();
      failure_ = Failure::kError;
      write_failed_ = true;  // the session is unusable
      return -1;
    }
    const ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n > 0) {
      pos_ = 0;
      len_ = static_cast<size_t>(n);
      return n;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!waitRead(POLLIN, read_deadline_)) return -1;
      continue;
    }
    failure_ = Failure::kError;
    return -1;
  }
}

bool Connection::is_readable() const {
  if (pos_ < len_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
  return failure_ == Failure::kNone && wait(POLLIN, read_deadline_, /*watch_stop=*/true);
}

bool Connection::is_writable() const { return !write_failed_ && waitWrite(POLLOUT); }

ssize_t Connection::read(char* ptr, size_t size) {
  if (failure_ != Failure::kNone) return -1;
  if (no_body_) return 0;
  if (pos_ == len_) {
    const ssize_t n = fill();
    if (n <= 0) return n;
  }
  size_t n = std::min(size, len_ - pos_);
  if (in_headers_) {
    // Count the request line and headers up to the blank line that ends them; stop the chunk
    // there so that body bytes are never counted.
    for (size_t i = 0; i < n; ++i) {
      const char c = buf_[pos_ + i];
      if (c == '\r') {
        crlf_state_ = crlf_state_ == 2 ? 3 : 1;
      } else if (c == '\n' && (crlf_state_ == 1 || crlf_state_ == 3)) {
        ++crlf_state_;
      } else {
        crlf_state_ = 0;
      }
      if (crlf_state_ == 4) {
        in_headers_ = false;
        n = i + 1;
        break;
      }
    }
    header_bytes_ += n;
    if (header_bytes_ > limits_.max_header_bytes) {
      failure_ = Failure::kHeaderTooLarge;
      return -1;
    }
  }
  std::memcpy(ptr, buf_.data() + pos_, n);
  pos_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t Connection::write(const char* ptr, size_t size) {
  if (write_failed_) return -1;
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int r = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (r > 0) {
        wrote_ = answered_ = true;
        return r;
      }
      const int e = SSL_get_error(ssl_, r);
      if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) &&
          waitWrite(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN)) {
        continue;  // OpenSSL wants the same arguments again
      }
      ERR_clear_error();
      write_failed_ = true;
      return -1;
    }
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    if (n >= 0) {
      wrote_ = answered_ = true;
      return n;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && waitWrite(POLLOUT)) continue;
    write_failed_ = true;
    return -1;
  }
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const {
  addressOf(fd_, true, ip, port);
}

void Connection::get_local_ip_and_port(std::string& ip, int& port) const {
  addressOf(fd_, false, ip, port);
}

}  // namespace promha::http
