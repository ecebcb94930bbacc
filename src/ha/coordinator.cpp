#include "ha/coordinator.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <thread>

#include "alert/codec.h"
#include "core/duration.h"
#include "watch/loop.h"

namespace promha::ha {
namespace {

using Clock = std::chrono::steady_clock;

core::Labels labels(std::initializer_list<std::pair<std::string, std::string>> kv) {
  std::vector<core::Label> items;
  for (const auto& [k, v] : kv) items.push_back({k, v});
  return core::Labels::fromUnsorted(std::move(items));
}

std::string timeOrEmpty(int64_t ns) { return ns > 0 ? alert::formatTime(ns) : ""; }

nlohmann::ordered_json timestampMs(int64_t ms) {
  return ms == kNoTimestamp ? nlohmann::ordered_json() : nlohmann::ordered_json(ms);
}

constexpr auto kDefaultHandoff = std::chrono::minutes(10);

}  // namespace

core::Result<std::optional<Settings>> settingsOf(
    const config::Config& cfg, const config::WatchConfig& watch,
    const std::function<core::Result<notify::Target>(
        const config::PeerConfig&, const std::string& url, core::Duration timeout)>& make_target) {
  if (!cfg.ha || cfg.ha->replicas.empty()) return std::optional<Settings>();
  const config::HaConfig& h = *cfg.ha;
  Settings s;
  s.order = h.replicas;
  s.failover_timeout = h.failover_timeout;
  s.interval = h.interval;
  s.failure_threshold = h.failure_threshold;
  s.buffer_duration = h.buffer_duration;
  s.buffer_max_bytes = h.buffer_max_bytes;
  s.split_brain_alert = h.split_brain_alert;
  if (!watch.local ||
      std::find(h.replicas.begin(), h.replicas.end(), watch.local->name) == h.replicas.end()) {
    return core::Error{
        "ha.replicas: this replica is not one of them: name it in watch.local, or run promha "
        "with --watch.local-name=<one of " +
        [&] {
          std::string names;
          for (const auto& n : h.replicas) names += (names.empty() ? "" : ", ") + n;
          return names;
        }() +
        ">"};
  }
  s.self = watch.local->name;
  auto local = make_target(*watch.local, watch.local->url, h.timeout);
  if (!local) return local.error();
  s.prometheus = std::move(*local);
  for (const std::string& name : h.replicas) {
    if (name == s.self) continue;
    auto it = std::find_if(watch.peers.begin(), watch.peers.end(),
                           [&](const config::PeerConfig& p) { return p.name == name; });
    if (it == watch.peers.end() || it->promha_url.empty()) {
      return core::Error{"ha.replicas: replica " + core::quote(name) +
                         " needs a watch.peers entry with a promha_url"};
    }
    auto t = make_target(*it, it->promha_url, h.timeout);
    if (!t) return t.error();
    s.peers.push_back(Replica{name, std::move(*t)});
  }
  return std::optional<Settings>(std::move(s));
}

// --- state ------------------------------------------------------------------------------------

struct Coordinator::Peer {
  std::string name;
  std::unique_ptr<notify::HttpGetter> getter;  // null when the target is unusable
  // Guarded by Coordinator::mu_:
  PeerView view;
  std::string last_error;
};

struct Coordinator::State {
  Settings settings;
  int64_t started_ns = 0;
  std::vector<std::unique_ptr<Peer>> peers;
  std::unique_ptr<notify::HttpGetter> prometheus;  // null: judged by incoming requests
  bool prometheus_up = false;
  bool prometheus_probed = false;
  uint64_t prometheus_failures = 0;
  std::string prometheus_error;
  int64_t ineligible_until_ns = 0;  // hand-off
  int64_t takeover_wanted_ns = 0;   // should lead since then; waiting for fresh peer answers
  ElectionResult last;
  uint64_t failovers = 0;
  int64_t last_takeover_ns = 0;
  int64_t last_newer_than_ms = kNoTimestamp;
  watch::SelfAlerts alerts;
};

struct Coordinator::Metrics {
  explicit Metrics(prometheus::Registry& r)
      : leader(prometheus::BuildGauge()
                   .Name("promha_ha_leader")
                   .Help("1 for the replica this promha sees as the remote-write leader, 0 for "
                         "the other replicas of ha.replicas.")
                   .Register(r)),
        peer_up(prometheus::BuildGauge()
                    .Name("promha_ha_peer_up")
                    .Help("Whether the promha of an other replica answered "
                          "GET /api/v1/ha/status within ha.failover_timeout.")
                    .Register(r)),
        failovers(prometheus::BuildCounter()
                      .Name("promha_ha_failovers_total")
                      .Help("Times this replica took over forwarding remote write.")
                      .Register(r)
                      .Add({})),
        fail_open(prometheus::BuildGauge()
                      .Name("promha_ha_fail_open")
                      .Help("1 while this replica forwards although the promha of an other "
                            "replica cannot be reached (it may forward too: duplicates, no loss).")
                      .Register(r)
                      .Add({})),
        prometheus_up(prometheus::BuildGauge()
                          .Name("promha_ha_prometheus_up")
                          .Help("Whether this replica's own Prometheus counts as up for the "
                                "remote-write election.")
                          .Register(r)
                          .Add({})),
        buffer_bytes(prometheus::BuildGauge()
                         .Name("promha_ha_buffer_bytes")
                         .Help("Bytes of remote-write requests kept for a takeover.")
                         .Register(r)
                         .Add({})) {}

