#include "notify/sender.h"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notify_test_util.h"

namespace promha::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeClock;
using testing::FakePoster;
using testing::kNow;
using testing::kSecond;
using testing::makeAlert;

Target fastTarget() {
  Target t;
  t.url = "http://am-0:9093/api/v2/alerts";
  t.min_backoff = 1ms;
  t.max_backoff = 4ms;
  return t;
}

std::vector<Entry> entries(const std::vector<std::string>& names, int64_t ends_at,
                           const std::string& summary = "", int64_t received = kNow) {
  std::vector<Entry> out;
  for (const auto& n : names) out.push_back(makeEntry(makeAlert(n, ends_at, summary), received));
  return out;
}

std::vector<Entry> firing(const std::vector<std::string>& names, const std::string& summary = "") {
  return entries(names, kNow + 3600 * kSecond, summary);
}

struct Fixture {
  FakeClock clock;
  std::shared_ptr<FakePoster::State> state = std::make_shared<FakePoster::State>();
  std::unique_ptr<Sender> sender;

  explicit Fixture(Target t = fastTarget()) {
    sender = std::make_unique<Sender>(std::move(t), std::make_unique<FakePoster>(state), clock,
                                      std::make_unique<SeededRandom>(1));
  }
  SenderStatus st() const { return sender->status(); }
};

TEST_CASE("sender: outcomes of a failed first attempt") {
  struct Row {
    const char* name;
    PostResult first;
    bool retried;
  };
  const std::vector<Row> rows = {
      {"500 then 200: retried", {500, "HTTP 500: boom"}, true},
      {"503 then 200: retried", {503, "HTTP 503"}, true},
      {"timeout then 200: retried", {0, "Read"}, true},
      {"connection refused then 200: retried", {0, "Connection"}, true},
      {"400: permanent", {400, "HTTP 400: bad alerts"}, false},
      {"404: permanent", {404, "HTTP 404"}, false},
      {"422: permanent", {422, "HTTP 422"}, false},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Fixture f;
      f.state->script = {row.first};
      f.sender->enqueue(firing({"a", "b", "c"}));
      if (row.retried) {
        REQUIRE(eventually([&] { return f.st().sent == 3; }));
        CHECK(f.state->postCount() == 2);
        CHECK(f.st().retries == 3);
        CHECK(f.st().dropped == 0);
        CHECK(f.st().last_success_ns == kNow);
        CHECK(f.st().backoff_attempt == 0);
      } else {
        REQUIRE(eventually([&] { return f.st().dropped == 3; }));
        // Prove there is no retry: a later alert goes out alone in the second POST.
        f.sender->enqueue(firing({"d"}));
        REQUIRE(eventually([&] { return f.st().sent == 1; }));
        CHECK(f.state->postCount() == 2);
        CHECK(f.state->posts[1].size() == 1);
        CHECK(f.st().retries == 0);
      }
      CHECK(f.st().errors == 3);
      CHECK(f.st().last_error == row.first.error);
      CHECK(f.st().last_error_ns == kNow);
      CHECK(f.state->posts[0].size() == 3);
      CHECK(f.st().queue_length == 0);
    }
  }
}

TEST_CASE("sender: batches are at most max_batch") {
  Target t = fastTarget();
  t.max_batch = 10;
  Fixture f(t);
  f.state->held = true;  // let the queue fill up before the first POST completes
  std::vector<std::string> names;
  for (int i = 0; i < 95; ++i) names.push_back("a" + std::to_string(i));
  f.sender->enqueue(firing({"first"}));
  REQUIRE(eventually([&] { return f.state->waitingCount() == 1; }));
  f.sender->enqueue(firing(names));
  f.state->unhold();
  REQUIRE(eventually([&] { return f.st().sent == 96; }));
  CHECK(f.state->postCount() == 11);  // 1 + 10 batches (9 of 10, 1 of 5)
  for (const auto& p : f.state->posts) CHECK(p.size() <= 10);
}

TEST_CASE("sender: alerts expire while retrying") {
  struct Row {
    const char* name;
    int64_t ends_at;   // relative to kNow; 0 = none
    int64_t received;  // relative to kNow
    int failures_to_expire;
  };
  // Each failed attempt advances the clock by 100s.
  const std::vector<Row> rows = {
      {"firing alert: until endsAt", 250 * kSecond, 0, 3},
      {"no endsAt: resolve_timeout from receipt", 0, 0, 3},
      {"resolved alert: resolve_timeout from receipt", -10 * kSecond, 0, 3},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Target t = fastTarget();
      t.resolve_timeout = std::chrono::seconds(250);
      Fixture f(t);
      f.state->fallback = PostResult{503, "HTTP 503"};
      f.state->on_post = [&] { f.clock.advance(100 * kSecond); };
      const int64_t ends = row.ends_at == 0 ? 0 : kNow + row.ends_at;
      f.sender->enqueue(entries({"a"}, ends, "", kNow + row.received));
      REQUIRE(eventually([&] { return f.st().dropped == 1; }));
      CHECK(f.state->postCount() == static_cast<size_t>(row.failures_to_expire));
      CHECK(f.st().errors == static_cast<uint64_t>(row.failures_to_expire));
      CHECK(f.st().sent == 0);
      CHECK(f.st().queue_length == 0);
    }
  }
}

