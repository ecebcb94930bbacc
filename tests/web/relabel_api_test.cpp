// POST /api/v1/relabel (web::handleRelabel): the JSON it answers, that its result and trace are
// the CLI's (`promha relabel --output json --trace` and `--trace`, run in-process on the same
// rules and labels), and every bad request as a 400 (or 413) naming the field and position.
#include "web/relabel_api.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/relabel_cmd.h"

namespace web = promha::web;
namespace cli = promha::cli;
using json = nlohmann::json;

namespace {

const std::string kRules = R"(- action: labeldrop
  regex: replica
- source_labels: [severity]
  regex: "(?i)crit(ical)?"
  target_label: severity
  replacement: critical
- source_labels: [alertname]
  regex: Watchdog
  action: drop
)";

json post(const json& req, int want_status = 200) {
  const promha::http::Response r = web::handleRelabel(req.dump(), {});
  CHECK_MESSAGE(r.status == want_status, r.body);
  CHECK(r.content_type == "application/json");
  return json::parse(r.body);
}

// Runs `promha relabel ARGS` in-process; returns its stdout (exit 0 required).
std::string promhaRelabel(const std::vector<std::string>& args) {
  static constexpr cli::Command kCommands[] = {
      {"relabel", "Dry-run alert relabel rules on label sets.", cli::relabelCommand}};
  std::istringstream in;
  std::ostringstream out, err;
  cli::Streams io{in, out, err};
  std::vector<std::string> all{"relabel"};
  all.insert(all.end(), args.begin(), args.end());
  const int code = cli::dispatch(kCommands, all, io);
  REQUIRE_MESSAGE(code == 0, err.str());
  return out.str();
}

