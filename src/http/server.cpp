#include "http/server.h"

#include <httplib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "http/basic_auth.h"
#include "http/connection.h"
#include "http/web_config.h"

namespace promha::http {
namespace {

// The connection this thread is serving: the error handler turns its read failures into 408 and
// 431, and a rejected request whose body was never read closes it.
thread_local Connection* tl_connection = nullptr;

void text(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/plain; charset=utf-8");
}

Request requestOf(const httplib::Request& req) {
  return Request{req.body, [&req](const char* name) { return req.get_header_value(name); },
                 [&req](const char* name) { return req.get_param_value(name); }};
}

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

// One thread per connection, created on demand and reused, at most `max` busy at once. At the cap
// enqueue() blocks the accept loop, so that further connections wait in the kernel's accept queue
// instead of being accepted and starved, as Go's netutil.LimitListener (Prometheus's
// --web.max-connections) makes them wait.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t max, std::function<void()> on_shutdown)
      : max_(max), on_shutdown_(std::move(on_shutdown)) {}

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mu_);
    slot_cv_.wait(lock, [&] { return busy_ < max_ || stopping_; });
    ++busy_;
    jobs_.push_back(std::move(fn));
    if (waiting_ < jobs_.size()) {
      threads_.emplace_back([this] { work(); });
    } else {
      job_cv_.notify_one();
    }
  }

  // Called by the listen loop when it ends, before it deletes the pool.
  void shutdown() override {
    on_shutdown_();
    {
      std::lock_guard lock(mu_);
      shutdown_ = true;
    }
    job_cv_.notify_all();
    for (std::thread& t : threads_) t.join();  // enqueue() runs on this same thread: no race
  }

  // Lets a blocked enqueue() through on stop: the connection is then closed at once.
  void stopping() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    slot_cv_.notify_all();
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++waiting_;
      job_cv_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
      --waiting_;
      if (jobs_.empty()) return;
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      fn = nullptr;
      lock.lock();
      --busy_;
      slot_cv_.notify_one();
    }
  }

  const size_t max_;
  const std::function<void()> on_shutdown_;
  std::mutex mu_;
  std::condition_variable slot_cv_, job_cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t busy_ = 0;     // connections queued or being served
  size_t waiting_ = 0;  // threads waiting for a job
  bool stopping_ = false;
  bool shutdown_ = false;
};

// cpp-httplib's Server with promha's own connection handling (connection.h) in place of its
// per-recv timeouts. process_and_close_socket is cpp-httplib's extension point for this:
// SSLServer overrides it the same way.
class Listener final : public httplib::Server {
 public:
  explicit Listener(http::Server& owner) : owner_(owner) {}

  // cpp-httplib 0.11 listens with a backlog of 5; connections waiting for a slot (see
  // ConnectionPool) wait in this queue, so give it Go's size (net.core.somaxconn caps it).
  void raiseBacklog() { ::listen(svr_sock_, SOMAXCONN); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    const ServerOptions& o = owner_.opts_;
    const ConnectionLimits limits{o.read_timeout, o.write_timeout, o.idle_timeout, o.idle_timeout,
                                  o.max_header_bytes};
    Connection conn(sock, limits, owner_.stop_fd_);  // closes sock when it goes
    if (owner_.stopped_) return true;
    if (owner_.web_->tls()) {
      const auto web = owner_.web_->current();
      std::string err;
      if (!conn.handshake(web->tls.get(), &err)) {
        owner_.log_.debug("TLS handshake failed", {{"remote", conn.remoteAddr()}, {"err", err}});
        return true;
      }
    }
    tl_connection = &conn;
    while (!owner_.stopped_ && conn.awaitRequest()) {
      conn.beginRequest();
      bool closed = false;
      const bool ok = process_request(conn, /*close_connection=*/false, closed, nullptr);
      if (!ok && !conn.answered() && conn.failure() == Connection::Failure::kHeaderTooLarge) {
        // The limit was hit in the request line, where cpp-httplib gives up without an answer.
        // Go answers 431 there too.
        static constexpr std::string_view k431 =
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; "
            "charset=utf-8\r\nConnection: close\r\nContent-Length: 32\r\n\r\nrequest header "
            "fields too large\n";
        (void)conn.write(k431.data(), k431.size());
      }
      if (!ok || closed || conn.shouldClose()) break;
    }
    tl_connection = nullptr;
    return true;
  }

  http::Server& owner_;
};

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
      web_(std::make_unique<WebConfigSource>(opts_.web_config_file, log_,
                                             opts_.web_config_check_interval)),
      auth_(std::make_unique<BasicAuth>()),
      srv_(std::make_unique<Listener>(*this)),
      stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  routes();
}

