// Metrics of the remote-write path, registered once on the registry main creates.
//
// Names follow Prometheus's own prometheus_remote_storage_* metrics with the
// promha_remote_write_ prefix. Per-endpoint series carry url=<remote_write URL>; they appear at 0
// when the endpoint is configured and are removed when it goes (shared, reference-counted, while
// an old and a new endpoint with the same URL overlap during a reload). "Samples" are float
// samples plus native histogram samples; the queue counts what Prometheus counts in a batch
// (samples, exemplars, histograms, metadata).
//
// Thread-safety: every method may be called from any thread; prometheus-cpp metrics are atomic.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

namespace promha::remotewrite {

inline constexpr char kSamplesReceived[] = "promha_remote_write_samples_received_total";
inline constexpr char kSamplesDeduplicated[] = "promha_remote_write_samples_deduplicated_total";
inline constexpr char kSamplesReplayed[] = "promha_remote_write_samples_replayed_total";
inline constexpr char kRequests[] = "promha_remote_write_requests_total";
inline constexpr char kSamplesForwarded[] = "promha_remote_write_samples_forwarded_total";
inline constexpr char kSamplesFailed[] = "promha_remote_write_samples_failed_total";
inline constexpr char kRequestsRejected[] = "promha_remote_write_requests_rejected_total";
inline constexpr char kSamplesRelabelDropped[] =
    "promha_remote_write_samples_relabel_dropped_total";
inline constexpr char kRetries[] = "promha_remote_write_retries_total";
inline constexpr char kQueueLength[] = "promha_remote_write_queue_length";
inline constexpr char kQueueCapacity[] = "promha_remote_write_queue_capacity";
inline constexpr char kSendDuration[] = "promha_remote_write_send_duration_seconds";
inline constexpr char kUrlLabel[] = "url";

// The series of one endpoint; null pointers (default) mean no metrics (tests).
struct EndpointSeries {
  prometheus::Counter* forwarded = nullptr;
  prometheus::Counter* failed = nullptr;
  prometheus::Counter* rejected = nullptr;
  prometheus::Counter* relabel_dropped = nullptr;
  prometheus::Counter* retries = nullptr;
  prometheus::Gauge* queue_length = nullptr;
  prometheus::Gauge* queue_capacity = nullptr;
  prometheus::Histogram* send_duration = nullptr;
};

class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Counter& samplesReceived() { return *received_; }
  prometheus::Counter& samplesDeduplicated() { return *deduplicated_; }
  prometheus::Counter& samplesReplayed() { return *replayed_; }
  // Requests answered with `code` (204, 400, 413, 415, 503, ...).
  prometheus::Counter& requests(int code);

  EndpointSeries acquire(const std::string& url);
  void release(const std::string& url);

 private:
  prometheus::Counter* received_;
  prometheus::Counter* deduplicated_;
  prometheus::Counter* replayed_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* forwarded_;
  prometheus::Family<prometheus::Counter>* failed_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Family<prometheus::Counter>* relabel_dropped_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Gauge>* queue_length_;
  prometheus::Family<prometheus::Gauge>* queue_capacity_;
  prometheus::Family<prometheus::Histogram>* send_duration_;

  struct Acquired {
    EndpointSeries series;
    int refs = 0;
  };
  std::mutex mu_;
  std::map<std::string, Acquired> endpoints_;    // guarded by mu_
  std::map<int, prometheus::Counter*> by_code_;  // guarded by mu_
};

}  // namespace promha::remotewrite
