// Connection: one accepted socket of promha's listener as a cpp-httplib Stream, plain or TLS,
// with the time and size bounds that cpp-httplib 0.11 does not enforce.
//
// cpp-httplib's read timeout applies to each recv() call: a client that sends one byte per
// second keeps a connection (and a pool thread) forever, and the number of header lines is not
// bounded. A Connection instead gives each request a deadline for all of its bytes (request line,
// headers and body, like Go's http.Server ReadTimeout, which Prometheus's --web.read-timeout sets),
// each response a deadline for all of its bytes, the TLS handshake a deadline, the wait for the
// next keep-alive request a deadline, and counts the bytes of the request line and headers
// against a limit. A server stop wakes every wait at once through `stop_fd` (an eventfd).
//
//   Connection c(fd, limits, stop_fd);             // owns fd from here on
//   if (tls && !c.handshake(ctx, &err)) return;
//   while (c.awaitRequest()) { c.beginRequest(); server.process_request(c, ...); ... }
//
// Thread-safety: a Connection is used by one thread at a time.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>

namespace promha::http {

struct ConnectionLimits {
  std::chrono::milliseconds read_timeout{30'000};   // a whole request, from its first byte
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  std::chrono::milliseconds idle_timeout{10'000};   // between keep-alive requests
  std::chrono::milliseconds handshake_timeout{10'000};
  size_t max_header_bytes = 64 << 10;  // request line + headers
};

class Connection final : public httplib::Stream {
 public:
  enum class Failure { kNone, kTimeout, kHeaderTooLarge, kStopped, kError };

  Connection(int fd, const ConnectionLimits& limits, int stop_fd);
  ~Connection() override;  // TLS close_notify, then a bounded lingering close
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Server side of a TLS handshake on `ctx` within handshake_timeout. On failure `error` says
  // why; a plain HTTP request is answered with a 400 as Go's http.Server does.
  bool handshake(SSL_CTX* ctx, std::string* error);
  // Waits up to idle_timeout for the first byte of the next request. False: idle, closed, stop.
  bool awaitRequest();
  // Starts a request: its read deadline and the header byte count.
  void beginRequest();

  // The current request has no body: reads return end-of-stream until the next request. For a
  // request without Content-Length and Transfer-Encoding, which has no body (RFC 9112 6.3, as
  // Go reads it) where cpp-httplib 0.11 would read until the client closes.
  void noRequestBody() { no_body_ = !in_headers_; }

  Failure failure() const { return failure_; }
  bool answered() const { return answered_; }  // bytes of a response went out for this request
  // Asks for the connection to be closed after the current response (e.g. a request body that
  // was never read).
  void closeAfterResponse() { close_after_ = true; }
  bool shouldClose() const { return close_after_ || write_failed_ || failure_ != Failure::kNone; }
  const std::string& remoteAddr();

  // httplib::Stream
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Waits until fd_ has `events`; false when `deadline` passes or (watch_stop) on a stop.
  bool wait(short events, Clock::time_point deadline, bool watch_stop) const;
  // wait() for the reading side: a false return records the failure (timeout or stop).
  bool waitRead(short events, Clock::time_point deadline);
  // wait() for the writing side, within the response's deadline (set by the first write).
  bool waitWrite(short events) const;
  ssize_t fill();  // refills buf_; > 0 bytes, 0 EOF, -1 error/timeout
  void lingeringClose();

  const int fd_;
  const int stop_fd_;
  const ConnectionLimits limits_;
  SSL* ssl_ = nullptr;
  std::array<char, 4096> buf_{};
  size_t pos_ = 0, len_ = 0;
  Clock::time_point read_deadline_;
  mutable Clock::time_point write_deadline_ = Clock::time_point::max();
  bool in_headers_ = false;
  size_t header_bytes_ = 0;
  int crlf_state_ = 0;  // progress through "\r\n\r\n"
  bool close_after_ = false;
  bool no_body_ = false;
  bool wrote_ = false;
  bool answered_ = false;
  Failure failure_ = Failure::kNone;  // of the reading side; sticky
  mutable bool write_failed_ = false;
  std::string remote_;
};

}  // namespace promha::http
