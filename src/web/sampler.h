// Sampler: takes a web::History sample of every Alertmanager every few seconds (5 s by default)
// on its own thread, for the status page; and builds those samples from the notify manager's
// status and the metrics registry (the latency histogram's buckets).
//
//   web::Sampler s({}, [&] { return web::sampleAlertmanagers(notify.status(), registry); });
//   s.start(); ... s.historyJson(); s.summary(url); ... s.stop();
//
// Thread-safety: every method is safe from any thread; start/stop from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "notify/manager.h"
#include "web/history.h"

namespace prometheus {
class Registry;
}

namespace promha::web {

// One sample per Alertmanager: queue and counters from the senders, the latency histogram's
// buckets from `registry` (promha_notifications_latency_seconds{alertmanager=URL}).
std::vector<AlertmanagerSample> sampleAlertmanagers(
    const std::vector<notify::TargetStatus>& targets, const prometheus::Registry& registry);

// Samples every `interval` on its own thread into a History. The first sample is taken at start.
class Sampler {
 public:
  struct Options {
    std::chrono::milliseconds interval{5000};
    size_t capacity = 180;  // 15 min at 5 s
  };
  using SampleFn = std::function<std::vector<AlertmanagerSample>()>;
  using ClockFn = std::function<int64_t()>;  // wall clock, ns since the epoch

  Sampler(Options opts, SampleFn sample, ClockFn now_ns = {});
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void start();
  // Wakes and joins the thread; idempotent.
  void stop();
  // Takes one sample now (also what the thread does).
  void sampleNow();

  nlohmann::ordered_json historyJson() const;
  History::Summary summary(const std::string& url) const;
  int64_t nowNs() const { return now_(); }
  const Options& options() const { return opts_; }

 private:
  void run();

  Options opts_;
  SampleFn sample_;
  ClockFn now_;
  mutable std::mutex mu_;
  History history_;  // guarded by mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;   // guarded by stop_mu_
  std::mutex join_mu_;  // taken before stop_mu_
  std::thread thread_;  // guarded by join_mu_
};

}  // namespace promha::web
