// The per-Alertmanager accounting (sender.h): every alert enqueued ends as exactly one of sent,
// dropped, coalesced or still queued, checked exactly through failures, requeues, newer versions,
// overflow, expiry and reloads; and a reload that replaces a Sender lets its POST in flight finish
// (bounded) instead of aborting it and sending the batch again.
#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.h"
#include "notify/manager.h"
#include "notify/sender.h"
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

constexpr char kUrl[] = "http://am-0:9093/api/v2/alerts";

Target fastTarget() {
  Target t;
  t.url = kUrl;
  t.min_backoff = 1ms;
  t.max_backoff = 4ms;
  t.connections = 1;
  return t;
}

Entry version(const std::string& name, const std::string& summary,
              int64_t ends_at = kNow + 3600 * kSecond, int64_t received = kNow) {
  return makeEntry(makeAlert(name, ends_at, summary), received);
}

// The value of a per-Alertmanager series; -1 when absent.
double value(prometheus::Registry& registry, const std::string& name, const std::string& url) {
  for (const auto& f : registry.Collect()) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        if (l.name == metrics::kAlertmanagerLabel && l.value == url) {
          return m.counter.value + m.gauge.value;
        }
      }
    }
  }
  return -1;
}

struct Figures {
  double sent = 0, dropped = 0, coalesced = 0, queued = 0, errors = 0, retries = 0;
};

Figures fromMetrics(prometheus::Registry& r, const std::string& url = kUrl) {
  return Figures{value(r, metrics::kNotificationsSent, url),
                 value(r, metrics::kNotificationsDropped, url),
                 value(r, metrics::kNotificationsCoalesced, url),
                 value(r, metrics::kNotificationsQueueLength, url),
                 value(r, metrics::kNotificationsErrors, url),
                 value(r, metrics::kNotificationsRetries, url)};
}

Figures fromStatus(const SenderStatus& s) {
  return Figures{static_cast<double>(s.sent),      static_cast<double>(s.dropped),
                 static_cast<double>(s.coalesced), static_cast<double>(s.queue_length),
                 static_cast<double>(s.errors),    static_cast<double>(s.retries)};
}

// The equation of sender.h, exactly.
void checkBalance(const Figures& f, double enqueued) {
  INFO("sent " << f.sent << " dropped " << f.dropped << " coalesced " << f.coalesced << " queued "
               << f.queued << " (errors " << f.errors << ", retries " << f.retries << ")");
  CHECK(f.sent + f.dropped + f.coalesced + f.queued == enqueued);
}

struct Rig {
  prometheus::Registry registry;
  metrics::Metrics metrics{registry, metrics::BuildInfo{}};
  FakeClock clock;
  std::shared_ptr<FakePoster::State> state = std::make_shared<FakePoster::State>();
  std::unique_ptr<Sender> sender;

  explicit Rig(Target t = fastTarget(), size_t lanes = 1) {
    std::vector<std::unique_ptr<HttpPoster>> posters;
    for (size_t i = 0; i < lanes; ++i) posters.push_back(std::make_unique<FakePoster>(state));
    sender = std::make_unique<Sender>(std::move(t), std::move(posters), clock,
                                      std::make_unique<SeededRandom>(7),
                                      metrics.acquireAlertmanager(kUrl));
  }
  ~Rig() {
    sender.reset();
    metrics.releaseAlertmanager(kUrl);
  }
  SenderStatus st() const { return sender->status(); }
};

