// web::History and web::Sampler: the bounded per-Alertmanager history behind the status page's
// sparklines, send rate and p99 latency.
#include "web/history.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "web/sampler.h"

namespace web = promha::web;
using nlohmann::ordered_json;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
const double kInf = std::numeric_limits<double>::infinity();

web::AlertmanagerSample am(const std::string& url, uint64_t queue, uint64_t sent,
                           uint64_t errors = 0, std::vector<uint64_t> buckets = {}) {
  web::AlertmanagerSample s;
  s.url = url;
  s.queue_length = queue;
  s.queue_capacity = 100;
  s.sent = sent;
  s.errors = errors;
  if (!buckets.empty()) {
    s.bucket_bounds = {0.01, 0.1, 1, kInf};
    s.bucket_counts = std::move(buckets);
  }
  return s;
}

}  // namespace

TEST_CASE("bucketQuantile: Prometheus's histogram_quantile") {
  const std::vector<double> bounds{0.1, 0.2, 0.5, kInf};
  struct Row {
    const char* name;
    double q;
    std::vector<double> counts;
    std::optional<double> want;
  };
  const Row rows[] = {
      {"no observations", 0.99, {0, 0, 0, 0}, std::nullopt},
      {"interpolates in the first bucket from 0", 0.5, {10, 10, 10, 10}, 0.05},
      {"interpolates within a bucket", 0.5, {0, 10, 20, 20}, 0.2},
      {"p99 in the third bucket", 0.99, {50, 90, 100, 100}, 0.2 + 0.3 * 0.9},
      {"in +Inf: the highest finite bound", 0.99, {0, 0, 1, 100}, 0.5},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      const auto got = web::bucketQuantile(r.q, bounds, r.counts);
      REQUIRE(got.has_value() == r.want.has_value());
      if (got) CHECK(*got == doctest::Approx(*r.want));
    }
  }
  CHECK_FALSE(web::bucketQuantile(0.5, {0.1, 0.2}, {1, 2}).has_value());  // no +Inf bucket
}

TEST_CASE("History: bounded, rates with counter resets, forgotten targets") {
  web::History h(5);
  for (int i = 0; i < 8; ++i) {
    h.add(kT0 + i * 5 * kSec, {am("a", i, 10 * i), am("b", 0, 0)});
  }
  CHECK(h.size("a") == 5);  // capacity
  // 10 alerts per 5 s over the window.
  const auto s = h.summary("a", kT0 + 35 * kSec);
  REQUIRE(s.send_rate.has_value());
  CHECK(*s.send_rate == doctest::Approx(2.0));
  CHECK(*s.error_rate == doctest::Approx(0.0));
  CHECK_FALSE(s.latency_p99.has_value());  // no histogram

  // A new sender starts its counters at 0: a reset, not a negative rate.
  h.add(kT0 + 40 * kSec, {am("a", 0, 4), am("b", 0, 0)});
  const auto r = h.summary("a", kT0 + 40 * kSec, std::chrono::seconds(4));
  CHECK(*r.send_rate == doctest::Approx(4.0 / 5));

  // A clock that goes back adds nothing.
  h.add(kT0 + 39 * kSec, {am("a", 0, 4), am("b", 0, 0)});
  CHECK(h.size("a") == 5);

  // "b" disappears from the config: its history goes.
  h.add(kT0 + 45 * kSec, {am("a", 0, 4)});
  CHECK(h.size("b") == 0);
  CHECK_FALSE(h.summary("b", kT0 + 45 * kSec).send_rate.has_value());
}

TEST_CASE("History: one URL in two blocks adds up") {
  web::History h(10);
  h.add(kT0, {am("a", 2, 10), am("a", 3, 20)});
  h.add(kT0 + 10 * kSec, {am("a", 1, 30), am("a", 1, 40)});
  CHECK(*h.summary("a", kT0 + 10 * kSec).send_rate == doctest::Approx(4.0));
  const ordered_json j = h.json();
  CHECK(j["alertmanagers"][0]["queueLength"] == ordered_json::parse("[5, 2]"));
  CHECK(j["alertmanagers"][0]["queueCapacity"] == 200);
}

TEST_CASE("History: p99 latency over the last 5 minutes of bucket increases") {
  web::History h(180);
  // Before the window: 1000 slow observations (> 1 s), which must not count.
  h.add(kT0, {am("a", 0, 0, 0, {0, 0, 0, 0})});
  h.add(kT0 + 10 * kSec, {am("a", 0, 0, 0, {0, 0, 0, 1000})});
  // In the window: 100 observations, 99 under 10 ms and one under 100 ms.
  const int64_t t = kT0 + 400 * kSec;
  h.add(t, {am("a", 0, 0, 0, {99, 100, 100, 1100})});
  const auto s = h.summary("a", t + 1 * kSec);
  REQUIRE(s.latency_p99.has_value());
  CHECK(*s.latency_p99 == doctest::Approx(0.01));
}

TEST_CASE("History: json") {
  web::History h(3);
  h.add(kT0, {am("http://am/api/v2/alerts", 4, 0, 0)});
  h.add(kT0 + 5 * kSec, {am("http://am/api/v2/alerts", 6, 10, 5)});
  const ordered_json j = h.json();
  CHECK(j["samples"] == 3);
  const auto& a = j["alertmanagers"][0];
  CHECK(a["url"] == "http://am/api/v2/alerts");
  CHECK(a["t"] == ordered_json::parse("[1700000000.0, 1700000005.0]"));
  CHECK(a["queueLength"] == ordered_json::parse("[4, 6]"));
  CHECK(a["sendRate"] == ordered_json::parse("[null, 2.0]"));
  CHECK(a["errorRate"] == ordered_json::parse("[null, 1.0]"));
}

TEST_CASE("Sampler: samples on its thread until stopped; stop is idempotent") {
  std::atomic<int> calls{0};
  std::atomic<int64_t> now{kT0};
  web::Sampler s(
      {std::chrono::milliseconds(5), 4},
      [&] {
        ++calls;
        return std::vector<web::AlertmanagerSample>{am("a", 1, 0)};
      },
      [&] { return now += kSec; });
  s.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (calls < 6 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  s.stop();
  const int after_stop = calls;
  CHECK(after_stop >= 6);
  s.stop();
  s.sampleNow();  // still usable by hand, and bounded
  CHECK(calls == after_stop + 1);
  const ordered_json j = s.historyJson();
  CHECK(j["intervalSeconds"] == doctest::Approx(0.005));
  CHECK(j["alertmanagers"][0]["t"].size() == 4);
}

TEST_CASE("Sampler: stop before start") {
  web::Sampler s({}, [] { return std::vector<web::AlertmanagerSample>{}; });
  s.stop();
  s.start();  // a stopped sampler does not start
  s.stop();
  CHECK(s.historyJson()["alertmanagers"].empty());
}
