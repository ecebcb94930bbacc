// The forwarder against real HTTP storage stand-ins on 127.0.0.1 (rw_test_util.h's Sink, which
// decodes what it receives with the reference protobuf classes and injects faults on demand).
#include "remotewrite/forwarder.h"

#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "notify/clock.h"
#include "relabel/rule.h"
#include "rw_test_util.h"

namespace promha::remotewrite {
namespace {

using namespace std::chrono_literals;
using namespace testing;

std::vector<relabel::Rule> rules(const std::string& yaml) {
  auto r = relabel::parseRulesText(yaml, "test", core::NameScheme::kUtf8);
  REQUIRE_MESSAGE(r.ok(), r.error().str());
  return *r;
}

const char kDropReplica[] = "- {action: labeldrop, regex: replica}\n";

EndpointConfig endpoint(const std::string& url, size_t shards = 2) {
  EndpointConfig c;
  c.poster.http.url = url;
  c.poster.http.timeout = 5s;
  c.rules = rules(kDropReplica);
  c.shards = shards;
  c.batch_send_deadline = 20ms;
  c.min_backoff = 5ms;
  c.max_backoff = 50ms;
  return c;
}

// A forwarder with metrics on its own registry and logs kept in memory.
struct Rig {
  explicit Rig(Forwarder::Options opts = {})
      : metrics(registry),
        log(log_out, log::Logger::Level::kDebug, log::Logger::Format::kLogfmt),
        fw(httpPosterFactory("promha-test"), notify::SystemClock::instance(), &metrics, &log,
           opts) {}

  bool hasSeries(const char* name, const std::string& url) {
    for (const auto& f : registry.Collect()) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        for (const auto& l : m.label) {
          if (l.name == "url" && l.value == url) return true;
        }
      }
    }
    return false;
  }

  double counter(const char* name, const std::string& url = "") {
    for (const auto& f : registry.Collect()) {
      if (f.name != name) continue;
      double sum = 0;
      for (const auto& m : f.metric) {
        bool match = url.empty();
        for (const auto& l : m.label) match = match || (l.name == "url" && l.value == url);
        if (match) sum += m.counter.value + m.gauge.value;
      }
      return sum;
    }
    return -1;
  }

  prometheus::Registry registry;
  Metrics metrics;
  std::ostringstream log_out;
  log::Logger log;
  Forwarder fw;
};

// A request of `series` series with one sample each at `ts`; series i has labels
// {__name__="m", i="<i>", replica="A"}.
std::string request(int series, int64_t ts, int first = 0) {
  pb::WriteRequest req;
  for (int i = first; i < first + series; ++i) {
    addSeries(req, {{"__name__", "m"}, {"i", std::to_string(i)}, {"replica", "A"}},
              {{static_cast<double>(ts), ts}});
  }
  return snappyCompress(req.SerializeAsString());
}

std::string labelsKey(const pb::TimeSeries& ts) {
  std::string k;
  for (const auto& l : ts.labels()) k += l.name() + "=" + l.value() + ",";
  return k;
}

