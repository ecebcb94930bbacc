// Two coordinators (replicas A and B) in one process, each with its own Forwarder to a real HTTP
// sink. Their Prometheus is a switch (its /-/ready answers 200 or fails) and each one reaches the
// other's GET /api/v1/ha/status in process, through a getter that can be cut to simulate a
// partition. Time is real, with short intervals (50 ms, failover after 500 ms).
#include "ha/coordinator.h"

#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <sstream>

#include "../remotewrite/rw_test_util.h"
#include "relabel/rule.h"

namespace promha::ha {
namespace {

using namespace std::chrono_literals;
using namespace remotewrite;
using namespace remotewrite::testing;

class FnGetter final : public notify::HttpGetter {
 public:
  explicit FnGetter(std::function<notify::GetResult(const std::string&)> fn) : fn_(std::move(fn)) {}
  notify::GetResult get(const std::string& path) override { return fn_(path); }

 private:
  std::function<notify::GetResult(const std::string&)> fn_;
};

std::string request(const std::string& replica, std::vector<int64_t> timestamps) {
  pb::WriteRequest req;
  std::vector<std::pair<double, int64_t>> samples;
  for (int64_t t : timestamps) samples.emplace_back(static_cast<double>(t), t);
  addSeries(req, {{"__name__", "up"}, {"job", "node"}, {"replica", replica}}, samples);
  return snappyCompress(req.SerializeAsString());
}

struct Replica {
  Replica(const std::string& name, const std::string& sink_url)
      : self(name),
        log(log_out, log::Logger::Level::kDebug, log::Logger::Format::kLogfmt),
        rw_metrics(registry),
        fw(httpPosterFactory("promha-test"), notify::SystemClock::instance(), &rw_metrics, &log,
           {}) {
    EndpointConfig c;
    c.poster.http.url = sink_url;
    c.poster.http.timeout = 5s;
    auto rules = relabel::parseRulesText("- {action: labeldrop, regex: replica}\n", "test",
                                         core::NameScheme::kUtf8);
    REQUIRE(rules.ok());
    c.rules = *rules;
    c.shards = 1;
    c.batch_send_deadline = 10ms;
    fw.apply({c}, core::NameScheme::kUtf8);
  }

  void start(Replica& other) {
    CoordinatorDeps deps;
    deps.make_getter =
        [this,
         &other](const notify::Target& t) -> core::Result<std::unique_ptr<notify::HttpGetter>> {
      if (t.url.find("prometheus") != std::string::npos) {
        return std::unique_ptr<notify::HttpGetter>(new FnGetter([this](const std::string& path) {
          CHECK(path == "/-/ready");
          return prometheus_up.load() ? notify::GetResult{200, "ready", {}}
                                      : notify::GetResult{0, {}, "connection refused"};
        }));
      }
      return std::unique_ptr<notify::HttpGetter>(new FnGetter([this, &other](const std::string&) {
        Coordinator* peer = other.live.load();
        if (cut.load() || peer == nullptr) return notify::GetResult{0, {}, "connection refused"};
        return notify::GetResult{200, peer->statusJson(), {}};
      }));
    };
    deps.emit = [this](std::vector<alert::Alert> alerts) {
      std::lock_guard<std::mutex> l(mu);
      for (auto& a : alerts) emitted.push_back(std::move(a));
    };
    coord = std::make_unique<Coordinator>(registry, log, fw, deps);
    live = coord.get();  // published to the other replica's probe thread
    Settings s;
    s.order = {"A", "B"};
    s.self = self;
    notify::Target prom;
    prom.url = "http://prometheus-" + self + ":9090";
    s.prometheus = prom;
    notify::Target peer;
    peer.url = "http://promha-" + other.self + ":9095";
    s.peers = {ha::Replica{other.self, peer}};
    s.failover_timeout = 500ms;
    s.interval = 50ms;
    s.failure_threshold = 2;
    s.split_brain_alert.for_ = 0s;
    coord->apply(s);
    fw.setGate(coord.get());
  }

  void stop() {
    fw.setGate(nullptr);
    if (coord) coord->stop();
  }

  nlohmann::json status() { return nlohmann::json::parse(coord->statusJson()); }
  std::string role() { return status()["role"].get<std::string>(); }

