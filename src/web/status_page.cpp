#include "web/status_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "alert/codec.h"
#include "web/html.h"

namespace promha::web {
namespace {

using json = nlohmann::ordered_json;

const json& kNull() {
  static const json null;
  return null;
}

// j[key] without the undefined behaviour of const operator[] on a missing key.
const json& at(const json& j, const char* key) {
  if (!j.is_object()) return kNull();
  const auto it = j.find(key);
  return it == j.end() ? kNull() : *it;
}

std::string str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string text(const json& j, const char* key) { return escape(str(at(j, key))); }

std::optional<double> num(const json& j) {
  if (j.is_number()) return j.get<double>();
  return std::nullopt;
}

bool truthy(const json& j) { return j.is_boolean() && j.get<bool>(); }

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string count(const json& j) {
  const auto v = num(j);
  return v ? fixed(*v, 0) : "–";
}

// As status.js's fmtRate: alerts per second.
std::string fmtRate(const json& j) {
  const auto v = num(j);
  if (!v) return "–";
  return fixed(*v, *v < 10 ? 2 : *v < 100 ? 1 : 0) + "/s";
}

// As status.js's fmtSeconds: a latency.
std::string fmtSeconds(const json& j) {
  const auto v = num(j);
  if (!v) return "–";
  if (*v < 1) return fixed(*v * 1000, *v < 0.01 ? 2 : *v < 0.1 ? 1 : 0) + " ms";
  return fixed(*v, 2) + " s";
}

// As status.js's fmtAgo.
std::string fmtAgo(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 90) return std::to_string(seconds) + " s ago";
  if (seconds < 90 * 60) return std::to_string((seconds + 30) / 60) + " min ago";
  if (seconds < 48 * 3600) return std::to_string((seconds + 1800) / 3600) + " h ago";
  return std::to_string((seconds + 43200) / 86400) + " d ago";
}

// An RFC 3339 time as "2026-01-02 15:04:05 UTC (12 s ago)" in a <time> element; `none` when
// empty.
std::string timeHtml(const json& j, int64_t now_ns, const char* none = "never") {
  const std::string s = str(j);
  if (s.empty()) return std::string("<span class=\"sub\">") + none + "</span>";
  int64_t ns = 0;
  std::string shown = s;
  std::string ago;
  if (alert::parseTime(s, ns)) {
    shown = alert::formatTime(ns);
    shown = shown.substr(0, 10) + " " + shown.substr(11, 8) + " UTC";
    if (now_ns > 0)
      ago = " <span class=\"ago\">(" + fmtAgo((now_ns - ns) / 1'000'000'000) + ")</span>";
  }
  return "<time datetime=\"" + escape(s) + "\">" + escape(shown) + "</time>" + ago;
}

int64_t nowNs(const json& status) {
  int64_t ns = 0;
  const std::string s = str(at(status, "now"));
  return !s.empty() && alert::parseTime(s, ns) ? ns : 0;
}

std::string badge(const std::string& state, const std::string& cls) {
  return "<span class=\"state state-" + escape(cls) + "\">" + escape(state) + "</span>";
}

const json& historyOf(const json& status, const std::string& url) {
  for (const auto& h : at(at(status, "history"), "alertmanagers")) {
    if (str(at(h, "url")) == url) return h;
  }
  return kNull();
}

double historyWindow(const json& status) {
  const json& h = at(status, "history");
  const auto n = num(at(h, "samples"));
  const auto i = num(at(h, "intervalSeconds"));
  return n && i ? *n * *i : 900;
}

std::string headRow(std::initializer_list<const char*> cols) {
  std::string h = "<thead><tr>";
  for (const char* c : cols) h += std::string("<th scope=\"col\">") + c + "</th>";
  return h + "</tr></thead>";
}

std::string cell(const char* label, const std::string& html, const char* cls = nullptr) {
  return std::string("<td data-label=\"") + label + "\"" +
         (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + html + "</td>";
}

std::string summary(const json& status) {
  const int64_t now = nowNs(status);
  std::string h = "promha <strong>" + text(status, "version") + "</strong>, started " +
                  timeHtml(at(status, "startTime"), now, "–") + ". ";
  size_t n = 0, up = 0, retrying = 0, down = 0;
  for (const auto& a : at(status, "alertmanagers")) {
    ++n;
    const std::string s = str(at(a, "state"));
    up += s == "up";
    retrying += s == "retrying";
    down += s == "down";
  }
  h += "<strong>" + std::to_string(n) + "</strong> Alertmanager" + (n == 1 ? "" : "s") + ": " +
       std::to_string(up) + " up, " + std::to_string(retrying) + " retrying, " +
       std::to_string(down) + " down.";
  return h;
}

std::string configSection(const json& status) {
  const json& c = at(status, "config");
  const int64_t now = nowNs(status);
  std::string h = "<p>File <code>" + text(c, "file") + "</code>: last reload ";
  if (truthy(at(c, "lastReloadSuccessful"))) {
    h += badge("successful", "ok") + " at " + timeHtml(at(c, "lastReloadSuccessTime"), now) +
         ".</p>";
  } else {
    h += badge("failed", "bad") + "; promha keeps running the previous configuration.</p>" +
         "<pre class=\"error-text\">" + text(c, "lastReloadError") + "</pre>";
  }
  return h +
         "<p><a href=\"/config\">Show the loaded configuration</a> (secrets hidden) · <a "
         "href=\"/relabel\">Debug its relabel rules</a></p>";
}

}  // namespace

std::string sparkline(const json& t, const json& values, double window_seconds,
                      const std::string& label, bool bad) {
  constexpr double kW = 120, kH = 28;
  if (!t.is_array() || !values.is_array() || t.size() != values.size() || t.empty()) return "";
  const auto last_t = num(t.back());
  const auto first_t = num(t.front());
  if (!last_t || !first_t || window_seconds <= 0) return "";
  // A young history spans the width from its first sample (at least a minute), not 15 empty
  // minutes with a dot at the end.
  window_seconds = std::min(window_seconds, std::max(60.0, *last_t - *first_t));
  double max = 0, last = 0;
  size_t points = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (const auto v = num(values[i])) {
      max = std::max(max, *v);
      last = *v;
      ++points;
    }
  }
  if (points < 2) return "";
  const double scale = max > 0 ? max : 1;
  std::string pts;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto v = num(values[i]);
    const auto ti = num(t[i]);
    if (!v || !ti) continue;
    const double x = std::max(0.0, kW - (*last_t - *ti) / window_seconds * kW);
    const double y = kH - 2 - *v / scale * (kH - 4);
    if (!pts.empty()) pts += ' ';
    pts += fixed(x, 1) + "," + fixed(y, 1);
  }
  const std::string aria = label + ", last " + fixed(std::ceil(window_seconds / 60), 0) +
                           " min: now " + fixed(last, last < 10 ? 2 : 0) + ", max " +
                           fixed(max, max < 10 ? 2 : 0);
  return "<svg class=\"spark" + std::string(bad ? " bad" : "") +
         "\" viewBox=\"0 0 120 28\" width=\"120\" height=\"28\" role=\"img\" aria-label=\"" +
         escape(aria) + "\"><line class=\"base\" x1=\"0\" y1=\"26\" x2=\"120\" y2=\"26\" " +
         "stroke-width=\"1\"/><polyline points=\"" + pts +
         "\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" " +
         "stroke-linejoin=\"round\"/></svg>";
}