TEST_CASE("a Prometheus request is forwarded with the replica label dropped, as Prometheus sends") {
  Sink sink;
  Rig rig;
  rig.fw.apply({endpoint(sink.url())}, core::NameScheme::kUtf8);
  const std::string body = fixture("remote-write-2.42/rw-0001.body");
  const WriteResult r = rig.fw.write(body, "snappy");
  REQUIRE_MESSAGE(r.status == 204, r.message);
  REQUIRE(eventually([&] { return sink.samples() == 498; }));

  // Every input series arrives once, without `replica`, its other fields bit for bit.
  const pb::WriteRequest in = parse(snappyUncompress(body));
  std::map<std::string, std::string> want;
  for (const auto& ts : in.timeseries()) {
    pb::TimeSeries copy = ts;
    copy.clear_labels();
    std::string key;
    for (const auto& l : ts.labels()) {
      if (l.name() != "replica") key += l.name() + "=" + l.value() + ",";
    }
    want[key + (ts.exemplars_size() ? "#exemplar" : "")] = copy.SerializeAsString();
  }
  std::map<std::string, std::string> got;
  for (const auto& rcv : sink.received()) {
    CHECK(rcv.content_encoding == "snappy");
    CHECK(rcv.content_type == "application/x-protobuf");
    CHECK(rcv.version == "0.1.0");
    CHECK(rcv.user_agent == "promha-test");
    CHECK(rcv.request.metadata_size() == 0);
    for (const auto& ts : rcv.request.timeseries()) {
      for (const auto& l : ts.labels()) CHECK(l.name() != "replica");
      pb::TimeSeries copy = ts;
      copy.clear_labels();
      const std::string key = labelsKey(ts) + (ts.exemplars_size() ? "#exemplar" : "");
      CHECK_MESSAGE(got.count(key) == 0, "series forwarded twice: " << key);
      got[key] = copy.SerializeAsString();
    }
  }
  CHECK(got.size() == 500);
  CHECK(got == want);
  CHECK(rig.counter(kSamplesReceived) == 498);
  // Counters move when the storage's answer is back, just after the sink recorded the request.
  CHECK(eventually([&] { return rig.counter(kSamplesForwarded, sink.url()) == 498; }));
  CHECK(rig.counter(kSamplesFailed, sink.url()) == 0);
  CHECK(eventually([&] { return rig.counter(kQueueLength, sink.url()) == 0; }));
}

TEST_CASE("the user's headers and credentials go with every send") {
  Sink sink;
  Rig rig;
  EndpointConfig c = endpoint(sink.url(), 1);
  c.poster.headers = {{"X-Scope-OrgID", "team-a"}};
  c.poster.http.basic_auth = notify::BasicAuth{"promha", "s3cret"};
  rig.fw.apply({c}, core::NameScheme::kUtf8);
  REQUIRE(rig.fw.write(request(3, 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 3; }));
  const auto r = sink.received().at(0);
  CHECK(r.org_id == "team-a");
  CHECK(r.authorization == "Basic cHJvbWhhOnMzY3JldA==");  // base64("promha:s3cret")
}

TEST_CASE("staleness markers, exemplars, metadata and native histograms reach the storage") {
  Sink sink;
  Rig rig;
  rig.fw.apply({endpoint(sink.url(), 3)}, core::NameScheme::kUtf8);
  REQUIRE(rig.fw.write(fixture("remote-write-2.42/stale/rw-stale.body"), "snappy").status == 204);
  REQUIRE(rig.fw.write(fixture("remote-write-2.42/rw-0002.body"), "").status == 204);
  pb::WriteRequest h;
  addSeries(h, {{"__name__", "hist"}, {"replica", "A"}}, {});
  pb::Histogram* hist = h.mutable_timeseries(0)->add_histograms();
  hist->set_count_float(2.5);
  hist->add_positive_counts(2.5);
  hist->set_timestamp(1234);
  REQUIRE(rig.fw.write(snappyCompress(h.SerializeAsString()), "snappy").status == 204);

  REQUIRE(eventually([&] {
    size_t metadata = 0, series = 0;
    for (const auto& r : sink.received()) {
      metadata += r.request.metadata_size();
      series += r.request.timeseries_size();
    }
    return metadata == 266 && series == 17;
  }));
  size_t stale = 0, histograms = 0;
  for (const auto& r : sink.received()) {
    for (const auto& ts : r.request.timeseries()) {
      for (const auto& s : ts.samples()) stale += bits(s.value()) == kStaleNaN;
      for (const auto& hh : ts.histograms()) {
        ++histograms;
        CHECK(hh.SerializeAsString() == hist->SerializeAsString());
      }
    }
  }
  CHECK(stale == 6);  // every series of the target that went away
  CHECK(histograms == 1);
}

TEST_CASE("batches hold at most max_samples_per_send and each series stays in order") {
  Sink sink;
  Rig rig;
  EndpointConfig c = endpoint(sink.url(), 4);
  c.max_samples_per_send = 50;
  rig.fw.apply({c}, core::NameScheme::kUtf8);
  for (int64_t t = 1; t <= 20; ++t) REQUIRE(rig.fw.write(request(200, t * 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 4000; }));
  std::map<std::string, int64_t> last;
  size_t requests = 0;
  for (const auto& r : sink.received()) {
    ++requests;
    CHECK(r.request.timeseries_size() <= 50);
    for (const auto& ts : r.request.timeseries()) {
      const std::string key = labelsKey(ts);
      const int64_t t = ts.samples(0).timestamp();
      CHECK_MESSAGE(t > last[key], key << " went back from " << last[key] << " to " << t);
      last[key] = t;
    }
  }
  CHECK(last.size() == 200);
  CHECK(requests >= 80);
}

