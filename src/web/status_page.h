// The status page at `/`: rendered on the server from the /api/v1/status document, so that it
// works without JavaScript (it then reloads itself every 10 s). With JavaScript, assets/status.js
// renders the same sections (same markup) from /api/v1/status every few seconds, without
// reloading the page. Sections: each Alertmanager (state, queue against capacity, send rate and
// queue sparklines from the document's "history", p99 latency, last success and error), the watch
// (peers, Alertmanager cluster, pair consistency, deadman, promha's own alerts), remote write and
// the HA role (only when the document has "remoteWrite"), and the config's last reload.
// Thread-safety: free functions on values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace promha::web {

// How often status.js refreshes the page (seconds).
inline constexpr int kStatusRefreshSeconds = 5;

// The whole page. Missing or mistyped fields render as "–", never throw.
std::string renderStatusPage(const nlohmann::ordered_json& status);

// The sections, as status.js renders them too (exposed for tests).
std::string renderAlertmanagers(const nlohmann::ordered_json& status);
std::string renderWatch(const nlohmann::ordered_json& status);
std::string renderRemoteWrite(const nlohmann::ordered_json& status);  // "" without "remoteWrite"

// An inline SVG sparkline of `values` (null = no value) at times `t` (unix seconds), the newest
// at the right edge and `window_seconds` across; "" with fewer than two values.
std::string sparkline(const nlohmann::ordered_json& t, const nlohmann::ordered_json& values,
                      double window_seconds, const std::string& label, bool bad = false);

}  // namespace promha::web
