// The HA collapse check of `promha check-config`: alerts from the two Prometheus replicas differ
// only in the replica label; after every Alertmanager block's alert pipeline they must be
// identical, or Alertmanager will not deduplicate them and every notification arrives twice.
//
//   config::HaReport r = config::checkHa(cfg, "replica");
//   for (const auto& p : r.problems) std::cout << p.explanation;
//
// Pure: runs the pipelines on a few sample label sets.
// Thread-safety: free function on values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/pipeline.h"
#include "core/labels.h"

namespace promha::config {

struct HaProblem {
  std::string where{};  // "alerting.alertmanagers[0]" or "alerting" when no block is configured
  core::Labels input_a{}, input_b{};
  std::optional<core::Labels> output_a{}, output_b{};  // nullopt = dropped
  std::string explanation{};                           // what differs and how to fix it
};

struct HaReport {
  std::vector<HaProblem> problems{};
  // Blocks where every sample alert was dropped, so the check proves nothing.
  std::vector<std::string> inconclusive{};
  size_t pipelines_checked = 0;
  bool ok() const { return problems.empty(); }
};

HaReport checkHa(const Config& cfg, std::string_view replica_label);

// One alert as the two replicas send it: `alert` with replica_label set to `value_a` and to
// `value_b`, each through pipeline `p`. The alerts collapse when both come out identical (or both
// are dropped); otherwise `explanation` says what differs and how to fix it in `rules_path`.
// checkHa() runs this on sample alerts; the web debugger on the alert being debugged.
struct ReplicaComparison {
  core::Labels input_a{}, input_b{};
  std::optional<core::Labels> output_a{}, output_b{};  // nullopt = dropped
  bool collapse = false;
  std::string explanation{};  // empty when they collapse
};
ReplicaComparison compareReplicas(const Pipeline& p, const core::Labels& alert,
                                  std::string_view replica_label, std::string_view value_a = "A",
                                  std::string_view value_b = "B",
                                  std::string_view rules_path = "alerting.alert_relabel_configs");

}  // namespace promha::config
