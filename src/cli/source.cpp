#include "cli/source.h"

#include <set>

namespace promha::cli {

std::optional<core::NameScheme> parseScheme(std::string_view s) {
  if (s == "utf8") return core::NameScheme::kUtf8;
  if (s == "legacy") return core::NameScheme::kLegacy;
  return std::nullopt;
}

std::optional<LoadedPipeline> loadPipeline(const RuleSource& src, core::Diagnostics& diag) {
  LoadedPipeline out;
  if (!src.rules_file.empty()) {
    out.scheme = src.scheme.value_or(core::NameScheme::kUtf8);
    auto node = core::loadYamlFile(src.rules_file);
    if (!node) {
      diag.add(node.error());
      return std::nullopt;
    }
    const size_t before = diag.errors().size();
    auto rules = relabel::parseRules(*node, "", out.scheme, diag);
    if (node->IsMap()) {
      diag.add(
          core::Error{"(--rules takes a YAML list of relabel configs; use --config.file for a "
                      "promha config or prometheus.yml)",
                      src.rules_file, 0, 0});
    }
    if (diag.errors().size() != before) return std::nullopt;
    out.pipeline = config::rulesPipeline(std::move(rules));
    out.description = "rules " + src.rules_file;
    return out;
  }
  config::LoadOptions opts;
  opts.scheme = src.scheme;
  auto cfg = config::loadFile(src.config_file, opts, diag);
  if (!cfg) return std::nullopt;
  out.scheme = cfg->global.metric_name_validation_scheme;
  const auto& ams = cfg->alerting.alertmanagers;
  std::optional<size_t> am = src.alertmanager;
  if (am && *am >= ams.size()) {
    diag.add(core::Error{"--alertmanager " + std::to_string(*am) + ": the config has " +
                             std::to_string(ams.size()) + " alertmanagers blocks (0-based index)",
                         src.config_file, 0, 0});
    return std::nullopt;
  }
  if (!am && !ams.empty()) {
    // Any block will do when they all relabel alike; otherwise the user must pick one.
    std::set<size_t> distinct;
    for (size_t i = 1; i < ams.size(); ++i) {
      if (!(ams[i].alert_relabel_configs == ams[0].alert_relabel_configs)) distinct.insert(i);
    }
    if (!distinct.empty()) {
      diag.add(core::Error{"the config has " + std::to_string(ams.size()) +
                               " alertmanagers blocks with different alert_relabel_configs; "
                               "pick one with --alertmanager N (0-based)",
                           src.config_file, 0, 0});
      return std::nullopt;
    }
    am = 0;
  }
  out.pipeline = config::buildPipeline(*cfg, am);
  out.description = std::string(cfg->format == config::Format::kPrometheus ? "prometheus.yml "
                                                                           : "promha config ") +
                    src.config_file +
                    (am ? ", alerting.alertmanagers[" + std::to_string(*am) + "]" : "");
  return out;
}

}  // namespace promha::cli