Server::~Server() {
  stop();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void Server::routes() {
  auto& s = *srv_;
  const auto max_connections = static_cast<size_t>(std::max(1, opts_.max_connections));
  s.new_task_queue = [this, max_connections] {
    auto* pool = new ConnectionPool(max_connections, [this] {
      std::lock_guard lock(pool_mu_);
      pool_ = nullptr;
    });
    std::lock_guard lock(pool_mu_);
    pool_ = pool;
    return pool;
  };
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(opts_.max_request_bytes);
  // Only for the Keep-Alive response header: Connection enforces the idle timeout, and
  // Alertmanager (Go's net/http) serves any number of requests on a keep-alive connection.
  s.set_keep_alive_timeout(std::chrono::ceil<std::chrono::seconds>(opts_.idle_timeout).count());
  s.set_keep_alive_max_count(std::numeric_limits<size_t>::max());

  // Basic auth guards every path, as exporter-toolkit's handler does; it runs before the body is
  // read, so an unauthenticated client cannot make promha buffer a body.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const bool has_body =
        req.has_header("Transfer-Encoding") ||
        (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
    if (!req.has_header("Transfer-Encoding") && !req.has_header("Content-Length") &&
        tl_connection != nullptr) {
      tl_connection->noRequestBody();  // e.g. `curl -X POST .../-/reload`
    }
    const auto web = web_->current();
    if (!web || web->config.users.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (auth_->check(web->config.users, req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Basic");
    text(res, 401, "Unauthorized\n");
    if (has_body && tl_connection != nullptr) {
      // The body stays unread, so the connection cannot carry another request.
      res.set_header("Connection", "close");
      tl_connection->closeAfterResponse();
    }
    log_.debug("Unauthorized request", {{"path", req.path}, {"remote", req.remote_addr}});
    return httplib::Server::HandlerResponse::Handled;
  });
  // http_server_config.headers go on every response, errors included.
  s.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    if (const auto web = web_->current()) {
      for (const auto& [name, value] : web->config.headers) res.set_header(name, value);
    }
  });

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
  // Lifecycle endpoints, as Prometheus's web.go registers them: POST and PUT only with
  // --web.enable-lifecycle (else 403), GET is 405 either way. SIGHUP always reloads.
  const auto lifecycle = [this, &s](const std::string& path, httplib::Server::Handler fn) {
    auto guarded = [this, fn](const httplib::Request& req, httplib::Response& res) {
      if (!opts_.enable_lifecycle) {
        text(res, 403, "Lifecycle API is not enabled.");
        return;
      }
      fn(req, res);
    };
    s.Post(path, guarded);
    s.Put(path, guarded);
    s.Get(path, [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", "POST, PUT");
      text(res, 405, "Only POST or PUT requests allowed");
    });
  };
  lifecycle("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    const core::Status st = handlers_.reload();
    if (st.ok()) {
      res.set_content("OK", "text/plain; charset=utf-8");
    } else {
      text(res, 500, "failed to reload config: " + st.error().str() + "\n");
    }
  });
  for (const auto& [path, fn] : handlers_.lifecycle) {
    lifecycle(path, [fn](const httplib::Request& req, httplib::Response& res) {
      reply(res, fn(requestOf(req)));
    });
  }
  s.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.status_json(), "application/json");
  });
  for (const auto& [path, fn] : handlers_.gets) {
    s.Get(path, [fn](const httplib::Request&, httplib::Response& res) { reply(res, fn()); });
  }
  for (const auto& [path, fn] : handlers_.posts) {
    s.Post(path, [fn](const httplib::Request& req, httplib::Response& res) {
      reply(res, fn(requestOf(req)));
    });
  }
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.status_html(), "text/html; charset=utf-8");
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // cpp-httplib answers 400 to a request it could not read; say why when it was a limit.
    const auto failure =
        tl_connection != nullptr ? tl_connection->failure() : Connection::Failure::kNone;
    if (res.status == 400 && failure == Connection::Failure::kTimeout) {
      text(res, 408, "request not received in time\n");  // Go: 408 on ReadTimeout
    } else if (res.status == 400 && failure == Connection::Failure::kHeaderTooLarge) {
      text(res, 431, "request header fields too large\n");  // Go: 431 above MaxHeaderBytes
    } else if (res.status == 413) {
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
  if (stop_fd_ < 0) return core::Error{"cannot create an eventfd for the listener"};
  if (auto st = web_->load(); !st) {
    return core::Error{"invalid --web.config.file: " + st.error().str()};
  }
  if (!opts_.web_config_file.empty()) {
    const auto web = web_->current();
    log_.info(web_->tls() ? "TLS is enabled" : "TLS is disabled",
              {{"web_config", opts_.web_config_file},
               {"basic_auth_users", std::to_string(web->config.users.size())}});
  }
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
  static_cast<Listener&>(*srv_).raiseBacklog();
  return port_;
}

void Server::start() {
  thread_ = std::thread([this] {
    srv_->listen_after_bind();
    listen_returned_ = true;
  });
  // cpp-httplib's stop() does nothing until the listen loop runs: wait for it, so that a stop()
  // right after start() cannot leave the loop running.
  while (!srv_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Server::stop() {
  if (stopped_.exchange(true)) return;
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));  // wakes every connection's wait
  }
  {
    std::lock_guard lock(pool_mu_);
    if (pool_ != nullptr) pool_->stopping();
  }
  srv_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace promha::http
