#include "watch/pair.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "alert/codec.h"

namespace promha::watch {

void FiringSet::record(const std::vector<alert::Alert>& alerts, int64_t now_ns,
                       int64_t default_ttl_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const alert::Alert& a : alerts) {
    const uint64_t fp = alert::fingerprint(a.labels);
    const int64_t ends = a.ends_at_ns != 0 ? a.ends_at_ns : now_ns + default_ttl_ns;
    auto it = alerts_.find(fp);
    if (ends <= now_ns) {  // resolved
      if (it != alerts_.end()) alerts_.erase(it);
      continue;
    }
    if (it == alerts_.end()) {
      if (alerts_.size() >= capacity_) {
        ++overflow_;
        continue;
      }
      it = alerts_.emplace(fp, FiringAlert{fp, a.labels, 0, 0}).first;
    }
    it->second.starts_at_ns = a.starts_at_ns != 0 ? a.starts_at_ns : now_ns;
    it->second.ends_at_ns = ends;
  }
}

std::vector<FiringAlert> FiringSet::snapshot(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FiringAlert> out;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.ends_at_ns <= now_ns) {
      it = alerts_.erase(it);
      continue;
    }
    if (it->second.starts_at_ns <= now_ns) out.push_back(it->second);
    ++it;
  }
  std::sort(out.begin(), out.end(), [](const FiringAlert& a, const FiringAlert& b) {
    return a.fingerprint < b.fingerprint;
  });
  return out;
}

uint64_t FiringSet::overflow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflow_;
}

namespace {
std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string encodeHaAlerts(std::string_view replica, const std::vector<FiringAlert>& alerts,
                           uint64_t overflow, int64_t now_ns) {
  nlohmann::json j;
  j["replica"] = std::string(replica);
  j["time"] = alert::formatTime(now_ns);
  j["overflow"] = overflow;
  nlohmann::json list = nlohmann::json::array();
  for (const FiringAlert& a : alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : a.labels) labels[l.name] = l.value;
    list.push_back({{"fingerprint", hex(a.fingerprint)},
                    {"labels", std::move(labels)},
                    {"startsAt", alert::formatTime(a.starts_at_ns)},
                    {"endsAt", alert::formatTime(a.ends_at_ns)}});
  }
  j["alerts"] = std::move(list);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::Result<PeerAlerts> decodeHaAlerts(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return core::Error{"not a JSON object"};
  if (!j.contains("alerts") || !j["alerts"].is_array()) return core::Error{"no \"alerts\" list"};
  PeerAlerts out;
  if (j.contains("replica") && j["replica"].is_string()) out.replica = j["replica"];
  if (j.contains("overflow") && j["overflow"].is_number_unsigned()) out.overflow = j["overflow"];
  for (const auto& a : j["alerts"]) {
    if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object()) {
      return core::Error{"an alert without a \"labels\" object"};
    }
    std::vector<core::Label> items;
    for (const auto& [k, v] : a["labels"].items()) {
      if (!v.is_string()) return core::Error{"label " + k + " is not a string"};
      items.push_back({k, v.get<std::string>()});
    }
    FiringAlert f;
    f.labels = core::Labels::fromUnsorted(std::move(items));
    f.fingerprint = alert::fingerprint(f.labels);  // recomputed, never trusted
    if (a.contains("startsAt") && a["startsAt"].is_string()) {
      alert::parseTime(a["startsAt"].get<std::string>(), f.starts_at_ns);
    }
    out.alerts.push_back(std::move(f));
  }
  std::sort(out.alerts.begin(), out.alerts.end(), [](const FiringAlert& a, const FiringAlert& b) {
    return a.fingerprint < b.fingerprint;
  });
  return out;
}

DivergenceCounts Divergence::update(const std::vector<FiringAlert>& here,
                                    const std::vector<FiringAlert>& peer, int64_t now_ns,
                                    int64_t for_ns) {
  std::unordered_map<uint64_t, const FiringAlert*> h, p;
  for (const auto& a : here) h.emplace(a.fingerprint, &a);
  for (const auto& a : peer) p.emplace(a.fingerprint, &a);
  std::unordered_map<uint64_t, std::pair<bool, int64_t>> next;
  DivergenceCounts c;
  auto one_side = [&](uint64_t fp, bool is_here, const FiringAlert& a) {
    int64_t since = now_ns;
    if (auto it = since_.find(fp); it != since_.end() && it->second.first == is_here) {
      since = it->second.second;
    }
    next.emplace(fp, std::make_pair(is_here, since));
    if (now_ns - since < for_ns) return;
    if (is_here) {
      ++c.only_here;
      if (c.only_here_labels.size() < 10) c.only_here_labels.push_back(a.labels);
    } else {
      ++c.only_peer;
      if (c.only_peer_labels.size() < 10) c.only_peer_labels.push_back(a.labels);
    }
  };
  for (const auto& [fp, a] : h) {
    if (!p.contains(fp)) one_side(fp, true, *a);
  }
  for (const auto& [fp, a] : p) {
    if (!h.contains(fp)) one_side(fp, false, *a);
  }
  since_ = std::move(next);
  return c;
}

}  // namespace promha::watch
