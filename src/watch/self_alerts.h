// SelfAlerts: promha's own alerts (PrometheusReplicaDown, AlertmanagerClusterDegraded, ...), with
// the lifecycle of a Prometheus alerting rule. The watcher calls evaluate() on every tick with the
// conditions that hold right now; it returns the alerts to send now:
// - a condition that holds for `for` fires; a firing alert is (re)sent at once and then every
//   `resend_interval`, with endsAt = now + 4 * resend_interval (like Prometheus's ValidUntil), so
//   Alertmanager keeps it while promha lives and resolves it by itself if promha dies;
// - when the condition clears, the alert is sent once more with endsAt = now (resolved), and
//   again every resend_interval for kResolvedResends sends, as Prometheus re-sends resolutions;
// - a condition that clears before `for` never fires.
// startsAt is when the condition began (Prometheus's ActiveAt). A condition is identified by its
// label set, so both sidecars of a pair build identical alerts for the same fact.
// Annotation values may use {{ $labels.NAME }} (spaces optional), expanded from the alert labels.
// Pure: time comes in as now_ns. Thread-safety: none (the watcher's thread only).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
#include "core/labels.h"

namespace promha::watch {

struct Condition {
  core::Labels labels;       // the whole label set, alertname included
  core::Labels annotations;  // templates; expanded against `labels`
  config::SelfAlertConfig cfg;
};

// Built-in labels and annotations overlaid with the configured ones.
Condition makeCondition(const config::SelfAlertConfig& cfg, core::Labels builtin_labels,
                        core::Labels builtin_annotations);

// Expands {{ $labels.NAME }} in `text`; unknown names expand to "".
std::string expandTemplate(std::string_view text, const core::Labels& labels);

class SelfAlerts {
 public:
  static constexpr int kResolvedResends = 3;

  struct Active {
    core::Labels labels;
    int64_t since_ns = 0;  // the condition began
    bool firing = false;
  };

  std::vector<alert::Alert> evaluate(const std::vector<Condition>& now_true, int64_t now_ns);
  // The conditions being tracked (pending or firing), for the status page.
  std::vector<Active> active() const;

 private:
  struct State {
    Condition cond;
    int64_t since_ns = 0;
    bool firing = false;
    int64_t last_sent_ns = 0;
    int64_t resolved_ns = 0;  // > 0: resolved, still re-sending the resolution
    int resolved_sends = 0;
  };
  static alert::Alert build(const State& s, int64_t ends_at_ns);

  std::map<std::string, State> states_;  // by labels.toString()
};

}  // namespace promha::watch
