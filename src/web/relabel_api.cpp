#include "web/relabel_api.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/ha_check.h"
#include "config/pipeline.h"
#include "core/yaml.h"
#include "dryrun/format.h"
#include "dryrun/input.h"
#include "relabel/rule.h"

namespace promha::web {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr size_t kMaxNameBytes = 256;  // a rule list's name, the replica label and values

// One problem with the request, pointing into the field (and rule list) it came from.
struct Problem {
  std::string field;  // "rules", "labels", "alerts", "externalLabels", "scheme", "replicas", "body"
  int list = -1;      // index into "rules" when field == "rules"
  core::Error error;  // file = the list or field name; line/col 1-based within that text
};

http::Response reply(int status, const ojson& j) {
  return {status, dryrun::dumpJson(j), "application/json"};
}

http::Response badRequest(const std::vector<Problem>& problems, int status = 400) {
  ojson j;
  j["error"] = problems.empty() ? std::string("bad request") : problems.front().error.str();
  ojson list = ojson::array();
  for (const auto& p : problems) {
    ojson e;
    e["field"] = p.field;
    if (p.list >= 0) e["list"] = p.list;
    e["name"] = p.error.file;
    e["line"] = p.error.line;
    e["column"] = p.error.col;
    e["message"] = p.error.message;
    list.push_back(std::move(e));
  }
  j["errors"] = std::move(list);
  return reply(status, j);
}

http::Response badRequest(const std::string& field, const std::string& message) {
  return badRequest({Problem{field, -1, core::Error{message, field}}});
}

// A string field, or nullopt when absent or null. Sets `bad` on a wrong type.
std::optional<std::string> stringField(const json& req, const char* key, std::string& bad) {
  const auto it = req.find(key);
  if (it == req.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    bad = std::string("'") + key + "' must be a string, got " + it->type_name();
    return std::nullopt;
  }
  return it->get<std::string>();
}

struct RuleList {
  std::string name;
  std::string yaml;
};

// The "rules" field: a YAML string (one list named "rules", as `promha relabel --rules`) or an
// array of {"name", "yaml"}.
std::optional<std::vector<RuleList>> ruleLists(const json& req, std::string& bad) {
  std::vector<RuleList> out;
  const auto it = req.find("rules");
  if (it == req.end() || it->is_null()) return out;
  if (it->is_string()) {
    out.push_back({"rules", it->get<std::string>()});
    return out;
  }
  if (!it->is_array()) {
    bad = std::string("'rules' must be a YAML string or an array of {\"name\", \"yaml\"}, got ") +
          it->type_name();
    return std::nullopt;
  }
  if (it->size() > kMaxRelabelRuleLists) {
    bad = "'rules' may hold at most " + std::to_string(kMaxRelabelRuleLists) + " lists";
    return std::nullopt;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    const std::string where = "rules[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      bad = where + " must be an object {\"name\", \"yaml\"}";
      return std::nullopt;
    }
    RuleList l{"rules", ""};
    if (auto n = stringField(e, "name", bad)) l.name = *n;
    if (auto y = stringField(e, "yaml", bad)) l.yaml = *y;
    if (!bad.empty()) {
      bad = where + ": " + bad;
      return std::nullopt;
    }
    if (l.name.empty() || l.name.size() > kMaxNameBytes) {
      bad = where + ": 'name' must have 1 to " + std::to_string(kMaxNameBytes) + " bytes";
      return std::nullopt;
    }
    out.push_back(std::move(l));
  }
  return out;
}

ojson labelsJson(const core::Labels& ls) { return dryrun::labelsToJson(ls); }

ojson diffJson(const core::Labels& from, const core::Labels& to) {
  ojson out = ojson::array();
  for (const auto& c : dryrun::labelChanges(from, to)) {
    out.push_back(
        {{"op", std::string(1, c.op)}, {"name", c.label->name}, {"value", c.label->value}});
  }
  return out;
}

// The pipeline being debugged, with where each rule came from.
struct Debugged {
  config::Pipeline pipeline;
  std::vector<size_t> rule_list;  // per rule: index into the rule lists
};

// dryrun::resultJson (exactly `promha relabel --output json --trace`), with each step's rule
// list, line, rule text and label diff, the input, and the text `promha relabel --trace` prints.
ojson resultJson(const Debugged& d, const core::Labels& input) {
  const config::Pipeline& p = d.pipeline;
  const config::PipelineTrace t = config::trace(p, input);
  ojson r;
  r["input"] = labelsJson(input);
  ojson cli = dryrun::resultJson(p, t, /*with_steps=*/true);
  for (auto& [k, v] : cli.items()) r[k] = std::move(v);
  ojson& steps = r["steps"];
  size_t n = 0;
  if (t.with_external) {
    steps[n]["diff"] = diffJson(t.input, *t.with_external);
    ++n;
  }
  for (const auto& s : t.relabel.steps) {
    ojson& js = steps[n++];
    if (s.rule < p.rules.size()) {
      js["list"] = d.rule_list[s.rule];
      js["line"] = p.rules[s.rule].line;
      js["description"] = relabel::describe(p.rules[s.rule]);
    }
    js["diff"] = s.dropped ? ojson::array() : diffJson(s.before, s.after);
  }
  r["text"] = dryrun::resultText(p, t, /*with_trace=*/true);
  return r;
}

http::Response handle(std::string_view body, const RelabelDefaults& defaults) {
  if (body.size() > kMaxRelabelRequestBytes) {
    return badRequest({Problem{"body", -1,
                               core::Error{"request body larger than " +
                                               std::to_string(kMaxRelabelRequestBytes) + " bytes",
                                           "body"}}},
                      413);
  }
  json req;
  try {
    req = json::parse(body);
  } catch (const json::parse_error& e) {
    return badRequest("body", std::string("invalid JSON: ") + e.what());
  }
  if (!req.is_object()) {
    return badRequest("body",
                      std::string("the request must be a JSON object, got ") + req.type_name());
  }
  for (const auto& [key, value] : req.items()) {
    static const char* const kKnown[] = {"rules",  "externalLabels", "labels",
                                         "alerts", "scheme",         "replicas"};
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) {
      return badRequest("body", "unknown field '" + key +
                                    "' (allowed: rules, externalLabels, labels, alerts, scheme, "
                                    "replicas)");
    }
  }

