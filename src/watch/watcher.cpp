#include "watch/watcher.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "alert/codec.h"
#include "notify/target.h"
#include "watch/loop.h"

namespace promha::watch {

// --- state --------------------------------------------------------------------------------------

struct Watcher::Peer {
  config::PeerConfig cfg;
  bool local = false;
  std::string name;
  std::string error;  // a config problem (credentials file, URL): the peer is not probed
  std::unique_ptr<notify::HttpGetter> prometheus;
  std::unique_ptr<notify::HttpGetter> promha;  // null without promha_url
  // Guarded by Watcher::mu_:
  PeerHealth health;
  std::optional<PeerAlerts> peer_alerts;  // last successful GET /api/v1/ha/alerts
  std::string peer_alerts_error;
  int64_t peer_alerts_ns = 0;
  prometheus::Gauge* up = nullptr;
  prometheus::Gauge* ready = nullptr;
  prometheus::Gauge* duration = nullptr;
  prometheus::Gauge* last_success = nullptr;
  prometheus::Counter* changes = nullptr;
  prometheus::Gauge* only_here = nullptr;
  prometheus::Gauge* only_peer = nullptr;
  uint64_t published_changes = 0;
  std::unique_ptr<Loop> loop;  // last: stopped (joined) first on destruction
};

struct Watcher::AmProbe {
  std::string base_url;
  std::string alertmanager;  // the alerts URL, as the notify metrics label it
  std::string instance;      // host:port
  std::unique_ptr<notify::HttpGetter> client;
  // Guarded by Watcher::mu_:
  bool probed = false;
  bool reachable = false;
  std::string error;
  ClusterView view;
  int64_t settling_since_ns = 0;
  int64_t last_probe_ns = 0;
  prometheus::Gauge* peers = nullptr;
  std::map<std::string, prometheus::Gauge*> status;  // ready, settling, disabled
  std::unique_ptr<Loop> loop;
};

struct Watcher::Metrics {
  explicit Metrics(prometheus::Registry& r)
      : peer_up(prometheus::BuildGauge()
                    .Name("promha_peer_up")
                    .Help("Whether the peer Prometheus answers /-/healthy (1), or failed "
                          "failure_threshold consecutive probes (0).")
                    .Register(r)),
        peer_ready(prometheus::BuildGauge()
                       .Name("promha_peer_ready")
                       .Help("Whether the peer Prometheus answered /-/ready at the last probe.")
                       .Register(r)),
        peer_duration(prometheus::BuildGauge()
                          .Name("promha_peer_probe_duration_seconds")
                          .Help("Duration of the last probe of the peer Prometheus.")
                          .Register(r)),
        peer_last_success(prometheus::BuildGauge()
                              .Name("promha_peer_last_success_timestamp_seconds")
                              .Help("Unix time of the last successful probe of the peer.")
                              .Register(r)),
        peer_changes(prometheus::BuildCounter()
                         .Name("promha_peer_state_changes_total")
                         .Help("Number of times the peer went down or came back up.")
                         .Register(r)),
        am_peers(prometheus::BuildGauge()
                     .Name("promha_alertmanager_cluster_peers")
                     .Help("Cluster members (itself included) the Alertmanager reports in "
                           "/api/v2/status.")
                     .Register(r)),
        am_status(prometheus::BuildGauge()
                      .Name("promha_alertmanager_cluster_status")
                      .Help("The Alertmanager's cluster status (1 for the current one: ready, "
                            "settling or disabled; all 0 when unreachable).")
                      .Register(r)),
        consistent(prometheus::BuildGauge()
                       .Name("promha_alertmanager_cluster_consistent")
                       .Help("1 when every Alertmanager promha delivers to reports the same "
                             "complete cluster, else 0.")
                       .Register(r)
                       .Add({})),
        only_here(prometheus::BuildGauge()
                      .Name("promha_ha_alerts_only_here")
                      .Help("Alerts firing from this replica's Prometheus but not from the "
                            "peer's, for longer than divergence.for.")
                      .Register(r)),
        only_peer(prometheus::BuildGauge()
                      .Name("promha_ha_alerts_only_peer")
                      .Help("Alerts firing from the peer's Prometheus but not from this "
                            "replica's, for longer than divergence.for.")
                      .Register(r)),
        firing(prometheus::BuildGauge()
                   .Name("promha_ha_alerts_firing")
                   .Help("Alerts currently firing from the local Prometheus.")
                   .Register(r)
                   .Add({})),
        self_alerts(prometheus::BuildGauge()
                        .Name("promha_self_alerts_firing")
                        .Help("promha's own alerts currently firing, by alertname.")
                        .Register(r)),
        deadman_last_seen(prometheus::BuildGauge()
                              .Name("promha_deadman_last_seen_timestamp_seconds")
                              .Help("Unix time at which the deadman alert last arrived.")
                              .Register(r)
                              .Add({})) {}

