// The web UI's pages and routes: the server-rendered status page (every section, escaping,
// remote write only when present, never throwing on odd documents), the state each Alertmanager
// gets, the relabel and config pages, templates and the embedded files.
#include "web/pages.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "web/html.h"
#include "web/status_page.h"
#include "web/ui.h"

namespace web = promha::web;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const char* kStatus = R"({
  "version": "0.1.0", "startTime": "2026-01-02T15:04:05Z", "now": "2026-01-02T15:05:05Z",
  "config": {"file": "promha.yml", "lastReloadSuccessful": true,
             "lastReloadSuccessTime": "2026-01-02T15:04:05Z", "lastReloadError": ""},
  "alertmanagers": [
    {"block": 0, "url": "http://am-1:9093/api/v2/alerts", "apiVersion": "v2", "queueLength": 3,
     "queueCapacity": 10000, "sent": 42, "errors": 0, "dropped": 0, "lastSuccess": "2026-01-02T15:05:00Z",
     "lastError": "", "lastErrorTime": "", "state": "up", "stateReason": "", "sendRate": 1.5,
     "latencyP99Seconds": 0.0123},
    {"block": 0, "url": "http://am-2:9093/<b>", "apiVersion": "v2", "queueLength": 7,
     "queueCapacity": 10000, "sent": 1, "errors": 9, "dropped": 0, "lastSuccess": "",
     "lastError": "Connection refused <script>", "lastErrorTime": "2026-01-02T15:05:04Z",
     "state": "down", "stateReason": "3 attempts in a row failed", "sendRate": null,
     "latencyP99Seconds": null}],
  "discoveryErrors": ["", "no such host"],
  "history": {"intervalSeconds": 5, "samples": 180, "alertmanagers": [
    {"url": "http://am-1:9093/api/v2/alerts", "t": [1767366290, 1767366295, 1767366300],
     "queueLength": [1, 5, 3], "sendRate": [null, 2, 1.5], "errorRate": [null, 0, 0]}]},
  "watch": {"peers": [{"name": "B", "url": "http://prom-b:9090", "probed": true, "up": false,
                       "ready": false, "lastChange": "2026-01-02T15:04:35Z", "lastSuccess": "",
                       "lastError": "connection refused"}],
            "alertmanagerCluster": {"enabled": true, "consistent": false,
              "findings": [{"reason": "peers_missing", "alertmanagers": ["am-2:9093"],
                            "detail": "am-1 does not see am-2"}],
              "alertmanagers": [{"url": "http://am-2:9093/<b>", "status": "unreachable",
                                 "peers": 0, "lastProbe": "", "lastError": "refused"}]},
            "pair": {"known": true, "onlyHere": 1, "onlyPeer": 0,
                     "onlyHereExamples": ["{alertname=\"X\"}"], "onlyPeerExamples": []},
            "selfAlerts": [{"labels": "{alertname=\"PrometheusReplicaDown\", peer=\"B\"}",
                            "since": "2026-01-02T15:04:40Z", "firing": true}]}
})";

}  // namespace

TEST_CASE("status page: every section, server-rendered") {
  const std::string page = web::renderStatusPage(ordered_json::parse(kStatus));
  CHECK(has(page, "<html lang=\"en\">"));
  CHECK(has(page, "tr data-url=\"http://am-1:9093/api/v2/alerts\" data-state=\"up\""));
  CHECK(has(page, "<span class=\"state state-down\">down</span>"));
  CHECK(has(page, "3 attempts in a row failed"));
  CHECK(has(page, "3 / 10000"));
  CHECK(has(page, "<meter min=\"0\" max=\"10000\""));
  CHECK(has(page, "1.50/s"));
  CHECK(has(page, "12.3 ms"));
  CHECK(has(page, "2026-01-02 15:05:04 UTC</time> <span class=\"ago\">(1 s ago)</span>"));
  CHECK(has(page, "<strong>2</strong> Alertmanagers: 1 up, 0 retrying, 1 down."));
  CHECK(has(page, "alertmanagers[1]: no such host"));
  // 10 s of history spans the sparkline's width as its first minute.
  CHECK(has(page, "aria-label=\"Queue length, last 1 min: now 3.00, max 5.00\""));
  CHECK(has(page, "tr data-peer=\"B\" data-state=\"down\""));
  CHECK(has(page, "peers_missing"));
  CHECK(has(page, "Alerts firing only here: <strong>1</strong>"));
  CHECK(has(page, "PrometheusReplicaDown"));
  CHECK(has(page, "last reload <span class=\"state state-ok\">successful</span>"));
  CHECK(has(page, "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"));
  CHECK(has(page, "<script src=\"/static/status.js?v="));
  CHECK_FALSE(has(page, "h-remote-write"));  // no "remoteWrite" in the document
}

TEST_CASE("status page: everything from the document is escaped") {
  const std::string page = web::renderStatusPage(ordered_json::parse(kStatus));
  CHECK_FALSE(has(page, "<script>"));
  CHECK_FALSE(has(page, "/<b>"));
  CHECK(has(page, "Connection refused &lt;script&gt;"));
  CHECK(has(page, "http://am-2:9093/&lt;b&gt;"));
}

