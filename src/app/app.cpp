#include "app/app.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "alert/codec.h"
#include "app/targets.h"
#include "config/pipeline.h"
#include "discovery/alertmanagers.h"
#include "web/sampler.h"

#ifndef PROMHA_VERSION
#define PROMHA_VERSION "dev"
#endif

namespace promha::app {
namespace {

int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<const http::Pipeline> makePipeline(const config::Config& cfg) {
  auto p = std::make_shared<http::Pipeline>();
  p->external_labels = cfg.global.external_labels;
  p->global_rules = cfg.alerting.alert_relabel_configs;
  for (const auto& am : cfg.alerting.alertmanagers)
    p->set_rules.push_back(am.alert_relabel_configs);
  return p;
}

std::vector<discovery::DiscoveryConfig> discoveryConfigs(const config::Config& cfg) {
  std::vector<discovery::DiscoveryConfig> out;
  for (const auto& am : cfg.alerting.alertmanagers) out.push_back(discovery::discoveryConfigOf(am));
  return out;
}

}  // namespace

class App::ManagerSink final : public http::Sink {
 public:
  explicit ManagerSink(notify::Manager& m) : m_(m) {}
  void send(size_t set_index, std::vector<alert::Alert> alerts) override {
    m_.send(set_index, std::move(alerts));
  }