  prometheus::Family<prometheus::Gauge>& peer_up;
  prometheus::Family<prometheus::Gauge>& peer_ready;
  prometheus::Family<prometheus::Gauge>& peer_duration;
  prometheus::Family<prometheus::Gauge>& peer_last_success;
  prometheus::Family<prometheus::Counter>& peer_changes;
  prometheus::Family<prometheus::Gauge>& am_peers;
  prometheus::Family<prometheus::Gauge>& am_status;
  prometheus::Gauge& consistent;
  prometheus::Family<prometheus::Gauge>& only_here;
  prometheus::Family<prometheus::Gauge>& only_peer;
  prometheus::Gauge& firing;
  prometheus::Family<prometheus::Gauge>& self_alerts;
  prometheus::Gauge& deadman_last_seen;
  std::map<std::string, prometheus::Gauge*> self_alert_series;
};

namespace {

constexpr std::array<const char*, 3> kClusterStatuses = {"ready", "settling", "disabled"};

double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// "http://h:9093/prefix/api/v2/alerts" -> "http://h:9093/prefix".
std::string alertmanagerBase(const std::string& alerts_url) {
  for (const char* suffix : {"/api/v2/alerts", "/api/v1/alerts"}) {
    const std::string s = suffix;
    if (alerts_url.size() >= s.size() &&
        alerts_url.compare(alerts_url.size() - s.size(), s.size(), s) == 0) {
      return alerts_url.substr(0, alerts_url.size() - s.size());
    }
  }
  return alerts_url;
}

std::string hostPort(const std::string& url) {
  auto u = notify::splitUrl(url);
  if (!u) return url;
  std::string host = u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host;
  return host + ":" + std::to_string(u->port);
}

core::Labels labels(std::initializer_list<std::pair<std::string, std::string>> kv) {
  std::vector<core::Label> items;
  for (const auto& [k, v] : kv) items.push_back({k, v});
  return core::Labels::fromUnsorted(std::move(items));
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

// --- Watcher ------------------------------------------------------------------------------------

config::WatchConfig withLocalName(config::WatchConfig cfg, std::string_view local_name) {
  if (local_name.empty()) return cfg;
  auto it = std::find_if(cfg.peers.begin(), cfg.peers.end(),
                         [&](const config::PeerConfig& p) { return p.name == local_name; });
  if (it == cfg.peers.end()) return cfg;
  if (!cfg.local) {
    cfg.local = *it;
    cfg.local->promha_url.clear();
  }
  cfg.peers.erase(it);
  return cfg;
}

Watcher::Watcher(prometheus::Registry& registry, log::Logger& log, WatcherDeps deps,
                 const notify::Clock& clock)
    : log_(log),
      deps_(std::move(deps)),
      clock_(clock),
      metrics_(std::make_unique<Metrics>(registry)) {
  started_ns_ = clock_.systemNowNs();
}

Watcher::~Watcher() { stop(); }

std::unique_ptr<Watcher::Peer> Watcher::makePeer(const config::PeerConfig& pc, bool local) {
  auto p = std::make_unique<Peer>();
  p->cfg = pc;
  p->local = local;
  p->name = pc.name.empty() ? hostPort(pc.url) : pc.name;
  auto target = deps_.make_target(pc, pc.url, cfg_.timeout);
  if (target) {
    auto g = deps_.make_getter(*target);
    if (g) {
      p->prometheus = std::move(g).value();
    } else {
      p->error = g.error().message;
    }
  } else {
    p->error = target.error().str();
  }
  if (!pc.promha_url.empty() && p->error.empty()) {
    auto t2 = deps_.make_target(pc, pc.promha_url, cfg_.timeout);
    if (t2) {
      auto g = deps_.make_getter(*t2);
      if (g) p->promha = std::move(g).value();
    }
  }
  const prometheus::Labels l{{"peer", p->name}};
  p->up = &metrics_->peer_up.Add(l);
  p->up->Set(1);
  p->ready = &metrics_->peer_ready.Add(l);
  p->duration = &metrics_->peer_duration.Add(l);
  p->last_success = &metrics_->peer_last_success.Add(l);
  p->changes = &metrics_->peer_changes.Add(l);
  if (p->promha) {
    p->only_here = &metrics_->only_here.Add(l);
    p->only_peer = &metrics_->only_peer.Add(l);
  }
  if (!p->error.empty()) {
    log_.error("Cannot watch peer", {{"peer", p->name}, {"err", p->error}});
  }
  return p;
}

void Watcher::apply(const config::WatchConfig& cfg) {
  std::vector<std::unique_ptr<Peer>> retired;
  std::vector<std::unique_ptr<Peer>> added;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    const bool timing_changed =
        !applied_ || cfg.interval != cfg_.interval || cfg.timeout != cfg_.timeout;
    cfg_ = cfg;
    applied_ = true;
    std::vector<std::pair<config::PeerConfig, bool>> wanted;
    for (const auto& p : cfg.peers) wanted.emplace_back(p, false);
    if (cfg.local) wanted.emplace_back(*cfg.local, true);
    std::vector<std::unique_ptr<Peer>> next;
    for (const auto& [pc, local] : wanted) {
      auto it = std::find_if(peers_.begin(), peers_.end(),
                             [&](const auto& p) { return p && p->cfg == pc && p->local == local; });
      if (it != peers_.end() && !timing_changed) {
        next.push_back(std::move(*it));
      } else {
        next.push_back(nullptr);  // created below, outside the lock-free part
      }
    }
    for (auto& p : peers_) {
      if (p) retired.push_back(std::move(p));
    }
    peers_ = std::move(next);
    for (size_t i = 0; i < peers_.size(); ++i) {
      if (!peers_[i]) peers_[i] = makePeer(wanted[i].first, wanted[i].second);
    }
    for (auto& p : peers_) {
      if (p->loop || !p->error.empty()) continue;
      Peer* raw = p.get();
      std::vector<notify::HttpGetter*> cancel{raw->prometheus.get()};
      if (raw->promha) cancel.push_back(raw->promha.get());
      raw->loop = std::make_unique<Loop>(
          cfg_.interval, [this, raw] { probePeer(*raw); }, cancel);
    }
    if (timing_changed) {
      for (auto& [url, a] : ams_) retired.push_back(nullptr), a->loop.reset();
    }
    if (cfg.deadman.alertname.empty()) deadman_last_seen_ns_ = 0;
  }
  // Stop the retired probers (their threads may be waiting for mu_) and drop their series.
  for (auto& p : retired) {
    if (!p) continue;
    p->loop.reset();
    bool still_used = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& q : peers_) still_used |= q->name == p->name;
    }
    if (!still_used) {
      metrics_->peer_up.Remove(p->up);
      metrics_->peer_ready.Remove(p->ready);
      metrics_->peer_duration.Remove(p->duration);
      metrics_->peer_last_success.Remove(p->last_success);
      metrics_->peer_changes.Remove(p->changes);
      if (p->only_here) metrics_->only_here.Remove(p->only_here);
      if (p->only_peer) metrics_->only_peer.Remove(p->only_peer);
    }
  }
  if (!eval_loop_) {
    // Every second, or every interval when that is shorter.
    const std::chrono::nanoseconds period =
        std::min<std::chrono::nanoseconds>(std::chrono::seconds(1), cfg.interval);
    eval_loop_ = std::make_unique<Loop>(
        period, [this] { evaluate(); }, std::vector<notify::HttpGetter*>{});
  }
}

