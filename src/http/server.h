// Server: promha's HTTP listener (cpp-httplib) and its routes.
//
// Handlers only decode, relabel and enqueue: they never wait on an Alertmanager. The routes call
// into `Handlers`, a table of functions the app provides, so this file knows nothing about
// queues or configs.
//
//   http::Server srv(opts, handlers, logger);
//   auto port = srv.bind();          // binds (port 0 = any free port) and returns the port
//   srv.start();                     // serves on its own thread
//   ...; srv.stop();                 // idempotent
//
// Thread-safety: bind/start/stop from one controlling thread; handlers run on pool threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
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

// A request as the extra routes see it.
struct Request {
  std::string_view body;
  // The value of a header ("" when absent); names are case-insensitive.
  std::function<std::string(const char* name)> header;
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
};

struct ServerOptions {
  std::string listen_address = ":9095";
  size_t max_request_bytes = 8 << 20;
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 30;
  int threads = 16;
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
  void routes();

  ServerOptions opts_;
  Handlers handlers_;
  log::Logger& log_;
  std::unique_ptr<httplib::Server> srv_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace promha::http
