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

HaReport checkHa(const Config& cfg, std::string_view replica_label) {
  HaReport report;
  std::vector<std::optional<size_t>> blocks;
  for (size_t i = 0; i < cfg.alerting.alertmanagers.size(); ++i) blocks.emplace_back(i);
  if (blocks.empty()) blocks.emplace_back(std::nullopt);
  relabel::Scratch scratch;
  for (const auto& block : blocks) {
    const Pipeline p = buildPipeline(cfg, block);
    const std::string where =
        block ? core::indexPath("alerting.alertmanagers", *block) : std::string("alerting");
    ++report.pipelines_checked;
    bool any_kept = false;
    for (const auto& sample : kSamples) {
      auto with = [&](std::string_view value) {
        auto items = sample;
        items.push_back({std::string(replica_label), std::string(value)});
        return core::Labels::fromUnsorted(std::move(items));
      };
      const core::Labels in_a = with("A"), in_b = with("B");
      std::optional<core::Labels> out_a = in_a, out_b = in_b;
      if (!apply(p, *out_a, scratch)) out_a.reset();
      if (!apply(p, *out_b, scratch)) out_b.reset();
      any_kept = any_kept || out_a || out_b;
      if (out_a == out_b) continue;
      report.problems.push_back(
          {where, in_a, in_b, out_a, out_b,
           explain(replica_label, out_a, out_b, "alerting.alert_relabel_configs")});
      break;  // one example per block is enough
    }
    if (!any_kept) report.inconclusive.push_back(where);
  }
  return report;
}

}  // namespace promha::config