void Watcher::stop() {
  std::vector<std::unique_ptr<Peer>> peers;
  std::map<std::string, std::unique_ptr<AmProbe>> ams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    peers = std::move(peers_);
    ams = std::move(ams_);
  }
  if (eval_loop_) eval_loop_->stop();
  peers.clear();  // joins their threads
  ams.clear();
}

void Watcher::probePeer(Peer& p) {
  using clock = std::chrono::steady_clock;
  ProbeResult r;
  const auto t0 = clock::now();
  const notify::GetResult healthy = p.prometheus->get("/-/healthy");
  r.healthy = healthy.ok();
  r.error = healthy.ok() ? "" : healthy.error;
  if (r.healthy) r.ready = p.prometheus->get("/-/ready").ok();
  r.duration_seconds = std::chrono::duration<double>(clock::now() - t0).count();

  std::optional<PeerAlerts> alerts;
  std::string alerts_error;
  if (p.promha) {
    const notify::GetResult g = p.promha->get("/api/v1/ha/alerts");
    if (g.ok()) {
      auto decoded = decodeHaAlerts(g.body);
      if (decoded) {
        alerts = std::move(decoded).value();
      } else {
        alerts_error = "bad /api/v1/ha/alerts answer: " + decoded.error().message;
      }
    } else {
      alerts_error = g.error;
    }
  }

  const int64_t now = clock_.systemNowNs();
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_up = p.health.up();
  p.health.observe(r, now, cfg_.failure_threshold);
  p.up->Set(p.health.up() ? 1 : 0);
  p.ready->Set(p.health.ready() ? 1 : 0);
  p.duration->Set(r.duration_seconds);
  if (p.health.lastSuccessNs() > 0) p.last_success->Set(seconds(p.health.lastSuccessNs()));
  if (p.health.stateChanges() > p.published_changes) {
    p.changes->Increment(static_cast<double>(p.health.stateChanges() - p.published_changes));
    p.published_changes = p.health.stateChanges();
  }
  if (was_up != p.health.up()) {
    if (p.health.up()) {
      log_.info("Peer Prometheus is up again", {{"peer", p.name}});
    } else {
      log_.warn("Peer Prometheus is down", {{"peer", p.name}, {"err", p.health.lastError()}});
    }
  }
  if (p.promha) {
    if (alerts) {
      p.peer_alerts = std::move(alerts);
      p.peer_alerts_error.clear();
      p.peer_alerts_ns = now;
    } else {
      p.peer_alerts.reset();
      p.peer_alerts_error = alerts_error;
    }
  }
}