std::string writeTemp(const std::string& name, const std::string& text) {
  static std::atomic<int> n{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("promha-web-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace

TEST_CASE("relabel API: the result and trace are the CLI's") {
  const std::string file = writeTemp("rules.yml", kRules);
  const char* inputs[] = {
      R"({alertname="X", replica="A", severity="crit"})",
      R"({alertname="Watchdog", replica="B"})",
      R"({"service.name"="api", alertname="Y"})",
  };
  for (const char* labels : inputs) {
    SUBCASE(labels) {
      const json got = post({{"rules", kRules}, {"labels", labels}});
      REQUIRE(got["results"].size() == 1);
      json r = got["results"][0];
      // The text is byte for byte what `promha relabel --trace` prints.
      CHECK(r["text"].get<std::string>() ==
            promhaRelabel({"--rules", file, "--labels", labels, "--trace"}));
      // Without the page's extra fields, the object is the CLI's JSON line.
      const json want = json::parse(
          promhaRelabel({"--rules", file, "--labels", labels, "--output=json", "--trace"}));
      r.erase("input");
      r.erase("text");
      for (auto& s : r["steps"]) {
        for (const char* extra : {"list", "line", "description", "diff"}) s.erase(extra);
      }
      CHECK(r == want);
    }
  }
}

TEST_CASE("relabel API: response shape") {
  const json got =
      post({{"rules", kRules}, {"labels", R"({alertname="X", replica="A", severity="crit"})"}});
  REQUIRE(got["rules"].size() == 3);
  CHECK(got["rules"][1] == json{{"path", "rules[1]"},
                                {"list", 0},
                                {"line", 3},
                                {"description",
                                 "{action: replace, source_labels: [severity], regex: "
                                 "\"(?i)crit(ical)?\", target_label: \"severity\", replacement: "
                                 "\"critical\"}"}});
  const json& r = got["results"][0];
  CHECK(r["input"] == json{{"alertname", "X"}, {"replica", "A"}, {"severity", "crit"}});
  CHECK(r["labels"] == json{{"alertname", "X"}, {"severity", "critical"}});
  REQUIRE(r["steps"].size() == 2);
  const json& s = r["steps"][1];
  CHECK(s["step"] == "rules[1]");
  CHECK(s["rule"] == 1);
  CHECK(s["list"] == 0);
  CHECK(s["line"] == 3);
  CHECK(s["diff"] == json::parse(R"([{"op":"-","name":"severity","value":"crit"},
                                     {"op":"+","name":"severity","value":"critical"}])"));
  CHECK_FALSE(r.contains("replicas"));
}

TEST_CASE("relabel API: rule lists in order, external labels, alerts") {
  const json req = {
      {"rules",
       {{{"name", "alerting.alert_relabel_configs"},
         {"yaml", "- {action: labeldrop, regex: replica}"}},
        {{"name", "alerting.alertmanagers[0].alert_relabel_configs"},
         {"yaml", "\n- source_labels: [severity]\n  regex: info\n  action: drop\n"}}}},
      {"externalLabels", R"({cluster="eu", replica="P"})"},
      {"alerts",
       R"([{"labels":{"alertname":"A","severity":"info"}},{"labels":{"alertname":"B"}}])"}};
  const json got = post(req);
  CHECK(got["rules"][1]["path"] == "alerting.alertmanagers[0].alert_relabel_configs[0]");
  CHECK(got["rules"][1]["list"] == 1);
  CHECK(got["rules"][1]["line"] == 2);  // within its own list's text
  REQUIRE(got["results"].size() == 2);
  const json& a = got["results"][0];
  CHECK(a["dropped"] == true);
  CHECK(a["rule"] == 1);
  CHECK(a["steps"][0]["step"] == "external_labels");
  CHECK(a["steps"][0]["diff"].size() == 2);
  CHECK(a["steps"].back()["dropped"] == true);
  CHECK(a["text"].get<std::string>().find(
            "result: dropped by alerting.alertmanagers[0].alert_relabel_configs[0] (line 2)") !=
        std::string::npos);
  CHECK(got["results"][1]["labels"] == json{{"alertname", "B"}, {"cluster", "eu"}});
}

TEST_CASE("relabel API: replica A vs B") {
  SUBCASE("labeldrop replica: they collapse") {
    const json got = post({{"rules", "- {action: labeldrop, regex: replica}"},
                           {"labels", R"({alertname="X"})"},
                           {"replicas", json::object()}});
    const json& c = got["results"][0]["replicas"];
    CHECK(c["label"] == "replica");
    CHECK(c["collapse"] == true);
    CHECK(c["explanation"] == "");
    CHECK(c["a"]["input"] == json{{"alertname", "X"}, {"replica", "A"}});
    CHECK(c["b"]["input"] == json{{"alertname", "X"}, {"replica", "B"}});
    CHECK(c["a"]["labels"] == c["b"]["labels"]);
  }
  SUBCASE("no rules: they do not, and the explanation names the fix") {
    const json got =
        post({{"labels", R"({alertname="X"})"},
              {"replicas", {{"label", "prometheus_replica"}, {"a", "p0"}, {"b", "p1"}}}});
    const json& c = got["results"][0]["replicas"];
    CHECK(c["collapse"] == false);
    CHECK(c["a"]["labels"]["prometheus_replica"] == "p0");
    const std::string why = c["explanation"];
    CHECK(why.find("\"prometheus_replica\"") != std::string::npos);
    CHECK(why.find("action: labeldrop") != std::string::npos);
  }
}

TEST_CASE("relabel API: no input checks the rules only") {
  const json got = post({{"rules", kRules}, {"labels", "  "}});
  CHECK(got["rules"].size() == 3);
  CHECK(got["results"].empty());
}

TEST_CASE("relabel API: bad requests") {
  struct Row {
    const char* name;
    std::string body;
    int status;
    std::string field;
    int line, column;
    std::string message;  // a part of the first error's message
  };
  const std::string many = [] {
    json a = json::array();
    for (size_t i = 0; i <= web::kMaxRelabelInputs; ++i) a.push_back(json::object());
    return a.dump();
  }();
  const Row rows[] = {
      {"invalid JSON", "{", 400, "body", 0, 0, "invalid JSON"},
      {"not an object", "[1]", 400, "body", 0, 0, "must be a JSON object"},
      {"unknown field", R"({"rule": ""})", 400, "body", 0, 0, "unknown field 'rule'"},
      {"scheme", R"({"scheme": "ascii"})", 400, "scheme", 0, 0, "utf8 or legacy"},
      {"rules of a wrong type", R"({"rules": 3})", 400, "rules", 0, 0, "must be a YAML string"},
      {"rule list without yaml", R"({"rules": [{"name": ""}]})", 400, "rules", 0, 0,
       "'name' must have"},
      {"broken regex",
       json{{"rules", "- action: keep\n  source_labels: [a]\n  regex: \"(x\"\n"}}.dump(), 400,
       "rules", 3, 10, "[0].regex: error parsing regexp: missing )"},
      {"YAML syntax", json{{"rules", "- action: keep\n  regex: [\n"}}.dump(), 400, "rules", 3, 1,
       ""},
      {"not a list", json{{"rules", "action: keep\n"}}.dump(), 400, "rules", 1, 1,
       "must be a list of relabel configs"},
      {"unknown action", json{{"rules", "- action: nope\n"}}.dump(), 400, "rules", 1, 11,
       "[0].action: unknown relabel action \"nope\""},
      {"label set syntax", R"({"labels": "{a=b}"})", 400, "labels", 1, 4,
       "expected a quoted label value"},
      {"alert JSON", R"({"alerts": "{\"labels\": {\"a\": 1}}"})", 400, "alerts", 1, 1,
       "value must be a string"},
      {"external labels", R"({"externalLabels": "{"})", 400, "externalLabels", 1, 2, ""},
      {"replicas label", R"({"replicas": {"label": ""}})", 400, "replicas", 0, 0,
       "is not a valid label name"},
      {"replicas value", R"({"replicas": {"a": ""}})", 400, "replicas", 0, 0, "'a' and 'b'"},
      {"too many alerts", json{{"alerts", many}}.dump(), 400, "alerts", 0, 0, "at most 100"},
      {"too large", std::string(web::kMaxRelabelRequestBytes + 1, ' '), 413, "body", 0, 0,
       "larger than"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      const promha::http::Response r = web::handleRelabel(row.body, {});
      CHECK(r.status == row.status);
      const json j = json::parse(r.body);
      REQUIRE(j["errors"].size() >= 1);
      const json& e = j["errors"][0];
      CHECK(e["field"] == row.field);
      CHECK(e["line"] == row.line);
      CHECK(e["column"] == row.column);
      CHECK_MESSAGE(e["message"].get<std::string>().find(row.message) != std::string::npos,
                    e["message"]);
      CHECK(!j["error"].get<std::string>().empty());
    }
  }
}

TEST_CASE("relabel API: every rule error of every list, each at its position") {
  const json got =
      post({{"rules",
             {{{"name", "a"}, {"yaml", "- action: nope\n- {action: keep, regex: '('}\n"}},
              {{"name", "b"}, {"yaml", "- {action: replace}\n"}}}}},
           400);
  REQUIRE(got["errors"].size() == 3);
  CHECK(got["errors"][0]["list"] == 0);
  CHECK(got["errors"][1]["list"] == 0);
  CHECK(got["errors"][1]["line"] == 2);
  CHECK(got["errors"][2]["list"] == 1);
  CHECK(got["errors"][2]["name"] == "b");
  CHECK(got["error"].get<std::string>().rfind("a:1:11: ", 0) == 0);
}

TEST_CASE("relabel API: the label-name scheme") {
  const json req = {{"labels", R"({"service.name"="x"})"}};
  CHECK(web::handleRelabel(req.dump(), {}).status == 200);
  CHECK(web::handleRelabel(req.dump(), {promha::core::NameScheme::kLegacy}).status == 400);
  json utf8 = req;
  utf8["scheme"] = "utf8";
  CHECK(web::handleRelabel(utf8.dump(), {promha::core::NameScheme::kLegacy}).status == 200);
}
