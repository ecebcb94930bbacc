#include "web/sampler.h"

#include <prometheus/registry.h>

#include <map>

#include "metrics/metrics.h"

namespace promha::web {
namespace {

int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<AlertmanagerSample> sampleAlertmanagers(
    const std::vector<notify::TargetStatus>& targets, const prometheus::Registry& registry) {
  struct Buckets {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
  };
  std::map<std::string, Buckets> latency;
  for (const auto& family : registry.Collect()) {
    if (family.name != metrics::kNotificationsLatency) continue;
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name != metrics::kAlertmanagerLabel) continue;
        Buckets& b = latency[l.value];
        for (const auto& bucket : m.histogram.bucket) {
          b.bounds.push_back(bucket.upper_bound);
          b.counts.push_back(bucket.cumulative_count);
        }
      }
    }
  }
  std::vector<AlertmanagerSample> out;
  out.reserve(targets.size());
  for (const auto& t : targets) {
    AlertmanagerSample s;
    s.url = t.sender.url;
    s.queue_length = t.sender.queue_length;
    s.queue_capacity = t.sender.queue_capacity;
    s.sent = t.sender.sent;
    s.errors = t.sender.errors;
    if (const auto it = latency.find(s.url); it != latency.end()) {
      s.bucket_bounds = it->second.bounds;
      s.bucket_counts = it->second.counts;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Sampler::Sampler(Options opts, SampleFn sample, ClockFn now_ns)
    : opts_(opts),
      sample_(std::move(sample)),
      now_(now_ns ? std::move(now_ns) : ClockFn(wallNs)),
      history_(opts.capacity) {}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  std::lock_guard join(join_mu_);
  std::lock_guard lock(stop_mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  std::lock_guard join(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void Sampler::sampleNow() {
  std::vector<AlertmanagerSample> samples = sample_();
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  history_.add(now, samples);
}

void Sampler::run() {
  std::unique_lock lock(stop_mu_);
  while (!stop_) {
    lock.unlock();
    sampleNow();
    lock.lock();
    stop_cv_.wait_for(lock, opts_.interval, [this] { return stop_; });
  }
}

nlohmann::ordered_json Sampler::historyJson() const {
  std::lock_guard lock(mu_);
  nlohmann::ordered_json j;
  j["intervalSeconds"] = static_cast<double>(opts_.interval.count()) / 1000.0;
  nlohmann::ordered_json h = history_.json();
  for (auto& [k, v] : h.items()) j[k] = std::move(v);
  return j;
}

History::Summary Sampler::summary(const std::string& url) const {
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  return history_.summary(url, now);
}

}  // namespace promha::web
