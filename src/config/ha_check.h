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

}  // namespace promha::config
