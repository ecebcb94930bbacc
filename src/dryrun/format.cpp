#include "dryrun/format.h"

#include <sstream>

namespace promha::dryrun {

nlohmann::ordered_json labelsToJson(const core::Labels& labels) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& l : labels) j[l.name] = l.value;
  return j;
}

std::string dumpJson(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<LabelChange> labelChanges(const core::Labels& from, const core::Labels& to) {
  std::vector<LabelChange> out;
  size_t i = 0, j = 0;
  while (i < from.size() || j < to.size()) {
    if (j >= to.size() || (i < from.size() && from[i].name < to[j].name)) {
      out.push_back({'-', &from[i++]});
    } else if (i >= from.size() || to[j].name < from[i].name) {
      out.push_back({'+', &to[j++]});
    } else {
      if (from[i].value != to[j].value) {
        out.push_back({'-', &from[i]});
        out.push_back({'+', &to[j]});
      }
      ++i;
      ++j;
    }
  }
  return out;
}

std::vector<std::string> diffLabels(const core::Labels& from, const core::Labels& to) {
  std::vector<std::string> out;
  for (const auto& c : labelChanges(from, to)) {
    // As Labels::toString() prints one label: UTF-8 names that are not legacy names are quoted.
    const core::Label& l = *c.label;
    const std::string name = core::isValidLegacyName(l.name) ? l.name : core::quote(l.name);
    out.push_back(std::string(1, c.op) + " " + name + "=" + core::quote(l.value));
  }
  return out;
}

std::string describeRule(const config::Pipeline& p, size_t i) {
  std::string out = i < p.rule_paths.size() ? p.rule_paths[i] : "rule " + std::to_string(i);
  if (i < p.rules.size()) {
    if (p.rules[i].line > 0) out += " (line " + std::to_string(p.rules[i].line) + ")";
    out += ": " + relabel::describe(p.rules[i]);
  }
  return out;
}

void writeTrace(std::ostream& os, const config::Pipeline& p, const config::PipelineTrace& t,
                const std::string& indent) {
  if (t.with_external) {
    os << indent << "external_labels:\n";
    for (const auto& d : diffLabels(t.input, *t.with_external)) os << indent << "  " << d << "\n";
  }
  for (const auto& step : t.relabel.steps) {
    os << indent << describeRule(p, step.rule) << "\n";
    if (step.dropped) {
      os << indent << "  dropped\n";
      continue;
    }
    for (const auto& d : diffLabels(step.before, step.after)) os << indent << "  " << d << "\n";
  }
}

std::string resultText(const config::Pipeline& p, const config::PipelineTrace& t, bool with_trace) {
  std::ostringstream os;
  if (with_trace) {
    os << "input:  " << t.input.toString() << "\n";
    writeTrace(os, p, t, "  ");
  }
  os << (with_trace ? "result: " : "");
  if (!t.relabel.result) {
    const size_t rule = t.relabel.steps.empty() ? 0 : t.relabel.steps.back().rule;
    os << "dropped by " << describeRule(p, rule) << "\n";
  } else {
    os << t.relabel.result->toString() << "\n";
  }
  return os.str();
}

nlohmann::ordered_json resultJson(const config::Pipeline& p, const config::PipelineTrace& t,
                                  bool with_steps) {
  nlohmann::ordered_json j;
  if (!t.relabel.result) {
    j["dropped"] = true;
    j["rule"] = t.relabel.steps.empty() ? 0 : t.relabel.steps.back().rule;
  } else {
    j["labels"] = labelsToJson(*t.relabel.result);
  }
  if (!with_steps) return j;
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  if (t.with_external) {
    steps.push_back({{"step", "external_labels"},
                     {"before", labelsToJson(t.input)},
                     {"after", labelsToJson(*t.with_external)}});
  }
  for (const auto& s : t.relabel.steps) {
    const std::string path =
        s.rule < p.rule_paths.size() ? p.rule_paths[s.rule] : "rule " + std::to_string(s.rule);
    nlohmann::ordered_json js{{"step", path}, {"rule", s.rule}, {"before", labelsToJson(s.before)}};
    if (s.dropped) {
      js["dropped"] = true;
    } else {
      js["after"] = labelsToJson(s.after);
    }
    steps.push_back(std::move(js));
  }
  j["steps"] = std::move(steps);
  return j;
}

}  // namespace promha::dryrun