std::string renderAlertmanagers(const json& status) {
  const json& ams = at(status, "alertmanagers");
  const int64_t now = nowNs(status);
  const double window = historyWindow(status);
  std::string h;
  if (!ams.is_array() || ams.empty()) {
    h = "<p>No Alertmanager discovered yet.</p>";
  } else {
    h = "<table class=\"cards\" id=\"alertmanager-table\"><caption class=\"visually-hidden\">"
        "Delivery to each Alertmanager</caption>" +
        headRow({"Alertmanager", "State", "Queue", "Send rate", "p99 latency",
                 "Sent / errors / dropped", "Last success", "Last error"}) +
        "<tbody>";
    for (const auto& a : ams) {
      const std::string url = str(at(a, "url"));
      const std::string state = str(at(a, "state"));
      const json& hist = historyOf(status, url);
      const std::string reason = str(at(a, "stateReason"));
      h += "<tr data-url=\"" + escape(url) + "\" data-state=\"" + escape(state) + "\">";
      h += "<th scope=\"row\"><span class=\"url\">" + escape(url) + "</span><span class=\"sub\">" +
           "block " + count(at(a, "block")) + " · API " + text(a, "apiVersion") + "</span></th>";
      h += cell("State",
                badge(state.empty() ? "unknown" : state, state) +
                    (reason.empty() ? "" : "<span class=\"sub\">" + escape(reason) + "</span>"));
      const auto len = num(at(a, "queueLength"));
      const auto cap = num(at(a, "queueCapacity"));
      std::string q = "<span class=\"num\">" + count(at(a, "queueLength")) + " / " +
                      count(at(a, "queueCapacity")) + "</span>";
      if (len && cap && *cap > 0) {
        q += " <meter min=\"0\" max=\"" + fixed(*cap, 0) + "\" high=\"" + fixed(*cap * 0.8, 0) +
             "\" value=\"" + fixed(*len, 0) + "\" aria-label=\"queue fill\"></meter>";
      }
      q += sparkline(at(hist, "t"), at(hist, "queueLength"), window, "Queue length");
      h += cell("Queue", q);
      h += cell("Send rate", "<span class=\"num\">" + fmtRate(at(a, "sendRate")) + "</span>" +
                                 sparkline(at(hist, "t"), at(hist, "sendRate"), window,
                                           "Alerts sent per second"));
      h += cell("p99 latency",
                "<span class=\"num\">" + fmtSeconds(at(a, "latencyP99Seconds")) + "</span>");
      h += cell("Sent / errors / dropped", "<span class=\"num\">" + count(at(a, "sent")) + " / " +
                                               count(at(a, "errors")) + " / " +
                                               count(at(a, "dropped")) + "</span>");
      h += cell("Last success", timeHtml(at(a, "lastSuccess"), now));
      const std::string err = str(at(a, "lastError"));
      h += cell("Last error", err.empty()
                                  ? "<span class=\"sub\">none</span>"
                                  : "<span class=\"error-text\">" + escape(err) +
                                        "</span><span class=\"sub\">" +
                                        timeHtml(at(a, "lastErrorTime"), now, "") + "</span>");
      h += "</tr>";
    }
    h += "</tbody></table>";
  }
  std::string errors;
  const json& de = at(status, "discoveryErrors");
  for (size_t i = 0; de.is_array() && i < de.size(); ++i) {
    if (!str(de[i]).empty()) {
      errors += "<li>alertmanagers[" + std::to_string(i) + "]: " + escape(str(de[i])) + "</li>";
    }
  }
  if (!errors.empty()) h += "<p>Discovery errors:</p><ul class=\"error-text\">" + errors + "</ul>";
  return h;
}

