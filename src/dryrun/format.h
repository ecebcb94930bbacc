// Output of the relabel dry-run, shared by `promha relabel`, `promha relabel test` and the web
// debugger (POST /api/v1/relabel), so that all of them show the same result and trace: label sets
// as JSON objects, line diffs of two label sets, and a pipeline run as text or JSON.
// Thread-safety: free functions on values.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/labels.h"

namespace promha::dryrun {

nlohmann::ordered_json labelsToJson(const core::Labels& labels);
// One compact JSON line; invalid UTF-8 is replaced rather than thrown on.
std::string dumpJson(const nlohmann::ordered_json& j);

// What changed from `from` to `to`, in label order: '-' for a label only in `from`, '+' for one
// only in `to`; a changed value gives both. Pointers into `from` and `to`.
struct LabelChange {
  char op = '+';
  const core::Label* label = nullptr;
};
std::vector<LabelChange> labelChanges(const core::Labels& from, const core::Labels& to);

// The same as lines: "- name=\"old\"", "+ name=\"new\"".
std::vector<std::string> diffLabels(const core::Labels& from, const core::Labels& to);

// "alerting.alert_relabel_configs[1] (line 12): {action: drop, ...}"
std::string describeRule(const config::Pipeline& p, size_t i);

// Writes each step that changed something, indented by `indent`.
void writeTrace(std::ostream& os, const config::Pipeline& p, const config::PipelineTrace& t,
                const std::string& indent);

// One input's result as `promha relabel` prints it: the result line, preceded with `with_trace`
// by the input and every step (--trace). Several inputs are separated by an empty line.
std::string resultText(const config::Pipeline& p, const config::PipelineTrace& t, bool with_trace);

// One input's result as `promha relabel --output json` prints it: {"labels": {...}} or
// {"dropped": true, "rule": N}, and with `with_steps` (--trace) "steps": [{"step": path,
// "rule": N, "before": {...}, "after": {...} | "dropped": true}, ...], external labels first.
nlohmann::ordered_json resultJson(const config::Pipeline& p, const config::PipelineTrace& t,
                                  bool with_steps);

}  // namespace promha::dryrun
