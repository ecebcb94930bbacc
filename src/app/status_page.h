// The HTML status page at `/`: rendered on the server from the /api/v1/status JSON, so it works
// without JavaScript. Self-contained (no external assets).
#pragma once

#include <string>

namespace promha::app {

std::string renderStatusPage(const std::string& status_json);

}  // namespace promha::app
