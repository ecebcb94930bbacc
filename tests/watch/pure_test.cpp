// The pure parts of the watch: self-alert lifecycle, peer health, cluster assessment (with real
// Alertmanager 0.25 answers from ../shared/fixtures), pair consistency.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "alert/codec.h"
#include "fixtures.h"
#include "watch/cluster.h"
#include "watch/health.h"
#include "watch/pair.h"
#include "watch/self_alerts.h"

namespace promha::watch {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 * kS;

core::Labels L(const char* text) {
  auto ls = core::parseLabelSet(text);
  REQUIRE(ls.ok());
  return *ls;
}

Condition cond(const char* labels, core::Duration for_ = 0s, core::Duration resend = 60s) {
  config::SelfAlertConfig c;
  c.for_ = for_;
  c.resend_interval = resend;
  return makeCondition(c, L(labels), L("{summary=\"{{ $labels.peer }} is down\"}"));
}

TEST_CASE("self alerts: for, resend, resolve, resolved resends") {
  SelfAlerts sa;
  const Condition c = cond("{alertname=\"PrometheusReplicaDown\", peer=\"B\"}", 30s, 60s);
  CHECK(sa.evaluate({c}, kT0).empty());  // pending
  CHECK(sa.evaluate({c}, kT0 + 29 * kS).empty());
  auto fired = sa.evaluate({c}, kT0 + 30 * kS);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].labels == c.labels);
  CHECK(fired[0].starts_at_ns == kT0);                     // when the condition began
  CHECK(fired[0].ends_at_ns == kT0 + 30 * kS + 240 * kS);  // 4 resend intervals ahead
  REQUIRE(fired[0].annotations.size() == 1);
  CHECK(fired[0].annotations[0].value == "B is down");
  CHECK(sa.evaluate({c}, kT0 + 60 * kS).empty());  // not yet due
  auto resent = sa.evaluate({c}, kT0 + 90 * kS);
  REQUIRE(resent.size() == 1);
  CHECK(resent[0].ends_at_ns == kT0 + 330 * kS);
  // Condition clears: resolved at once, then re-sent every resend interval, 3 sends in all.
  auto resolved = sa.evaluate({}, kT0 + 100 * kS);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].ends_at_ns == kT0 + 100 * kS);
  CHECK(sa.evaluate({}, kT0 + 110 * kS).empty());
  REQUIRE(sa.evaluate({}, kT0 + 160 * kS).size() == 1);
  auto last = sa.evaluate({}, kT0 + 220 * kS);
  REQUIRE(last.size() == 1);
  CHECK(last[0].ends_at_ns == kT0 + 100 * kS);
  CHECK(sa.evaluate({}, kT0 + 400 * kS).empty());
  CHECK(sa.active().empty());
}

TEST_CASE("self alerts: a condition that clears before `for` never fires") {
  SelfAlerts sa;
  const Condition c = cond("{alertname=\"X\"}", 60s);
  CHECK(sa.evaluate({c}, kT0).empty());
  REQUIRE(sa.active().size() == 1);
  CHECK_FALSE(sa.active()[0].firing);
  CHECK(sa.evaluate({}, kT0 + 10 * kS).empty());
  CHECK(sa.active().empty());
}

TEST_CASE("self alerts: configured labels and annotations override the built-in ones") {
  config::SelfAlertConfig c;
  c.for_ = 0s;
  c.labels = L("{severity=\"page\", team=\"sre\"}");
  c.annotations = L("{runbook_url=\"https://rb/{{$labels.peer}}\", summary=\"custom\"}");
  const Condition k = makeCondition(c, L("{alertname=\"A\", peer=\"B\", severity=\"critical\"}"),
                                    L("{summary=\"built-in\"}"));
  CHECK(k.labels == L("{alertname=\"A\", peer=\"B\", severity=\"page\", team=\"sre\"}"));
  SelfAlerts sa;
  auto out = sa.evaluate({k}, kT0);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].annotations.size() == 2);
  CHECK(out[0].annotations[0].name == "runbook_url");
  CHECK(out[0].annotations[0].value == "https://rb/B");
  CHECK(out[0].annotations[1].value == "custom");
  CHECK(expandTemplate("{{ .Value }} and {{ $labels.nope }}!", k.labels) == "{{ .Value }} and !");
  CHECK(expandTemplate("unterminated {{ $labels.peer", k.labels) == "unterminated {{ $labels.peer");
}