TEST_CASE("5xx and connection errors are retried until the storage takes the batch") {
  Sink sink;
  Rig rig;
  rig.fw.apply({endpoint(sink.url(), 1)}, core::NameScheme::kUtf8);
  std::atomic<int> failures{3};
  sink.respond(
      [&](const Sink::Received&, httplib::Response&) { return failures-- > 0 ? 500 : 204; });
  REQUIRE(rig.fw.write(request(10, 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 10; }));
  CHECK(sink.attempts() == 4);
  CHECK(rig.counter(kRetries, sink.url()) == 30);

  // The storage goes away (connection refused) and comes back on the same port.
  const int port = sink.port();
  sink.stop();
  REQUIRE(rig.fw.write(request(10, 2000), "").status == 204);
  REQUIRE(eventually([&] { return rig.fw.status()[0].backoff_attempt >= 2; }));
  sink.start(port);
  REQUIRE(eventually([&] { return sink.samples() == 20; }));
  CHECK(rig.counter(kSamplesFailed, sink.url()) == 0);
  CHECK(eventually([&] { return rig.fw.status()[0].last_forwarded_timestamp_ms == 2000; }));
}

TEST_CASE("a full queue answers 503, all or nothing across endpoints, and nothing is lost") {
  Sink healthy, down;
  Rig rig;
  EndpointConfig a = endpoint(healthy.url(), 1);
  EndpointConfig b = endpoint(down.url(), 1);
  b.capacity_per_shard = 100;
  rig.fw.apply({a, b}, core::NameScheme::kUtf8);
  down.respond([](const Sink::Received&, httplib::Response&) { return 503; });

  REQUIRE(rig.fw.write(request(60, 1000, 0), "").status == 204);
  const WriteResult full = rig.fw.write(request(60, 1000, 100), "");
  CHECK(full.status == 503);
  CHECK(full.message.find("is full") != std::string::npos);
  REQUIRE(rig.fw.write(request(30, 1000, 200), "").status == 204);
  REQUIRE(rig.fw.write(request(10, 1000, 300), "").status == 204);  // exactly full: 100 of 100
  // A full queue refuses before decoding: not even a malformed body costs any work.
  CHECK(rig.fw.write("junk", "").status == 503);
  // The healthy endpoint got the accepted requests and never a refused one.
  REQUIRE(eventually([&] { return healthy.samples() == 100; }));
  CHECK(rig.counter(kRequestsRejected, down.url()) == 2);
  CHECK(rig.counter(kRequestsRejected, healthy.url()) == 0);

  down.respond(nullptr);  // the storage recovers: the queue drains, then the retry is accepted
  REQUIRE(eventually([&] { return down.samples() == 100; }));
  REQUIRE(eventually([&] { return rig.fw.status()[1].queue_length == 0; }));
  REQUIRE(rig.fw.write(request(60, 1000, 100), "").status == 204);
  REQUIRE(eventually([&] { return down.samples() == 160 && healthy.samples() == 160; }));
  CHECK(rig.counter(kSamplesReceived) == 160);  // the refused request counts once, when accepted
  CHECK(rig.counter(kSamplesFailed) == 0);
}

TEST_CASE("a request larger than the whole queue is accepted into an empty queue") {
  Sink sink;
  Rig rig;
  EndpointConfig c = endpoint(sink.url(), 1);
  c.capacity_per_shard = 10;
  rig.fw.apply({c}, core::NameScheme::kUtf8);
  REQUIRE(rig.fw.write(request(50, 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 50; }));
}

