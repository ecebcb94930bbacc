// Label-set input of the relabel dry-run (`promha relabel` and the web debugger's
// POST /api/v1/relabel): `--labels '{a="b"}'` (PromQL syntax) and `--input` files holding JSON
// lines of label objects (`{"alertname":"X"}`) or alert objects (`{"labels":{...}}`), or one JSON
// array of either, as Prometheus POSTs to /api/v2/alerts.
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

namespace promha::dryrun {

// `source` names the input in errors: "--labels", a file name or a request field.
core::Result<core::Labels> parseLabelsFlag(std::string_view text, core::NameScheme scheme,
                                           const std::string& source = "--labels");
core::Result<std::vector<core::Labels>> parseJsonInput(std::string_view text,
                                                       const std::string& source,
                                                       core::NameScheme scheme);

}  // namespace promha::dryrun
