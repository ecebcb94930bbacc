// The watcher with real sockets: a healthy peer, a peer that accepts and never answers, fake
// Alertmanager status endpoints (fixture bodies from a real Alertmanager 0.25) and the deadman.
#include "watch/watcher.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/targets.h"
#include "fixtures.h"
#include "metrics/metrics.h"

namespace promha::watch {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// An HTTP server on a free loopback port answering GET `path` with a fixed body.
class Server {
 public:
  explicit Server(std::map<std::string, std::string> routes) {
    for (const auto& [path, body] : routes) {
      srv_.Get(path, [body](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "application/json");
      });
    }
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    for (int i = 0; i < 200 && !srv_.is_running(); ++i) std::this_thread::sleep_for(5ms);
  }
  ~Server() {
    srv_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
};

// Accepts connections (kernel backlog) and never reads or answers.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

using testing::fixtureBody;

struct Emitted {
  std::mutex mu;
  std::vector<alert::Alert> alerts;
  bool has(std::string_view alertname, std::string_view label, std::string_view value,
           bool resolved = false) {
    std::lock_guard<std::mutex> l(mu);
    const int64_t now = notify::SystemClock::instance().systemNowNs();
    for (const auto& a : alerts) {
      if (a.labels.get("alertname") == alertname && a.labels.get(label) == value &&
          (a.ends_at_ns <= now) == resolved) {
        return true;
      }
    }
    return false;
  }
};

struct Fixture {
  prometheus::Registry registry;
  std::ostringstream log_out;
  log::Logger log{log_out, log::Logger::Level::kDebug, log::Logger::Format::kLogfmt};
  Emitted emitted;
  std::vector<std::vector<notify::Target>> ams;
  std::unique_ptr<Watcher> w;