TEST_CASE("429 and 400 from the storage") {
  Sink sink;
  Rig rig;
  SUBCASE("429 without retry_on_http_429 drops the batch, as Prometheus does") {
    rig.fw.apply({endpoint(sink.url(), 1)}, core::NameScheme::kUtf8);
    sink.respond([](const Sink::Received&, httplib::Response&) { return 429; });
    REQUIRE(rig.fw.write(request(5, 1000), "").status == 204);
    REQUIRE(eventually([&] { return rig.counter(kSamplesFailed, sink.url()) == 5; }));
    CHECK(sink.attempts() == 1);
  }
  SUBCASE("429 with retry_on_http_429 waits for Retry-After") {
    EndpointConfig c = endpoint(sink.url(), 1);
    c.retry_on_http_429 = true;
    rig.fw.apply({c}, core::NameScheme::kUtf8);
    std::atomic<int> calls{0};
    sink.respond([&](const Sink::Received&, httplib::Response& res) {
      if (calls++ > 0) return 204;
      res.set_header("Retry-After", "1");
      return 429;
    });
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(rig.fw.write(request(5, 1000), "").status == 204);
    REQUIRE(eventually([&] { return sink.samples() == 5; }));
    CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
    CHECK(rig.counter(kSamplesFailed, sink.url()) == 0);
  }
  SUBCASE("400 is permanent") {
    rig.fw.apply({endpoint(sink.url(), 1)}, core::NameScheme::kUtf8);
    sink.respond([](const Sink::Received&, httplib::Response&) { return 400; });
    REQUIRE(rig.fw.write(request(5, 1000), "").status == 204);
    REQUIRE(eventually([&] { return rig.counter(kSamplesFailed, sink.url()) == 5; }));
    rig.fw.stop();  // the sender logs after counting: read the log once it has stopped
    CHECK(rig.log_out.str().find("Non-recoverable error") != std::string::npos);
  }
}

TEST_CASE("bad requests are answered 400, 413 or 415 with the reason") {
  Sink sink;
  Forwarder::Options opts;
  opts.max_decoded_bytes = 100000;
  Rig rig(opts);
  rig.fw.apply({endpoint(sink.url())}, core::NameScheme::kUtf8);
  const std::string good = fixture("remote-write-2.42/rw-0001.body");  // 81688 bytes decoded
  struct Row {
    const char* name;
    std::string body;
    std::string encoding;
    int status;
    const char* message;
  };
  std::string lying;
  appendVarint(lying, 200000);
  lying += "\x00";
  pb::WriteRequest unsorted;
  addSeries(unsorted, {{"job", "x"}, {"__name__", "up"}}, {{1, 1}});
  const Row rows[] = {
      {"gzip", good, "gzip", 415, "unsupported Content-Encoding \"gzip\""},
      {"not snappy", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "snappy", 400,
       "snappy: invalid snappy block: bad length header"},
      {"truncated snappy", good.substr(0, 1000), "snappy", 400, "snappy: corrupt input"},
      {"length header over the limit", lying, "snappy", 413,
       "decompressed body of 200000 bytes exceeds the limit of 100000 bytes"},
      {"garbage protobuf", snappyCompress("\x0a\x10\x0a"), "snappy", 400,
       "timeseries[0]: truncated or malformed protobuf"},
      {"unsorted labels", snappyCompress(unsorted.SerializeAsString()), "snappy", 400,
       "timeseries[0]: labels are not sorted by name: \"__name__\" after \"job\""},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const WriteResult r = rig.fw.write(row.body, row.encoding);
      CHECK(r.status == row.status);
      CHECK_MESSAGE(r.message.find(row.message) != std::string::npos, r.message);
      CHECK(rig.counter(kSamplesReceived) == 0);
    }
  }
  SUBCASE("a valid request under the limit passes") {
    CHECK(rig.fw.write(good, "SNAPPY").status == 204);
    CHECK(rig.fw.write(good, "snappy", "application/x-protobuf").status == 204);
    CHECK(rig.fw.write(good, "snappy", "application/x-protobuf;proto=prometheus.WriteRequest")
              .status == 204);
  }
  SUBCASE("remote write 2.0 is not taken") {
    const WriteResult r =
        rig.fw.write(good, "snappy", "application/x-protobuf;proto=io.prometheus.write.v2.Request");
    CHECK(r.status == 415);
    CHECK(r.message ==
          "unsupported protobuf message \"io.prometheus.write.v2.Request\": promha takes remote "
          "write 1.0 (prometheus.WriteRequest)");
  }
}

