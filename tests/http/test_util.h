// Helpers for the listener tests: a Server on 127.0.0.1:0 with stub handlers, a raw socket client
// for byte-exact and slow clients, a temporary directory, and bcrypt hashes made with libxcrypt.
#pragma once

#include <arpa/inet.h>
#include <crypt.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "http/server.h"
#include "log/logger.h"

namespace promha::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A directory removed with its content at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "promha-http-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    // Write then rename, as a config management tool would: readers never see half a file.
    const std::string tmp = file("." + name + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary);
      out << text;
    }
    std::filesystem::rename(tmp, file(name));
    return file(name);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// CA, server, client and rogue certificates from tests/data/tls/gen_test_certs.sh (openssl CLI).
inline void generateCerts(const TempDir& dir) {
  const std::string cmd =
      std::string(PROMHA_SOURCE_DIR) + "/tests/data/tls/gen_test_certs.sh '" + dir.path() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

// A bcrypt hash of `password` at cost 4 (fast, for tests) in the `prefix` variant ($2b$ ...).
inline std::string bcryptHash(const std::string& password, const char* prefix = "$2b$") {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof(salt)) != nullptr);
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), salt, &data, sizeof(data));
  REQUIRE(out != nullptr);
  return out;
}

inline std::string basicAuthHeader(const std::string& user, const std::string& password) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return "Basic " + out;
}

// A client on a raw TCP socket, for requests byte by byte and for what arrives before a close.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // False once the server has closed (EPIPE/ECONNRESET).
  bool send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // True if something (or EOF) arrives within `timeout`; what arrived is appended to received().
  bool poll(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
    } else {
      received_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until the server closes or `timeout` passes; true if it closed.
  bool readUntilClosed(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_ && Clock::now() < deadline) {
      poll(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1));
    }
    return closed_;
  }
  // Reads until a whole response (head, and a body of Content-Length) is in, or `timeout`.
  bool readResponse(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_ && Clock::now() < deadline && !complete()) {
      poll(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1));
    }
    return complete();
  }
  int status() const {
    if (received_.size() < 12 || received_.compare(0, 5, "HTTP/") != 0) return 0;
    return std::atoi(received_.c_str() + 9);
  }
  const std::string& received() const { return received_; }
  void clear() { received_.clear(); }
  bool closed() const { return closed_; }

 private:
  bool complete() const {
    const size_t head = received_.find("\r\n\r\n");
    if (head == std::string::npos) return false;
    size_t length = 0;
    const size_t cl = received_.find("Content-Length: ");
    if (cl != std::string::npos && cl < head) length = std::stoul(received_.substr(cl + 16));
    return received_.size() >= head + 4 + length;
  }

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

// An http::Server on 127.0.0.1:<free port> with stub handlers that count reloads.
class TestServer {
 public:
  explicit TestServer(http::ServerOptions o) {
    std::signal(SIGPIPE, SIG_IGN);  // as `promha run` does: TLS writes to a closed peer
    o.listen_address = "127.0.0.1:0";
    http::Handlers h;
    h.alerts = [](alert::ApiVersion, std::string_view body, std::string_view) {
      return http::Response{200, std::to_string(body.size()), "text/plain"};
    };
    h.metrics = [] { return std::string("promha_up 1\n"); };
    h.ready = [] { return true; };
    h.reload = [this] {
      ++reloads;
      return core::Status(core::Ok{});
    };
    h.lifecycle["/-/handoff"] = [](const http::Request& r) {
      return http::Response{200, "handed off " + std::string(r.body), "text/plain"};
    };
    h.status_json = [] { return std::string("{}"); };
    h.status_html = [] { return std::string("<html></html>"); };
    srv_ = std::make_unique<http::Server>(std::move(o), std::move(h), logger_);
    auto p = srv_->bind();
    bind_error = p ? "" : p.error().str();
    if (p) {
      port = *p;
      srv_->start();
    }
  }
  ~TestServer() { stop(); }
  void stop() { srv_->stop(); }
  // The log, once stopped (the logger is not read while server threads may write).
  std::string logs() {
    stop();
    return logs_.str();
  }

  int port = 0;
  std::string bind_error;
  std::atomic<int> reloads{0};

 private:
  std::ostringstream logs_;
  log::Logger logger_{logs_, log::Logger::Level::kDebug, log::Logger::Format::kLogfmt};
  std::unique_ptr<http::Server> srv_;
};

}  // namespace promha::testing
