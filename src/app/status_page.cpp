#include "app/status_page.h"

#include <nlohmann/json.hpp>

namespace promha::app {
namespace {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string str(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

}  // namespace

std::string renderStatusPage(const std::string& status_json) {
  const auto j = nlohmann::json::parse(status_json, nullptr, false);
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"5\"><title>promha status</title><style>"
      "body{font-family:system-ui,sans-serif;margin:1rem;color:#111;background:#fff}"
      "table{border-collapse:collapse;margin:.5rem 0;width:100%}"
      "th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}"
      "th{background:#e8e8e8}.up{color:#064}.retrying{color:#8a4b00}.bad{color:#a00}"
      "pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}"
      "@media(max-width:600px){td,th{font-size:.8rem}}</style></head><body>"
      "<h1>promha</h1>";
  if (j.is_discarded()) return h + "<p class=\"bad\">status unavailable</p></body></html>";
  h += "<p>Version " + esc(str(j["version"])) + ", started " + esc(str(j["startTime"])) + ".</p>";
  const auto& c = j["config"];
  const bool ok = c["lastReloadSuccessful"].get<bool>();
  h += "<h2>Configuration</h2><p>File <code>" + esc(str(c["file"])) + "</code>: last reload " +
       (ok ? "<span class=\"up\">successful</span> at " + esc(str(c["lastReloadSuccessTime"]))
           : "<span class=\"bad\">failed</span>: <code>" + esc(str(c["lastReloadError"])) +
                 "</code>") +
       ".</p>";
  h += "<h2>Alertmanagers</h2><table><caption>Delivery per Alertmanager</caption><thead><tr>"
       "<th scope=\"col\">URL</th><th scope=\"col\">State</th><th scope=\"col\">Queue</th>"
       "<th scope=\"col\">Sent</th><th scope=\"col\">Errors</th><th scope=\"col\">Dropped</th>"
       "<th scope=\"col\">Last success</th><th scope=\"col\">Last error</th></tr></thead><tbody>";
  for (const auto& a : j["alertmanagers"]) {
    const std::string state = str(a["state"]);
    h += "<tr><td>" + esc(str(a["url"])) + "</td><td class=\"" + esc(state) + "\">" + esc(state) +
         "</td><td>" + str(a["queueLength"]) + " / " + str(a["queueCapacity"]) + "</td><td>" +
         str(a["sent"]) + "</td><td>" + str(a["errors"]) + "</td><td>" + str(a["dropped"]) +
         "</td><td>" + esc(str(a["lastSuccess"])) + "</td><td>" + esc(str(a["lastError"])) +
         (str(a["lastErrorTime"]).empty() ? "" : " (" + esc(str(a["lastErrorTime"])) + ")") +
         "</td></tr>";
  }
  if (j["alertmanagers"].empty()) h += "<tr><td colspan=\"8\">no Alertmanager discovered</td></tr>";
  h += "</tbody></table><h2>Loaded configuration</h2><pre>" + esc(str(c["yaml"])) + "</pre>";
  h += "<p><a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/status\">/api/v1/status</a></p>";
  return h + "</body></html>";
}

}  // namespace promha::app