TEST_CASE("status page: remote write only when the document has it") {
  ordered_json j = ordered_json::parse(kStatus);
  j["remoteWrite"] = ordered_json::parse(R"({"role": "leader", "receivedSamples": 1200,
      "endpoints": [{"url": "http://vm:8428/api/v1/write", "state": "up"}, {"url": "<x>"}],
      "none": [], "other": {"q": 1}})");
  const std::string s = web::renderRemoteWrite(j);
  CHECK(has(s, "<h2 id=\"h-remote-write\">Remote write and HA role</h2>"));
  CHECK(has(s, "<dt>role</dt><dd>leader</dd><dt>receivedSamples</dt><dd>1200</dd>"));
  CHECK(has(s, "<h3>endpoints</h3><table class=\"cards\">"));
  CHECK(has(s, "<th scope=\"col\">url</th><th scope=\"col\">state</th>"));
  CHECK(has(s, "<td data-label=\"url\">&lt;x&gt;</td><td data-label=\"state\"></td>"));
  CHECK(has(s, "<h3>none</h3><p>None.</p>"));
  CHECK(has(s, "<h3>other</h3><pre>"));
  CHECK(web::renderRemoteWrite(ordered_json::parse(kStatus)).empty());
}

TEST_CASE("status page: the HA role from the document's ha section") {
  ordered_json j = ordered_json::parse(kStatus);
  j["remoteWrite"] = ordered_json::parse(R"({"receivedSamples": 10})");
  j["ha"] = ordered_json::parse(R"({"enabled": false, "role": "leader"})");
  CHECK(has(web::renderRemoteWrite(j), "Remote-write HA is off"));
  j["ha"] = ordered_json::parse(
      R"({"enabled": true, "replica": "B", "role": "follower", "leader": "<A>",
          "failOpen": false})");
  std::string s = web::renderRemoteWrite(j);
  CHECK(has(s, "<h3 id=\"h-ha\">HA role</h3>"));
  CHECK(has(s, "<p id=\"ha-summary\" data-role=\"follower\">Replica <strong>B</strong> is "));
  CHECK(has(s, "the leader is <strong>&lt;A&gt;</strong>."));
  CHECK_FALSE(has(s, "fail open"));
  j["ha"]["role"] = "leader";
  j["ha"]["failOpen"] = true;
  s = web::renderRemoteWrite(j);
  CHECK(has(s, "data-role=\"leader\""));
  CHECK(has(s, "fail open: a peer is unreachable"));
}

TEST_CASE("status page: odd documents render, never throw") {
  const char* docs[] = {"null",
                        "[]",
                        "{}",
                        R"({"alertmanagers": 3, "watch": []})",
                        R"({"alertmanagers": [1, {"url": 2, "queueLength": "x"}], "history": 5})",
                        R"({"config": {"lastReloadSuccessful": "yes"}, "now": "garbage"})"};
  for (const char* d : docs) {
    SUBCASE(d) {
      std::string page;
      CHECK_NOTHROW(page = web::renderStatusPage(ordered_json::parse(d)));
      CHECK(has(page, "</html>"));
    }
  }
}

TEST_CASE("sparkline") {
  const ordered_json t = ordered_json::parse("[0, 450, 900]");
  CHECK(web::sparkline(t, ordered_json::parse("[null, 1, 2]"), 900, "x") != "");
  CHECK(web::sparkline(t, ordered_json::parse("[null, null, 2]"), 900, "x").empty());  // one
  CHECK(web::sparkline(t, ordered_json::parse("[1, 2]"), 900, "x").empty());           // misaligned
  const std::string s = web::sparkline(t, ordered_json::parse("[0, 1, 2]"), 900, "Queue length");
  CHECK(has(s, "points=\"0.0,26.0 60.0,14.0 120.0,2.0\""));
  CHECK(has(s, "role=\"img\""));
}

TEST_CASE("Ui::annotateStatus: state, rates and history") {
  web::Ui ui({[] { return std::string("{}"); }, [] { return nullptr; },
              [] { return std::vector<web::AlertmanagerSample>{}; }});
  ordered_json j;
  j["alertmanagers"] = ordered_json::array();
  const struct {
    const char* url;
    int failures;
    const char* state;
    const char* reason;
  } rows[] = {
      {"http://a/", 0, "up", ""},
      {"http://b/", 1, "retrying", "1 attempt failed, backing off"},
      {"http://c/", 3, "down", "3 attempts in a row failed"},
      {"http://d/", 0, "down", "unreachable: Connection refused"},
  };
  for (const auto& r : rows)
    j["alertmanagers"].push_back({{"url", r.url}, {"consecutiveFailures", r.failures}});
  j["watch"]["alertmanagerCluster"]["alertmanagers"] = ordered_json::parse(
      R"([{"url": "http://d/", "reachable": false, "lastError": "Connection refused"},
          {"url": "http://a/", "reachable": true}])");
  ui.annotateStatus(j);
  for (size_t i = 0; i < std::size(rows); ++i) {
    CAPTURE(rows[i].url);
    CHECK(j["alertmanagers"][i]["state"] == rows[i].state);
    CHECK(j["alertmanagers"][i]["stateReason"] == rows[i].reason);
    CHECK(j["alertmanagers"][i]["sendRate"].is_null());
    CHECK(j["alertmanagers"][i]["latencyP99Seconds"].is_null());
  }
  CHECK(j["history"]["samples"] == 180);
  CHECK(j["history"]["intervalSeconds"] == 5.0);
  CHECK(j["now"].get<std::string>().size() >= 20);
}

