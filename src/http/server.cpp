#include "http/server.h"

#include <httplib.h>

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

namespace promha::http {
namespace {

void reply(httplib::Response& res, const Response& r) {
  res.status = r.status;
  if (!r.content_type.empty() || !r.body.empty()) {
    res.set_content(r.body, r.content_type.empty() ? "text/plain; charset=utf-8" : r.content_type);
  }
}

// Alertmanager answers unknown methods and paths with a JSON {"code","message"} body.
void jsonError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  nlohmann::ordered_json j;
  j["code"] = status;
  j["message"] = message;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace

core::Result<std::pair<std::string, int>> parseListenAddress(std::string_view addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) {
    return core::Error{"listen address '" + std::string(addr) + "' has no port (want host:port)"};
  }
  std::string host(addr.substr(0, colon));
  const std::string_view port_s = addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc() || p != port_s.data() + port_s.size() || port < 0 || port > 65535) {
    return core::Error{"listen address '" + std::string(addr) + "' has an invalid port"};
  }
  return std::make_pair(host, port);
}

Server::Server(ServerOptions opts, Handlers handlers, log::Logger& log)
    : opts_(std::move(opts)),
      handlers_(std::move(handlers)),
      log_(log),
      srv_(std::make_unique<httplib::Server>()) {
  routes();
}

Server::~Server() { stop(); }

void Server::routes() {
  auto& s = *srv_;
  const int threads = opts_.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(opts_.max_request_bytes);
  s.set_read_timeout(opts_.read_timeout_seconds, 0);
  s.set_write_timeout(opts_.write_timeout_seconds, 0);
  // httplib holds a pool thread per open connection: idle keep-alive connections are closed
  // after 10 s so that they cannot starve the pool.
  s.set_keep_alive_timeout(10);
  // Alertmanager (Go's net/http) serves any number of requests on a keep-alive connection;
  // cpp-httplib's default closes it after 5, which costs Prometheus a reconnect every 5 batches.
  s.set_keep_alive_max_count(std::numeric_limits<size_t>::max());

  auto alerts = [this](alert::ApiVersion v) {
    return [this, v](const httplib::Request& req, httplib::Response& res) {
      reply(res, handlers_.alerts(v, req.body, req.get_header_value("Content-Type")));
    };
  };
  s.Post("/api/v2/alerts", alerts(alert::ApiVersion::kV2));
  s.Post("/api/v1/alerts", alerts(alert::ApiVersion::kV1));
  for (const char* path : {"/api/v2/alerts", "/api/v1/alerts"}) {
    s.Put(path, [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", "POST");
      jsonError(res, 405, "method PUT is not allowed, but [POST] are");
    });
  }
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("OK", "text/plain; charset=utf-8");
  });
  s.Get("/-/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (handlers_.ready()) {
      res.set_content("OK", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content("Service Unavailable", "text/plain; charset=utf-8");
    }
  });
  s.Post("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    const core::Status st = handlers_.reload();
    if (st.ok()) {
      res.set_content("OK", "text/plain; charset=utf-8");
    } else {
      res.status = 500;
      res.set_content("failed to reload config: " + st.error().str() + "\n",
                      "text/plain; charset=utf-8");
    }
  });
  s.Get("/-/reload", [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content("Only POST requests allowed\n", "text/plain; charset=utf-8");
  });
  s.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.status_json(), "application/json");
  });
  for (const auto& [path, fn] : handlers_.gets) {
    s.Get(path, [fn](const httplib::Request&, httplib::Response& res) { reply(res, fn()); });
  }
  for (const auto& [path, fn] : handlers_.posts) {
    s.Post(path, [fn](const httplib::Request& req, httplib::Response& res) {
      const Request r{req.body, [&req](const char* name) { return req.get_header_value(name); }};
      reply(res, fn(r));
    });
  }
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.status_html(), "text/html; charset=utf-8");
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 413) {
      res.set_content("request body too large\n", "text/plain; charset=utf-8");
    } else if (res.status == 404 && res.body.empty()) {
      jsonError(res, 404, "path " + req.path + " was not found");
    }
  });
  s.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log_.error("Handler failed", {{"path", req.path}, {"err", what}});
        res.status = 500;
        res.set_content("internal error\n", "text/plain; charset=utf-8");
      });
}

core::Result<int> Server::bind() {
  auto addr = parseListenAddress(opts_.listen_address);
  if (!addr) return addr.error();
  const std::string host = addr->first.empty() ? "0.0.0.0" : addr->first;
  if (addr->second == 0) {
    port_ = srv_->bind_to_any_port(host);
    if (port_ <= 0) return core::Error{"cannot listen on " + opts_.listen_address};
  } else {
    if (!srv_->bind_to_port(host, addr->second)) {
      return core::Error{"cannot listen on " + opts_.listen_address +
                         ": address in use or invalid"};
    }
    port_ = addr->second;
  }
  return port_;
}

void Server::start() {
  thread_ = std::thread([this] { srv_->listen_after_bind(); });
}

void Server::stop() {
  if (stopped_.exchange(true)) return;
  srv_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace promha::http
