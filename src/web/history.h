// History: a bounded in-memory record of each Alertmanager's delivery, sampled every few seconds
// (the Sampler: every 5 s, 180 samples = 15 min), for the status page's sparklines of queue
// length and send rate, and its current send rate and p99 latency. Nothing is persisted: a
// restart starts a new history, as the page's "last minutes" allow.
//
//   web::History h(180);
//   h.add(now_ns, {{.url = "http://am-0:9093/api/v2/alerts", .queue_length = 3, ...}});
//   h.summary(url, now_ns).send_rate;   // alerts/s over the last minute
//   h.json();                           // the "history" of /api/v1/status
//
// Rates and the latency quantile follow Prometheus: increase() with counter resets, and
// histogram_quantile() over the bucket increases of the last 5 minutes (the
// promha_notifications_latency_seconds histogram).
// Thread-safety: a plain value: one owner, or guarded by the owner's mutex (web::Sampler's).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace promha::web {

// One Alertmanager at one instant. Counters are cumulative; a decrease is a reset (a new sender).
struct AlertmanagerSample {
  std::string url;
  uint64_t queue_length = 0;
  uint64_t queue_capacity = 0;
  uint64_t sent = 0;    // alerts delivered
  uint64_t errors = 0;  // alerts in failed attempts
  // promha_notifications_latency_seconds: upper bounds (the last may be +Inf) and cumulative
  // counts, as the histogram exposes them. Empty when unknown.
  std::vector<double> bucket_bounds{};
  std::vector<uint64_t> bucket_counts{};
};

// Prometheus's histogram_quantile() on cumulative buckets (bounds ascending, +Inf last): linear
// interpolation within the bucket holding the rank; nullopt without observations.
std::optional<double> bucketQuantile(double q, const std::vector<double>& bounds,
                                     const std::vector<double>& cumulative);

class History {
 public:
  explicit History(size_t capacity = 180) : capacity_(capacity < 2 ? 2 : capacity) {}

  // Records the current Alertmanagers at `now_ns` (wall clock). Two samples of one URL (the same
  // Alertmanager in two blocks) add up; a URL missing from `samples` is forgotten.
  void add(int64_t now_ns, const std::vector<AlertmanagerSample>& samples);

  struct Summary {
    std::optional<double> send_rate;    // alerts/s over rate_window
    std::optional<double> error_rate;   // failed alerts/s over rate_window
    std::optional<double> latency_p99;  // seconds, over latency_window
  };
  Summary summary(const std::string& url, int64_t now_ns,
                  std::chrono::seconds rate_window = std::chrono::seconds(60),
                  std::chrono::seconds latency_window = std::chrono::seconds(300)) const;

  // {"samples": capacity, "alertmanagers": [{"url", "t": [unix seconds], "queueLength": [...],
  //  "queueCapacity": n, "sendRate": [null, alerts/s since the previous sample, ...],
  //  "errorRate": [...]}]}; rates are null for a URL's first sample.
  nlohmann::ordered_json json() const;

  size_t capacity() const { return capacity_; }
  size_t size(const std::string& url) const;

 private:
  struct Point {
    int64_t t_ns = 0;
    uint64_t queue_length = 0;
    uint64_t sent = 0;
    uint64_t errors = 0;
    std::vector<uint64_t> buckets;  // cumulative counts, aligned with Series::bounds
  };
  struct Series {
    uint64_t queue_capacity = 0;
    std::vector<double> bounds;
    std::deque<Point> points;  // oldest first, at most capacity_
  };
  size_t capacity_;
  std::map<std::string, Series> series_;
};

}  // namespace promha::web
