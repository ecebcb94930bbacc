// The production poster against real sockets on 127.0.0.1: an httplib sink, and a black hole that
// accepts connections (in the kernel backlog) and never answers.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "notify/manager.h"
#include "notify_test_util.h"

namespace promha::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

// An Alertmanager stand-in: counts every alert it receives by alertname.
class Sink {
 public:
  explicit Sink(int status = 200) {
    server_.Post("/api/v2/alerts",
                 [this, status](const httplib::Request& req, httplib::Response& res) {
                   const auto body = nlohmann::json::parse(req.body);
                   std::lock_guard<std::mutex> l(mu_);
                   ++requests_;
                   auth_ = req.get_header_value("Authorization");
                   content_type_ = req.get_header_value("Content-Type");
                   for (const auto& a : body)
                     ++seen_[a.at("labels").at("alertname").get<std::string>()];
                   res.status = status;
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing before the accept loop runs; wait for it so that the
    // destructor cannot hang.
    REQUIRE(eventually([this] { return server_.is_running(); }));
  }
  ~Sink() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v2/alerts"; }
  size_t distinct() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_.size();
  }
  std::map<std::string, int> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  int requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> l(mu_);
    return auth_;
  }
  std::string contentType() {
    std::lock_guard<std::mutex> l(mu_);
    return content_type_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> seen_;
  int requests_ = 0;
  std::string auth_;
  std::string content_type_;
};

// Listens and never accepts or answers: connects succeed, requests hang until the time-out.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v2/alerts"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::vector<alert::Alert> alertRange(int from, int to) {
  std::vector<alert::Alert> out;
  for (int i = from; i < to; ++i) out.push_back(testing::makeAlert("a" + std::to_string(i)));
  return out;
}

Target httpTarget(const std::string& url) {
  Target t;
  t.url = url;
  t.min_backoff = 10ms;
  t.max_backoff = 100ms;
  return t;
}

TEST_CASE("http: 10,000 alerts reach a real sink exactly once") {
  Sink sink;
  Manager m(httplibPosterFactory(), SystemClock::instance());
  Target t = httpTarget(sink.url());
  t.bearer_token = "s3cret";
  m.apply({{t}});
  for (int i = 0; i < 10000; i += 100) m.send(0, alertRange(i, i + 100));
  REQUIRE(eventually([&] { return m.status().at(0).sender.sent == 10000; }, 60s));
  const auto seen = sink.seen();
  CHECK(seen.size() == 10000);
  int duplicates = 0;
  for (const auto& [name, count] : seen) duplicates += count != 1;
  CHECK(duplicates == 0);
  CHECK(sink.auth() == "Bearer s3cret");
  CHECK(sink.contentType() == "application/json");
  const auto st = m.status().at(0).sender;
  CHECK(st.errors == 0);
  CHECK(st.dropped == 0);
  CHECK(st.last_success_ns > 0);
}

TEST_CASE("http: outcomes from a real server") {
  struct Row {
    const char* name;
    int status;
    bool retried;
  };
  const std::vector<Row> rows = {{"400 is permanent", 400, false}, {"500 is retried", 500, true}};
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Sink sink(row.status);
      Manager m(httplibPosterFactory(), SystemClock::instance());
      m.apply({{httpTarget(sink.url())}});
      m.send(0, alertRange(0, 3));
      if (row.retried) {
        REQUIRE(eventually([&] { return m.status().at(0).sender.retries >= 6; }));
      } else {
        REQUIRE(eventually([&] { return m.status().at(0).sender.dropped == 3; }));
        // Each alert posted once (the 3 alerts may be spread over the target's connections).
        CHECK(sink.requests() >= 1);
        CHECK(static_cast<size_t>(sink.requests()) <= m.status().at(0).sender.connections);
        CHECK(m.status().at(0).sender.retries == 0);
        for (const auto& [name, count] : sink.seen()) CHECK_MESSAGE(count == 1, name);
      }
      CHECK(m.status().at(0).sender.last_error.rfind("HTTP " + std::to_string(row.status), 0) == 0);
    }
  }
}

TEST_CASE("http: connection refused is retried until the Alertmanager comes up") {
  // Reserve a port, close it: connections are refused until the sink starts there.
  auto sink = std::make_unique<Sink>();
  const std::string url = sink->url();
  sink.reset();
  Manager m(httplibPosterFactory(), SystemClock::instance());
  m.apply({{httpTarget(url)}});
  m.send(0, alertRange(0, 5));
  REQUIRE(eventually([&] { return m.status().at(0).sender.retries >= 5; }));
  CHECK_FALSE(m.status().at(0).sender.last_error.empty());
}

TEST_CASE("http: a black-hole Alertmanager does not delay another") {
  Sink sink;
  BlackHole hole;
  Manager m(httplibPosterFactory(), SystemClock::instance());
  Target slow = httpTarget(hole.url());
  slow.timeout = 60s;
  m.apply({{slow, httpTarget(sink.url())}});
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; i += 100) m.send(0, alertRange(i, i + 100));
  REQUIRE(eventually([&] { return sink.distinct() == 2000; }, 30s));
  // Far below the black hole's 60s time-out: nothing waited on it.
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  const auto st = m.status();
  const auto& hole_status = st[0].target.url == hole.url() ? st[0].sender : st[1].sender;
  CHECK(hole_status.sent == 0);
  // Stopping aborts the hanging POST instead of waiting for its time-out.
  const auto t1 = std::chrono::steady_clock::now();
  m.stop(0s);
  CHECK(std::chrono::steady_clock::now() - t1 < 10s);
}

}  // namespace
}  // namespace promha::notify