  prometheus::Family<prometheus::Gauge>& leader;
  prometheus::Family<prometheus::Gauge>& peer_up;
  prometheus::Counter& failovers;
  prometheus::Gauge& fail_open;
  prometheus::Gauge& prometheus_up;
  prometheus::Gauge& buffer_bytes;
  std::vector<std::string> replicas;  // series of `leader`
  std::vector<std::string> peers;     // series of `peer_up`

  void reset(const std::vector<std::string>& r, const std::vector<std::string>& p) {
    for (const auto& n : replicas) leader.Remove(&leader.Add({{"replica", n}}));
    for (const auto& n : peers) peer_up.Remove(&peer_up.Add({{"replica", n}}));
    replicas = r;
    peers = p;
    for (const auto& n : replicas) leader.Add({{"replica", n}}).Set(0);
    for (const auto& n : peers) peer_up.Add({{"replica", n}}).Set(0);
  }
};

// --- lifecycle --------------------------------------------------------------------------------

Coordinator::Coordinator(prometheus::Registry& registry, log::Logger& log,
                         remotewrite::Forwarder& fw, CoordinatorDeps deps,
                         const notify::Clock& clock)
    : log_(log),
      fw_(fw),
      deps_(std::move(deps)),
      clock_(clock),
      metrics_(std::make_unique<Metrics>(registry)),
      buffer_(0, 0) {}

Coordinator::~Coordinator() { stop(); }

void Coordinator::stopLoops() {
  stopping_ = true;
  for (auto& l : loops_) l->stop();
  loops_.clear();
  stopping_ = false;
}

void Coordinator::stop() {
  std::lock_guard<std::mutex> c(control_mu_);
  stopLoops();
  enabled_ = false;
}

void Coordinator::apply(std::optional<Settings> s) {
  std::lock_guard<std::mutex> c(control_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (s && state_ && state_->settings == *s) return;  // unchanged: keep running
  }
  stopLoops();
  if (!s) {
    std::lock_guard<std::mutex> l(mu_);
    enabled_ = false;
    state_.reset();
    buffer_.clear();
    metrics_->reset({}, {});
    return;
  }
  auto st = std::make_unique<State>();
  st->settings = *s;
  st->started_ns = clock_.systemNowNs();
  if (s->prometheus) {
    auto g = deps_.make_getter(*s->prometheus);
    if (g) {
      st->prometheus = std::move(*g);
    } else {
      st->prometheus_error = g.error().message;
    }
  }
  std::vector<std::string> peer_names;
  for (const Replica& r : s->peers) {
    auto p = std::make_unique<Peer>();
    p->name = r.name;
    p->view.name = r.name;
    auto g = deps_.make_getter(r.promha);
    if (g) {
      p->getter = std::move(*g);
    } else {
      p->last_error = g.error().message;
    }
    peer_names.push_back(r.name);
    st->peers.push_back(std::move(p));
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (state_) {
      // A changed config keeps what was learnt: the role, the start-up grace, the hand-off.
      st->started_ns = state_->started_ns;
      st->ineligible_until_ns = state_->ineligible_until_ns;
      st->failovers = state_->failovers;
      for (auto& np : st->peers) {
        for (auto& op : state_->peers) {
          if (op->name == np->name) np->view = op->view;
        }
      }
    } else {
      role_ = Role::kFollower;  // wait and see who leads (the start-up grace)
    }
    state_ = std::move(st);
    buffer_.configure(s->buffer_duration.count(), s->buffer_max_bytes);
    metrics_->reset(s->order, peer_names);
    enabled_ = true;
  }
  // Threads: the own Prometheus, each peer, the election.
  std::vector<notify::HttpGetter*> cancel;
  if (state_->prometheus) {
    notify::HttpGetter* g = state_->prometheus.get();
    loops_.push_back(std::make_unique<watch::Loop>(
        s->interval, [this] { probeLocal(); }, std::vector<notify::HttpGetter*>{g}));
  }
  for (auto& p : state_->peers) {
    if (!p->getter) continue;
    Peer* raw = p.get();
    loops_.push_back(std::make_unique<watch::Loop>(
        s->interval, [this, raw] { probePeer(*raw); },
        std::vector<notify::HttpGetter*>{raw->getter.get()}));
  }
  loops_.push_back(std::make_unique<watch::Loop>(
      s->interval, [this] { tick(); }, std::vector<notify::HttpGetter*>{}));
  log_.info(
      "Remote-write HA started",
      {{"replica", s->self},
       {"replicas", std::to_string(s->order.size())},
       {"failover_timeout",
        core::formatDuration(std::chrono::duration_cast<core::Duration>(s->failover_timeout))}});
}

// --- probes -----------------------------------------------------------------------------------

void Coordinator::probeLocal() {
  notify::HttpGetter* g = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!state_ || !state_->prometheus) return;
    g = state_->prometheus.get();
  }
  const notify::GetResult r = g->get("/-/ready");
  std::lock_guard<std::mutex> l(mu_);
  if (!state_) return;
  State& st = *state_;
  st.prometheus_probed = true;
  if (r.ok()) {
    st.prometheus_failures = 0;
    st.prometheus_up = true;
    st.prometheus_error.clear();
  } else {
    ++st.prometheus_failures;
    st.prometheus_error = r.error;
    if (st.prometheus_failures >= st.settings.failure_threshold) st.prometheus_up = false;
  }
}

