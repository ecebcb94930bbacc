#include "notify/manager.h"

#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "notify_test_util.h"

namespace promha::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeClock;
using testing::FakePoster;
using testing::makeAlert;

Target target(const std::string& host) {
  Target t;
  t.url = "http://" + host + ":9093/api/v2/alerts";
  t.min_backoff = 1ms;
  t.max_backoff = 2ms;
  t.connections = 1;  // one poster per URL, so that the fake factory's per-URL state sees all
  return t;
}

// Hands every created poster a state keyed by URL (the last one created wins).
struct Posters {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<FakePoster::State>> by_url;
  PostResult fallback{200, {}};
  int created = 0;

  PosterFactory factory() {
    return [this](const Target& t) {
      std::lock_guard<std::mutex> l(mu);
      auto s = std::make_shared<FakePoster::State>();
      s->fallback = fallback;
      by_url[t.url] = s;
      ++created;
      return std::make_unique<FakePoster>(s);
    };
  }
  std::shared_ptr<FakePoster::State> get(const std::string& url) {
    std::lock_guard<std::mutex> l(mu);
    return by_url.at(url);
  }
};

std::vector<alert::Alert> alerts(int n, const std::string& prefix = "a") {
  std::vector<alert::Alert> out;
  for (int i = 0; i < n; ++i) out.push_back(makeAlert(prefix + std::to_string(i)));
  return out;
}

// A copy: status() returns a temporary.
std::optional<SenderStatus> find(const std::vector<TargetStatus>& all, size_t block,
                                 const std::string& url) {
  for (const auto& s : all) {
    if (s.block == block && s.target.url == url) return s.sender;
  }
  return std::nullopt;
}

TEST_CASE("manager: send fans out to every target of the block only") {
  FakeClock clock;
  Posters posters;
  Manager m(posters.factory(), clock);
  const Target a = target("a"), b = target("b"), c = target("c");
  CHECK(m.apply({{a, b}, {c}}) == ApplyResult{3, 0, 0, 0});
  CHECK(m.targetCount() == 3);
  CHECK(m.send(0, alerts(5)) == 2);
  CHECK(m.send(1, alerts(2, "x")) == 1);
  CHECK(m.send(7, alerts(1)) == 0);
  REQUIRE(eventually([&] {
    auto st = m.status();
    return find(st, 0, a.url)->sent == 5 && find(st, 0, b.url)->sent == 5 &&
           find(st, 1, c.url)->sent == 2;
  }));
  CHECK(posters.get(c.url)->alertCount() == 2);
  const auto st = m.status();
  REQUIRE(st.size() == 3);
  CHECK(st[0].block == 0);
  CHECK(st[2].block == 1);
  CHECK(st[0].sender.queue_capacity == 10000);
}

TEST_CASE("manager: apply keeps, replaces and removes senders") {
  FakeClock clock;
  Posters posters;
  posters.fallback = PostResult{503, "HTTP 503"};  // everything stays queued
  Manager m(posters.factory(), clock);
  Target a = target("a"), b = target("b");
  a.min_backoff = b.min_backoff = 1h;  // one attempt, then a long backoff wait
  a.max_backoff = b.max_backoff = 1h;
  m.apply({{a, b}});
  m.send(0, alerts(5));
  auto settled = [&](const std::string& url, uint64_t retries) {
    return eventually([&] {
      const auto s = find(m.status(), 0, url);
      return s.has_value() && s->retries == retries && s->queue_length == 5;
    });
  };
  REQUIRE(settled(a.url, 5));
  REQUIRE(settled(b.url, 5));

  SUBCASE("unchanged target keeps its queue and sender") {
    const Target c = target("c");
    CHECK(m.apply({{a, c}}) == ApplyResult{1, 1, 0, 1});
    const auto st = m.status();
    REQUIRE(st.size() == 2);
    const auto sa = find(st, 0, a.url);
    REQUIRE(sa.has_value());
    CHECK(sa->queue_length == 5);
    CHECK(sa->errors == 5);  // the same sender: its history is intact
    CHECK_FALSE(find(st, 0, b.url).has_value());
    CHECK(find(st, 0, c.url).has_value());
    CHECK(posters.created == 3);
  }
  SUBCASE("changed target gets a new sender that inherits the queue") {
    Target a2 = a;
    a2.timeout = 3s;
    CHECK(m.apply({{a2, b}}) == ApplyResult{0, 1, 1, 0});
    REQUIRE(settled(a.url, 5));
    const auto sa = find(m.status(), 0, a.url);
    REQUIRE(sa.has_value());
    CHECK(sa->errors == 5);  // a fresh sender that tried the inherited alerts once
    CHECK(posters.created == 3);
    CHECK(posters.get(a.url)->postCount() == 1);
  }
  SUBCASE("moving a target to another block is a new target") {
    CHECK(m.apply({{b}, {a}}) == ApplyResult{1, 1, 0, 1});
    const auto sa = find(m.status(), 1, a.url);
    REQUIRE(sa.has_value());
    CHECK(sa->errors == 0);
  }
  SUBCASE("a URL listed twice in a block is used once") {
    CHECK(m.apply({{a, b, a}}) == ApplyResult{0, 2, 0, 0});
    CHECK(m.targetCount() == 2);
  }
  SUBCASE("empty config removes everything") {
    CHECK(m.apply({}) == ApplyResult{0, 0, 0, 2});
    CHECK(m.targetCount() == 0);
    CHECK(m.send(0, alerts(1)) == 0);
  }
}