  std::string bad;
  core::NameScheme scheme = defaults.scheme;
  if (auto s = stringField(req, "scheme", bad)) {
    if (*s == "utf8") {
      scheme = core::NameScheme::kUtf8;
    } else if (*s == "legacy") {
      scheme = core::NameScheme::kLegacy;
    } else {
      return badRequest("scheme", "'scheme' must be utf8 or legacy, got " + core::quote(*s));
    }
  }
  if (!bad.empty()) return badRequest("scheme", bad);

  // The rules: every error of every list, each with its own line and column.
  const auto lists = ruleLists(req, bad);
  if (!lists) return badRequest("rules", bad);
  Debugged d;
  std::vector<Problem> problems;
  for (size_t i = 0; i < lists->size(); ++i) {
    const RuleList& l = (*lists)[i];
    auto node = core::parseYaml(l.yaml, l.name);
    if (!node) {
      problems.push_back({"rules", static_cast<int>(i), node.error()});
      continue;
    }
    if (node->IsSequence() && d.pipeline.rules.size() + node->size() > kMaxRelabelRules) {
      return badRequest("rules", "at most " + std::to_string(kMaxRelabelRules) + " rules");
    }
    core::Diagnostics diag(l.name);
    std::vector<relabel::Rule> rules = relabel::parseRules(*node, "", scheme, diag);
    for (const auto& e : diag.errors()) problems.push_back({"rules", static_cast<int>(i), e});
    for (size_t k = 0; k < rules.size(); ++k) {
      d.pipeline.rule_paths.push_back(core::indexPath(l.name, k));
      d.rule_list.push_back(i);
      d.pipeline.rules.push_back(std::move(rules[k]));
    }
  }
  if (!problems.empty()) return badRequest(problems);

