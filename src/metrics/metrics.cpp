#include "metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace promha::metrics {
namespace {

template <typename Builder>
auto& family(Builder b, prometheus::Registry& r, const char* name, const char* help) {
  return b.Name(name).Help(help).Register(r);
}

}  // namespace

const prometheus::Histogram::BucketBoundaries& Metrics::latencyBuckets() {
  // Loopback and LAN POSTs take ~1 ms; the top buckets reach the 10s default time-out.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

Metrics::Metrics(prometheus::Registry& r, const BuildInfo& build) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  alerts_received_ =
      &family(BuildCounter(), r, kAlertsReceived, "Alerts received from Prometheus, valid or not.")
           .Add({});
  alerts_invalid_ = &family(BuildCounter(), r, kAlertsInvalid,
                            "Received alerts rejected as invalid (as Alertmanager would).")
                         .Add({});
  alerts_relabel_dropped_ =
      &family(BuildCounter(), r, kAlertsRelabelDropped, "Alerts dropped by alert relabeling.")
           .Add({});
  alertmanagers_discovered_ = &family(BuildGauge(), r, kAlertmanagersDiscovered,
                                      "The number of Alertmanagers discovered and active.")
                                   .Add({});
  config_last_reload_successful_ =
      &family(BuildGauge(), r, kConfigLastReloadSuccessful,
              "Whether the last configuration reload attempt was successful.")
           .Add({});
  config_last_reload_success_timestamp_ =
      &family(BuildGauge(), r, kConfigLastReloadSuccessTimestamp,
              "Timestamp of the last successful configuration reload.")
           .Add({});
  family(BuildGauge(), r, kBuildInfo,
         "A metric with a constant '1' value labeled by version, revision, branch and compiler "
         "from which promha was built.")
      .Add({{"version", build.version},
            {"revision", build.revision},
            {"branch", build.branch},
            {"compiler", build.compiler}})
      .Set(1);

  sent_ = &family(BuildCounter(), r, kNotificationsSent,
                  "Total number of alerts sent (accepted by the Alertmanager).");
  errors_ = &family(BuildCounter(), r, kNotificationsErrors,
                    "Total number of sent alerts affected by errors (per failed attempt).");
  dropped_ = &family(BuildCounter(), r, kNotificationsDropped,
                     "Total number of alerts that will never be delivered: dropped from a full "
                     "queue, expired while retrying, or rejected with a 4xx.");
  retries_ = &family(BuildCounter(), r, kNotificationsRetries,
                     "Total number of alerts queued again for a retry after a failed attempt.");
  coalesced_ = &family(BuildCounter(), r, kNotificationsCoalesced,
                       "Total number of queued alerts replaced by a newer copy of the same alert "
                       "(label set) before they were sent, also on the requeue of a failed batch.");
  queue_length_ =
      &family(BuildGauge(), r, kNotificationsQueueLength, "The number of alerts in the queue.");
  queue_capacity_ =
      &family(BuildGauge(), r, kNotificationsQueueCapacity, "The capacity of the alert queue.");
  latency_ = &family(prometheus::BuildHistogram(), r, kNotificationsLatency,
                     "Latency of POSTs to the Alertmanager, successful or not.");
}

void Metrics::recordReload(bool success, double unix_seconds) {
  config_last_reload_successful_->Set(success ? 1 : 0);
  if (success) config_last_reload_success_timestamp_->Set(unix_seconds);
}

AlertmanagerSeries Metrics::acquireAlertmanager(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  Acquired& a = alertmanagers_[url];
  if (a.refs++ == 0) {
    const prometheus::Labels labels{{kAlertmanagerLabel, url}};
    a.series.sent = &sent_->Add(labels);
    a.series.errors = &errors_->Add(labels);
    a.series.dropped = &dropped_->Add(labels);
    a.series.retries = &retries_->Add(labels);
    a.series.coalesced = &coalesced_->Add(labels);
    a.series.queue_length = &queue_length_->Add(labels);
    a.series.queue_capacity = &queue_capacity_->Add(labels);
    a.series.latency = &latency_->Add(labels, latencyBuckets());
  }
  return a.series;
}

void Metrics::releaseAlertmanager(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = alertmanagers_.find(url);
  if (it == alertmanagers_.end()) return;
  if (--it->second.refs > 0) return;
  const AlertmanagerSeries& s = it->second.series;
  sent_->Remove(s.sent);
  errors_->Remove(s.errors);
  dropped_->Remove(s.dropped);
  retries_->Remove(s.retries);
  coalesced_->Remove(s.coalesced);
  queue_length_->Remove(s.queue_length);
  queue_capacity_->Remove(s.queue_capacity);
  latency_->Remove(s.latency);
  alertmanagers_.erase(it);
}

std::string serialize(const prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

}  // namespace promha::metrics