TEST_CASE("sender: an alert already expired when popped is not sent") {
  Fixture f;
  f.sender->enqueue(entries({"old"}, kNow - 400 * kSecond, "", kNow - 600 * kSecond));
  f.sender->enqueue(firing({"fresh"}));
  REQUIRE(eventually([&] { return f.st().sent == 1 && f.st().dropped == 1; }));
  REQUIRE(f.state->postCount() == 1);
  CHECK(f.state->posts[0].at(0).alertname == "fresh");
}

TEST_CASE("sender: newer copies coalesce while a batch is retried") {
  Fixture f;
  f.state->held = true;
  f.state->script = {PostResult{500, "HTTP 500"}};
  f.sender->enqueue(firing({"a", "b"}, "v1"));
  REQUIRE(eventually([&] { return f.state->waitingCount() == 1; }));
  // While the first POST hangs: a newer copy of "a" twice, and a new alert.
  f.sender->enqueue(firing({"a"}, "v2"));
  f.sender->enqueue(firing({"a", "c"}, "v3"));
  CHECK(f.st().coalesced == 1);
  f.state->unhold();
  REQUIRE(eventually([&] { return f.st().sent == 3; }));
  REQUIRE(f.state->postCount() == 2);
  const auto& second = f.state->posts[1];
  REQUIRE(second.size() == 3);
  // The failed batch goes first, except that "a" has a newer copy queued, which wins.
  CHECK(second[0].alertname == "b");
  CHECK(second[0].summary == "v1");
  CHECK(second[1].alertname == "a");
  CHECK(second[1].summary == "v3");
  CHECK(second[2].alertname == "c");
  CHECK(f.st().retries == 1);
}

TEST_CASE("sender: a full queue drops the oldest and counts it") {
  Target t = fastTarget();
  t.queue_capacity = 5;
  Fixture f(t);
  f.state->held = true;
  f.sender->enqueue(firing({"in-flight"}));
  REQUIRE(eventually([&] { return f.state->waitingCount() == 1; }));
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) names.push_back("q" + std::to_string(i));
  f.sender->enqueue(firing(names));
  CHECK(f.st().dropped == 3);
  CHECK(f.st().queue_length == 5);
  f.state->unhold();
  REQUIRE(eventually([&] { return f.st().sent == 6; }));
  CHECK(f.state->posts[1].at(0).alertname == "q3");
}

