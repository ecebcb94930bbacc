// Label-set input for `promha relabel`: `--labels '{a="b"}'` (PromQL syntax) and `--input`
// files holding JSON lines of label objects (`{"alertname":"X"}`) or alert objects
// (`{"labels":{...}}`), or one JSON array of either, as Prometheus POSTs to /api/v2/alerts.
//
// Errors carry the input name and line:col ("alerts.json:3:17: ..."). Label names are checked
// against the chosen scheme, values must be strings (JSON's own parser rejects bad UTF-8).
// Thread-safety: free functions on values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/result.h"

namespace promha::cli {

// `source` names the input in errors: "--labels" or a file name.
core::Result<core::Labels> parseLabelsFlag(std::string_view text, core::NameScheme scheme);
core::Result<std::vector<core::Labels>> parseJsonInput(std::string_view text,
                                                       const std::string& source,
                                                       core::NameScheme scheme);

}  // namespace promha::cli
