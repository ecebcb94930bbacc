#include "notify/queue.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "notify/target.h"
#include "notify_test_util.h"

namespace promha::notify {
namespace {

using testing::kNow;
using testing::kSecond;
using testing::makeAlert;

Entry entry(const std::string& name, const std::string& summary = "", int64_t received = kNow) {
  return makeEntry(makeAlert(name, kNow + 3600 * kSecond, summary), received);
}

std::vector<std::string> names(const std::vector<Entry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.emplace_back(e.alert->labels.get("alertname"));
  return out;
}

std::vector<std::string> drain(Queue& q) {
  std::vector<Entry> batch;
  q.popBatch(batch, q.size() + 1);
  return names(batch);
}

TEST_CASE("queue: push, coalesce, drop oldest") {
  struct Row {
    const char* name;
    size_t capacity;
    std::vector<std::string> pushes;
    std::vector<std::string> want;
    size_t dropped;
  };
  const std::vector<Row> rows = {
      {"fifo order", 10, {"a", "b", "c"}, {"a", "b", "c"}, 0},
      {"coalesce keeps the first position", 10, {"a", "b", "a", "c", "b"}, {"a", "b", "c"}, 0},
      {"full drops oldest", 3, {"a", "b", "c", "d"}, {"b", "c", "d"}, 1},
      {"coalesce when full drops nothing", 3, {"a", "b", "c", "a", "c"}, {"a", "b", "c"}, 0},
      {"repeated overflow", 2, {"a", "b", "c", "d", "e"}, {"d", "e"}, 3},
      {"capacity zero acts as one", 0, {"a", "b"}, {"b"}, 1},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Queue q(row.capacity);
      for (const auto& n : row.pushes) q.push(entry(n));
      CHECK(q.droppedOldest() == row.dropped);
      CHECK(q.size() == row.want.size());
      CHECK(drain(q) == row.want);
      CHECK(q.empty());
    }
  }
}

TEST_CASE("queue: push outcomes") {
  Queue q(2);
  CHECK(q.push(entry("a")) == Queue::PushOutcome::kAdded);
  CHECK(q.push(entry("a")) == Queue::PushOutcome::kCoalesced);
  CHECK(q.push(entry("b")) == Queue::PushOutcome::kAdded);
  CHECK(q.push(entry("c")) == Queue::PushOutcome::kAddedDroppedOldest);
  CHECK(q.capacity() == 2);
}

TEST_CASE("queue: the coalesced copy is the newest one") {
  Queue q;
  q.push(entry("a", "old", kNow));
  q.push(entry("b"));
  q.push(entry("a", "new", kNow + kSecond));
  std::vector<Entry> batch;
  REQUIRE(q.popBatch(batch) == 2);
  CHECK(batch[0].alert->annotations.at(0).value == "new");
  CHECK(batch[0].received_ns == kNow + kSecond);
  // The index still works after the replacement: a third copy coalesces too.
  q.push(entry("a", "x"));
  q.push(entry("a", "y"));
  CHECK(q.size() == 1);
}

TEST_CASE("queue: label sets are compared in full, not by fingerprint alone") {
  Queue q;
  Entry a = entry("a");
  Entry b = entry("b");
  b.fingerprint = a.fingerprint;  // a forced collision
  q.push(std::move(a));
  CHECK(q.push(std::move(b)) == Queue::PushOutcome::kAdded);
  CHECK(q.size() == 2);
  Entry a2 = entry("a", "again");
  CHECK(q.push(std::move(a2)) == Queue::PushOutcome::kCoalesced);
  CHECK(drain(q) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("queue: popBatch") {
  struct Row {
    const char* name;
    size_t queued;
    size_t max;
    size_t want;
  };
  const std::vector<Row> rows = {
      {"fewer than max", 3, 256, 3},    {"exactly max", 256, 256, 256},
      {"more than max", 300, 256, 256}, {"max one", 5, 1, 1},
      {"empty queue", 0, 256, 0},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Queue q;
      for (size_t i = 0; i < row.queued; ++i) q.push(entry("a" + std::to_string(i)));
      std::vector<Entry> batch{entry("stale")};
      CHECK(q.popBatch(batch, row.max) == row.want);
      CHECK(batch.size() == row.want);
      if (row.want > 0) CHECK(batch.front().alert->labels.get("alertname") == "a0");
      CHECK(q.size() == row.queued - row.want);
      // Popped label sets are no longer queued: pushing them again adds, not coalesces.
      if (row.want > 0) CHECK(q.push(entry("a0")) != Queue::PushOutcome::kCoalesced);
    }
  }
}

TEST_CASE("queue: requeue a failed batch") {
  struct Row {
    const char* name;
    size_t capacity;
    std::vector<std::string> before;  // queued, then the first `batch` of them are popped
    size_t batch;
    std::vector<std::string> meanwhile;  // pushed while the batch is in flight
    std::vector<std::string> want;
    Queue::RequeueOutcome outcome;
  };
  const std::vector<Row> rows = {
      {"back at the front in order",
       10,
       {"a", "b", "c", "d"},
       2,
       {},
       {"a", "b", "c", "d"},
       {2, 0, 0}},
      {"ahead of newer alerts", 10, {"a", "b"}, 2, {"x", "y"}, {"a", "b", "x", "y"}, {2, 0, 0}},
      {"newer copy wins", 10, {"a", "b", "c"}, 3, {"b"}, {"a", "c", "b"}, {2, 1, 0}},
      {"full: oldest of the batch dropped",
       3,
       {"a", "b", "c"},
       3,
       {"x", "y"},
       {"c", "x", "y"},
       {1, 0, 2}},
      {"full of newer alerts: all dropped", 2, {"a", "b"}, 2, {"x", "y"}, {"x", "y"}, {0, 0, 2}},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Queue q(row.capacity);
      for (const auto& n : row.before) q.push(entry(n, "old"));
      std::vector<Entry> batch;
      q.popBatch(batch, row.batch);
      for (const auto& n : row.meanwhile) q.push(entry(n, "new"));
      const Queue::RequeueOutcome r = q.requeue(batch);
      CHECK(batch.empty());
      CHECK(r.requeued == row.outcome.requeued);
      CHECK(r.superseded == row.outcome.superseded);
      CHECK(r.dropped == row.outcome.dropped);
      std::vector<Entry> all;
      q.popBatch(all, 100);
      CHECK(names(all) == row.want);
      for (const auto& e : all) {
        const bool newer = std::find(row.meanwhile.begin(), row.meanwhile.end(),
                                     e.alert->labels.get("alertname")) != row.meanwhile.end();
        CHECK(e.alert->annotations.at(0).value == (newer ? "new" : "old"));
      }
    }
  }
}

TEST_CASE("queue: requeued entries coalesce with later pushes") {
  Queue q;
  q.push(entry("a", "v1"));
  std::vector<Entry> batch;
  q.popBatch(batch);
  q.requeue(batch);
  CHECK(q.push(entry("a", "v2")) == Queue::PushOutcome::kCoalesced);
  q.popBatch(batch);
  REQUIRE(batch.size() == 1);
  CHECK(batch[0].alert->annotations.at(0).value == "v2");
}

TEST_CASE("queue: takeAll") {
  Queue q;
  for (const char* n : {"a", "b", "c"}) q.push(entry(n));
  CHECK(names(q.takeAll()) == std::vector<std::string>{"a", "b", "c"});
  CHECK(q.empty());
  CHECK(q.push(entry("a")) == Queue::PushOutcome::kAdded);
}

TEST_CASE("queue: validity of an entry") {
  constexpr int64_t kResolve = 300 * kSecond;
  struct Row {
    const char* name;
    int64_t ends_at;
    int64_t want;
  };
  const std::vector<Row> rows = {
      {"firing: until endsAt", kNow + 240 * kSecond, kNow + 240 * kSecond},
      {"no endsAt: resolve_timeout from receipt", 0, kNow + kResolve},
      {"resolved on receipt: resolve_timeout from receipt", kNow - kSecond, kNow + kResolve},
      {"endsAt exactly at receipt counts as resolved", kNow, kNow + kResolve},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Entry e = makeEntry(makeAlert("a", row.ends_at), kNow);
      CHECK(validUntilNs(e, kResolve) == row.want);
    }
  }
}