void Watcher::probeAlertmanager(AmProbe& a) {
  const notify::GetResult g = a.client->get("/api/v2/status");
  std::optional<ClusterView> view;
  std::string error = g.error;
  if (g.ok()) {
    auto v = parseClusterView(g.body);
    if (v) {
      view = std::move(v).value();
    } else {
      error = v.error().message;
    }
  }
  const int64_t now = clock_.systemNowNs();
  std::lock_guard<std::mutex> lock(mu_);
  a.probed = true;
  a.last_probe_ns = now;
  a.reachable = view.has_value();
  a.error = view ? "" : error;
  if (view) {
    if (view->status == "settling") {
      if (a.view.status != "settling" || a.settling_since_ns == 0) a.settling_since_ns = now;
    } else {
      a.settling_since_ns = 0;
    }
    a.view = std::move(*view);
    a.peers->Set(static_cast<double>(a.view.peers.size()));
  } else {
    a.settling_since_ns = 0;
  }
  for (const auto& [status, gauge] : a.status) {
    gauge->Set(a.reachable && a.view.status == status ? 1 : 0);
  }
}

void Watcher::syncAlertmanagers(const std::vector<std::vector<notify::Target>>& blocks) {
  std::vector<std::unique_ptr<AmProbe>> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    const bool enabled = cfg_.alertmanager_cluster.enabled;
    std::map<std::string, const notify::Target*> wanted;
    am_blocks_.assign(blocks.size(), {});
    for (size_t b = 0; b < blocks.size(); ++b) {
      for (const auto& t : blocks[b]) {
        const std::string base = alertmanagerBase(t.url);
        am_blocks_[b].push_back(base);
        if (enabled) wanted.emplace(base, &t);
      }
    }
    for (auto it = ams_.begin(); it != ams_.end();) {
      if (!wanted.contains(it->first)) {
        retired.push_back(std::move(it->second));
        it = ams_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [base, t] : wanted) {
      auto& slot = ams_[base];
      if (!slot) {
        slot = std::make_unique<AmProbe>();
        slot->base_url = base;
        slot->alertmanager = t->url;
        slot->instance = hostPort(base);
        notify::Target probe = *t;
        probe.url = base;
        probe.timeout = cfg_.timeout;
        auto g = deps_.make_getter(probe);
        if (!g) continue;
        slot->client = std::move(g).value();
        const prometheus::Labels l{{"alertmanager", t->url}};
        slot->peers = &metrics_->am_peers.Add(l);
        for (const char* s : kClusterStatuses) {
          slot->status[s] = &metrics_->am_status.Add({{"alertmanager", t->url}, {"status", s}});
        }
      }
      if (!slot->loop && slot->client) {
        AmProbe* raw = slot.get();
        slot->loop = std::make_unique<Loop>(
            cfg_.interval, [this, raw] { probeAlertmanager(*raw); },
            std::vector<notify::HttpGetter*>{raw->client.get()});
      }
    }
  }
  for (auto& a : retired) {
    a->loop.reset();
    if (a->peers) metrics_->am_peers.Remove(a->peers);
    for (auto& [s, g] : a->status) metrics_->am_status.Remove(g);
  }
}

