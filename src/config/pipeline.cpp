#include "config/pipeline.h"

#include <utility>

namespace promha::config {

Pipeline buildPipeline(const Config& cfg, std::optional<size_t> am_index) {
  Pipeline p;
  p.external_labels = cfg.global.external_labels;
  const auto add = [&p](const std::vector<relabel::Rule>& rules, const std::string& path) {
    for (size_t i = 0; i < rules.size(); ++i) {
      p.rules.push_back(rules[i]);
      p.rule_paths.push_back(core::indexPath(path, i));
    }
  };
  add(cfg.alerting.alert_relabel_configs, "alerting.alert_relabel_configs");
  if (am_index) {
    add(cfg.alerting.alertmanagers.at(*am_index).alert_relabel_configs,
        core::indexPath("alerting.alertmanagers", *am_index) + ".alert_relabel_configs");
  }
  return p;
}

Pipeline rulesPipeline(std::vector<relabel::Rule> rules, const std::string& path) {
  Pipeline p;
  for (size_t i = 0; i < rules.size(); ++i) p.rule_paths.push_back(core::indexPath(path, i));
  p.rules = std::move(rules);
  return p;
}

void addExternalLabels(const core::Labels& external, core::Labels& labels) {
  for (const auto& l : external) {
    if (!labels.has(l.name)) labels.set(l.name, l.value);
  }
}

bool apply(const Pipeline& p, core::Labels& labels, relabel::Scratch& scratch, size_t* dropped_by) {
  addExternalLabels(p.external_labels, labels);
  return relabel::process(p.rules, labels, scratch, dropped_by);
}

PipelineTrace trace(const Pipeline& p, const core::Labels& input) {
  PipelineTrace t;
  t.input = input;
  core::Labels ls = input;
  addExternalLabels(p.external_labels, ls);
  if (!(ls == input)) t.with_external = ls;
  t.relabel = relabel::trace(p.rules, ls);
  return t;
}

}  // namespace promha::config