std::string renderWatch(const json& status) {
  const json& w = at(status, "watch");
  const int64_t now = nowNs(status);
  std::string h = "<h3>Peers</h3>";
  const json& peers = at(w, "peers");
  if (!peers.is_array() || peers.empty()) {
    h += "<p>No peer configured (<code>watch.peers</code>).</p>";
  } else {
    h += "<table class=\"cards\" id=\"peer-table\"><caption class=\"visually-hidden\">Peer "
         "Prometheus replicas</caption>" +
         headRow({"Peer", "State", "Since", "Last success", "Last error"}) + "<tbody>";
    for (const auto& p : peers) {
      const bool probed = truthy(at(p, "probed"));
      const bool up = truthy(at(p, "up"));
      const std::string state = !probed ? "unknown" : up ? "up" : "down";
      std::string st = badge(state, !probed ? "warn" : up ? "up" : "down");
      if (probed && up)
        st += " <span class=\"sub\">" +
              std::string(truthy(at(p, "ready")) ? "ready" : "not ready") + "</span>";
      h += "<tr data-peer=\"" + text(p, "name") + "\" data-state=\"" + state + "\">";
      h += "<th scope=\"row\">" + text(p, "name") +
           (truthy(at(p, "local")) ? " <span class=\"sub\">(local)</span>" : "") +
           "<span class=\"sub url\">" + text(p, "url") + "</span></th>";
      h += cell("State", st);
      h += cell("Since", timeHtml(at(p, "lastChange"), now, "–"));
      h += cell("Last success", timeHtml(at(p, "lastSuccess"), now));
      const std::string err = str(at(p, "lastError"));
      h +=
          cell("Last error", err.empty() ? "<span class=\"sub\">none</span>"
                                         : "<span class=\"error-text\">" + escape(err) + "</span>");
      h += "</tr>";
    }
    h += "</tbody></table>";
  }

  h += "<h3>Alertmanager cluster</h3>";
  const json& c = at(w, "alertmanagerCluster");
  if (!truthy(at(c, "enabled"))) {
    h += "<p>" + badge("check off", "warn") +
         " (<code>watch.alertmanager_cluster.enabled</code>).</p>";
  } else {
    const bool consistent = truthy(at(c, "consistent"));
    h += "<p id=\"cluster-verdict\">" +
         (consistent ? badge("consistent", "ok") + " every Alertmanager sees the same peers."
                     : badge("inconsistent", "bad") + " see the findings below.") +
         "</p>";
    const json& findings = at(c, "findings");
    if (findings.is_array() && !findings.empty()) {
      h += "<ul class=\"findings\">";
      for (const auto& f : findings) {
        std::string who;
        for (const auto& i : at(f, "alertmanagers")) who += (who.empty() ? "" : ", ") + str(i);
        h += "<li><strong>" + text(f, "reason") + "</strong>: " + text(f, "detail") +
             (who.empty() ? "" : " <span class=\"sub\">(" + escape(who) + ")</span>") + "</li>";
      }
      h += "</ul>";
    }
    const json& ams = at(c, "alertmanagers");
    if (ams.is_array() && !ams.empty()) {
      h += "<table class=\"cards\" id=\"cluster-table\"><caption class=\"visually-hidden\">"
           "Cluster view of each Alertmanager</caption>" +
           headRow({"Alertmanager", "Cluster status", "Peers", "Last probe", "Last error"}) +
           "<tbody>";
      for (const auto& a : ams) {
        const std::string s = str(at(a, "status"));
        const std::string cls = s == "ready" ? "up" : s == "unreachable" ? "down" : "warn";
        const std::string err = str(at(a, "lastError"));
        h += "<tr><th scope=\"row\" class=\"url\">" + text(a, "url") + "</th>" +
             cell("Cluster status", badge(s.empty() ? "unknown" : s, cls)) +
             cell("Peers", "<span class=\"num\">" + count(at(a, "peers")) + "</span>") +
             cell("Last probe", timeHtml(at(a, "lastProbe"), now)) +
             cell("Last error", err.empty()
                                    ? "<span class=\"sub\">none</span>"
                                    : "<span class=\"error-text\">" + escape(err) + "</span>") +
             "</tr>";
      }
      h += "</tbody></table>";
    }
  }

  h += "<h3>Pair consistency</h3>";
  const json& pair = at(w, "pair");
  if (!truthy(at(pair, "known"))) {
    h += "<p>Not compared: no peer with a <code>promha_url</code>, or not fetched yet.</p>";
  } else {
    h += "<p>Alerts firing only here: <strong>" + count(at(pair, "onlyHere")) +
         "</strong>; only on the peer: <strong>" + count(at(pair, "onlyPeer")) + "</strong>.</p>";
    for (const char* key : {"onlyHereExamples", "onlyPeerExamples"}) {
      const json& ex = at(pair, key);
      if (!ex.is_array() || ex.empty()) continue;
      h += std::string("<p class=\"sub\">") +
           (std::string(key) == "onlyHereExamples" ? "Only here" : "Only on the peer") +
           ":</p><ul class=\"plain\">";
      for (const auto& e : ex) h += "<li><code>" + escape(str(e)) + "</code></li>";
      h += "</ul>";
    }
  }
  const json& deadman = at(w, "deadman");
  if (deadman.is_object()) {
    h += "<h3>Deadman</h3><p><code>" + text(deadman, "alertname") + "</code> last seen " +
         timeHtml(at(deadman, "lastSeen"), now) + ".</p>";
  }

  h += "<h3>promha's own alerts</h3>";
  const json& own = at(w, "selfAlerts");
  if (!own.is_array() || own.empty()) {
    h += "<p id=\"self-alerts\">None firing.</p>";
  } else {
    h += "<ul class=\"plain\" id=\"self-alerts\">";
    for (const auto& a : own) {
      const bool firing = truthy(at(a, "firing"));
      h += "<li>" + badge(firing ? "firing" : "resolved", firing ? "bad" : "ok") + " <code>" +
           text(a, "labels") + "</code> <span class=\"sub\">since " +
           timeHtml(at(a, "since"), now, "–") + "</span></li>";
    }
    h += "</ul>";
  }
  return h;
}