void Watcher::observe(const std::vector<alert::Alert>& alerts, int64_t now_ns) {
  firing_.record(alerts, now_ns);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& name = cfg_.deadman.alertname;
  if (name.empty()) return;
  for (const auto& a : alerts) {
    if (a.labels.get("alertname") == name && (a.ends_at_ns == 0 || a.ends_at_ns > now_ns)) {
      deadman_last_seen_ns_ = now_ns;
      metrics_->deadman_last_seen.Set(seconds(now_ns));
      return;
    }
  }
}

std::string Watcher::haAlertsJson() {
  const int64_t now = clock_.systemNowNs();
  std::string replica;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cfg_.local)
      replica = cfg_.local->name.empty() ? hostPort(cfg_.local->url) : cfg_.local->name;
  }
  return encodeHaAlerts(replica, firing_.snapshot(now), firing_.overflow(), now);
}

void Watcher::evaluateNow() { evaluate(); }

void Watcher::evaluate() {
  if (deps_.alertmanagers) syncAlertmanagers(deps_.alertmanagers());
  const int64_t now = clock_.systemNowNs();
  const std::vector<FiringAlert> here = firing_.snapshot(now);
  std::vector<alert::Alert> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !applied_) return;
    metrics_->firing.Set(static_cast<double>(here.size()));
    std::vector<Condition> conds;

    // Peers down.
    if (cfg_.peer_down.enabled) {
      for (const auto& p : peers_) {
        if (!p->health.probed() || p->health.up()) continue;
        conds.push_back(makeCondition(
            cfg_.peer_down,
            labels({{"alertname", kPeerDownAlert}, {"peer", p->name}, {"severity", "critical"}}),
            labels({{"summary", "Prometheus replica {{ $labels.peer }} is down"},
                    {"description",
                     "promha could not reach /-/healthy of Prometheus {{ $labels.peer }} for " +
                         std::to_string(cfg_.failure_threshold) +
                         " probes in a row. A dead Prometheus cannot alert about itself: its twin "
                         "now evaluates the rules alone, without redundancy. Check the process, "
                         "its pod or host, and its storage; see promha's /api/v1/status for the "
                         "last probe error."}})));
      }
    }

    // Deadman.
    if (!cfg_.deadman.alertname.empty() && cfg_.deadman.alert.enabled) {
      const int64_t last = deadman_last_seen_ns_ > 0 ? deadman_last_seen_ns_ : started_ns_;
      if (now - last > cfg_.deadman.timeout.count()) {
        std::vector<std::pair<std::string, std::string>> kv = {{"alertname", kStalledAlert},
                                                               {"severity", "critical"}};
        if (cfg_.local) {
          kv.emplace_back("peer",
                          cfg_.local->name.empty() ? hostPort(cfg_.local->url) : cfg_.local->name);
        }
        std::vector<core::Label> items;
        for (auto& [k, v] : kv) items.push_back({k, v});
        conds.push_back(makeCondition(
            cfg_.deadman.alert, core::Labels::fromUnsorted(std::move(items)),
            labels({{"summary", "The local Prometheus stopped sending " + cfg_.deadman.alertname},
                    {"description", "No " + cfg_.deadman.alertname +
                                        " alert reached promha for more than " +
                                        core::formatDuration(cfg_.deadman.timeout) +
                                        ": the Prometheus alerting pipeline (rule evaluation, "
                                        "notifier or its route to promha) is broken."}})));
      }
    }

    // Alertmanager cluster.
    findings_.clear();
    if (cfg_.alertmanager_cluster.enabled) {
      for (const auto& block : am_blocks_) {
        std::vector<NodeObservation> nodes;
        for (const auto& base : block) {
          auto it = ams_.find(base);
          if (it == ams_.end() || !it->second->probed) continue;
          const AmProbe& a = *it->second;
          nodes.push_back({a.alertmanager, a.instance, a.reachable, a.view, a.settling_since_ns});
        }
        auto f = assessCluster(nodes, block.size(), now,
                               cfg_.alertmanager_cluster.settling_timeout.count());
        findings_.insert(findings_.end(), f.begin(), f.end());
      }
      for (const Finding& f : findings_) {
        if (!cfg_.alertmanager_cluster.alert.enabled) break;
        conds.push_back(makeCondition(
            cfg_.alertmanager_cluster.alert,
            labels({{"alertname", kClusterAlert},
                    {"reason", std::string(problemName(f.problem))},
                    {"alertmanagers", join(f.instances, ",")},
                    {"severity", "warning"}}),
            labels(
                {{"summary", "Alertmanager cluster degraded: {{ $labels.reason }}"},
                 {"description", f.detail + " (Alertmanagers: {{ $labels.alertmanagers }})."}})));
      }
    }
    metrics_->consistent.Set(findings_.empty() ? 1 : 0);

    // Pair consistency, against the first peer that has a promha.
    divergence_known_ = false;
    for (const auto& p : peers_) {
      if (!p->promha) continue;
      if (p->peer_alerts) {
        divergence_counts_ =
            divergence_.update(here, p->peer_alerts->alerts, now, cfg_.divergence.for_.count());
        divergence_known_ = true;
        p->only_here->Set(static_cast<double>(divergence_counts_.only_here));
        p->only_peer->Set(static_cast<double>(divergence_counts_.only_peer));
        if (cfg_.divergence.alert.enabled &&
            divergence_counts_.only_here + divergence_counts_.only_peer > 0) {
          conds.push_back(makeCondition(
              cfg_.divergence.alert,
              labels({{"alertname", kDivergedAlert}, {"severity", "warning"}}),
              labels({{"summary", "The Prometheus replicas of the HA pair fire different alerts"},
                      {"description",
                       "Some alerts have been firing on one replica only for more than " +
                           core::formatDuration(cfg_.divergence.for_) +
                           ". A replica that lost targets or rules still looks healthy; compare "
                           "the two with promha's /api/v1/status."}})));
        }
      }
      break;
    }

    out = self_alerts_.evaluate(conds, now);
    std::map<std::string, int> per_name;
    for (const auto& a : self_alerts_.active()) {
      if (a.firing) ++per_name[std::string(a.labels.get("alertname"))];
    }
    for (auto& [name, gauge] : metrics_->self_alert_series) gauge->Set(0);
    for (const auto& [name, n] : per_name) {
      auto& g = metrics_->self_alert_series[name];
      if (g == nullptr) g = &metrics_->self_alerts.Add({{"alertname", name}});
      g->Set(n);
    }
  }
  if (!out.empty() && deps_.emit) {
    for (const auto& a : out) {
      log_.info(a.ends_at_ns <= now ? "Resolving own alert" : "Sending own alert",
                {{"alert", a.labels.toString()}});
    }
    deps_.emit(std::move(out));
  }
}

