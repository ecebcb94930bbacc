// Test helpers for the remote-write module: the captured fixtures, requests built with the
// protoc-generated reference classes, and a real HTTP storage stand-in (a cpp-httplib server on
// 127.0.0.1, port picked at run time) that decodes and records what it is sent and answers
// what the test scripts (fault injection).
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <snappy.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "remote.pb.h"

namespace promha::remotewrite::testing {

namespace pb = promha::prompb;

inline constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string fixture(const std::string& name) {
  return readFile(std::string(PROMHA_SHARED_DIR) + "/fixtures/" + name);
}

inline std::string snappyCompress(const std::string& in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

inline std::string snappyUncompress(const std::string& in) {
  std::string out;
  REQUIRE(snappy::Uncompress(in.data(), in.size(), &out));
  return out;
}

inline pb::WriteRequest parse(const std::string& proto) {
  pb::WriteRequest req;
  REQUIRE(req.ParseFromString(proto));
  return req;
}

inline uint64_t bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

inline double fromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// A series with the given sorted labels and one sample per (value, timestamp).
inline void addSeries(pb::WriteRequest& req,
                      const std::vector<std::pair<std::string, std::string>>& labels,
                      const std::vector<std::pair<double, int64_t>>& samples) {
  pb::TimeSeries* ts = req.add_timeseries();
  for (const auto& [n, v] : labels) {
    pb::Label* l = ts->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  for (const auto& [v, t] : samples) {
    pb::Sample* s = ts->add_samples();
    s->set_value(v);
    s->set_timestamp(t);
  }
}

// Polls `pred` until it holds or `timeout` passes: conditions are checked, never assumed after a
// fixed pause.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A remote-write storage stand-in. Every request is decoded and recorded; respond() decides the
// status (default 204) and may set headers such as Retry-After.
class Sink {
 public:
  struct Received {
    std::string content_encoding;
    std::string content_type;
    std::string user_agent;
    std::string version;
    std::string authorization;
    std::string org_id;  // X-Scope-OrgID, a typical user header
    std::string proto;   // decompressed body
    pb::WriteRequest request;
  };
  using Responder = std::function<int(const Received&, httplib::Response&)>;

  explicit Sink(int port = 0) { start(port); }
  ~Sink() { stop(); }

  void start(int port = 0) {
    server_ = std::make_unique<httplib::Server>();
    server_->Post("/api/v1/write", [this](const httplib::Request& req, httplib::Response& res) {
      Received r;
      r.content_encoding = req.get_header_value("Content-Encoding");
      r.content_type = req.get_header_value("Content-Type");
      r.user_agent = req.get_header_value("User-Agent");
      r.version = req.get_header_value("X-Prometheus-Remote-Write-Version");
      r.authorization = req.get_header_value("Authorization");
      r.org_id = req.get_header_value("X-Scope-OrgID");
      std::string proto;
      const bool ok = snappy::Uncompress(req.body.data(), req.body.size(), &proto) &&
                      r.request.ParseFromString(proto);
      r.proto = std::move(proto);
      Responder respond;
      {
        std::lock_guard<std::mutex> l(mu_);
        respond = responder_;
        ++attempts_;
      }
      res.status = !ok ? 400 : respond ? respond(r, res) : 204;
      if (res.status >= 200 && res.status < 300) {
        std::lock_guard<std::mutex> l(mu_);
        received_.push_back(std::move(r));
      }
    });
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      REQUIRE(server_->bind_to_port("127.0.0.1", port));
      port_ = port;
    }
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    REQUIRE(eventually([this] { return server_->is_running(); }));
  }

  // Closes the port: later sends get "connection refused".
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }

  void respond(Responder r) {
    std::lock_guard<std::mutex> l(mu_);
    responder_ = std::move(r);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }

  // Accepted (2xx) requests.
  std::vector<Received> received() {
    std::lock_guard<std::mutex> l(mu_);
    return received_;
  }
  size_t attempts() {
    std::lock_guard<std::mutex> l(mu_);
    return attempts_;
  }
  // Samples in accepted requests.
  size_t samples() {
    std::lock_guard<std::mutex> l(mu_);
    size_t n = 0;
    for (const auto& r : received_) {
      for (const auto& ts : r.request.timeseries()) n += ts.samples_size();
    }
    return n;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  Responder responder_;
  std::vector<Received> received_;
  size_t attempts_ = 0;
};

}  // namespace promha::remotewrite::testing