TEST_CASE("Ui routes") {
  promha::http::Handlers h;
  web::Ui ui({[] { return std::string(kStatus); }, [] { return nullptr; },
              [] { return std::vector<web::AlertmanagerSample>{}; }});
  ui.addRoutes(h);
  REQUIRE(h.status_html);
  CHECK(has(h.status_html(), "am-1:9093"));
  for (const char* path :
       {"/relabel", "/config", "/static/style.css", "/static/status.js", "/static/relabel.js"}) {
    CAPTURE(path);
    REQUIRE(h.gets.count(path) == 1);
    const auto r = h.gets[path]();
    CHECK(r.status == 200);
    CHECK(!r.body.empty());
  }
  CHECK(h.gets["/static/style.css"]().content_type == "text/css; charset=utf-8");
  CHECK(h.gets.count("/static/layout.html") == 0);  // templates are not served
  REQUIRE(h.posts.count("/api/v1/relabel") == 1);
  const promha::http::Request req{R"({"labels": "{a=\"b\"}"})", [](const char*) { return ""; }};
  CHECK(h.posts["/api/v1/relabel"](req).status == 200);
}

TEST_CASE("relabel page: prefilled from the loaded config") {
  promha::core::Diagnostics diag("promha.yml");
  const auto cfg = promha::config::loadString(R"(global:
  external_labels: {cluster: eu}
ha: {replica_label: prometheus_replica}
alerting:
  alert_relabel_configs: [{action: labeldrop, regex: prometheus_replica}]
  alertmanagers:
    - static_configs: [{targets: ['am-0:9093', 'am-1:9093']}]
      alert_relabel_configs: [{source_labels: [x], regex: "</script><b>", action: drop}]
)",
                                              {}, diag);
  REQUIRE_MESSAGE(cfg.has_value(), diag.str());
  const ordered_json p = web::relabelPipelines(&*cfg);
  REQUIRE(p.size() == 3);
  CHECK(p[0]["id"] == "am-0");
  CHECK(p[0]["title"] ==
        "alerting.alertmanagers[0] (am-0:9093, am-1:9093): global, then its own rules");
  CHECK(p[0]["externalLabels"] == "{cluster=\"eu\"}");
  CHECK(p[0]["lists"][0]["yaml"] == "- regex: prometheus_replica\n  action: labeldrop\n");
  CHECK(p[0]["lists"][1]["name"] == "alerting.alertmanagers[0].alert_relabel_configs");
  CHECK(p[1]["id"] == "global");
  CHECK(p[2]["lists"][0]["name"] == "rules");

  const std::string page = web::renderRelabelPage(&*cfg);
  CHECK(has(page, "<option value=\"am-0\" selected>"));
  CHECK(has(page, "<textarea id=\"rules-1\""));
  CHECK(has(page, "value=\"prometheus_replica\""));
  CHECK(has(page, "value=\"{cluster=&quot;eu&quot;}\""));
  // The rules' text reaches the page escaped, in the textarea and in the JSON for the selector.
  CHECK(has(page, "&lt;/script&gt;&lt;b&gt;"));
  CHECK(has(page, "\\u003c/script\\u003e\\u003cb\\u003e"));
  CHECK_FALSE(has(page, "</script><b>"));

  const std::string none = web::renderRelabelPage(nullptr);
  CHECK(has(none, "<option value=\"rules\" selected>"));
}

TEST_CASE("config page: secrets as <secret>") {
  promha::core::Diagnostics diag("promha.yml");
  const auto cfg = promha::config::loadString(R"(alerting:
  alertmanagers:
    - static_configs: [{targets: ['am-0:9093']}]
      basic_auth: {username: u, password: hunter2}
)",
                                              {}, diag);
  REQUIRE_MESSAGE(cfg.has_value(), diag.str());
  const std::string page = web::renderConfigPage(json::parse(kStatus), &*cfg);
  CHECK(has(page, "password: &lt;secret&gt;"));
  CHECK_FALSE(has(page, "hunter2"));
  CHECK(has(page, "Loaded from <code>promha.yml</code>"));
  CHECK(has(page, "aria-current=\"page\">Configuration"));
}

TEST_CASE("fill and escape") {
  CHECK(web::fill("a {{x}} b {{y}} {{x}}", {{"x", "{{y}}"}, {"y", "2"}}) == "a {{y}} b 2 {{y}}");
  CHECK(web::fill("{{missing}}|{{unclosed", {}) == "|{{unclosed");
  CHECK(web::escape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(web::assetUrl("style.css").rfind("/static/style.css?v=", 0) == 0);
  CHECK(!web::asset("relabel.js").empty());
}
