// Server: promha's HTTP listener (cpp-httplib) and its routes.
//
// Handlers only decode, relabel and enqueue: they never wait on an Alertmanager. The routes call
// into `Handlers`, a table of functions the app provides, so this file knows nothing about
// queues or configs.
//
//   http::Server srv(opts, handlers, logger);
//   auto port = srv.bind();          // loads --web.config.file, binds (port 0 = any free port)
//   srv.start();                     // serves on its own thread
//   ...; srv.stop();                 // idempotent
//
// Hardening, in Prometheus's terms: `web_config_file` (exporter-toolkit format, web_config.h)
// turns on TLS and basic auth for every path; POST /-/reload answers 403 unless
// `enable_lifecycle`; at most `max_connections` connections are served at once (more wait in
// the kernel's accept queue, as Go's netutil.LimitListener makes them wait), each on its own
// thread; each request must arrive whole within `read_timeout` and its request line and headers
// must fit in `max_header_bytes` (connection.h: cpp-httplib's own timeout is per recv() call).
//
// Thread-safety: bind/start/stop from one controlling thread; handlers run on connection threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "alert/codec.h"
#include "core/result.h"
#include "log/logger.h"

namespace httplib {
class Server;
}

namespace promha::http {

class BasicAuth;
class ConnectionPool;
class Listener;
class WebConfigSource;

// A request as the extra routes see it.
struct Request {
  std::string_view body;
  // The value of a header ("" when absent); names are case-insensitive.
  std::function<std::string(const char* name)> header;
  // The value of a URL query parameter ("" when absent).
  std::function<std::string(const char* name)> param = [](const char*) { return std::string(); };
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type;  // empty: no Content-Type header
};

struct Handlers {
  // POST /api/v2/alerts and /api/v1/alerts.
  std::function<Response(alert::ApiVersion, std::string_view body, std::string_view content_type)>
      alerts;
  std::function<std::string()> metrics;      // GET /metrics (text exposition)
  std::function<bool()> ready;               // GET /-/ready
  std::function<core::Status()> reload;      // POST /-/reload
  std::function<std::string()> status_json;  // GET /api/v1/status
  std::function<std::string()> status_html;  // GET /
  // More GET routes (path -> handler), e.g. /api/v1/ha/alerts.
  std::map<std::string, std::function<Response()>> gets;
  // More POST routes (path -> handler of the request), e.g. /api/v1/write.
  std::map<std::string, std::function<Response(const Request&)>> posts;
  // Lifecycle routes (path -> handler), e.g. an HA hand-off: POST and PUT answer only with
  // --web.enable-lifecycle (else 403), GET is 405, as /-/reload.
  std::map<std::string, std::function<Response(const Request&)>> lifecycle;
};

struct ServerOptions {
  std::string listen_address = ":9095";
  size_t max_request_bytes = 8 << 20;
  // --web.config.file: TLS and basic auth in exporter-toolkit's format; empty: plain HTTP, open.
  std::string web_config_file;
  // --web.enable-lifecycle: POST /-/reload (and later lifecycle endpoints); else 403.
  bool enable_lifecycle = false;
  // --web.max-connections, Prometheus's default.
  int max_connections = 512;
  // A whole request (request line, headers, body) from its first byte; Go's ReadTimeout.
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  // An idle keep-alive connection is closed after this; also bounds the TLS handshake.
  std::chrono::milliseconds idle_timeout{10'000};
  size_t max_header_bytes = 64 << 10;  // request line + headers; 431 above
  // How often, at most, the web config's files are checked for changes.
  std::chrono::milliseconds web_config_check_interval{1'000};
};

// Splits "host:port", ":port", "[v6]:port" into host and port; host "" means all interfaces.
core::Result<std::pair<std::string, int>> parseListenAddress(std::string_view addr);

class Server {
 public:
  Server(ServerOptions opts, Handlers handlers, log::Logger& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  core::Result<int> bind();
  void start();
  void stop();
  int port() const { return port_; }

 private:
  friend class Listener;
  void routes();

  ServerOptions opts_;
  Handlers handlers_;
  log::Logger& log_;
  std::unique_ptr<WebConfigSource> web_;
  std::unique_ptr<BasicAuth> auth_;
  std::unique_ptr<httplib::Server> srv_;  // a Listener
  int stop_fd_ = -1;                      // an eventfd, readable once stop() begins
  std::mutex pool_mu_;
  ConnectionPool* pool_ = nullptr;  // owned by the listen loop; guarded by pool_mu_
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace promha::http