void Coordinator::probePeer(Peer& p) {
  const notify::GetResult r = p.getter->get("/api/v1/ha/status");
  const int64_t now = clock_.systemNowNs();
  std::string error;
  PeerView v;
  if (r.ok()) {
    const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("role") || !j["role"].is_string()) {
      error = "bad /api/v1/ha/status answer: not a JSON object with a role";
    } else {
      v.role = roleFromName(j["role"].get<std::string>());
      const auto up = j.find("prometheusUp");
      v.prometheus_up = up == j.end() || up->is_null() || (up->is_boolean() && up->get<bool>());
      v.eligible = j.value("eligible", true);
      const auto q = j.find("lastQueuedSampleTimestampMs");
      if (q != j.end() && q->is_number_integer()) v.last_queued_ms = q->get<int64_t>();
    }
  } else {
    error = r.error;
  }
  std::lock_guard<std::mutex> l(mu_);
  if (error.empty()) {
    v.name = p.name;
    v.contacted = true;
    v.last_contact_ns = now;
    p.view = v;
  }
  p.last_error = error;
}

// --- the election -----------------------------------------------------------------------------

void Coordinator::tick() {
  std::unique_lock<std::mutex> c(control_mu_, std::try_to_lock);
  if (!c.owns_lock()) return;  // apply() or stop() is running
  std::vector<alert::Alert> to_send;
  ElectionResult res;
  std::string self;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!state_) return;
    State& st = *state_;
    // No decision before the first probe of the own Prometheus has answered (or failed).
    if (st.prometheus && !st.prometheus_probed) return;
    const int64_t now = clock_.systemNowNs();
    ElectionInput in;
    in.order = st.settings.order;
    in.self = st.settings.self;
    in.self_prometheus_up =
        st.prometheus ? st.prometheus_up
                      : now - last_write_ns_.load() < st.settings.failover_timeout.count();
    in.self_eligible = now >= st.ineligible_until_ns;
    in.self_role = role_.load();
    for (const auto& p : st.peers) in.peers.push_back(p->view);
    in.now_ns = now;
    in.started_ns = st.started_ns;
    in.failover_timeout_ns = st.settings.failover_timeout.count();
    res = elect(in);
    // A takeover is decided on views that may predate a peer's own takeover: it waits until
    // every reachable peer has answered again since this replica first wanted to lead, and the
    // rule still says so with those fresh answers.
    if (res.take_over) {
      if (st.takeover_wanted_ns == 0) {
        st.takeover_wanted_ns = now;
        res.take_over = false;
      } else {
        for (const auto& p : st.peers) {
          const bool reachable = p->view.contacted && now - p->view.last_contact_ns <
                                                          st.settings.failover_timeout.count();
          if (reachable && p->view.last_contact_ns <= st.takeover_wanted_ns) res.take_over = false;
        }
      }
      if (!res.take_over) res.role = role_.load();
    } else {
      st.takeover_wanted_ns = 0;
    }
    if (res.take_over) st.takeover_wanted_ns = 0;
    // Our own forwarded samples count as covered too, should this replica lead again.
    if (res.take_over) res.newer_than_ms = std::max(res.newer_than_ms, fw_.lastQueuedTimestampMs());
    if (res.leader != st.last.leader) {
      log_.info("Remote-write leader changed",
                {{"leader", res.leader}, {"previous", st.last.leader}, {"replica", in.self}});
    }
    if (res.fail_open && !st.last.fail_open) {
      std::string names;
      for (const auto& n : res.unreachable) names += (names.empty() ? "" : ",") + n;
      log_.warn("Forwarding remote write while other replicas cannot be reached (fail open)",
                {{"unreachable", names}});
    }
    st.last = res;
    self = in.self;
    metrics_->prometheus_up.Set(in.self_prometheus_up ? 1 : 0);
    metrics_->fail_open.Set(res.fail_open ? 1 : 0);
    for (const auto& n : st.settings.order) {
      metrics_->leader.Add({{"replica", n}}).Set(n == res.leader ? 1 : 0);
    }
    for (const auto& p : st.peers) {
      const bool up =
          p->view.contacted && now - p->view.last_contact_ns < st.settings.failover_timeout.count();
      metrics_->peer_up.Add({{"replica", p->name}}).Set(up ? 1 : 0);
    }
    metrics_->buffer_bytes.Set(static_cast<double>(buffer_.stats().bytes));
    std::vector<watch::Condition> conds;
    if (res.fail_open && st.settings.split_brain_alert.enabled) {
      conds.push_back(watch::makeCondition(
          st.settings.split_brain_alert,
          labels({{"alertname", kSplitBrainAlert}, {"severity", "warning"}}),
          labels({{"summary", "The promha sidecars of the HA pair cannot see each other"},
                  {"description",
                   "A promha forwards remote write without reaching the promha of another "
                   "replica. If both replicas are alive, both forward: the storage receives "
                   "both streams until they see each other again (duplicates, no loss)."}})));
    }
    to_send = st.alerts.evaluate(conds, now);
    // Stepping down ends once the requests already let through are queued.
    if (res.role != Role::kLeader && role_.load() != Role::kFollower) {
      if (role_.load() == Role::kLeader) {
        log_.info("Remote-write leadership handed over: stepping down",
                  {{"replica", self}, {"leader", res.leader}});
      }
      role_ = Role::kSteppingDown;
      if (inflight_.load() == 0) role_ = Role::kFollower;
    }
  }
  if (!to_send.empty() && deps_.emit) deps_.emit(std::move(to_send));
  if (res.take_over) takeOver(res.newer_than_ms);
}