TEST_CASE("sender: stop") {
  SUBCASE("idempotent, also from two threads at once") {
    Fixture f;
    f.sender->enqueue(firing({"a"}));
    REQUIRE(eventually([&] { return f.st().sent == 1; }));
    std::thread other([&] { f.sender->stop(); });
    f.sender->stop();
    other.join();
    f.sender->stop(1s);
    CHECK(f.st().sent == 1);
  }
  SUBCASE("enqueue after stop is ignored") {
    Fixture f;
    f.sender->stop();
    f.sender->enqueue(firing({"a"}));
    CHECK(f.st().queue_length == 0);
    CHECK(f.state->postCount() == 0);
  }
  SUBCASE("drains the queue within the timeout") {
    Target t = fastTarget();
    t.max_batch = 7;
    Fixture f(t);
    f.state->held = true;
    f.sender->enqueue(firing({"first"}));
    REQUIRE(eventually([&] { return f.state->waitingCount() == 1; }));
    std::vector<std::string> names;
    for (int i = 0; i < 500; ++i) names.push_back("a" + std::to_string(i));
    f.sender->enqueue(firing(names));
    f.state->unhold();
    f.sender->stop(20s);
    CHECK(f.st().sent == 501);
    CHECK(f.st().queue_length == 0);
    CHECK(f.sender->takeQueue().empty());
  }
  SUBCASE("stop wins over a POST in flight") {
    Fixture f;
    f.state->held = true;  // a black hole: answers only when cancelled
    f.sender->enqueue(firing({"a", "b"}));
    REQUIRE(eventually([&] { return f.state->waitingCount() == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    f.sender->stop(0s);
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    CHECK(f.st().sent == 0);
    // The aborted batch is back in the queue for a successor, not lost and not counted dropped.
    CHECK(f.st().dropped == 0);
    CHECK(f.sender->takeQueue().size() == 2);
  }
  SUBCASE("drain timeout bounds a stop against a failing Alertmanager") {
    Target t = fastTarget();
    t.min_backoff = 1s;
    t.max_backoff = 1s;
    Fixture f(t);
    f.state->fallback = PostResult{503, "HTTP 503"};
    f.sender->enqueue(firing({"a"}));
    REQUIRE(eventually([&] { return f.st().retries >= 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    f.sender->stop(50ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    CHECK(f.sender->discardQueue() == 1);
    CHECK(f.st().dropped == 1);
  }
}

TEST_CASE("sender: encodes the target's API version") {
  struct Row {
    const char* name;
    alert::ApiVersion api;
  };
  const std::vector<Row> rows = {{"v2", alert::ApiVersion::kV2}, {"v1", alert::ApiVersion::kV1}};
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Target t = fastTarget();
      t.api = row.api;
      Fixture f(t);
      f.sender->enqueue(firing({"a"}, "s"));
      REQUIRE(eventually([&] { return f.st().sent == 1; }));
      REQUIRE(f.state->posts.at(0).size() == 1);
      CHECK(f.state->posts[0][0].alertname == "a");
      CHECK(f.state->posts[0][0].summary == "s");
      CHECK_FALSE(f.state->posts[0][0].ends_at.empty());
    }
  }
}

}  // namespace
}  // namespace promha::notify

namespace promha::notify {
namespace {

using testing::Posted;

TEST_CASE("sender: lanes spread alerts over connections, one alert always on the same one") {
  FakeClock clock;
  std::vector<std::shared_ptr<FakePoster::State>> states;
  std::vector<std::unique_ptr<HttpPoster>> posters;
  for (int i = 0; i < 3; ++i) {
    states.push_back(std::make_shared<FakePoster::State>());
    posters.push_back(std::make_unique<FakePoster>(states.back()));
  }
  Target t;
  t.url = "http://am-0:9093/api/v2/alerts";
  t.queue_capacity = 100;
  Sender sender(t, std::move(posters), clock, std::make_unique<SeededRandom>(1));
  CHECK(sender.status().connections == 3);
  CHECK(sender.status().queue_capacity >= 100);  // split evenly, rounded up per lane
  CHECK(sender.status().queue_capacity <= 102);

  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) names.push_back("a" + std::to_string(i));
  // Three rounds of updates of the same 60 alerts (different summaries).
  for (int round = 0; round < 3; ++round) {
    std::vector<Entry> batch;
    for (const auto& n : names) {
      batch.push_back(
          makeEntry(makeAlert(n, kNow + 3600 * kSecond, "r" + std::to_string(round)), kNow));
    }
    sender.enqueue(batch);
    REQUIRE(eventually([&] { return sender.status().queue_length == 0; }));
  }
  REQUIRE(eventually([&] {
    size_t n = 0;
    for (auto& s : states) n += s->alertCount();
    return n + sender.status().coalesced == 180;
  }));
  // Every lane got work, and no alert name was ever posted on two connections.
  std::map<std::string, int> lane_of;
  for (int i = 0; i < 3; ++i) {
    std::lock_guard<std::mutex> l(states[i]->mu);
    CHECK(!states[i]->posts.empty());
    for (const auto& body : states[i]->posts) {
      for (const Posted& p : body) {
        auto [it, inserted] = lane_of.emplace(p.alertname, i);
        CHECK_MESSAGE(it->second == i, p.alertname);
      }
    }
  }
  CHECK(lane_of.size() == 60);
}

TEST_CASE("sender: the encoded form of an alert is computed once and shared") {
  Entry e = makeEntry(makeAlert("x", kNow + kSecond, "s"), kNow);
  REQUIRE(e.encoded != nullptr);
  const std::string& v2 = e.encoded->get(alert::ApiVersion::kV2, *e.alert);
  CHECK(&v2 == &e.encoded->get(alert::ApiVersion::kV2, *e.alert));
  const std::string& v1 = e.encoded->get(alert::ApiVersion::kV1, *e.alert);
  CHECK(v1 != v2);
  std::string body;
  encodeBatch(alert::ApiVersion::kV2, {e, e}, body);
  CHECK(body == alert::encode(alert::ApiVersion::kV2, {e.alert.get(), e.alert.get()}));
  Entry bare = e;
  bare.encoded = nullptr;
  std::string body1;
  encodeBatch(alert::ApiVersion::kV1, {bare}, body1);
  CHECK(body1 == "[" + v1 + "]");
}

}  // namespace
}  // namespace promha::notify