TEST_CASE("accounting: failures, requeues, newer versions, overflow and expiry balance exactly") {
  Target t = fastTarget();
  t.queue_capacity = 4;
  t.max_batch = 2;
  Rig rig(t);
  auto& s = *rig.state;
  s.held = true;
  s.script = {PostResult{500, "HTTP 500"}, PostResult{500, "HTTP 500"},
              PostResult{400, "HTTP 400"}};
  int enqueued = 0;
  auto enqueue = [&](std::vector<Entry> e) {
    enqueued += static_cast<int>(e.size());
    rig.sender->enqueue(e);
  };

  enqueue({version("a", "v1"), version("b", "v1")});  // popped: [a1 b1] in flight
  REQUIRE(eventually([&] { return s.waitingCount() == 1; }));
  enqueue({version("a", "v2"), version("c", "v1")});
  enqueue({version("a", "v3")});  // replaces a2 in the queue
  CHECK(rig.st().coalesced == 1);

  s.release();  // 500: b1 goes back; a1 is superseded by the queued a3
  REQUIRE(eventually([&] { return rig.st().errors == 2 && s.waitingCount() == 1; }));
  SenderStatus st = rig.st();  // [b1 a3] in flight, [c] queued
  CHECK(st.coalesced == 2);
  CHECK(st.retries == 1);
  CHECK(st.queue_length == 1);
  CHECK(st.sent + st.dropped + st.coalesced + st.queue_length + 2 == uint64_t(enqueued));

  enqueue({version("d", "v1"), version("e", "v1"), version("f", "v1"), version("g", "v1")});
  CHECK(rig.st().dropped == 1);  // c, the oldest, made room
  s.release();                   // 500 again, into a full queue: b1 and a3 are dropped
  REQUIRE(eventually([&] { return rig.st().errors == 4 && rig.st().dropped == 3; }));
  s.unhold();  // [d e] gets the 400 (dropped), then [f g] is accepted
  REQUIRE(eventually([&] { return rig.st().sent == 2 && rig.st().dropped == 5; }));
  // Expired by the time it is popped: dropped without a POST.
  enqueue({version("h", "v1", kNow - kSecond, kNow - 10 * kSecond)});
  REQUIRE(eventually([&] { return rig.st().dropped == 6; }));

  rig.sender->stop(5s);  // quiescent: no POST in flight
  CHECK(enqueued == 10);
  st = rig.st();
  CHECK(st.sent == 2);
  CHECK(st.dropped == 6);
  CHECK(st.coalesced == 2);
  CHECK(st.queue_length == 0);
  CHECK(st.errors == 6);  // attempts: [a1 b1], [b1 a3] and [d e]
  CHECK(st.retries == 1);
  checkBalance(fromStatus(st), enqueued);
  checkBalance(fromMetrics(rig.registry), enqueued);
}

TEST_CASE("accounting: alerts adopted from a predecessor that a newer copy supersedes") {
  Rig rig;
  rig.state->held = true;
  rig.sender->enqueue({version("busy", "v1")});
  REQUIRE(eventually([&] { return rig.state->waitingCount() == 1; }));
  rig.sender->enqueue({version("a", "v2")});
  rig.sender->adopt({version("a", "v1"), version("b", "v1")});  // older: a1 loses to a2
  CHECK(rig.st().coalesced == 1);
  CHECK(rig.st().queue_length == 2);
  rig.state->unhold();
  rig.sender->stop(5s);
  const SenderStatus st = rig.st();
  CHECK(st.sent == 3);
  checkBalance(fromStatus(st), 4);
  checkBalance(fromMetrics(rig.registry), 4);
}

TEST_CASE("accounting: balances exactly under a mix of answers from two lanes") {
  Target t = fastTarget();
  t.queue_capacity = 16;
  t.max_batch = 4;
  Rig rig(t, /*lanes=*/2);
  {
    std::lock_guard<std::mutex> l(rig.state->mu);
    const PostResult kinds[] = {{200, {}}, {500, "HTTP 500"}, {0, "connection refused"},
                                {200, {}}, {400, "HTTP 400"}, {503, "HTTP 503"}};
    for (int i = 0; i < 400; ++i) rig.state->script.push_back(kinds[(i * 7 + i / 5) % 6]);
  }
  int enqueued = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<Entry> batch;
    for (int k = 0; k < 7; ++k) {
      const int n = (round * 7 + k * 13) % 40;
      // Every 11th a version that has expired by the time it is popped.
      const bool expired = (round + k) % 11 == 0;
      batch.push_back(version("x" + std::to_string(n), "r" + std::to_string(round),
                              expired ? kNow - kSecond : kNow + 3600 * kSecond,
                              expired ? kNow - 10 * kSecond : kNow));
    }
    enqueued += static_cast<int>(batch.size());
    rig.sender->enqueue(batch);
    if (round % 50 == 0) std::this_thread::yield();
  }
  rig.sender->stop(20s);  // drains; quiescent afterwards even if the drain ran out
  const SenderStatus st = rig.st();
  CHECK(st.sent > 0);
  checkBalance(fromStatus(st), enqueued);
  checkBalance(fromMetrics(rig.registry), enqueued);
  const size_t left = rig.sender->discardQueue();
  checkBalance(fromStatus(rig.st()), enqueued);
  CHECK(rig.st().queue_length == 0);
  CHECK(rig.st().dropped == st.dropped + left);
}

