#include "watch/self_alerts.h"

#include <set>

namespace promha::watch {

Condition makeCondition(const config::SelfAlertConfig& cfg, core::Labels builtin_labels,
                        core::Labels builtin_annotations) {
  Condition c{std::move(builtin_labels), std::move(builtin_annotations), cfg};
  for (const auto& l : cfg.labels) c.labels.set(l.name, l.value);
  for (const auto& a : cfg.annotations) c.annotations.set(a.name, a.value);
  return c;
}

std::string expandTemplate(std::string_view text, const core::Labels& labels) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view inner = text.substr(open + 2, close - open - 2);
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
    constexpr std::string_view kPrefix = "$labels.";
    out.append(text.substr(i, open - i));
    if (inner.substr(0, kPrefix.size()) == kPrefix) {
      out.append(labels.get(inner.substr(kPrefix.size())));
    } else {
      out.append(text.substr(open, close + 2 - open));  // not ours: left as written
    }
    i = close + 2;
  }
  out.append(text.substr(i));
  return out;
}

alert::Alert SelfAlerts::build(const State& s, int64_t ends_at_ns) {
  alert::Alert a;
  a.labels = s.cond.labels;
  for (const auto& an : s.cond.annotations) {
    a.annotations.push_back({an.name, expandTemplate(an.value, s.cond.labels)});
  }
  a.starts_at_ns = s.since_ns;
  a.ends_at_ns = ends_at_ns;
  return a;
}

std::vector<alert::Alert> SelfAlerts::evaluate(const std::vector<Condition>& now_true,
                                               int64_t now_ns) {
  std::vector<alert::Alert> out;
  std::set<std::string> seen;
  for (const Condition& c : now_true) {
    const std::string key = c.labels.toString();
    if (!seen.insert(key).second) continue;
    auto it = states_.find(key);
    if (it == states_.end() || it->second.resolved_ns != 0) {
      // New, or back after a resolution: a new alert instance.
      State s;
      s.cond = c;
      s.since_ns = now_ns;
      it = states_.insert_or_assign(key, std::move(s)).first;
    }
    State& s = it->second;
    s.cond = c;  // annotations or settings may have changed on reload
    const int64_t for_ns = c.cfg.for_.count();
    const int64_t resend_ns = c.cfg.resend_interval.count();
    if (!s.firing && now_ns - s.since_ns >= for_ns) s.firing = true;
    if (s.firing && (s.last_sent_ns == 0 || now_ns - s.last_sent_ns >= resend_ns)) {
      out.push_back(build(s, now_ns + 4 * resend_ns));
      s.last_sent_ns = now_ns;
    }
  }
  for (auto it = states_.begin(); it != states_.end();) {
    State& s = it->second;
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    if (!s.firing) {  // pending only: forgotten
      it = states_.erase(it);
      continue;
    }
    const int64_t resend_ns = s.cond.cfg.resend_interval.count();
    if (s.resolved_ns == 0) {
      s.resolved_ns = now_ns;
      s.resolved_sends = 1;
      s.last_sent_ns = now_ns;
      out.push_back(build(s, now_ns));
    } else if (now_ns - s.last_sent_ns >= resend_ns) {
      out.push_back(build(s, s.resolved_ns));
      s.last_sent_ns = now_ns;
      ++s.resolved_sends;
    }
    if (s.resolved_sends >= kResolvedResends) {
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<SelfAlerts::Active> SelfAlerts::active() const {
  std::vector<Active> out;
  for (const auto& [key, s] : states_) {
    if (s.resolved_ns == 0) out.push_back({s.cond.labels, s.since_ns, s.firing});
  }
  return out;
}

}  // namespace promha::watch
