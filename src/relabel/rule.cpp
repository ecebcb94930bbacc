#include "relabel/rule.h"

#include <array>
#include <utility>

namespace promha::relabel {
namespace {

constexpr std::array<std::pair<std::string_view, Action>, 11> kActions{{
    {"replace", Action::kReplace},
    {"keep", Action::kKeep},
    {"drop", Action::kDrop},
    {"keepequal", Action::kKeepEqual},
    {"dropequal", Action::kDropEqual},
    {"hashmod", Action::kHashMod},
    {"labelmap", Action::kLabelMap},
    {"labeldrop", Action::kLabelDrop},
    {"labelkeep", Action::kLabelKeep},
    {"lowercase", Action::kLowercase},
    {"uppercase", Action::kUppercase},
}};

bool isWord(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Prometheus's relabelTargetLegacy: ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$ , i.e. name
// characters and $n / ${n} / $name references, not starting with a digit.
bool isLegacyTemplate(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] >= '0' && s[0] <= '9') return false;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$') {
      ++i;
      const bool brace = i < s.size() && s[i] == '{';
      if (brace) ++i;
      const size_t start = i;
      while (i < s.size() && isWord(s[i])) ++i;
      if (i == start) return false;
      if (brace) {
        if (i >= s.size() || s[i] != '}') return false;
        ++i;
      }
    } else if (isWord(s[i])) {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

bool isValidTemplate(std::string_view s, core::NameScheme scheme) {
  if (scheme == core::NameScheme::kUtf8) return core::isValidLabelName(s, scheme);
  return isLegacyTemplate(s);
}

bool hasVar(std::string_view s) { return s.find('$') != std::string_view::npos; }

}  // namespace

std::string_view actionName(Action a) {
  for (const auto& [name, action] : kActions) {
    if (action == a) return name;
  }
  return "unknown";
}

std::string validate(const Rule& r) {
  using core::quote;
  const std::string action(actionName(r.action));
  const auto scheme = r.scheme;
  const bool equal_action = r.action == Action::kKeepEqual || r.action == Action::kDropEqual;
  const bool case_action = r.action == Action::kLowercase || r.action == Action::kUppercase;
  if (r.action == Action::kHashMod && r.modulus == 0) {
    return "relabel configuration for hashmod requires non-zero modulus";
  }
  if ((r.action == Action::kReplace || r.action == Action::kHashMod || case_action ||
       equal_action) &&
      r.target_label.empty()) {
    return "relabel configuration for " + action + " action requires 'target_label' value";
  }
  if (r.action == Action::kReplace) {
    const bool ok = hasVar(r.target_label) ? isValidTemplate(r.target_label, scheme)
                                           : core::isValidLabelName(r.target_label, scheme);
    if (!ok) return quote(r.target_label) + " is invalid 'target_label' for " + action + " action";
  }
  if ((case_action || equal_action || r.action == Action::kHashMod) &&
      !core::isValidLabelName(r.target_label, scheme)) {
    return quote(r.target_label) + " is invalid 'target_label' for " + action + " action";
  }
  if ((case_action || equal_action) && r.replacement != "$1") {
    return "'replacement' can not be set for " + action + " action";
  }
  if (r.action == Action::kLabelMap && !isValidTemplate(r.replacement, scheme)) {
    return quote(r.replacement) + " is invalid 'replacement' for " + action + " action";
  }
  if (equal_action && (r.regex_set || r.modulus != 0 || r.separator != ";")) {
    return action + " action requires only 'source_labels' and `target_label`, and no other fields";
  }
  if ((r.action == Action::kLabelDrop || r.action == Action::kLabelKeep) &&
      (r.source_labels_set || !r.target_label.empty() || r.modulus != 0 || r.separator != ";" ||
       r.replacement != "$1")) {
    return action + " action requires only 'regex', and no other fields";
  }
  return "";
}

std::vector<Rule> parseRules(const YAML::Node& list, std::string_view path, core::NameScheme scheme,
                             core::Diagnostics& diag) {
  std::vector<Rule> rules;
  if (!list.IsDefined() || list.IsNull()) return rules;
  if (!list.IsSequence()) {
    diag.add(list, path, "must be a list of relabel configs");
    return rules;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string rpath = core::indexPath(path, i);
    if (node.IsNull()) {
      diag.add(node, rpath, "empty or null relabeling rule");
      continue;
    }
    const size_t errors_before = diag.errors().size();
    if (!core::checkKeys(node, rpath,
                         {"source_labels", "separator", "regex", "modulus", "target_label",
                          "replacement", "action"},
                         diag)) {
      continue;
    }
    Rule r;
    r.scheme = scheme;
    r.line = node.Mark().line + 1;
    if (const auto n = node["source_labels"]) {
      r.source_labels_set = !n.IsNull();
      if (auto v = core::getStringList(n, core::joinPath(rpath, "source_labels"), diag)) {
        r.source_labels = std::move(*v);
        for (const auto& s : r.source_labels) {
          // Prometheus 3.x checks source labels against its process-wide UTF-8 scheme.
          if (!core::isValidLabelName(s, core::NameScheme::kUtf8)) {
            diag.add(n, core::joinPath(rpath, "source_labels"),
                     core::quote(s) + " is not a valid label name");
          }
        }
      }
    }
    if (const auto n = node["separator"]) {
      if (auto v = core::getString(n, core::joinPath(rpath, "separator"), diag)) r.separator = *v;
    }
    if (const auto n = node["target_label"]) {
      if (auto v = core::getString(n, core::joinPath(rpath, "target_label"), diag)) {
        r.target_label = *v;
      }
    }
    if (const auto n = node["replacement"]) {
      if (auto v = core::getString(n, core::joinPath(rpath, "replacement"), diag)) {
        r.replacement = *v;
      }
    }
    if (const auto n = node["modulus"]) {
      if (auto v = core::getUint(n, core::joinPath(rpath, "modulus"), diag)) r.modulus = *v;
    }
    if (const auto n = node["action"]) {
      if (auto v = core::getString(n, core::joinPath(rpath, "action"), diag)) {
        std::string lower = *v;
        for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        bool found = false;
        for (const auto& [name, action] : kActions) {
          if (name == lower) {
            r.action = action;
            found = true;
          }
        }
        if (!found)
          diag.add(n, core::joinPath(rpath, "action"), "unknown relabel action " + core::quote(*v));
      }
    }
    if (const auto n = node["regex"]) {
      r.regex_set = true;
      // `regex: null` is the empty regex (matches only ""), not the default, as in Prometheus.
      if (auto v = core::getString(n, core::joinPath(rpath, "regex"), diag)) {
        auto re = Regex::compile(*v);
        if (re) {
          r.regex = std::move(*re);
        } else {
          diag.add(n, core::joinPath(rpath, "regex"), re.error().message);
        }
      }
    }
    if (diag.errors().size() != errors_before) continue;
    if (const std::string msg = validate(r); !msg.empty()) {
      diag.add(node, rpath, msg);
      continue;
    }
    r.target_has_var = hasVar(r.target_label);
    r.replacement_has_var = hasVar(r.replacement);
    rules.push_back(std::move(r));
  }
  return rules;
}

core::Result<std::vector<Rule>> parseRulesText(const std::string& yaml, const std::string& file,
                                               core::NameScheme scheme) {
  auto node = core::parseYaml(yaml, file);
  if (!node) return node.error();
  core::Diagnostics diag(file);
  auto rules = parseRules(*node, "", scheme, diag);
  if (!diag.ok()) {
    core::Error e = diag.errors().front();
    // Fold every message into one error so callers that show one line still see all of them.
    // (Appending in two steps also dodges GCC 12's false -Wrestrict on "\n" + str at -O3.)
    for (size_t i = 1; i < diag.errors().size(); ++i) {
      e.message += '\n';
      e.message += diag.errors()[i].str();
    }
    return e;
  }
  return rules;
}

std::string describe(const Rule& r) {
  std::string out = "{action: " + std::string(actionName(r.action));
  if (!r.source_labels.empty()) {
    out += ", source_labels: [";
    for (size_t i = 0; i < r.source_labels.size(); ++i) {
      out += (i ? ", " : "") + r.source_labels[i];
    }
    out += "]";
  }
  if (r.separator != ";") out += ", separator: " + core::quote(r.separator);
  if (r.regex_set) out += ", regex: " + core::quote(r.regex.pattern());
  if (r.modulus) out += ", modulus: " + std::to_string(r.modulus);
  if (!r.target_label.empty()) out += ", target_label: " + core::quote(r.target_label);
  if (r.replacement != "$1") out += ", replacement: " + core::quote(r.replacement);
  return out + "}";
}

void emitRules(YAML::Emitter& out, const std::vector<Rule>& rules) {
  out << YAML::BeginSeq;
  for (const auto& r : rules) {
    out << YAML::BeginMap;
    if (!r.source_labels.empty()) {
      out << YAML::Key << "source_labels" << YAML::Value << YAML::Flow << r.source_labels;
    }
    if (r.separator != ";") out << YAML::Key << "separator" << YAML::Value << r.separator;
    if (r.regex_set) out << YAML::Key << "regex" << YAML::Value << r.regex.pattern();
    if (r.modulus != 0) out << YAML::Key << "modulus" << YAML::Value << r.modulus;
    if (!r.target_label.empty()) {
      out << YAML::Key << "target_label" << YAML::Value << r.target_label;
    }
    if (r.replacement != "$1") out << YAML::Key << "replacement" << YAML::Value << r.replacement;
    out << YAML::Key << "action" << YAML::Value << std::string(actionName(r.action));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

std::string rulesToYaml(const std::vector<Rule>& rules) {
  if (rules.empty()) return "[]\n";
  YAML::Emitter out;
  emitRules(out, rules);
  return std::string(out.c_str()) + "\n";
}

}  // namespace promha::relabel