// A factory that hands out the states of the posters it creates, in order.
struct Posters {
  std::mutex mu;
  std::vector<std::shared_ptr<FakePoster::State>> states;
  bool hold_first = true;
  PosterFactory factory() {
    return [this](const Target&) {
      std::lock_guard<std::mutex> l(mu);
      auto s = std::make_shared<FakePoster::State>();
      s->held = hold_first && states.empty();
      states.push_back(s);
      return std::make_unique<FakePoster>(s);
    };
  }
  std::shared_ptr<FakePoster::State> at(size_t i) {
    std::lock_guard<std::mutex> l(mu);
    return states.at(i);
  }
  size_t count() {
    std::lock_guard<std::mutex> l(mu);
    return states.size();
  }
};

std::vector<alert::Alert> versions(const std::vector<std::string>& names,
                                   const std::string& summary) {
  std::vector<alert::Alert> out;
  for (const auto& n : names) out.push_back(makeAlert(n, kNow + 3600 * kSecond, summary));
  return out;
}

TEST_CASE("hand-over: a reload lets the replaced sender's POST in flight finish") {
  prometheus::Registry registry;
  metrics::Metrics metrics(registry, metrics::BuildInfo{});
  metrics.acquireAlertmanager(kUrl);  // keeps the series readable after the manager has stopped
  FakeClock clock;
  Posters posters;  // the first poster holds each POST until released
  std::shared_ptr<FakePoster::State> old_state, new_state;
  {
    Manager m(posters.factory(), clock, &metrics);
    Target a = fastTarget();
    m.apply({{a}});
    m.send(0, versions({"x0", "x1", "x2"}, "v1"));
    old_state = posters.at(0);
    REQUIRE(eventually([&] { return old_state->waitingCount() == 1; }));  // [x0 x1 x2] in flight
    m.send(0, versions({"x0", "x3"}, "v2"));
    m.send(0, versions({"x0"}, "v3"));  // replaces the queued x0 v2

    Target a2 = a;
    a2.timeout = 9s;  // a changed target: a new Sender
    std::atomic<bool> done{false};
    std::thread reload([&] {
      CHECK(m.apply({{a2}}) == ApplyResult{0, 0, 1, 0});
      done = true;
    });
    // The reload waits for the POST in flight (up to the old target's 10 s timeout, capped at
    // kMaxHandOverWait) instead of aborting it; the old sender still queues what comes meanwhile.
    CHECK_FALSE(eventually([&] { return done.load(); }, 300ms));
    m.send(0, versions({"x1"}, "v2"));
    old_state->release();
    reload.join();
    REQUIRE(posters.count() == 2);
    new_state = posters.at(1);
    REQUIRE(eventually([&] { return new_state->alertCount() == 3; }));
    m.stop(5s);
  }
  // Each version went out exactly once: the first batch by the old sender, the rest by the new.
  REQUIRE(old_state->postCount() == 1);
  CHECK(old_state->posts[0].size() == 3);
  CHECK(new_state->alertCount() == 3);
  for (const auto& batch : new_state->posts) {
    for (const auto& p : batch) CHECK(p.summary != "v1");
  }
  const Figures f = fromMetrics(registry);
  CHECK(f.sent == 6);
  CHECK(f.errors == 0);  // nothing aborted, so nothing accepted is counted as an error
  CHECK(f.coalesced == 1);
  checkBalance(f, 7);
  metrics.releaseAlertmanager(kUrl);
}

TEST_CASE("hand-over: a POST to a black hole is aborted after the bound") {
  prometheus::Registry registry;
  metrics::Metrics metrics(registry, metrics::BuildInfo{});
  metrics.acquireAlertmanager(kUrl);
  FakeClock clock;
  Posters posters;  // the first poster never answers unless cancelled
  {
    Manager m(posters.factory(), clock, &metrics);
    Target a = fastTarget();
    a.timeout = 300ms;  // the bound: min(timeout, Manager::kMaxHandOverWait)
    m.apply({{a}});
    m.send(0, versions({"y0", "y1"}, "v1"));
    REQUIRE(eventually([&] { return posters.at(0)->waitingCount() == 1; }));
    Target a2 = a;
    a2.timeout = 400ms;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(m.apply({{a2}}) == ApplyResult{0, 0, 1, 0});
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= 250ms);
    CHECK(took < 3s);
    // The aborted batch moved to the successor, which delivers it.
    REQUIRE(eventually([&] { return posters.at(1)->alertCount() == 2; }));
    m.stop(5s);
  }
  const Figures f = fromMetrics(registry);
  CHECK(f.sent == 2);
  CHECK(f.errors == 2);  // the aborted attempt
  checkBalance(f, 2);
  metrics.releaseAlertmanager(kUrl);
}

}  // namespace
}  // namespace promha::notify