TEST_CASE("without endpoints promha answers 503: accepting would lose the samples") {
  Rig rig;
  rig.fw.apply({}, core::NameScheme::kUtf8);
  const WriteResult r = rig.fw.write(request(3, 1000), "");
  CHECK(r.status == 503);
  CHECK(r.message == "no remote_write endpoints are configured");
  CHECK(rig.fw.write("junk", "").status == 400);  // bad input is still bad input
}

class TestGate final : public Gate {
 public:
  GateDecision begin() override {
    ++begun;
    return GateDecision{leader.load(), newer_than.load()};
  }
  void observe(std::string_view body, const DecodeStats& stats, GateDecision& d) override {
    std::lock_guard<std::mutex> l(mu);
    bodies.emplace_back(body);
    samples += stats.samples;
    if (!d.forward && take_over_now.load()) d.forward = true;
  }
  void end(const GateDecision&) override { ++ended; }
  std::atomic<bool> leader{false};
  std::atomic<bool> take_over_now{false};
  std::atomic<int64_t> newer_than{std::numeric_limits<int64_t>::min()};
  std::atomic<int> begun{0};
  std::atomic<int> ended{0};
  std::mutex mu;
  std::vector<std::string> bodies;
  uint64_t samples = 0;
};

// The timestamps the sink received, over every request.
std::vector<int64_t> receivedTimestamps(Sink& sink) {
  std::vector<int64_t> out;
  for (const auto& r : sink.received()) {
    for (const auto& ts : r.request.timeseries()) {
      for (const auto& smp : ts.samples()) out.push_back(smp.timestamp());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("the HA gate: a follower accepts and discards, a takeover replays") {
  Sink sink;
  Rig rig;
  TestGate gate;
  rig.fw.apply({endpoint(sink.url())}, core::NameScheme::kUtf8);
  rig.fw.setGate(&gate);
  REQUIRE(rig.fw.write(request(7, 1000), "").status == 204);
  CHECK(rig.fw.write("junk", "").status == 400);
  CHECK(rig.counter(kSamplesDeduplicated) == 7);
  CHECK(gate.samples == 7);
  REQUIRE(gate.bodies.size() == 1);
  CHECK(gate.begun == 2);
  CHECK(gate.ended == 2);  // also for the rejected request
  gate.leader = true;
  REQUIRE(rig.fw.write(request(3, 2000, 100), "").status == 204);
  REQUIRE(rig.fw.replay(gate.bodies[0]).status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 10; }));
  CHECK(rig.counter(kSamplesDeduplicated) == 7);
  // Received once (7 + 3); the replayed 7 were counted as deduplicated when they arrived.
  CHECK(rig.counter(kSamplesReceived) == 10);
  CHECK(rig.counter(kSamplesReplayed) == 7);
  CHECK(rig.counter(kRequests) == 3);  // the replay is not a request from Prometheus
  rig.fw.setGate(nullptr);
}

TEST_CASE("after a takeover only samples newer than the previous leader's are forwarded") {
  Sink sink;
  Rig rig;
  TestGate gate;
  rig.fw.apply({endpoint(sink.url())}, core::NameScheme::kUtf8);
  rig.fw.setGate(&gate);
  // Buffered while a follower: one series with samples at 1000..5000, another with 1000 only.
  pb::WriteRequest req;
  addSeries(req, {{"__name__", "m"}, {"i", "0"}, {"replica", "B"}},
            {{1, 1000}, {2, 2000}, {3, 3000}, {4, 4000}, {5, 5000}});
  addSeries(req, {{"__name__", "m"}, {"i", "1"}, {"replica", "B"}}, {{1, 1000}});
  const std::string body = snappyCompress(req.SerializeAsString());
  REQUIRE(rig.fw.write(body, "").status == 204);
  CHECK(rig.counter(kSamplesDeduplicated) == 6);

  // The leader had forwarded up to 3000: the replay sends 4000 and 5000 only, and leaves out
  // the series whose every sample is covered.
  REQUIRE(rig.fw.replay(gate.bodies[0], 3000).status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 2; }));
  CHECK(receivedTimestamps(sink) == std::vector<int64_t>{4000, 5000});
  CHECK(rig.counter(kSamplesReplayed) == 2);
  for (const auto& r : sink.received()) CHECK(r.request.timeseries_size() == 1);

  // Live requests after the takeover are filtered the same way, and what is left out is counted
  // as deduplicated.
  gate.leader = true;
  gate.newer_than = 5500;
  pb::WriteRequest live;
  addSeries(live, {{"__name__", "m"}, {"i", "0"}, {"replica", "B"}}, {{5, 5000}, {6, 6000}});
  REQUIRE(rig.fw.write(snappyCompress(live.SerializeAsString()), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 3; }));
  CHECK(receivedTimestamps(sink) == std::vector<int64_t>{4000, 5000, 6000});
  CHECK(rig.counter(kSamplesDeduplicated) == 7);
  CHECK(rig.counter(kSamplesReceived) == 8);
  rig.fw.setGate(nullptr);
}