TEST_CASE("peer health: down after failure_threshold failures, up after one success") {
  PeerHealth h;
  CHECK(h.up());
  CHECK_FALSE(h.probed());
  ProbeResult bad{false, false, 0.1, "connection refused"};
  ProbeResult good{true, true, 0.01, ""};
  h.observe(bad, kT0, 3);
  h.observe(bad, kT0 + kS, 3);
  CHECK(h.up());
  h.observe(bad, kT0 + 2 * kS, 3);
  CHECK_FALSE(h.up());
  CHECK(h.downSinceNs() == kT0 + 2 * kS);
  CHECK(h.stateChanges() == 1);
  CHECK(h.lastError() == "connection refused");
  h.observe(good, kT0 + 3 * kS, 3);
  CHECK(h.up());
  CHECK(h.ready());
  CHECK(h.stateChanges() == 2);
  CHECK(h.lastSuccessNs() == kT0 + 3 * kS);
  h.observe(ProbeResult{true, false, 0.01, ""}, kT0 + 4 * kS, 3);  // healthy, not ready
  CHECK(h.up());
  CHECK_FALSE(h.ready());
}

using testing::fixtureBody;

TEST_CASE("cluster: parses real Alertmanager 0.25 status answers") {
  auto ready = parseClusterView(fixtureBody("cluster/node1-status-ready.response.txt"));
  REQUIRE_MESSAGE(ready.ok(), ready.error().message);
  CHECK(ready->status == "ready");
  CHECK(ready->peers.size() == 3);
  CHECK(std::find(ready->peers.begin(), ready->peers.end(), ready->name) != ready->peers.end());
  auto first = parseClusterView(fixtureBody("cluster/node1-status-first.response.txt"));
  REQUIRE(first.ok());
  CHECK(first->status == "settling");
  auto lost =
      parseClusterView(fixtureBody("cluster/node1-status-after-node3-sigkill.response.txt"));
  REQUIRE(lost.ok());
  CHECK(lost->peers.size() == 2);
  auto disabled =
      parseClusterView(fixtureBody("single/status-single-node-cluster-disabled.response.txt"));
  REQUIRE(disabled.ok());
  CHECK(disabled->status == "disabled");
  CHECK(disabled->peers.empty());
  CHECK(disabled->name.empty());
  auto lonely = parseClusterView(fixtureBody("lonely-peer/lonely-status-ready.response.txt"));
  REQUIRE(lonely.ok());
  CHECK(lonely->status == "ready");
  CHECK(lonely->peers.size() == 1);

  for (const char* bad : {"", "[]", "{}", "{\"cluster\":{}}", "{\"cluster\":{\"status\":1}}",
                          "{\"cluster\":{\"status\":\"ready\",\"peers\":{}}}",
                          "{\"cluster\":{\"status\":\"ready\",\"peers\":[{}]}}"}) {
    CHECK_MESSAGE(!parseClusterView(bad).ok(), bad);
  }
}

NodeObservation node(const char* inst, const char* status, std::vector<std::string> peers,
                     bool reachable = true, int64_t settling_since = 0) {
  NodeObservation n;
  n.alertmanager = std::string("http://") + inst + "/api/v2/alerts";
  n.instance = inst;
  n.reachable = reachable;
  n.view.status = status;
  n.view.peers = std::move(peers);
  n.settling_since_ns = settling_since;
  return n;
}

TEST_CASE("cluster: assessment of the cases a real cluster shows") {
  const std::vector<std::string> all = {"p1", "p2", "p3"};
  SUBCASE("healthy: three nodes that agree") {
    auto f = assessCluster(
        {node("a:9093", "ready", all), node("b:9093", "ready", all), node("c:9093", "ready", all)},
        3, kT0, 120 * kS);
    CHECK(f.empty());
  }
  SUBCASE("clustering disabled while several are configured") {
    auto f = assessCluster({node("a:9093", "disabled", {}), node("b:9093", "disabled", {})}, 2, kT0,
                           120 * kS);
    REQUIRE(f.size() == 1);
    CHECK(f[0].problem == Problem::kClusteringDisabled);
    CHECK(f[0].instances == std::vector<std::string>{"a:9093", "b:9093"});
  }
  SUBCASE("a single disabled Alertmanager is fine") {
    CHECK(assessCluster({node("a:9093", "disabled", {})}, 1, kT0, 120 * kS).empty());
  }
  SUBCASE("unclustered nodes each see only themselves: peers missing and split") {
    auto f = assessCluster({node("a:9093", "ready", {"p1"}), node("b:9093", "ready", {"p2"}),
                            node("c:9093", "ready", {"p3"})},
                           3, kT0, 120 * kS);
    REQUIRE(f.size() == 2);
    CHECK(f[0].problem == Problem::kPeersMissing);
    CHECK(f[0].instances.size() == 3);
    CHECK(f[1].problem == Problem::kSplit);
    CHECK(problemName(f[1].problem) == "split");
  }
  SUBCASE("a killed node: the others' lists shrink, the dead one is skipped") {
    auto f =
        assessCluster({node("a:9093", "ready", {"p1", "p2"}), node("b:9093", "ready", {"p1", "p2"}),
                       node("c:9093", "", {}, /*reachable=*/false)},
                      3, kT0, 120 * kS);
    REQUIRE(f.size() == 1);
    CHECK(f[0].problem == Problem::kPeersMissing);
    CHECK(f[0].instances == std::vector<std::string>{"a:9093", "b:9093"});
  }
  SUBCASE("settling is normal for a while, then stuck") {
    const std::vector<NodeObservation> n = {node("a:9093", "settling", {"p1"}, true, kT0)};
    CHECK(assessCluster(n, 1, kT0 + 60 * kS, 120 * kS).empty());
    auto f = assessCluster(n, 1, kT0 + 121 * kS, 120 * kS);
    REQUIRE(f.size() == 1);
    CHECK(f[0].problem == Problem::kSettlingStuck);
  }
}