TEST_CASE("manager: stop drains all targets in parallel and is idempotent") {
  FakeClock clock;
  Posters posters;
  Manager m(posters.factory(), clock);
  m.apply({{target("a"), target("b")}});
  m.send(0, alerts(300));
  m.stop(20s);
  m.stop(20s);
  CHECK(posters.get(target("a").url)->alertCount() == 300);
  CHECK(posters.get(target("b").url)->alertCount() == 300);
  CHECK(m.targetCount() == 0);
  CHECK(m.apply({{target("a")}}) == ApplyResult{});
  CHECK(m.send(0, alerts(1)) == 0);
}

std::string scrape(const prometheus::Registry& r) { return metrics::serialize(r); }

TEST_CASE("metrics: per-Alertmanager series appear at 0 and go with the target") {
  FakeClock clock;
  Posters posters;
  prometheus::Registry registry;
  metrics::Metrics metrics(registry, {"0.1.0", "abc", "main", "gcc"});
  Manager m(posters.factory(), clock, &metrics);
  const Target a = target("a"), b = target("b");
  m.apply({{a, b}});
  const std::string before = scrape(registry);
  for (const char* family :
       {"promha_notifications_sent_total", "promha_notifications_errors_total",
        "promha_notifications_dropped_total", "promha_notifications_retries_total",
        "promha_notifications_coalesced_total", "promha_notifications_queue_length"}) {
    CAPTURE(family);
    CHECK(before.find(std::string(family) + "{alertmanager=\"" + b.url + "\"} 0") !=
          std::string::npos);
  }
  CHECK(before.find("promha_notifications_queue_capacity{alertmanager=\"" + b.url + "\"} 10000") !=
        std::string::npos);
  CHECK(before.find("promha_notifications_latency_seconds_count{alertmanager=\"" + b.url +
                    "\"} 0") != std::string::npos);
  CHECK(before.find("promha_alertmanagers_discovered 2") != std::string::npos);
  CHECK(before.find("promha_build_info{") != std::string::npos);
  CHECK(before.find("version=\"0.1.0\"") != std::string::npos);

  m.send(0, alerts(4));
  REQUIRE(eventually([&] {
    return scrape(registry).find("promha_notifications_sent_total{alertmanager=\"" + a.url +
                                 "\"} 4") != std::string::npos;
  }));

  m.apply({{a}});
  const std::string after = scrape(registry);
  CHECK(after.find(b.url) == std::string::npos);
  CHECK(after.find("promha_notifications_sent_total{alertmanager=\"" + a.url + "\"} 4") !=
        std::string::npos);
  CHECK(after.find("promha_alertmanagers_discovered 1") != std::string::npos);

  m.stop();
  CHECK(scrape(registry).find(a.url) == std::string::npos);
}

TEST_CASE("metrics: a URL shared by two blocks shares its series until the last goes") {
  FakeClock clock;
  Posters posters;
  prometheus::Registry registry;
  metrics::Metrics metrics(registry, metrics::BuildInfo{});
  Manager m(posters.factory(), clock, &metrics);
  const Target a = target("a");
  m.apply({{a}, {a}});
  CHECK(scrape(registry).find("promha_notifications_queue_capacity{alertmanager=\"" + a.url +
                              "\"} 20000") != std::string::npos);
  m.apply({{a}});
  CHECK(scrape(registry).find("promha_notifications_queue_capacity{alertmanager=\"" + a.url +
                              "\"} 10000") != std::string::npos);
  m.apply({});
  CHECK(scrape(registry).find(a.url) == std::string::npos);
}

TEST_CASE("metrics: global families and reload gauges") {
  prometheus::Registry registry;
  metrics::Metrics metrics(registry, {"1.2.3", "", "", ""});
  metrics.alertsReceived().Increment(3);
  metrics.alertsInvalid().Increment(1);
  metrics.alertsRelabelDropped().Increment(2);
  metrics.recordReload(true, 1700000000);
  metrics.recordReload(false, 1800000000);
  // Families without series are not exposed at all (prometheus-cpp), so add one target.
  const metrics::AlertmanagerSeries series = metrics.acquireAlertmanager("http://x");
  series.latency->Observe(0.003);
  const std::string text = scrape(registry);
  metrics.releaseAlertmanager("http://x");
  CHECK(scrape(registry).find("http://x") == std::string::npos);
  struct Row {
    const char* name;
    const char* line;
  };
  const std::vector<Row> rows = {
      {"received", "promha_alerts_received_total 3"},
      {"invalid", "promha_alerts_invalid_total 1"},
      {"relabel dropped", "promha_alerts_relabel_dropped_total 2"},
      {"reload failed", "promha_config_last_reload_successful 0"},
      {"timestamp of the last success",
       "promha_config_last_reload_success_timestamp_seconds 1700000000"},
      {"help text", "# HELP promha_alerts_received_total"},
      {"counter type", "# TYPE promha_notifications_sent_total counter"},
      {"histogram type", "# TYPE promha_notifications_latency_seconds histogram"},
      {"histogram bucket",
       "promha_notifications_latency_seconds_bucket{alertmanager=\"http://x\",le=\"0.005\"} 1"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) { CHECK(text.find(row.line) != std::string::npos); }
  }
}

}  // namespace
}  // namespace promha::notify
