// POST /api/v1/relabel: the web relabel debugger's endpoint. JSON in, JSON out; the same engine,
// result and trace as `promha relabel --trace` (dryrun::resultJson / resultText on a
// config::Pipeline), plus what a page needs to show it: each step's rule, line and label diff, and
// optionally the replica A vs B comparison of config::compareReplicas.
//
//   web::RelabelDefaults d{cfg.global.metric_name_validation_scheme};
//   http::Response r = web::handleRelabel(body, d);
//
// Request, every field optional (README.md, "Web UI", documents it with an example):
//   "rules":          a YAML list of relabel configs (steps named rules[N], as with --rules), or
//                     [{"name": "alerting.alert_relabel_configs", "yaml": "..."}, ...] run in order
//   "externalLabels": "{cluster=\"eu\"}", added when the alert lacks them
//   "labels":         "{alertname=\"X\"}", a label set, as --labels
//   "alerts":         label objects or alerts: an array or JSON lines, as --input
//   "scheme":         "utf8" or "legacy" label names (default: the loaded config's)
//   "replicas":       {"label": "replica", "a": "A", "b": "B"}: compare the two replicas' alerts
// Response 200: {"rules": [{"path", "list", "line", "description"}...], "results": [{"input",
//   "labels" | "dropped" + "rule", "steps": [{"step", "rule", "before", "after" | "dropped",
//   "list", "line", "description", "diff": [{"op": "-"|"+", "name", "value"}]}], "text",
//   "replicas": {"label", "collapse", "explanation", "a": result, "b": result}}]}.
// Errors: 400 {"error": "first error as file:line:col: message", "errors": [{"field", "list",
//   "name", "line", "column", "message"}]}; 413 above kMaxRelabelRequestBytes. Never throws.
//
// Pure (no I/O, no clocks). Thread-safety: free function; safe from any number of threads.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/labels.h"
#include "http/server.h"

namespace promha::web {

inline constexpr size_t kMaxRelabelRequestBytes = 1 << 20;
inline constexpr size_t kMaxRelabelInputs = 100;    // label sets per request
inline constexpr size_t kMaxRelabelRuleLists = 16;  // entries of "rules"
inline constexpr size_t kMaxRelabelRules = 1000;    // rules over all lists

struct RelabelDefaults {
  core::NameScheme scheme = core::NameScheme::kUtf8;
};

http::Response handleRelabel(std::string_view body, const RelabelDefaults& defaults);

}  // namespace promha::web
