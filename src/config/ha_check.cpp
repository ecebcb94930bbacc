#include "config/ha_check.h"

#include <algorithm>

#include "config/pipeline.h"

namespace promha::config {
namespace {

// Sample alerts: a bare one and one with the labels a typical alert carries. Each is sent once
// with replica A and once with replica B.
const std::vector<std::vector<core::Label>> kSamples = {
    {{"alertname", "PromhaHACheck"}},
    {{"alertname", "PromhaHACheck"},
     {"severity", "critical"},
     {"job", "node"},
     {"instance", "host-1:9100"}},
};

std::string regexQuote(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string explain(std::string_view replica, const std::optional<core::Labels>& a,
                    const std::optional<core::Labels>& b, const std::string& rules_path) {
  if (!a || !b) {
    return "the alert from one replica is dropped and the other is not; the rules must not "
           "depend on the \"" +
           std::string(replica) + "\" label's value.";
  }
  std::string differing;
  std::vector<std::string> names;
  for (const auto* ls : {&*a, &*b}) {
    for (const auto& l : *ls) {
      if (a->get(l.name) != b->get(l.name) &&
          std::find(names.begin(), names.end(), l.name) == names.end()) {
        names.push_back(l.name);
      }
    }
  }
  std::string regex;
  for (const auto& n : names) {
    if (!differing.empty()) differing += ", ";
    differing += core::quote(n);
    if (!regex.empty()) regex += '|';
    regex += regexQuote(n);
  }
  return "after relabeling the alerts still differ in " + differing +
         ", so Alertmanager sees two alerts and notifies twice. Fix: drop " +
         (names.size() == 1 ? "that label" : "those labels") + ", e.g. add to " + rules_path +
         ":\n  - action: labeldrop\n    regex: " + regex;
}

}  // namespace

ReplicaComparison compareReplicas(const Pipeline& p, const core::Labels& alert,
                                  std::string_view replica_label, std::string_view value_a,
                                  std::string_view value_b, std::string_view rules_path) {
  ReplicaComparison c;
  auto with = [&](std::string_view value) {
    core::Labels out = alert;
    out.set(replica_label, value);
    return out;
  };
  c.input_a = with(value_a);
  c.input_b = with(value_b);
  relabel::Scratch scratch;
  c.output_a = c.input_a;
  c.output_b = c.input_b;
  if (!apply(p, *c.output_a, scratch)) c.output_a.reset();
  if (!apply(p, *c.output_b, scratch)) c.output_b.reset();
  c.collapse = c.output_a == c.output_b;
  if (!c.collapse) {
    c.explanation = explain(replica_label, c.output_a, c.output_b, std::string(rules_path));
  }
  return c;
}

HaReport checkHa(const Config& cfg, std::string_view replica_label) {
  HaReport report;
  std::vector<std::optional<size_t>> blocks;
  for (size_t i = 0; i < cfg.alerting.alertmanagers.size(); ++i) blocks.emplace_back(i);
  if (blocks.empty()) blocks.emplace_back(std::nullopt);
  for (const auto& block : blocks) {
    const Pipeline p = buildPipeline(cfg, block);
    const std::string where =
        block ? core::indexPath("alerting.alertmanagers", *block) : std::string("alerting");
    ++report.pipelines_checked;
    bool any_kept = false;
    for (const auto& sample : kSamples) {
      ReplicaComparison c = compareReplicas(p, core::Labels::fromUnsorted(sample), replica_label);
      any_kept = any_kept || c.output_a || c.output_b;
      if (c.collapse) continue;
      report.problems.push_back({where, std::move(c.input_a), std::move(c.input_b),
                                 std::move(c.output_a), std::move(c.output_b),
                                 std::move(c.explanation)});
      break;  // one example per block is enough
    }
    if (!any_kept) report.inconclusive.push_back(where);
  }
  return report;
}

}  // namespace promha::config
