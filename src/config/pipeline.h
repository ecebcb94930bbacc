// Pipeline: the alert relabeling that one Alertmanager block applies, in Prometheus's order
// (notifier.Manager.Send): add the external labels the alert does not already have, then the
// global alerting.alert_relabel_configs, then the block's own alert_relabel_configs.
//
//   config::Pipeline p = config::buildPipeline(cfg, 0);   // alertmanagers[0]
//   relabel::Scratch scratch;
//   if (config::apply(p, alert.labels, scratch)) { /* send */ }
//
// Pure: built from a Config, no I/O. Also used by `promha relabel` and `check-config`.
// Thread-safety: a const Pipeline may be shared; a Scratch belongs to one thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/labels.h"
#include "relabel/relabel.h"
#include "relabel/rule.h"

namespace promha::config {

struct Pipeline {
  core::Labels external_labels{};
  std::vector<relabel::Rule> rules{};  // global rules, then the block's
  // Where each rule came from, for traces: "alerting.alert_relabel_configs[1]".
  std::vector<std::string> rule_paths{};
  bool operator==(const Pipeline&) const = default;
};

// No block index: the global stage only (no Alertmanager block configured, or the caller wants
// just that). Precondition: am_index < cfg.alerting.alertmanagers.size().
Pipeline buildPipeline(const Config& cfg, std::optional<size_t> am_index);
// A bare rule list (`promha relabel --rules FILE`): no external labels.
Pipeline rulesPipeline(std::vector<relabel::Rule> rules, const std::string& path = "rules");

// Prometheus adds an external label only when the alert lacks it.
void addExternalLabels(const core::Labels& external, core::Labels& labels);

// Applies the pipeline in place; false when dropped (then *dropped_by = index into rules).
bool apply(const Pipeline& p, core::Labels& labels, relabel::Scratch& scratch,
           size_t* dropped_by = nullptr);

struct PipelineTrace {
  core::Labels input{};
  std::optional<core::Labels> with_external{};  // set when external labels changed the alert
  relabel::Trace relabel{};                     // step indices point into Pipeline::rules
};
PipelineTrace trace(const Pipeline& p, const core::Labels& input);

}  // namespace promha::config