  Fixture() {
    WatcherDeps deps;
    deps.emit = [this](std::vector<alert::Alert> a) {
      std::lock_guard<std::mutex> l(emitted.mu);
      for (auto& x : a) emitted.alerts.push_back(std::move(x));
    };
    deps.alertmanagers = [this] { return ams; };
    deps.make_target = [](const config::PeerConfig& p, const std::string& url,
                          core::Duration timeout) { return app::makePeerTarget(p, url, timeout); };
    deps.make_getter = [](const notify::Target& t) { return notify::makeHttplibGetter(t); };
    w = std::make_unique<Watcher>(registry, log, std::move(deps));
  }
  std::string metrics() { return metrics::serialize(registry); }
};

config::WatchConfig fastConfig() {
  config::WatchConfig c;
  c.interval = 100ms;
  c.timeout = 100ms;
  c.failure_threshold = 2;
  c.peer_down.for_ = 0s;
  c.alertmanager_cluster.alert.for_ = 0s;
  return c;
}

TEST_CASE("watcher: a hanging peer is marked down by time-out; a healthy one stays up") {
  Server healthy({{"/-/healthy", "OK"}, {"/-/ready", "OK"}});
  BlackHole hole;
  Fixture f;
  config::WatchConfig c = fastConfig();
  c.peers.push_back({"B", hole.url(), "", {}, {}, {}});
  c.peers.push_back({"C", healthy.url(), "", {}, {}, {}});
  f.w->apply(c);
  REQUIRE(eventually([&] { return f.emitted.has(kPeerDownAlert, "peer", "B"); }));
  CHECK_FALSE(f.emitted.has(kPeerDownAlert, "peer", "C"));
  const std::string m = f.metrics();
  CHECK(m.find("promha_peer_up{peer=\"B\"} 0") != std::string::npos);
  CHECK(m.find("promha_peer_up{peer=\"C\"} 1") != std::string::npos);
  CHECK(m.find("promha_peer_ready{peer=\"C\"} 1") != std::string::npos);
  CHECK(m.find("promha_peer_state_changes_total{peer=\"B\"} 1") != std::string::npos);
  const auto st = f.w->statusJson();
  REQUIRE(st["peers"].size() == 2);
  CHECK(st["peers"][0]["up"] == false);
  CHECK(st["peers"][1]["up"] == true);
  CHECK_FALSE(st["peers"][0]["lastError"].get<std::string>().empty());
  // Stopping does not wait for the hanging probe.
  const auto t0 = std::chrono::steady_clock::now();
  f.w->stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}

TEST_CASE("watcher: a peer that comes back resolves the alert; reload keeps state") {
  auto server = std::make_unique<Server>(std::map<std::string, std::string>{{"/-/ready", "OK"}});
  Fixture f;
  config::WatchConfig c = fastConfig();
  const std::string url = server->url();
  c.peers.push_back({"B", url, "", {}, {}, {}});
  f.w->apply(c);  // /-/healthy is 404: down
  REQUIRE(eventually([&] { return f.emitted.has(kPeerDownAlert, "peer", "B"); }));
  f.w->apply(c);  // an unchanged reload: still down, no resolution
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(f.emitted.has(kPeerDownAlert, "peer", "B", /*resolved=*/true));
  // The same port now answers /-/healthy.
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  server.reset();
  httplib::Server back;
  back.Get("/-/healthy", [](const httplib::Request&, httplib::Response& r) {
    r.set_content("OK", "text/plain");
  });
  REQUIRE(back.bind_to_port("127.0.0.1", port));
  std::thread t([&] { back.listen_after_bind(); });
  REQUIRE(eventually([&] { return f.emitted.has(kPeerDownAlert, "peer", "B", true); }));
  f.w->stop();
  back.stop();
  t.join();
}

TEST_CASE("watcher: Alertmanagers with clustering disabled raise AlertmanagerClusterDegraded") {
  const std::string disabled =
      fixtureBody("single/status-single-node-cluster-disabled.response.txt");
  Server am1({{"/api/v2/status", disabled}});
  Server am2({{"/api/v2/status", disabled}});
  Fixture f;
  notify::Target t1, t2;
  t1.url = am1.url() + "/api/v2/alerts";
  t2.url = am2.url() + "/api/v2/alerts";
  f.ams = {{t1, t2}};
  f.w->apply(fastConfig());
  REQUIRE(
      eventually([&] { return f.emitted.has(kClusterAlert, "reason", "clustering_disabled"); }));
  // The alert may fire on the first Alertmanager's answer; the other's probe may still run.
  const std::string want_status =
      "promha_alertmanager_cluster_status{alertmanager=\"" + t1.url + "\",status=\"disabled\"} 1";
  CHECK(eventually([&] { return f.metrics().find(want_status) != std::string::npos; }));
  const std::string m = f.metrics();
  CHECK(m.find("promha_alertmanager_cluster_consistent 0") != std::string::npos);
  const auto st = f.w->statusJson();
  CHECK(st["alertmanagerCluster"]["consistent"] == false);
  CHECK(st["alertmanagerCluster"]["findings"][0]["reason"] == "clustering_disabled");
  f.w->stop();
}

TEST_CASE("watcher: a healthy 3-node cluster (real answers) is consistent") {
  Server am1({{"/api/v2/status", fixtureBody("cluster/node1-status-ready.response.txt")}});
  Server am2({{"/api/v2/status", fixtureBody("cluster/node2-status-ready.response.txt")}});
  Server am3({{"/api/v2/status", fixtureBody("cluster/node3-status-ready.response.txt")}});
  Fixture f;
  f.ams.resize(1);
  for (const Server* s : {&am1, &am2, &am3}) {
    notify::Target t;
    t.url = s->url() + "/api/v2/alerts";
    f.ams[0].push_back(t);
  }
  f.w->apply(fastConfig());
  REQUIRE(eventually([&] {
    return f.metrics().find("promha_alertmanager_cluster_peers{alertmanager=\"" + f.ams[0][2].url +
                            "\"} 3") != std::string::npos;
  }));
  f.w->evaluateNow();
  CHECK(f.metrics().find("promha_alertmanager_cluster_consistent 1") != std::string::npos);
  CHECK(f.emitted.alerts.empty());
  f.w->stop();
}

TEST_CASE("watcher: deadman and /api/v1/ha/alerts") {
  Fixture f;
  config::WatchConfig c = fastConfig();
  c.deadman.alertname = "Watchdog";
  c.deadman.timeout = 1500ms;
  c.local = config::PeerConfig{"A", "http://127.0.0.1:1", "", {}, {}, {}};
  c.peer_down.enabled = false;
  f.w->apply(c);
  const int64_t now = notify::SystemClock::instance().systemNowNs();
  alert::Alert wd;
  wd.labels = *core::parseLabelSet("{alertname=\"Watchdog\"}");
  wd.starts_at_ns = now - 1'000'000'000;
  wd.ends_at_ns = now + 60'000'000'000;
  f.w->observe({wd}, now);
  REQUIRE(eventually([&] { return f.emitted.has(kStalledAlert, "peer", "A"); }));
  // Watchdog flows again (Prometheus resends it every few seconds): resolved.
  REQUIRE(eventually([&] {
    f.w->observe({wd}, notify::SystemClock::instance().systemNowNs());
    return f.emitted.has(kStalledAlert, "peer", "A", true);
  }));
  const auto ha = nlohmann::json::parse(f.w->haAlertsJson());
  CHECK(ha["replica"] == "A");
  REQUIRE(ha["alerts"].size() == 1);
  CHECK(ha["alerts"][0]["labels"]["alertname"] == "Watchdog");
  f.w->stop();
}

}  // namespace
}  // namespace promha::watch

namespace promha::watch {
namespace {

TEST_CASE("watch.local-name: one shared config lists both replicas") {
  config::WatchConfig c;
  c.peers.push_back({"prometheus-0", "http://p0:9090", "http://p0:9095", {}, {}, {}});
  c.peers.push_back({"prometheus-1", "http://p1:9090", "http://p1:9095", {}, {}, {}});
  const config::WatchConfig on0 = withLocalName(c, "prometheus-0");
  REQUIRE(on0.peers.size() == 1);
  CHECK(on0.peers[0].name == "prometheus-1");
  REQUIRE(on0.local);
  CHECK(on0.local->name == "prometheus-0");
  CHECK(on0.local->url == "http://p0:9090");
  CHECK(on0.local->promha_url.empty());
  CHECK(withLocalName(c, "") == c);
  CHECK(withLocalName(c, "other") == c);
  config::WatchConfig with_local = c;
  with_local.local = config::PeerConfig{"mine", "http://localhost:9090", "", {}, {}, {}};
  const config::WatchConfig kept = withLocalName(with_local, "prometheus-1");
  CHECK(kept.local->name == "mine");  // an explicit local wins
  CHECK(kept.peers.size() == 1);
}

}  // namespace
}  // namespace promha::watch
