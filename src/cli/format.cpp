#include "cli/format.h"

namespace promha::cli {

nlohmann::ordered_json labelsToJson(const core::Labels& labels) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& l : labels) j[l.name] = l.value;
  return j;
}

std::string dumpJson(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<std::string> diffLabels(const core::Labels& from, const core::Labels& to) {
  std::vector<std::string> out;
  const auto line = [](char sign, const core::Label& l) {
    // As Labels::toString() prints one label: UTF-8 names that are not legacy names are quoted.
    const std::string name = core::isValidLegacyName(l.name) ? l.name : core::quote(l.name);
    return std::string(1, sign) + " " + name + "=" + core::quote(l.value);
  };
  size_t i = 0, j = 0;
  while (i < from.size() || j < to.size()) {
    if (j >= to.size() || (i < from.size() && from[i].name < to[j].name)) {
      out.push_back(line('-', from[i++]));
    } else if (i >= from.size() || to[j].name < from[i].name) {
      out.push_back(line('+', to[j++]));
    } else {
      if (from[i].value != to[j].value) {
        out.push_back(line('-', from[i]));
        out.push_back(line('+', to[j]));
      }
      ++i;
      ++j;
    }
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

}  // namespace promha::cli
