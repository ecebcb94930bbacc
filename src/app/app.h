// App: builds promha's components from a Config and runs them, like a run group: metrics, the
// notify manager (one sender per Alertmanager), discovery, then the HTTP server; stop in reverse.
//
//   app::App app(opts, registry, logger);
//   if (auto st = app.start(); !st) { ... }   // loads the config; fails on an invalid one
//   ... app.reload();                          // SIGHUP or POST /-/reload
//   app.stop();                                // drains queues for up to opts.drain_timeout
//
// Reload validates the whole new config first and keeps the old one on failure (and says so in
// promha_config_last_reload_successful); the queues of Alertmanagers that did not change are kept.
// /-/ready turns true once the first config is applied. The state of peers is never readiness.
// Thread-safety: start/stop from the owning thread; reload() from any thread (serialised).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "discovery/manager.h"
#include "ha/coordinator.h"
#include "http/alerts_handler.h"
#include "http/server.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "notify/clock.h"
#include "notify/manager.h"
#include "remotewrite/forwarder.h"
#include "watch/watcher.h"
#include "web/ui.h"

namespace prometheus {
class Registry;
}

namespace promha::app {

struct Options {
  std::string config_file = "promha.yml";
  http::ServerOptions server;
  std::chrono::milliseconds drain_timeout{10'000};
  // --watch.local-name: this replica's name among watch.peers (see watch::withLocalName).
  std::string watch_local_name;
  // Overrides for tests: the discovery resolver (null = the system's).
  discovery::Resolver* resolver = nullptr;
};

class App {
 public:
  App(Options opts, prometheus::Registry& registry, log::Logger& log);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  core::Status start();
  core::Status reload();
  void stop();
  int port() const { return server_ ? server_->port() : 0; }

  std::string statusJson() const;

 private:
  class ManagerSink;
  core::Status applyConfig(config::Config cfg, std::vector<remotewrite::EndpointConfig> rw,
                           std::optional<ha::Settings> ha);
  void onTargets(size_t block, std::vector<discovery::TargetGroup> groups);
  void applyTargets();  // with targets_mu_ held

  Options opts_;
  prometheus::Registry& registry_;
  log::Logger& log_;
  metrics::Metrics metrics_;
  notify::Manager notify_;
  remotewrite::Metrics rw_metrics_;      // remote_write: POST /api/v1/write and its endpoints
  remotewrite::Forwarder remote_write_;  // the HA work hooks in through setGate()/replay()
  std::unique_ptr<ManagerSink> sink_;
  http::AlertsHandler handler_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<watch::Watcher> watcher_;  // after handler_: emits through it
  std::unique_ptr<ha::Coordinator> ha_;      // remote_write_'s gate while ha.replicas is set
  std::unique_ptr<web::Ui> ui_;              // the web UI and its Alertmanager history

  std::mutex reload_mu_;  // serialises reload(); taken before targets_mu_
  std::unique_ptr<discovery::Manager> discovery_;
  std::atomic<std::shared_ptr<const config::Config>> config_;  // written under reload_mu_

  mutable std::mutex targets_mu_;
  std::vector<std::vector<notify::Target>> targets_;  // per block; guarded by targets_mu_
  std::vector<std::string> target_errors_;            // last errors per block
  bool defer_apply_ = false;                          // guarded by targets_mu_

  mutable std::mutex state_mu_;
  int64_t last_reload_ns_ = 0;
  bool last_reload_ok_ = false;
  std::string last_reload_error_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
  int64_t started_ns_ = 0;
};

}  // namespace promha::app