void Coordinator::replayEntry(const RingBuffer::Entry& e, int64_t newer_than_ms,
                              Clock::time_point deadline) {
  while (true) {
    const remotewrite::WriteResult r = fw_.replay(*e.body, newer_than_ms);
    if (r.status != 503) {
      if (r.status >= 300) {
        log_.error("Replaying a buffered remote-write request failed",
                   {{"status", std::to_string(r.status)}, {"err", r.message}});
      }
      return;
    }
    if (stopping_.load() || Clock::now() >= deadline) {
      log_.error("Buffered remote-write samples could not be queued for the takeover",
                 {{"err", r.message}});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Coordinator::takeOver(int64_t newer_than_ms) {
  // 1. What was buffered so far, without blocking the live requests (which keep being buffered).
  const uint64_t upto = buffer_.lastSeq();
  std::vector<RingBuffer::Entry> entries = buffer_.since(0, newer_than_ms);
  std::chrono::nanoseconds patience;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!state_) return;
    patience = state_->settings.buffer_duration;
  }
  size_t replayed = 0;
  for (const auto& e : entries) {
    if (e.seq > upto) break;
    replayEntry(e, newer_than_ms, Clock::now() + patience);
    ++replayed;
  }
  // 2. The requests that arrived meanwhile, then the switch, under the lock observe() takes: a
  //    request observed after this is forwarded by its own connection thread.
  std::lock_guard<std::mutex> l(mu_);
  if (!state_) return;
  for (const auto& e : buffer_.since(upto, newer_than_ms)) {
    replayEntry(e, newer_than_ms, Clock::now() + std::chrono::seconds(2));
    ++replayed;
  }
  buffer_.clear();
  newer_than_ms_ = newer_than_ms;
  role_ = Role::kLeader;
  ++state_->failovers;
  state_->last_takeover_ns = clock_.systemNowNs();
  state_->last_newer_than_ms = newer_than_ms;
  metrics_->failovers.Increment();
  log_.info("Took over forwarding remote write",
            {{"replica", state_->settings.self},
             {"newer_than",
              newer_than_ms == kNoTimestamp ? "-" : alert::formatTime(newer_than_ms * 1'000'000)},
             {"replayed_requests", std::to_string(replayed)}});
}

// --- the gate ---------------------------------------------------------------------------------

remotewrite::GateDecision Coordinator::begin() {
  if (!enabled_.load()) return {};
  remotewrite::GateDecision d;
  d.forward = role_.load() == Role::kLeader;
  if (d.forward) {
    ++inflight_;
    // Re-check: a step-down that started meanwhile must see this request in flight.
    if (role_.load() != Role::kLeader) {
      --inflight_;
      d.forward = false;
    }
  }
  d.newer_than_ms = d.forward ? newer_than_ms_.load() : kNoTimestamp;
  return d;
}

void Coordinator::observe(std::string_view snappy_body, const remotewrite::DecodeStats& stats,
                          remotewrite::GateDecision& d) {
  if (!enabled_.load()) return;
  const int64_t now = clock_.systemNowNs();
  last_write_ns_ = now;
  if (d.forward) return;
  std::lock_guard<std::mutex> l(mu_);
  if (role_.load() == Role::kLeader) {
    // Took over after this request began; the takeover did not see it: forward it here.
    ++inflight_;
    d.forward = true;
    d.newer_than_ms = newer_than_ms_.load();
    return;
  }
  buffer_.add(now, snappy_body, stats.max_timestamp_ms);
}

void Coordinator::end(const remotewrite::GateDecision& d) {
  if (d.forward && enabled_.load()) --inflight_;
}

// --- HTTP -------------------------------------------------------------------------------------

nlohmann::ordered_json Coordinator::statusLocked(int64_t now) const {
  nlohmann::ordered_json j;
  const State& st = *state_;
  j["enabled"] = true;
  j["replica"] = st.settings.self;
  j["role"] = std::string(roleName(role_.load()));
  j["leader"] = st.last.leader;
  // null until the first probe answered: peers do not take that for a dead Prometheus.
  if (st.prometheus && !st.prometheus_probed) {
    j["prometheusUp"] = nullptr;
  } else {
    j["prometheusUp"] = st.prometheus
                            ? st.prometheus_up
                            : now - last_write_ns_.load() < st.settings.failover_timeout.count();
  }
  j["prometheusError"] = st.prometheus_error;
  j["eligible"] = now >= st.ineligible_until_ns;
  j["handoffUntil"] = now < st.ineligible_until_ns ? alert::formatTime(st.ineligible_until_ns) : "";
  j["failOpen"] = st.last.fail_open;
  j["waitingFor"] = st.last.waiting_for;
  j["failovers"] = st.failovers;
  j["lastTakeover"] = timeOrEmpty(st.last_takeover_ns);
  j["lastTakeoverNewerThanMs"] = timestampMs(st.last_newer_than_ms);
  j["lastQueuedSampleTimestampMs"] = timestampMs(fw_.lastQueuedTimestampMs());
  j["failoverTimeout"] = core::formatDuration(
      std::chrono::duration_cast<core::Duration>(st.settings.failover_timeout));
  const RingBuffer::Stats b = buffer_.stats();
  j["buffer"] = {
      {"requests", b.entries}, {"bytes", b.bytes}, {"evictedForSize", b.evicted_for_size}};
  j["endpoints"] = nlohmann::ordered_json::array();
  for (const auto& e : fw_.status()) {
    j["endpoints"].push_back(
        {{"url", e.url},
         {"lastForwardedSampleTimestampMs", timestampMs(e.last_forwarded_timestamp_ms)}});
  }
  j["replicas"] = nlohmann::ordered_json::array();
  for (const auto& name : st.settings.order) {
    nlohmann::ordered_json r;
    r["name"] = name;
    if (name == st.settings.self) {
      r["self"] = true;
    } else {
      for (const auto& p : st.peers) {
        if (p->name != name) continue;
        r["reachable"] = p->view.contacted &&
                         now - p->view.last_contact_ns < st.settings.failover_timeout.count();
        r["lastContact"] = timeOrEmpty(p->view.last_contact_ns);
        r["role"] = p->view.contacted ? std::string(roleName(p->view.role)) : "";
        r["prometheusUp"] = p->view.prometheus_up;
        r["eligible"] = p->view.eligible;
        r["lastQueuedSampleTimestampMs"] = timestampMs(p->view.last_queued_ms);
        r["lastError"] = p->last_error;
      }
    }
    j["replicas"].push_back(std::move(r));
  }
  return j;
}

std::string Coordinator::statusJson() const {
  std::lock_guard<std::mutex> l(mu_);
  if (!state_) {
    nlohmann::ordered_json j;
    j["enabled"] = false;
    j["role"] = "leader";  // without HA every replica forwards
    j["lastQueuedSampleTimestampMs"] = timestampMs(fw_.lastQueuedTimestampMs());
    return j.dump();
  }
  return statusLocked(clock_.systemNowNs()).dump(2);
}

std::pair<int, std::string> Coordinator::handoff(std::string_view for_param) {
  core::Duration d = std::chrono::duration_cast<core::Duration>(kDefaultHandoff);
  if (!for_param.empty()) {
    auto parsed = core::parseDuration(for_param);
    if (!parsed) {
      return {400, "bad 'for' parameter " + core::quote(for_param) + ": " + parsed.error().message +
                       "\n"};
    }
    d = *parsed;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!state_) return {409, "remote-write HA is not configured (ha.replicas)\n"};
    const int64_t now = clock_.systemNowNs();
    if (d.count() > 0 && role_.load() == Role::kLeader) {
      // Only when someone can take over: a replica that is reachable, eligible and whose
      // Prometheus is up.
      bool someone = false;
      for (const auto& p : state_->peers) {
        someone =
            someone || (p->view.contacted && p->view.prometheus_up && p->view.eligible &&
                        now - p->view.last_contact_ns < state_->settings.failover_timeout.count());
      }
      if (!someone) {
        return {409,
                "no other replica can take over: none is reachable, eligible and has its "
                "Prometheus up\n"};
      }
    }
    state_->ineligible_until_ns =
        d.count() > 0 ? now + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count() : 0;
    log_.info(d.count() > 0 ? "Remote-write leadership handed off" : "Hand-off cancelled",
              {{"replica", state_->settings.self}, {"for", core::formatDuration(d)}});
  }
  tick();  // step down now rather than at the next interval
  std::lock_guard<std::mutex> l(mu_);
  if (!state_) return {409, "remote-write HA is not configured (ha.replicas)\n"};
  return {200, statusLocked(clock_.systemNowNs()).dump(2)};
}

}  // namespace promha::ha