 private:
  notify::Manager& m_;
};

App::App(Options opts, prometheus::Registry& registry, log::Logger& log)
    : opts_(std::move(opts)),
      registry_(registry),
      log_(log),
      metrics_(registry, metrics::BuildInfo{PROMHA_VERSION, "", "", __VERSION__}),
      notify_(notify::httplibPosterFactory(), notify::SystemClock::instance(), &metrics_,
              std::random_device{}()),
      rw_metrics_(registry),
      remote_write_(remotewrite::httpPosterFactory("promha/" PROMHA_VERSION),
                    notify::SystemClock::instance(), &rw_metrics_, &log_,
                    {.retire_drain_timeout = opts_.drain_timeout, .seed = std::random_device{}()}),
      sink_(std::make_unique<ManagerSink>(notify_)),
      handler_(*sink_, http::IngestCounters{&metrics_.alertsReceived(), &metrics_.alertsInvalid(),
                                            &metrics_.alertsRelabelDropped()}) {
  watch::WatcherDeps deps;
  deps.emit = [this](std::vector<alert::Alert> alerts) {
    handler_.ingest(std::move(alerts), /*observe=*/false);
  };
  deps.alertmanagers = [this] {
    std::lock_guard t(targets_mu_);
    return targets_;
  };
  deps.make_target = [](const config::PeerConfig& p, const std::string& url,
                        core::Duration timeout) { return makePeerTarget(p, url, timeout); };
  deps.make_getter = [](const notify::Target& t) { return notify::makeHttplibGetter(t); };
  watcher_ = std::make_unique<watch::Watcher>(registry_, log_, std::move(deps));
  ha::CoordinatorDeps hdeps;
  hdeps.make_getter = [](const notify::Target& t) { return notify::makeHttplibGetter(t); };
  hdeps.emit = [this](std::vector<alert::Alert> alerts) {
    handler_.ingest(std::move(alerts), /*observe=*/false);
  };
  ha_ = std::make_unique<ha::Coordinator>(registry_, log_, remote_write_, std::move(hdeps));
  handler_.setObserver([this](const std::vector<alert::Alert>& alerts, int64_t now_ns) {
    watcher_->observe(alerts, now_ns);
  });
  ui_ = std::make_unique<web::Ui>(
      web::UiDeps{[this] { return statusJson(); }, [this] { return config_.load(); },
                  [this] { return web::sampleAlertmanagers(notify_.status(), registry_); }});
}

App::~App() { stop(); }

core::Status App::start() {
  started_ns_ = wallNs();
  if (auto st = reload(); !st) return st;
  http::Handlers h;
  h.alerts = [this](alert::ApiVersion v, std::string_view body, std::string_view ct) {
    return handler_.handle(v, body, ct);
  };
  h.metrics = [this] { return prometheus::TextSerializer().Serialize(registry_.Collect()); };
  h.ready = [this] { return ready_.load(); };
  h.reload = [this] { return reload(); };
  h.status_json = [this] { return statusJson(); };
  ui_->addRoutes(h);  // GET / (status page), /relabel, /config, /static/*, POST /api/v1/relabel
  h.gets["/api/v1/ha/alerts"] = [this] {
    return http::Response{200, watcher_->haAlertsJson(), "application/json"};
  };
  h.gets["/api/v1/ha/status"] = [this] {
    return http::Response{200, ha_->statusJson(), "application/json"};
  };
  h.lifecycle["/api/v1/ha/handoff"] = [this](const http::Request& r) {
    auto [status, body] = ha_->handoff(r.param("for"));
    return http::Response{status, body, status == 200 ? "application/json" : ""};
  };
  h.posts["/api/v1/write"] = [this](const http::Request& r) {  // Prometheus remote write 1.0
    const remotewrite::WriteResult w =
        remote_write_.write(r.body, r.header("Content-Encoding"), r.header("Content-Type"));
    return http::Response{w.status, w.message.empty() ? "" : w.message + "\n", ""};
  };
  server_ = std::make_unique<http::Server>(opts_.server, std::move(h), log_);
  auto port = server_->bind();
  if (!port) return port.error();
  server_->start();
  ui_->start();
  ready_ = true;
  log_.info("Listening",
            {{"address", opts_.server.listen_address}, {"port", std::to_string(*port)}});
  return core::Ok{};
}

core::Status App::reload() {
  std::lock_guard lock(reload_mu_);
  core::Diagnostics diag(opts_.config_file);
  std::optional<config::Config> cfg =
      config::loadFile(opts_.config_file, config::LoadOptions{config::Format::kPromha, {}}, diag);
  // remote_write credentials are read now: an unreadable file rejects the config as a whole.
  std::vector<remotewrite::EndpointConfig> rw;
  std::optional<ha::Settings> ha;
  if (cfg) {
    auto r = remoteWriteEndpoints(*cfg);
    if (r) {
      rw = std::move(*r);
    } else {
      diag.add(r.error());
      cfg.reset();
    }
  }
  if (cfg) {  // ha.replicas: this replica among them, credentials of the peers' promha
    auto h = ha::settingsOf(*cfg, watch::withLocalName(cfg->watch, opts_.watch_local_name),
                            makePeerTarget);
    if (h) {
      ha = std::move(*h);
    } else {
      diag.add(h.error());
      cfg.reset();
    }
  }
  const int64_t now = wallNs();
  if (!cfg) {
    const std::string err = diag.str();
    {
      std::lock_guard s(state_mu_);
      last_reload_ok_ = false;
      last_reload_error_ = err;
    }
    metrics_.recordReload(false, static_cast<double>(now) / 1e9);
    log_.error("Error loading config, keeping the previous one",
               {{"file", opts_.config_file}, {"err", err}});
    core::Error e = diag.ok() ? core::Error{"invalid config", opts_.config_file} : diag.errors()[0];
    if (diag.errors().size() > 1)
      e.message += " (and " + std::to_string(diag.errors().size() - 1) + " more)";
    return e;
  }
  if (auto st = applyConfig(std::move(*cfg), std::move(rw), std::move(ha)); !st) return st;
  {
    std::lock_guard s(state_mu_);
    last_reload_ok_ = true;
    last_reload_error_.clear();
    last_reload_ns_ = now;
  }
  metrics_.recordReload(true, static_cast<double>(now) / 1e9);
  log_.info("Completed loading of configuration file", {{"file", opts_.config_file}});
  return core::Ok{};
}

core::Status App::applyConfig(config::Config cfg, std::vector<remotewrite::EndpointConfig> rw,
                              std::optional<ha::Settings> ha) {
  auto shared = std::make_shared<const config::Config>(std::move(cfg));
  // Old discovery first: its callbacks must not race the new one's.
  if (discovery_) discovery_->stop();
  handler_.setPipeline(makePipeline(*shared));
  config_.store(shared);
  {
    std::lock_guard t(targets_mu_);
    // Blocks keep their previous targets until their new discovery delivers, so that a reload
    // does not drop and re-create the queues of Alertmanagers that did not change.
    targets_.resize(shared->alerting.alertmanagers.size());
    target_errors_.assign(shared->alerting.alertmanagers.size(), "");
    defer_apply_ = true;
  }
  discovery::Manager::Options dopts;
  dopts.resolver = opts_.resolver;
  dopts.on_error = [this](size_t block, const std::string& msg) {
    log_.warn("Alertmanager discovery failed", {{"block", std::to_string(block)}, {"err", msg}});
  };
  discovery_ = std::make_unique<discovery::Manager>(
      discoveryConfigs(*shared),
      [this](size_t block, std::vector<discovery::TargetGroup> groups) {
        onTargets(block, std::move(groups));
      },
      std::move(dopts));
  discovery_->start();  // delivers every block's static targets synchronously
  {
    std::lock_guard t(targets_mu_);
    defer_apply_ = false;
    applyTargets();
  }
  watcher_->apply(watch::withLocalName(shared->watch, opts_.watch_local_name));
  remote_write_.apply(std::move(rw), shared->global.metric_name_validation_scheme);
  const bool ha_on = ha.has_value();
  if (!ha_on) remote_write_.setGate(nullptr);
  ha_->apply(std::move(ha));
  if (ha_on) remote_write_.setGate(ha_.get());
  return core::Ok{};
}

void App::onTargets(size_t block, std::vector<discovery::TargetGroup> groups) {
  std::shared_ptr<const config::Config> cfg = config_.load();
  if (!cfg || block >= cfg->alerting.alertmanagers.size()) return;
  const config::AlertmanagerConfig& am = cfg->alerting.alertmanagers[block];
  const discovery::UrlSettings settings = discovery::urlSettingsOf(am);
  std::vector<core::Error> errors;
  std::vector<notify::Target> targets;
  std::string err_text;
  for (auto& u : discovery::resolve(groups, settings, &errors)) {
    auto t = makeTarget(am, u.url);
    if (!t) {
      errors.push_back(t.error());
      continue;
    }
    targets.push_back(std::move(*t));
  }
  for (const auto& e : errors) {
    err_text += (err_text.empty() ? "" : "; ") + e.str();
    log_.warn("Bad Alertmanager target", {{"block", std::to_string(block)}, {"err", e.str()}});
  }
  std::lock_guard t(targets_mu_);
  if (block >= targets_.size()) return;
  targets_[block] = std::move(targets);
  target_errors_[block] = std::move(err_text);
  if (!defer_apply_) applyTargets();
}

void App::applyTargets() {
  const auto r = notify_.apply(targets_);
  size_t total = 0;
  for (const auto& b : targets_) total += b.size();
  metrics_.alertmanagersDiscovered().Set(static_cast<double>(total));
  if (r.added || r.changed || r.removed) {
    log_.info("Alertmanagers updated", {{"total", std::to_string(total)},
                                        {"added", std::to_string(r.added)},
                                        {"changed", std::to_string(r.changed)},
                                        {"removed", std::to_string(r.removed)},
                                        {"kept", std::to_string(r.kept)}});
  }
}

void App::stop() {
  if (stopped_.exchange(true)) return;
  ready_ = false;
  // Reverse order: stop accepting, stop discovery, then drain the queues.
  if (server_) server_->stop();
  ui_->stop();
  // promha's own alerts are not resolved on shutdown: they expire at their endsAt, as when a
  // Prometheus stops.
  watcher_->stop();
  {
    std::lock_guard lock(reload_mu_);
    if (discovery_) discovery_->stop();
  }
  log_.info("Draining notification queues",
            {{"timeout", std::to_string(opts_.drain_timeout.count()) + "ms"}});
  ha_->stop();
  remote_write_.setGate(nullptr);
  std::thread rw_drain([this] { remote_write_.stop(opts_.drain_timeout); });  // in parallel
  notify_.stop(opts_.drain_timeout);
  rw_drain.join();
}

std::string App::statusJson() const {
  nlohmann::ordered_json j;
  j["version"] = PROMHA_VERSION;
  j["startTime"] = alert::formatTime(started_ns_);
  {
    std::lock_guard s(state_mu_);
    j["config"]["file"] = opts_.config_file;
    j["config"]["lastReloadSuccessful"] = last_reload_ok_;
    j["config"]["lastReloadSuccessTime"] =
        last_reload_ns_ ? alert::formatTime(last_reload_ns_) : "";
    j["config"]["lastReloadError"] = last_reload_error_;
  }
  std::shared_ptr<const config::Config> cfg = config_.load();
  j["config"]["yaml"] = cfg ? config::toYaml(*cfg) : "";
  j["alertmanagers"] = nlohmann::json::array();
  for (const auto& t : notify_.status()) {
    nlohmann::ordered_json a;
    a["block"] = t.block;
    a["url"] = t.sender.url;
    a["apiVersion"] = t.target.api == alert::ApiVersion::kV1 ? "v1" : "v2";
    a["queueLength"] = t.sender.queue_length;
    a["queueCapacity"] = t.sender.queue_capacity;
    a["sent"] = t.sender.sent;
    a["errors"] = t.sender.errors;
    a["dropped"] = t.sender.dropped;
    a["retries"] = t.sender.retries;
    a["coalesced"] = t.sender.coalesced;  // enqueued = sent + dropped + coalesced + queueLength
    a["lastSuccess"] = t.sender.last_success_ns ? alert::formatTime(t.sender.last_success_ns) : "";
    a["lastError"] = t.sender.last_error;
    a["lastErrorTime"] = t.sender.last_error_ns ? alert::formatTime(t.sender.last_error_ns) : "";
    a["consecutiveFailures"] = t.sender.backoff_attempt;  // web::Ui derives "state" from it
    j["alertmanagers"].push_back(std::move(a));
  }
  {
    std::lock_guard t(targets_mu_);
    j["discoveryErrors"] = target_errors_;
  }
  j["watch"] = watcher_->statusJson();
  j["remoteWrite"] = remote_write_.statusJson();
  j["ha"] = nlohmann::ordered_json::parse(ha_->statusJson());
  ui_->annotateStatus(j);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace promha::app