  double metric(const char* name, const std::string& replica = "") {
    for (const auto& f : registry.Collect()) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        bool match = replica.empty();
        for (const auto& l : m.label) match = match || (l.name == "replica" && l.value == replica);
        if (match) return m.counter.value + m.gauge.value;
      }
    }
    return -1;
  }

  std::string self;
  std::ostringstream log_out;
  log::Logger log;
  prometheus::Registry registry;
  remotewrite::Metrics rw_metrics;
  Forwarder fw;
  std::unique_ptr<Coordinator> coord;
  std::atomic<Coordinator*> live{nullptr};
  std::atomic<bool> prometheus_up{true};
  std::atomic<bool> cut{false};  // this replica cannot reach the other's promha
  std::mutex mu;
  std::vector<alert::Alert> emitted;
};

std::vector<int64_t> stored(Sink& sink) {
  std::vector<int64_t> out;
  for (const auto& r : sink.received()) {
    for (const auto& ts : r.request.timeseries()) {
      for (const auto& l : ts.labels()) CHECK(l.name() != "replica");
      for (const auto& s : ts.samples()) out.push_back(s.timestamp());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Pair {
  Pair() : a("A", sink.url()), b("B", sink.url()) {
    a.start(b);
    b.start(a);
    REQUIRE(eventually([&] { return settled(); }, 5s));
  }
  // A leads, B follows, and each has seen the other as it is now.
  bool settled() {
    const auto sa = a.status();
    const auto sb = b.status();
    return sa["role"] == "leader" && sb["role"] == "follower" && sa["leader"] == "A" &&
           sb["leader"] == "A" && sa["replicas"][1]["role"] == "follower" &&
           sb["replicas"][0]["role"] == "leader" && sa["replicas"][1]["prometheusUp"] == true &&
           sb["replicas"][0]["prometheusUp"] == true;
  }
  ~Pair() {
    a.stop();
    b.stop();
  }
  Sink sink;
  Replica a;
  Replica b;
};

TEST_CASE("the first replica leads; the follower accepts and discards the same samples") {
  Pair p;
  CHECK(p.a.status()["leader"] == "A");
  CHECK(p.b.status()["leader"] == "A");
  CHECK(p.a.metric("promha_ha_leader", "A") == 1);
  CHECK(p.b.metric("promha_ha_leader", "B") == 0);
  CHECK(p.b.metric("promha_ha_peer_up", "A") == 1);
  REQUIRE(p.a.fw.write(request("A", {1000}), "").status == 204);
  REQUIRE(p.b.fw.write(request("B", {1001}), "").status == 204);
  REQUIRE(eventually([&] { return stored(p.sink).size() == 1; }));
  CHECK(stored(p.sink) == std::vector<int64_t>{1000});
  CHECK(p.b.rw_metrics.samplesDeduplicated().Value() == 1);
  CHECK(p.b.status()["buffer"]["requests"] == 1);
  CHECK(p.a.status()["lastQueuedSampleTimestampMs"] == 1000);
}

TEST_CASE("the leader's Prometheus dies: the follower takes over without a gap or duplicate") {
  Pair p;
  const double failovers = p.b.metric("promha_ha_failovers_total");
  REQUIRE(p.a.fw.write(request("A", {1000, 2000}), "").status == 204);
  REQUIRE(p.b.fw.write(request("B", {1100, 2100}), "").status == 204);
  // A's Prometheus dies after sending 2000; B's keeps sending (buffered while a follower).
  p.a.prometheus_up = false;
  REQUIRE(p.b.fw.write(request("B", {3100}), "").status == 204);
  REQUIRE(eventually([&] { return p.b.role() == "leader"; }, 5s));
  CHECK(p.a.role() == "follower");
  CHECK(p.b.status()["lastTakeoverNewerThanMs"] == 2000);
  // Live requests after the takeover go straight through, with the same filter.
  REQUIRE(p.b.fw.write(request("B", {1900, 4100}), "").status == 204);
  REQUIRE(eventually([&] { return stored(p.sink).size() == 5; }));
  // From A up to 2000, then B's samples newer than 2000 only: 2100 and 3100 replayed, 4100 live.
  CHECK(stored(p.sink) == std::vector<int64_t>{1000, 2000, 2100, 3100, 4100});
  const std::string log_b = p.b.log_out.str();
  CHECK_MESSAGE(p.b.metric("promha_ha_failovers_total") == failovers + 1, log_b);
  CHECK(p.b.rw_metrics.samplesReplayed().Value() == 2);

  // A's Prometheus is back: A, first in order, takes the lead back once B stepped down.
  p.a.prometheus_up = true;
  REQUIRE(eventually([&] { return p.a.role() == "leader" && p.b.role() == "follower"; }, 5s));
  const std::string why = p.a.coord->statusJson() + p.a.log_out.str() + p.b.log_out.str();
  CHECK_MESSAGE(p.a.status()["lastTakeoverNewerThanMs"] == 4100, why);
}

TEST_CASE("hand-off: the leader yields for a while, and takes back when it is cancelled") {
  Pair p;
  auto [code, body] = p.a.coord->handoff("1h");
  CHECK(code == 200);
  CHECK(nlohmann::json::parse(body)["eligible"] == false);
  REQUIRE(eventually([&] { return p.b.role() == "leader" && p.a.role() == "follower"; }, 5s));
  CHECK(p.a.status()["leader"] == "B");
  // A hand-off by B now would leave nobody eligible with its Prometheus up: refused.
  auto [code2, body2] = p.b.coord->handoff("");
  CHECK(code2 == 409);
  CHECK(body2.find("no other replica can take over") != std::string::npos);
  CHECK(p.a.coord->handoff("5 minutes").first == 400);
  REQUIRE(p.a.coord->handoff("0s").first == 200);
  REQUIRE(eventually([&] { return p.a.role() == "leader" && p.b.role() == "follower"; }, 5s));
}

TEST_CASE("split brain: a replica that cannot reach the leader takes over after the timeout") {
  Pair p;
  p.b.cut = true;  // B cannot reach A; A still reaches B
  REQUIRE(eventually([&] { return p.b.role() == "leader"; }, 5s));
  // A keeps leading (it sees B leading, but A is first in order and already leads): both forward.
  CHECK(p.a.role() == "leader");
  CHECK(p.b.status()["failOpen"] == true);
  CHECK(p.b.metric("promha_ha_fail_open") == 1);
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> l(p.b.mu);
    return !p.b.emitted.empty();
  }));
  {
    std::lock_guard<std::mutex> l(p.b.mu);
    CHECK(p.b.emitted[0].labels.get("alertname") == kSplitBrainAlert);
  }
  // The partition heals: B sees A leading and steps down.
  p.b.cut = false;
  REQUIRE(eventually([&] { return p.b.role() == "follower"; }, 5s));
  CHECK(p.a.role() == "leader");
  CHECK(p.b.metric("promha_ha_fail_open") == 0);
}

