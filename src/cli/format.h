// Output helpers shared by the relabel subcommands: label sets as JSON objects, line diffs of two
// label sets, and the human-readable trace of a pipeline run.
// Thread-safety: free functions on values.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/labels.h"

namespace promha::cli {

nlohmann::ordered_json labelsToJson(const core::Labels& labels);
// One compact JSON line; invalid UTF-8 is replaced rather than thrown on.
std::string dumpJson(const nlohmann::ordered_json& j);

// "- name=\"old\"" for labels only in `from`, "+ name=\"new\"" for labels only in `to` (a changed
// value gives both), in label order.
std::vector<std::string> diffLabels(const core::Labels& from, const core::Labels& to);

// "alerting.alert_relabel_configs[1] (line 12): {action: drop, ...}"
std::string describeRule(const config::Pipeline& p, size_t i);

// Writes each step that changed something, indented by `indent`.
void writeTrace(std::ostream& os, const config::Pipeline& p, const config::PipelineTrace& t,
                const std::string& indent);

}  // namespace promha::cli
