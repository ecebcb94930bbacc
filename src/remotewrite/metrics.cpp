#include "remotewrite/metrics.h"

namespace promha::remotewrite {
namespace {

template <typename Builder>
auto& family(Builder b, prometheus::Registry& r, const char* name, const char* help) {
  return b.Name(name).Help(help).Register(r);
}

}  // namespace

Metrics::Metrics(prometheus::Registry& r) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  received_ =
      &family(BuildCounter(), r, kSamplesReceived,
              "Samples (float and native histogram) in accepted (2xx) remote-write requests.")
           .Add({});
  deduplicated_ =
      &family(BuildCounter(), r, kSamplesDeduplicated,
              "Samples accepted and deliberately not forwarded because the HA peer forwards them "
              "(or forwarded them already, before this replica took over).")
           .Add({});
  replayed_ = &family(BuildCounter(), r, kSamplesReplayed,
                      "Samples counted as deduplicated when received and forwarded later from the "
                      "HA ring buffer, when this replica took over.")
                   .Add({});
  requests_ = &family(BuildCounter(), r, kRequests,
                      "Remote-write requests received, by the HTTP status code of the answer.");
  forwarded_ = &family(BuildCounter(), r, kSamplesForwarded,
                       "Samples accepted by the remote-write endpoint (2xx).");
  failed_ = &family(BuildCounter(), r, kSamplesFailed,
                    "Samples given up on: rejected by the endpoint with a non-retryable status, or "
                    "still queued when promha stopped or the endpoint was removed.");
  rejected_ = &family(BuildCounter(), r, kRequestsRejected,
                      "Remote-write requests refused with 503 because this endpoint's queue was "
                      "full; Prometheus keeps their samples and retries.");
  relabel_dropped_ = &family(BuildCounter(), r, kSamplesRelabelDropped,
                             "Samples of series dropped by this endpoint's write_relabel_configs.");
  retries_ = &family(BuildCounter(), r, kRetries,
                     "Samples in sends that failed with a retryable error and are sent again.");
  queue_length_ = &family(BuildGauge(), r, kQueueLength,
                          "Samples, exemplars, histograms and metadata queued for the endpoint.");
  queue_capacity_ = &family(BuildGauge(), r, kQueueCapacity,
                            "The endpoint's queue capacity (queue_config.capacity x max_shards).");
  send_duration_ = &family(prometheus::BuildHistogram(), r, kSendDuration,
                           "Duration of remote-write sends to the endpoint, successful or not.");
}

prometheus::Counter& Metrics::requests(int code) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_code_.find(code);
  if (it == by_code_.end()) {
    it = by_code_.emplace(code, &requests_->Add({{"code", std::to_string(code)}})).first;
  }
  return *it->second;
}

EndpointSeries Metrics::acquire(const std::string& url) {
  // Sends take ~1 ms on a LAN and up to remote_timeout (30s) when the endpoint hangs.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  std::lock_guard<std::mutex> lock(mu_);
  Acquired& a = endpoints_[url];
  if (a.refs++ == 0) {
    const prometheus::Labels labels{{kUrlLabel, url}};
    a.series.forwarded = &forwarded_->Add(labels);
    a.series.failed = &failed_->Add(labels);
    a.series.rejected = &rejected_->Add(labels);
    a.series.relabel_dropped = &relabel_dropped_->Add(labels);
    a.series.retries = &retries_->Add(labels);
    a.series.queue_length = &queue_length_->Add(labels);
    a.series.queue_capacity = &queue_capacity_->Add(labels);
    a.series.send_duration = &send_duration_->Add(labels, kBuckets);
  }
  return a.series;
}

void Metrics::release(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = endpoints_.find(url);
  if (it == endpoints_.end() || --it->second.refs > 0) return;
  const EndpointSeries& s = it->second.series;
  forwarded_->Remove(s.forwarded);
  failed_->Remove(s.failed);
  rejected_->Remove(s.rejected);
  relabel_dropped_->Remove(s.relabel_dropped);
  retries_->Remove(s.retries);
  queue_length_->Remove(s.queue_length);
  queue_capacity_->Remove(s.queue_capacity);
  send_duration_->Remove(s.send_duration);
  endpoints_.erase(it);
}

}  // namespace promha::remotewrite
