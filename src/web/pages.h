// The relabel debugger at /relabel and the loaded configuration at /config.
//
// /relabel is a form (assets/relabel.html) driven by assets/relabel.js through
// POST /api/v1/relabel. The server fills in the loaded config's rule pipelines: one per
// Alertmanager block (the global alert_relabel_configs, then the block's own, and the external
// labels, as promha applies them), the global list alone, and an empty list of the user's own
// (as `promha relabel --rules`); the first is shown at once, the others come with the page as
// JSON for the selector.
// /config shows config::toYaml() (secrets as <secret>) and the last reload's result.
// Thread-safety: free functions on values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"

namespace promha::web {

// The pipelines the selector offers: [{"id", "title", "externalLabels", "lists": [{"name",
// "yaml"}]}]. `cfg` may be null (no config loaded): then only the user's own list.
nlohmann::ordered_json relabelPipelines(const config::Config* cfg);

std::string renderRelabelPage(const config::Config* cfg);

// `status` is the /api/v1/status document (its "config" part), `cfg` the loaded config or null.
std::string renderConfigPage(const nlohmann::json& status, const config::Config* cfg);

}  // namespace promha::web