TEST_CASE("settingsOf: this replica must be one of ha.replicas, the others need a promha_url") {
  config::Config cfg;
  cfg.ha = config::HaConfig{};
  cfg.ha->replicas = {"A", "B"};
  config::WatchConfig w;
  const auto target = [](const config::PeerConfig&, const std::string& url,
                         core::Duration timeout) -> core::Result<notify::Target> {
    notify::Target t;
    t.url = url;
    t.timeout = timeout;
    return t;
  };
  auto r = settingsOf(cfg, w, target);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("--watch.local-name") != std::string::npos);
  w.local = config::PeerConfig{"A", "http://localhost:9090", "", {}, {}, {}};
  w.peers = {config::PeerConfig{"B", "http://prometheus-b:9090", "", {}, {}, {}}};
  r = settingsOf(cfg, w, target);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("promha_url") != std::string::npos);
  w.peers[0].promha_url = "http://prometheus-b:9095";
  r = settingsOf(cfg, w, target);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->self == "A");
  REQUIRE((*r)->peers.size() == 1);
  CHECK((*r)->peers[0].promha.url == "http://prometheus-b:9095");
  CHECK((*r)->prometheus->url == "http://localhost:9090");
  cfg.ha->replicas.clear();
  r = settingsOf(cfg, w, target);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
}

}  // namespace
}  // namespace promha::ha