// The HA role of this replica (ha.replicas): who forwards remote write.
std::string renderHa(const json& status) {
  if (!status.contains("ha")) return "";
  const json& ha = at(status, "ha");
  std::string h = "<h3 id=\"h-ha\">HA role</h3>";
  if (!truthy(at(ha, "enabled"))) {
    return h +
           "<p id=\"ha-summary\" data-role=\"leader\">Remote-write HA is off "
           "(<code>ha.replicas</code>): this promha forwards everything.</p>";
  }
  const std::string role = str(at(ha, "role"));
  h += "<p id=\"ha-summary\" data-role=\"" + escape(role) + "\">Replica <strong>" +
       escape(str(at(ha, "replica"))) + "</strong> is " +
       badge(role, role == "leader" ? "ok" : "warn") + "; the leader is <strong>" +
       escape(str(at(ha, "leader"))) + "</strong>";
  if (truthy(at(ha, "failOpen"))) h += " " + badge("fail open: a peer is unreachable", "bad");
  h += ".</p>";
  return h;
}

std::string renderRemoteWrite(const json& status) {
  if (!status.is_object() || !status.contains("remoteWrite")) return "";
  const json& rw = at(status, "remoteWrite");
  std::string h =
      "<section aria-labelledby=\"h-remote-write\"><h2 id=\"h-remote-write\">Remote write and HA "
      "role</h2>";
  if (!rw.is_object() || rw.empty()) return h + "<p>" + escape(str(rw)) + "</p></section>";
  // The shape is the remote-write module's: scalar fields as a list, lists of objects as tables
  // (one column per key), anything else as JSON.
  std::string scalars, nested;
  for (const auto& [k, v] : rw.items()) {
    if (!v.is_structured()) {
      scalars += "<dt>" + escape(k) + "</dt><dd>" + escape(str(v)) + "</dd>";
      continue;
    }
    nested += "<h3>" + escape(k) + "</h3>";
    const bool table = v.is_array() &&
                       std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_object(); });
    if (!table) {
      nested += "<pre>" + escape(v.dump(2, ' ', false, json::error_handler_t::replace)) + "</pre>";
    } else if (v.empty()) {
      nested += "<p>None.</p>";
    } else {
      std::vector<std::string> cols;
      for (const auto& e : v) {
        for (const auto& [c, _] : e.items()) {
          if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
        }
      }
      nested += "<table class=\"cards\"><caption class=\"visually-hidden\">" + escape(k) +
                "</caption><thead><tr>";
      for (const auto& c : cols) nested += "<th scope=\"col\">" + escape(c) + "</th>";
      nested += "</tr></thead><tbody>";
      for (const auto& e : v) {
        nested += "<tr>";
        for (const auto& c : cols) {
          nested +=
              "<td data-label=\"" + escape(c) + "\">" + escape(str(at(e, c.c_str()))) + "</td>";
        }
        nested += "</tr>";
      }
      nested += "</tbody></table>";
    }
  }
  if (!scalars.empty()) h += "<dl class=\"kv\">" + scalars + "</dl>";
  return h + nested + renderHa(status) + "</section>";
}

std::string renderStatusPage(const json& status) {
  if (!status.is_object()) {
    return layout(Page::kStatus, "Status", "<h1>Status</h1><p>Status unavailable.</p>", "");
  }
  const Values v{
      {"refresh", std::to_string(kStatusRefreshSeconds)},
      {"summary", summary(status)},
      {"alertmanagers", renderAlertmanagers(status)},
      {"watch", renderWatch(status)},
      {"remote_write", renderRemoteWrite(status)},
      {"config", configSection(status)},
      {"updated", "Rendered by promha at " + timeHtml(at(status, "now"), 0, "–") +
                      "; without JavaScript this page reloads every 10 s."},
  };
  // Without JavaScript, reload; with it, status.js updates the page in place instead.
  return layout(Page::kStatus, "Status", fill(asset("status.html"), v), "status.js",
                "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>");
}

}  // namespace promha::web