nlohmann::json Watcher::statusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j;
  auto time = [](int64_t ns) { return ns > 0 ? alert::formatTime(ns) : ""; };
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& p : peers_) {
    nlohmann::json e = {{"name", p->name},
                        {"url", p->cfg.url},
                        {"local", p->local},
                        {"probed", p->health.probed()},
                        {"up", p->health.up()},
                        {"ready", p->health.ready()},
                        {"consecutiveFailures", p->health.consecutiveFailures()},
                        {"lastSuccess", time(p->health.lastSuccessNs())},
                        {"lastChange", time(p->health.lastChangeNs())},
                        {"lastError", p->error.empty() ? p->health.lastError() : p->error},
                        {"probeDurationSeconds", p->health.lastDurationSeconds()}};
    if (p->promha) {
      e["promhaUrl"] = p->cfg.promha_url;
      e["haAlertsError"] = p->peer_alerts_error;
      e["haAlertsFetched"] = time(p->peer_alerts_ns);
      if (p->peer_alerts) e["peerFiring"] = p->peer_alerts->alerts.size();
    }
    peers.push_back(std::move(e));
  }
  j["peers"] = std::move(peers);
  nlohmann::json ams = nlohmann::json::array();
  for (const auto& [base, a] : ams_) {
    nlohmann::json peer_names = a->view.peers;
    ams.push_back({{"url", a->alertmanager},
                   {"reachable", a->reachable},
                   {"status", a->reachable ? a->view.status : "unreachable"},
                   {"peers", a->view.peers.size()},
                   {"peerNames", std::move(peer_names)},
                   {"lastProbe", time(a->last_probe_ns)},
                   {"lastError", a->error}});
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : findings_) {
    findings.push_back(
        {{"reason", problemName(f.problem)}, {"alertmanagers", f.instances}, {"detail", f.detail}});
  }
  j["alertmanagerCluster"] = {{"enabled", cfg_.alertmanager_cluster.enabled},
                              {"consistent", findings_.empty()},
                              {"alertmanagers", std::move(ams)},
                              {"findings", std::move(findings)}};
  nlohmann::json pair = {{"known", divergence_known_}};
  if (divergence_known_) {
    auto list = [](const std::vector<core::Labels>& v) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& l : v) a.push_back(l.toString());
      return a;
    };
    pair["onlyHere"] = divergence_counts_.only_here;
    pair["onlyPeer"] = divergence_counts_.only_peer;
    pair["onlyHereExamples"] = list(divergence_counts_.only_here_labels);
    pair["onlyPeerExamples"] = list(divergence_counts_.only_peer_labels);
  }
  j["pair"] = std::move(pair);
  if (!cfg_.deadman.alertname.empty()) {
    j["deadman"] = {{"alertname", cfg_.deadman.alertname},
                    {"lastSeen", time(deadman_last_seen_ns_)}};
  }
  nlohmann::json own = nlohmann::json::array();
  for (const auto& a : self_alerts_.active()) {
    own.push_back(
        {{"labels", a.labels.toString()}, {"since", time(a.since_ns)}, {"firing", a.firing}});
  }
  j["selfAlerts"] = std::move(own);
  return j;
}

}  // namespace promha::watch