  // Blank text fields count as absent: the page sends its inputs as they are.
  const auto blank = [](const std::string& t) {
    return t.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (auto ext = stringField(req, "externalLabels", bad); ext && !blank(*ext)) {
    auto ls = dryrun::parseLabelsFlag(*ext, scheme, "externalLabels");
    if (!ls) return badRequest({Problem{"externalLabels", -1, ls.error()}});
    d.pipeline.external_labels = std::move(*ls);
  }
  if (!bad.empty()) return badRequest("externalLabels", bad);

  std::vector<core::Labels> inputs;
  if (auto text = stringField(req, "labels", bad); text && !blank(*text)) {
    auto ls = dryrun::parseLabelsFlag(*text, scheme, "labels");
    if (!ls) return badRequest({Problem{"labels", -1, ls.error()}});
    inputs.push_back(std::move(*ls));
  }
  if (!bad.empty()) return badRequest("labels", bad);
  if (auto text = stringField(req, "alerts", bad)) {
    auto parsed = dryrun::parseJsonInput(*text, "alerts", scheme);
    if (!parsed) return badRequest({Problem{"alerts", -1, parsed.error()}});
    for (auto& ls : *parsed) inputs.push_back(std::move(ls));
  }
  if (!bad.empty()) return badRequest("alerts", bad);
  if (inputs.size() > kMaxRelabelInputs) {
    return badRequest("alerts",
                      "at most " + std::to_string(kMaxRelabelInputs) + " label sets per request");
  }

  std::optional<std::string> replica_label;
  std::string value_a = "A", value_b = "B";
  if (const auto it = req.find("replicas"); it != req.end() && !it->is_null()) {
    if (!it->is_object()) return badRequest("replicas", "'replicas' must be an object");
    replica_label = "replica";
    if (auto v = stringField(*it, "label", bad)) replica_label = *v;
    if (auto v = stringField(*it, "a", bad)) value_a = *v;
    if (auto v = stringField(*it, "b", bad)) value_b = *v;
    if (!bad.empty()) return badRequest("replicas", "replicas: " + bad);
    if (!core::isValidLabelName(*replica_label, scheme) || replica_label->size() > kMaxNameBytes) {
      return badRequest("replicas",
                        "replicas: " + core::quote(*replica_label) + " is not a valid label name");
    }
    if (value_a.empty() || value_b.empty() || value_a.size() > kMaxNameBytes ||
        value_b.size() > kMaxNameBytes) {
      return badRequest("replicas", "replicas: 'a' and 'b' must have 1 to " +
                                        std::to_string(kMaxNameBytes) + " bytes");
    }
  }

  ojson out;
  ojson rules = ojson::array();
  for (size_t i = 0; i < d.pipeline.rules.size(); ++i) {
    rules.push_back({{"path", d.pipeline.rule_paths[i]},
                     {"list", d.rule_list[i]},
                     {"line", d.pipeline.rules[i].line},
                     {"description", relabel::describe(d.pipeline.rules[i])}});
  }
  out["rules"] = std::move(rules);
  ojson results = ojson::array();
  const std::string fix_path = lists->empty() ? std::string("rules") : lists->front().name;
  for (const auto& input : inputs) {
    ojson r = resultJson(d, input);
    if (replica_label) {
      const config::ReplicaComparison c =
          config::compareReplicas(d.pipeline, input, *replica_label, value_a, value_b, fix_path);
      r["replicas"] = {{"label", *replica_label},
                       {"collapse", c.collapse},
                       {"explanation", c.explanation},
                       {"a", resultJson(d, c.input_a)},
                       {"b", resultJson(d, c.input_b)}};
    }
    results.push_back(std::move(r));
  }
  out["results"] = std::move(results);
  return reply(200, out);
}

}  // namespace

http::Response handleRelabel(std::string_view body, const RelabelDefaults& defaults) {
  try {
    return handle(body, defaults);
  } catch (const std::exception& e) {
    // Every input is checked before use; this is a bug, but the caller still gets an answer.
    return {500, dryrun::dumpJson(ojson{{"error", std::string("internal error: ") + e.what()}}),
            "application/json"};
  }
}

}  // namespace promha::web