TEST_CASE("a request begun as a follower is forwarded when the replica took over meanwhile") {
  Sink sink;
  Rig rig;
  TestGate gate;
  rig.fw.apply({endpoint(sink.url())}, core::NameScheme::kUtf8);
  rig.fw.setGate(&gate);
  gate.take_over_now = true;  // observe() answers: forward it after all
  REQUIRE(rig.fw.write(request(4, 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.samples() == 4; }));
  CHECK(rig.counter(kSamplesDeduplicated) == 0);
  CHECK(rig.counter(kSamplesReceived) == 4);
  rig.fw.setGate(nullptr);
}

TEST_CASE("reload keeps unchanged queues, hands changed ones over and drains removed ones") {
  Sink sink;
  const int port = sink.port();
  sink.stop();  // the storage is down: everything stays queued
  Rig rig;
  EndpointConfig c = endpoint(sink.url(), 2);
  CHECK(rig.fw.apply({c}, core::NameScheme::kUtf8) == ApplyResult{1, 0, 0, 0});
  REQUIRE(rig.fw.write(request(40, 1000), "").status == 204);
  REQUIRE(eventually([&] { return rig.fw.status()[0].backoff_attempt >= 1; }));
  CHECK(rig.fw.apply({c}, core::NameScheme::kUtf8) == ApplyResult{0, 1, 0, 0});
  CHECK(rig.fw.status()[0].queue_length == 40);

  // New rules and shard count: the new endpoint takes over the 40 queued samples, in front.
  EndpointConfig changed = c;
  changed.shards = 3;
  changed.rules = rules(std::string(kDropReplica) + "- {target_label: stage, replacement: two}\n");
  CHECK(rig.fw.apply({changed}, core::NameScheme::kUtf8) == ApplyResult{0, 0, 1, 0});
  CHECK(rig.fw.status()[0].queue_length == 40);
  CHECK(rig.counter(kQueueLength, c.url()) == 40);
  REQUIRE(rig.fw.write(request(10, 2000, 100), "").status == 204);
  sink.start(port);
  REQUIRE(eventually([&] { return sink.samples() == 50; }));
  size_t staged = 0;
  for (const auto& r : sink.received()) {
    for (const auto& ts : r.request.timeseries()) {
      staged += labelsKey(ts).find("stage=two") != std::string::npos;
    }
  }
  CHECK(staged == 10);  // queued data keeps the rules it was accepted with

  // Removed: it may still deliver what it holds, then its series go.
  CHECK(rig.fw.apply({}, core::NameScheme::kUtf8) == ApplyResult{0, 0, 0, 1});
  REQUIRE(eventually([&] { return !rig.hasSeries(kQueueLength, c.url()); }));
  CHECK(rig.fw.write(request(1, 3000), "").status == 503);
}

TEST_CASE("stop drains the queues, and counts what could not be delivered") {
  Sink sink;
  Rig rig;
  EndpointConfig c = endpoint(sink.url(), 2);
  c.batch_send_deadline = 1h;  // only the drain sends the open batches
  rig.fw.apply({c}, core::NameScheme::kUtf8);
  REQUIRE(rig.fw.write(request(25, 1000), "").status == 204);
  rig.fw.stop(5s);
  CHECK(sink.samples() == 25);
  CHECK(rig.fw.write(request(1, 1000), "").status == 503);

  Sink dead;
  Rig rig2;
  rig2.fw.apply({endpoint(dead.url(), 1)}, core::NameScheme::kUtf8);
  dead.respond([](const Sink::Received&, httplib::Response&) { return 500; });
  REQUIRE(rig2.fw.write(request(5, 1000), "").status == 204);
  rig2.fw.stop(200ms);
  CHECK(rig2.log_out.str().find("still queued at shutdown are lost") != std::string::npos);
}

