#include "watch/cluster.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace promha::watch {

core::Result<ClusterView> parseClusterView(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return core::Error{"status response is not valid JSON"};
  if (!j.is_object() || !j.contains("cluster") || !j["cluster"].is_object()) {
    return core::Error{"status response has no \"cluster\" object"};
  }
  const nlohmann::json& c = j["cluster"];
  ClusterView v;
  if (!c.contains("status") || !c["status"].is_string()) {
    return core::Error{"cluster.status is missing or not a string"};
  }
  v.status = c["status"].get<std::string>();
  if (c.contains("name") && c["name"].is_string()) v.name = c["name"].get<std::string>();
  if (c.contains("peers") && !c["peers"].is_null()) {
    if (!c["peers"].is_array()) return core::Error{"cluster.peers is not a list"};
    for (const auto& p : c["peers"]) {
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
        return core::Error{"cluster.peers[] entry without a name"};
      }
      v.peers.push_back(p["name"].get<std::string>());
    }
  }
  std::sort(v.peers.begin(), v.peers.end());
  v.peers.erase(std::unique(v.peers.begin(), v.peers.end()), v.peers.end());
  return v;
}

std::string_view problemName(Problem p) {
  switch (p) {
    case Problem::kClusteringDisabled:
      return "clustering_disabled";
    case Problem::kPeersMissing:
      return "peers_missing";
    case Problem::kSplit:
      return "split";
    case Problem::kSettlingStuck:
      return "settling_stuck";
  }
  return "unknown";
}

std::vector<Finding> assessCluster(const std::vector<NodeObservation>& nodes, size_t expected,
                                   int64_t now_ns, int64_t settling_timeout_ns) {
  std::vector<Finding> out;
  std::set<std::string> disabled, missing, stuck;
  std::map<std::vector<std::string>, std::set<std::string>> memberships;  // peer set -> nodes
  size_t min_peers = SIZE_MAX;
  for (const NodeObservation& n : nodes) {
    if (!n.reachable) continue;
    if (n.view.status == "disabled") {
      if (expected > 1) disabled.insert(n.instance);
      continue;
    }
    if (n.view.status == "settling" && n.settling_since_ns > 0 &&
        now_ns - n.settling_since_ns > settling_timeout_ns) {
      stuck.insert(n.instance);
    }
    if (n.view.peers.size() < expected) {
      missing.insert(n.instance);
      min_peers = std::min(min_peers, n.view.peers.size());
    }
    memberships[n.view.peers].insert(n.instance);
  }
  auto sorted = [](const std::set<std::string>& s) {
    return std::vector<std::string>(s.begin(), s.end());
  };
  if (!disabled.empty()) {
    out.push_back({Problem::kClusteringDisabled, sorted(disabled),
                   "clustering is disabled while promha delivers to " + std::to_string(expected) +
                       " Alertmanagers: each of them will send its own notification"});
  }
  if (!missing.empty()) {
    out.push_back({Problem::kPeersMissing, sorted(missing),
                   "an Alertmanager sees " + std::to_string(min_peers) +
                       " cluster member(s) (itself included) while promha delivers to " +
                       std::to_string(expected)});
  }
  if (memberships.size() > 1) {
    std::set<std::string> all;
    for (const auto& [peers, who] : memberships) all.insert(who.begin(), who.end());
    out.push_back({Problem::kSplit, sorted(all),
                   "the Alertmanagers disagree on the cluster membership (" +
                       std::to_string(memberships.size()) +
                       " different peer lists): notifications may be duplicated"});
  }
  if (!stuck.empty()) {
    out.push_back({Problem::kSettlingStuck, sorted(stuck),
                   "an Alertmanager has been settling for longer than expected"});
  }
  return out;
}

}  // namespace promha::watch
