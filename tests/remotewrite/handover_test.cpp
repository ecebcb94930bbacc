// A reload that replaces an endpoint (Forwarder::apply, Endpoint's hand-over): the POSTs in flight
// finish before the queue moves to the new endpoint, so nothing is sent twice (a Prometheus
// receiver rejects a re-sent sample as out of order); a POST to a black hole is aborted after the
// bound, so the reload does not hang.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "notify/clock.h"
#include "relabel/rule.h"
#include "remotewrite/forwarder.h"
#include "rw_test_util.h"

namespace promha::remotewrite {
namespace {

using namespace std::chrono_literals;
using namespace testing;

EndpointConfig endpointTo(const std::string& url, size_t shards) {
  EndpointConfig c;
  c.poster.http.url = url;
  c.poster.http.timeout = 5s;
  auto r = relabel::parseRulesText("- {action: labeldrop, regex: replica}\n", "test",
                                   core::NameScheme::kUtf8);
  REQUIRE(r.ok());
  c.rules = *r;
  c.shards = shards;
  c.batch_send_deadline = 10ms;
  c.min_backoff = 5ms;
  c.max_backoff = 50ms;
  return c;
}

// `series` series {__name__="m", i="<i>", replica="A"} with one sample each at `ts`.
std::string request(int series, int64_t ts) {
  pb::WriteRequest req;
  for (int i = 0; i < series; ++i) {
    addSeries(req, {{"__name__", "m"}, {"i", std::to_string(i)}, {"replica", "A"}},
              {{static_cast<double>(ts), ts}});
  }
  return snappyCompress(req.SerializeAsString());
}

struct Rig {
  explicit Rig(Forwarder::Options opts = {})
      : metrics(registry),
        fw(httpPosterFactory("promha-test"), notify::SystemClock::instance(), &metrics, nullptr,
           opts) {}

  double counter(const char* name) {
    for (const auto& f : registry.Collect()) {
      if (f.name != name) continue;
      double sum = 0;
      for (const auto& m : f.metric) sum += m.counter.value + m.gauge.value;
      return sum;
    }
    return -1;
  }

  prometheus::Registry registry;
  Metrics metrics;
  Forwarder fw;
};

// Accepts connections (the kernel completes the handshake) and never answers.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~BlackHole() {
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }
  // Waits for a client to connect and send its request (headers at least): a POST in flight.
  bool awaitRequest(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return false;
    conns_.push_back(c);
    pollfd q{c, POLLIN, 0};
    if (::poll(&q, 1, static_cast<int>(timeout.count())) != 1) return false;
    char buf[4096];
    return ::recv(c, buf, sizeof buf, 0) > 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> conns_;
};

TEST_CASE("reload while a POST is in flight to a slow storage: every sample arrives once") {
  Sink sink;
  // A slow Prometheus receiver: takes 300 ms per request, and like Prometheus's TSDB answers 400
  // "out of order sample" for a sample not newer than what it stored for the series.
  std::mutex mu;
  std::map<std::string, int64_t> newest;
  std::map<std::string, int> stored;
  sink.respond([&](const Sink::Received& r, httplib::Response& res) {
    std::this_thread::sleep_for(300ms);  // the storage's behaviour, not a synchronisation
    std::lock_guard<std::mutex> l(mu);
    for (const auto& ts : r.request.timeseries()) {
      std::string key;
      for (const auto& lb : ts.labels()) key += lb.name() + "=" + lb.value() + ",";
      for (const auto& s : ts.samples()) {
        auto it = newest.find(key);
        if (it != newest.end() && s.timestamp() <= it->second) {
          res.body = "out of order sample";
          return 400;
        }
      }
    }
    for (const auto& ts : r.request.timeseries()) {
      std::string key;
      for (const auto& lb : ts.labels()) key += lb.name() + "=" + lb.value() + ",";
      for (const auto& s : ts.samples()) {
        newest[key] = s.timestamp();
        ++stored[key];
      }
    }
    return 204;
  });
  Rig rig;
  EndpointConfig c = endpointTo(sink.url(), 2);
  REQUIRE(rig.fw.apply({c}, core::NameScheme::kUtf8) == ApplyResult{1, 0, 0, 0});
  REQUIRE(rig.fw.write(request(40, 1000), "").status == 204);
  REQUIRE(eventually([&] { return sink.attempts() >= 1; }));  // a POST is in flight

  EndpointConfig changed = c;
  changed.min_backoff = 6ms;  // any change replaces the endpoint
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(rig.fw.apply({changed}, core::NameScheme::kUtf8) == ApplyResult{0, 0, 1, 0});
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  REQUIRE(rig.fw.write(request(40, 2000), "").status == 204);

  REQUIRE(eventually([&] { return rig.counter(kSamplesForwarded) == 80; }));
  CHECK(rig.counter(kSamplesFailed) == 0);
  CHECK(rig.counter(kQueueLength) == 0);
  CHECK(sink.samples() == 80);
  std::lock_guard<std::mutex> l(mu);
  CHECK(stored.size() == 40);
  for (const auto& [key, n] : stored) {
    INFO(key);
    CHECK(n == 2);  // the samples at 1000 and 2000, each once
  }
}

TEST_CASE("reload of an endpoint whose POST hangs in a black hole returns within the bound") {
  BlackHole hole;
  Forwarder::Options opts;
  opts.handover_timeout = 300ms;  // remote_timeout is 5 s: the hand-over bound is the shorter
  Rig rig(opts);
  EndpointConfig c = endpointTo(hole.url(), 1);
  REQUIRE(rig.fw.apply({c}, core::NameScheme::kUtf8) == ApplyResult{1, 0, 0, 0});
  REQUIRE(rig.fw.write(request(10, 1000), "").status == 204);
  REQUIRE(hole.awaitRequest(5s));

  EndpointConfig changed = c;
  changed.min_backoff = 6ms;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(rig.fw.apply({changed}, core::NameScheme::kUtf8) == ApplyResult{0, 0, 1, 0});
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 250ms);
  CHECK(took < 3s);
  // The aborted batch moved to the new endpoint: queued, not lost and not failed.
  CHECK(rig.fw.status().at(0).queue_length == 10);
  CHECK(rig.counter(kSamplesFailed) == 0);
  CHECK(rig.counter(kQueueLength) == 10);
}

}  // namespace
}  // namespace promha::remotewrite