TEST_CASE("ten concurrent writers, like Prometheus's shards after an outage") {
  Sink sink;
  Rig rig;
  rig.fw.apply({endpoint(sink.url(), 4)}, core::NameScheme::kUtf8);
  std::vector<std::thread> shards;
  std::atomic<int> accepted{0};
  for (int s = 0; s < 10; ++s) {
    shards.emplace_back([&, s] {
      for (int k = 0; k < 20; ++k) {
        if (rig.fw.write(request(50, 1000 + k, s * 50), "").status == 204) ++accepted;
      }
    });
  }
  for (auto& t : shards) t.join();
  CHECK(accepted == 200);
  REQUIRE(eventually([&] { return sink.samples() == 10000; }));
  // The counter moves when the storage's answer is back, just after the sink recorded.
  CHECK(eventually([&] { return rig.counter(kSamplesForwarded, sink.url()) == 10000; }));
  const auto j = rig.fw.statusJson();
  CHECK(j["receivedSamples"] == 10000);
  CHECK(j["endpoints"][0]["url"] == sink.url());
  CHECK(j["endpoints"][0]["forwardedSamples"] == 10000);
  CHECK(j["endpoints"][0]["state"] == "up");
}

TEST_CASE("Retry-After: seconds or an HTTP-date") {
  const int64_t now = 1'767'225'600LL * 1'000'000'000;  // 2026-01-01T00:00:00Z
  CHECK(parseRetryAfter("3", now) == std::chrono::nanoseconds(3s));
  CHECK(parseRetryAfter(" 0 ", now) == std::chrono::nanoseconds(0));
  CHECK(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now) == std::chrono::nanoseconds(10s));
  CHECK(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now) == std::chrono::nanoseconds(0));
  CHECK_FALSE(parseRetryAfter("", now).has_value());
  CHECK_FALSE(parseRetryAfter("-1", now).has_value());
  CHECK_FALSE(parseRetryAfter("soon", now).has_value());
}

}  // namespace
}  // namespace promha::remotewrite

namespace promha::remotewrite {
namespace {

TEST_CASE("a remote_write config entry becomes an endpoint") {
  core::Diagnostics diag("promha.yml");
  auto cfg = config::loadString(R"(
remote_write:
  - url: https://mimir/api/v1/push
    name: mimir
    remote_timeout: 7s
    headers: {X-Scope-OrgID: team-a}
    write_relabel_configs: [{action: labeldrop, regex: replica}]
    queue_config: {capacity: 300, max_shards: 3, max_samples_per_send: 100,
                   batch_send_deadline: 2s, min_backoff: 10ms, max_backoff: 1s,
                   retry_on_http_429: true}
)",
                                {}, diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  notify::Target http;
  http.bearer_token = "token-read-from-its-file";
  const EndpointConfig c = endpointConfigOf(cfg->remote_write[0], http);
  CHECK(c.url() == "https://mimir/api/v1/push");
  CHECK(c.name == "mimir");
  CHECK(c.poster.http.timeout == std::chrono::seconds(7));
  CHECK(c.poster.http.bearer_token == "token-read-from-its-file");
  CHECK(c.poster.headers == std::map<std::string, std::string>{{"X-Scope-OrgID", "team-a"}});
  CHECK(c.rules == cfg->remote_write[0].write_relabel_configs);
  CHECK(c.capacity_per_shard == 300);
  CHECK(c.shards == 3);
  CHECK(c.max_samples_per_send == 100);
  CHECK(c.batch_send_deadline == std::chrono::seconds(2));
  CHECK(c.min_backoff == std::chrono::milliseconds(10));
  CHECK(c.max_backoff == std::chrono::seconds(1));
  CHECK(c.retry_on_http_429);
}

}  // namespace
}  // namespace promha::remotewrite
