// Alertmanager cluster checks: what one Alertmanager says about its cluster (GET /api/v2/status)
// and whether the replicas promha delivers to form one healthy cluster.
//
// Facts from a real Alertmanager 0.25 (../shared/fixtures/alertmanager-0.25): /-/ready is 200 even
// while settling; `peers` includes the node itself; a node whose peers are unreachable still
// becomes "ready" with only itself as peer; a killed peer leaves the others' lists ~6 s later
// while they stay "ready"; with clustering disabled, status is "disabled", peers [] and no name.
// So the peer lists are compared with the set of Alertmanagers promha delivers to.
// Pure. Thread-safety: free functions on values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace promha::watch {

struct ClusterView {
  std::string status;              // "ready", "settling" or "disabled"
  std::string name;                // this node's peer name ("" when disabled)
  std::vector<std::string> peers;  // peer names, sorted, the node itself included
};

// Parses the JSON of /api/v2/status; an error names what is missing or malformed.
core::Result<ClusterView> parseClusterView(std::string_view json);

// One Alertmanager of a block, as last probed.
struct NodeObservation {
  std::string alertmanager;  // its URL, as in the metrics
  std::string instance;      // host:port, for alert labels
  bool reachable = false;
  ClusterView view;
  int64_t settling_since_ns = 0;  // > 0 while "settling"
};

enum class Problem { kClusteringDisabled, kPeersMissing, kSplit, kSettlingStuck };
std::string_view problemName(
    Problem p);  // clustering_disabled, peers_missing, split, settling_stuck

struct Finding {
  Problem problem;
  std::vector<std::string> instances;  // the replicas concerned, sorted host:port
  std::string detail;                  // a sentence for the annotation
};

// The findings for the Alertmanagers of one block (`expected` = how many promha delivers to).
// Unreachable nodes are skipped: delivery metrics report them, and their absence shows in the
// others' peer lists. Empty when the cluster is consistent.
std::vector<Finding> assessCluster(const std::vector<NodeObservation>& nodes, size_t expected,
                                   int64_t now_ns, int64_t settling_timeout_ns);

}  // namespace promha::watch