alert::Alert firing(const char* labels, int64_t starts, int64_t ends) {
  alert::Alert a;
  a.labels = L(labels);
  a.starts_at_ns = starts;
  a.ends_at_ns = ends;
  return a;
}

TEST_CASE("pair: the firing set follows endsAt and resolutions, and is bounded") {
  FiringSet fs(2);
  fs.record({firing("{alertname=\"A\"}", kT0, kT0 + 240 * kS),
             firing("{alertname=\"B\"}", kT0, kT0 + 10 * kS),
             firing("{alertname=\"C\"}", kT0, kT0 + 240 * kS)},
            kT0);
  CHECK(fs.overflow() == 1);  // C did not fit
  CHECK(fs.snapshot(kT0 + kS).size() == 2);
  CHECK(fs.snapshot(kT0 + 11 * kS).size() == 1);                                // B ended
  fs.record({firing("{alertname=\"A\"}", kT0, kT0 + 20 * kS)}, kT0 + 20 * kS);  // resolved
  CHECK(fs.snapshot(kT0 + 21 * kS).empty());
}

TEST_CASE("pair: /api/v1/ha/alerts round trip and divergence after `for`") {
  FiringSet here;
  here.record({firing("{alertname=\"A\", job=\"x\"}", kT0, kT0 + 240 * kS),
               firing("{alertname=\"OnlyHere\"}", kT0, kT0 + 240 * kS)},
              kT0);
  const std::string json = encodeHaAlerts("A", here.snapshot(kT0), 0, kT0);
  auto decoded = decodeHaAlerts(json);
  REQUIRE_MESSAGE(decoded.ok(), json);
  CHECK(decoded->replica == "A");
  REQUIRE(decoded->alerts.size() == 2);
  CHECK(decoded->alerts[0].fingerprint == alert::fingerprint(decoded->alerts[0].labels));
  CHECK_FALSE(decodeHaAlerts("{\"alerts\":[{\"labels\":{\"a\":1}}]}").ok());
  CHECK_FALSE(decodeHaAlerts("nope").ok());

  FiringSet peer;
  peer.record({firing("{alertname=\"A\", job=\"x\"}", kT0, kT0 + 240 * kS),
               firing("{alertname=\"OnlyPeer\"}", kT0, kT0 + 240 * kS)},
              kT0);
  Divergence d;
  auto c = d.update(here.snapshot(kT0), peer.snapshot(kT0), kT0, 180 * kS);
  CHECK(c.only_here == 0);  // not for long enough yet
  CHECK(c.only_peer == 0);
  c = d.update(here.snapshot(kT0 + 100 * kS), peer.snapshot(kT0 + 100 * kS), kT0 + 180 * kS,
               180 * kS);
  CHECK(c.only_here == 1);
  CHECK(c.only_peer == 1);
  REQUIRE(c.only_here_labels.size() == 1);
  CHECK(c.only_here_labels[0] == L("{alertname=\"OnlyHere\"}"));
  // The peer starts firing it too: no longer diverged, and the clock restarts if it leaves again.
  peer.record({firing("{alertname=\"OnlyHere\"}", kT0, kT0 + 400 * kS)}, kT0 + 190 * kS);
  c = d.update(here.snapshot(kT0 + 190 * kS), peer.snapshot(kT0 + 190 * kS), kT0 + 190 * kS,
               180 * kS);
  CHECK(c.only_here == 0);
  CHECK(c.only_peer == 1);
}

}  // namespace
}  // namespace promha::watch