TEST_CASE("queue: many entries stay consistent") {
  Queue q(1000);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 1500; ++i) q.push(entry("a" + std::to_string((i * 7 + round) % 1300)));
  }
  CHECK(q.size() == 1000);
  std::vector<Entry> batch;
  size_t total = 0;
  std::set<std::string> seen;
  while (q.popBatch(batch, 256) > 0) {
    total += batch.size();
    for (const auto& n : names(batch)) CHECK(seen.insert(n).second);
  }
  CHECK(total == 1000);
}

TEST_CASE("target: splitUrl") {
  struct Row {
    const char* name;
    const char* url;
    bool ok;
    UrlParts want;
  };
  const std::vector<Row> rows = {
      {"http with port and path",
       "http://127.0.0.1:9093/api/v2/alerts",
       true,
       {"http", "127.0.0.1", 9093, "/api/v2/alerts"}},
      {"https default port",
       "https://am.example.org/api/v1/alerts",
       true,
       {"https", "am.example.org", 443, "/api/v1/alerts"}},
      {"http default port, no path", "http://am", true, {"http", "am", 80, "/"}},
      {"ipv6 literal", "http://[::1]:9093/x", true, {"http", "::1", 9093, "/x"}},
      {"query only", "http://am:1?x=1", true, {"http", "am", 1, "/?x=1"}},
      {"no scheme", "am:9093/api", false, {}},
      {"other scheme", "ftp://am/x", false, {}},
      {"empty host", "http://:9093/x", false, {}},
      {"bad port", "http://am:99999/x", false, {}},
      {"non-numeric port", "http://am:abc/x", false, {}},
      {"userinfo", "http://u:p@am/x", false, {}},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const auto got = splitUrl(row.url);
      REQUIRE(got.has_value() == row.ok);
      if (row.ok) CHECK(*got == row.want);
    }
  }
  CHECK(splitUrl("http://[::1]:9093/x")->schemeHostPort() == "http://[::1]:9093");
  CHECK(splitUrl("http://am/x")->schemeHostPort() == "http://am:80");
}

TEST_CASE("target: equality covers every field") {
  Target base;
  base.url = "http://am:9093/api/v2/alerts";
  std::vector<Target> changed(9, base);
  changed[0].url = "http://am:9094/api/v2/alerts";
  changed[1].api = alert::ApiVersion::kV1;
  changed[2].timeout = std::chrono::seconds(3);
  changed[3].basic_auth = BasicAuth{"u", "p"};
  changed[4].bearer_token = "t";
  changed[5].tls.insecure_skip_verify = true;
  changed[6].queue_capacity = 5;
  changed[7].max_batch = 64;
  changed[8].max_backoff = std::chrono::seconds(1);
  Target same;
  same.url = base.url;
  CHECK(base == same);
  for (size_t i = 0; i < changed.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(base == changed[i]);
  }
}

}  // namespace
}  // namespace promha::notify
