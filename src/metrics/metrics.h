// Metrics: promha's metric families, defined on the prometheus::Registry that main creates and
// passes down, and the text exposition (a serializer; serving it is the HTTP module's concern).
//
// Names mirror Prometheus's own notifier metrics (prometheus_notifications_*) with the promha_
// prefix, so existing dashboards and mixin alerts carry over. Per-Alertmanager series carry the
// label alertmanager=<URL>; they are created at 0 when the target appears and removed when it goes.
// The notify counters count alerts, not requests, like Prometheus's. Every alert queued for an
// Alertmanager ends in exactly one of sent, dropped or coalesced (replaced in the queue by a newer
// copy of the same alert; promha's addition, Prometheus does not coalesce), or is still queued, so
// per Alertmanager, whenever no POST is in flight: enqueued = sent + dropped + coalesced + queued.
//
// Usage: Metrics m(registry, {.version = "0.1.0"}); m.alertsReceived().Increment(n);
//        auto series = m.acquireAlertmanager(url); ... m.releaseAlertmanager(url);
// Thread-safety: all methods are safe from any thread; prometheus-cpp metrics are atomic.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

namespace promha::metrics {

inline constexpr char kAlertsReceived[] = "promha_alerts_received_total";
inline constexpr char kAlertsInvalid[] = "promha_alerts_invalid_total";
inline constexpr char kAlertsRelabelDropped[] = "promha_alerts_relabel_dropped_total";
inline constexpr char kNotificationsSent[] = "promha_notifications_sent_total";
inline constexpr char kNotificationsErrors[] = "promha_notifications_errors_total";
inline constexpr char kNotificationsDropped[] = "promha_notifications_dropped_total";
inline constexpr char kNotificationsRetries[] = "promha_notifications_retries_total";
inline constexpr char kNotificationsCoalesced[] = "promha_notifications_coalesced_total";
inline constexpr char kNotificationsQueueLength[] = "promha_notifications_queue_length";
inline constexpr char kNotificationsQueueCapacity[] = "promha_notifications_queue_capacity";
inline constexpr char kNotificationsLatency[] = "promha_notifications_latency_seconds";
inline constexpr char kAlertmanagersDiscovered[] = "promha_alertmanagers_discovered";
inline constexpr char kConfigLastReloadSuccessful[] = "promha_config_last_reload_successful";
inline constexpr char kConfigLastReloadSuccessTimestamp[] =
    "promha_config_last_reload_success_timestamp_seconds";
inline constexpr char kBuildInfo[] = "promha_build_info";
inline constexpr char kAlertmanagerLabel[] = "alertmanager";

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string compiler;  // the C++ analogue of Prometheus's goversion label
};

// The series of one Alertmanager. Null pointers (a default-constructed value) mean "no metrics",
// which tests use. Valid until the matching releaseAlertmanager().
struct AlertmanagerSeries {
  prometheus::Counter* sent = nullptr;
  prometheus::Counter* errors = nullptr;
  prometheus::Counter* dropped = nullptr;
  prometheus::Counter* retries = nullptr;
  prometheus::Counter* coalesced = nullptr;
  prometheus::Gauge* queue_length = nullptr;
  prometheus::Gauge* queue_capacity = nullptr;
  prometheus::Histogram* latency = nullptr;
};

class Metrics {
 public:
  // Registers every family on `registry`, which must outlive this object.
  Metrics(prometheus::Registry& registry, const BuildInfo& build);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Counter& alertsReceived() { return *alerts_received_; }
  prometheus::Counter& alertsInvalid() { return *alerts_invalid_; }
  prometheus::Counter& alertsRelabelDropped() { return *alerts_relabel_dropped_; }
  prometheus::Gauge& alertmanagersDiscovered() { return *alertmanagers_discovered_; }
  prometheus::Gauge& configLastReloadSuccessful() { return *config_last_reload_successful_; }
  prometheus::Gauge& configLastReloadSuccessTimestamp() {
    return *config_last_reload_success_timestamp_;
  }
  // Sets both reload gauges: successful = 1/0, and the timestamp on success only.
  void recordReload(bool success, double unix_seconds);

  // Creates the series of `url` at 0, or shares them when the URL is already known (the same
  // Alertmanager in two alertmanagers blocks, or a changed target replacing an old one): each
  // acquire needs one release, and the series go with the last release. Senders sharing a URL
  // add to the same counters and adjust the gauges by deltas.
  AlertmanagerSeries acquireAlertmanager(const std::string& url);
  void releaseAlertmanager(const std::string& url);

  // The histogram buckets of promha_notifications_latency_seconds.
  static const prometheus::Histogram::BucketBoundaries& latencyBuckets();

 private:
  prometheus::Counter* alerts_received_;
  prometheus::Counter* alerts_invalid_;
  prometheus::Counter* alerts_relabel_dropped_;
  prometheus::Gauge* alertmanagers_discovered_;
  prometheus::Gauge* config_last_reload_successful_;
  prometheus::Gauge* config_last_reload_success_timestamp_;

  prometheus::Family<prometheus::Counter>* sent_;
  prometheus::Family<prometheus::Counter>* errors_;
  prometheus::Family<prometheus::Counter>* dropped_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Counter>* coalesced_;
  prometheus::Family<prometheus::Gauge>* queue_length_;
  prometheus::Family<prometheus::Gauge>* queue_capacity_;
  prometheus::Family<prometheus::Histogram>* latency_;

  struct Acquired {
    AlertmanagerSeries series;
    int refs = 0;
  };
  std::mutex mu_;
  std::map<std::string, Acquired> alertmanagers_;  // guarded by mu_
};

// The Prometheus text exposition format (0.0.4) of everything in `registry`.
std::string serialize(const prometheus::Registry& registry);

}  // namespace promha::metrics
