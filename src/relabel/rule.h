// Rule: one relabel config (Prometheus's relabel.Config), parsed from YAML and validated with
// Prometheus 3.x's rules (Config.Validate) under the chosen label-name scheme.
//
//   core::Diagnostics diag(file);
//   std::vector<Rule> rules = parseRules(node, "alert_relabel_configs", scheme, diag);
//   if (!diag.ok()) ... // every error, with file:line:col and the key path
//
// Thread-safety: plain values; const rules may be shared by any number of threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/result.h"
#include "core/yaml.h"
#include "relabel/regex.h"

namespace promha::relabel {

enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

std::string_view actionName(Action a);

struct Rule {
  std::vector<std::string> source_labels;
  bool source_labels_set = false;  // labeldrop/labelkeep reject even an explicit []
  std::string separator = ";";
  Regex regex;             // default "(.*)"
  bool regex_set = false;  // keepequal/dropequal reject any explicit regex
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  Action action = Action::kReplace;
  core::NameScheme scheme = core::NameScheme::kUtf8;
  // Precomputed at load time: whether the templates need expansion at all.
  bool target_has_var = false;
  bool replacement_has_var = true;
  // Where the rule came from (1-based; 0 if built in code), for traces and messages.
  int line = 0;

  bool operator==(const Rule& o) const {
    return source_labels == o.source_labels && separator == o.separator && regex == o.regex &&
           modulus == o.modulus && target_label == o.target_label && replacement == o.replacement &&
           action == o.action && scheme == o.scheme;
  }
};

// Parses a YAML list of relabel configs. Errors go to `diag`; invalid rules are left out.
std::vector<Rule> parseRules(const YAML::Node& list, std::string_view path, core::NameScheme scheme,
                             core::Diagnostics& diag);

// Parses a YAML document holding a list of relabel configs (a --rules file).
core::Result<std::vector<Rule>> parseRulesText(const std::string& yaml, const std::string& file,
                                               core::NameScheme scheme);

// Checks a rule with Prometheus 3.x's Config.Validate; returns an error message or "".
std::string validate(const Rule& r);

// Renders a rule back as one line of YAML flow, for traces and the dry-run output.
std::string describe(const Rule& r);

// Emits the rules as a YAML sequence of relabel configs, defaults left out (config::toYaml's
// rule lists); parseRules reads it back to equal rules.
void emitRules(YAML::Emitter& out, const std::vector<Rule>& rules);
// The same as a YAML document ("[]\n" when empty), e.g. to prefill the web debugger's editor.
std::string rulesToYaml(const std::vector<Rule>& rules);

}  // namespace promha::relabel
