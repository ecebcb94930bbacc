// Pair consistency: the alerts currently firing from this replica's Prometheus (after the global
// relabeling, so both replicas' copies of an alert have the same fingerprint), served at
// GET /api/v1/ha/alerts, and the comparison with the peer promha's list.
//
// FiringSet records what the local Prometheus sends: an alert fires from its startsAt until its
// endsAt (Prometheus sends endsAt a few resend intervals ahead and refreshes it, and endsAt <= now
// when resolved). It is bounded: beyond `capacity` distinct alerts, new ones are counted as
// overflow and not tracked (the comparison then says so instead of reporting false divergence).
//
// Divergence remembers since when each alert has been on one side only; an alert counts as
// diverged once that lasts `for`.
// Pure. Thread-safety: FiringSet is internally locked (the HTTP handlers record, the watcher
// reads); Divergence belongs to the watcher's thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "core/result.h"

namespace promha::watch {

struct FiringAlert {
  uint64_t fingerprint = 0;
  core::Labels labels;
  int64_t starts_at_ns = 0;
  int64_t ends_at_ns = 0;
};

class FiringSet {
 public:
  explicit FiringSet(size_t capacity = 50'000) : capacity_(capacity) {}

  // Alerts after the global relabeling, received at now_ns. An alert without endsAt is taken to
  // fire for `default_ttl_ns` (Alertmanager's resolve_timeout).
  void record(const std::vector<alert::Alert>& alerts, int64_t now_ns,
              int64_t default_ttl_ns = 5LL * 60 * 1'000'000'000);
  // The alerts firing at now_ns, sorted by fingerprint; prunes the ones that ended.
  std::vector<FiringAlert> snapshot(int64_t now_ns);
  uint64_t overflow() const;

 private:
  mutable std::mutex mu_;
  size_t capacity_;
  std::unordered_map<uint64_t, FiringAlert> alerts_;  // guarded by mu_
  uint64_t overflow_ = 0;                             // guarded by mu_
};

// The JSON of GET /api/v1/ha/alerts.
std::string encodeHaAlerts(std::string_view replica, const std::vector<FiringAlert>& alerts,
                           uint64_t overflow, int64_t now_ns);
struct PeerAlerts {
  std::string replica;
  std::vector<FiringAlert> alerts;  // sorted by fingerprint
  uint64_t overflow = 0;
};
core::Result<PeerAlerts> decodeHaAlerts(std::string_view json);

struct DivergenceCounts {
  size_t only_here = 0;  // firing here only, for longer than `for`
  size_t only_peer = 0;
  std::vector<core::Labels> only_here_labels;  // up to 10 of each, for the status page
  std::vector<core::Labels> only_peer_labels;
};

class Divergence {
 public:
  DivergenceCounts update(const std::vector<FiringAlert>& here,
                          const std::vector<FiringAlert>& peer, int64_t now_ns, int64_t for_ns);
  void reset() { since_.clear(); }

 private:
  // fingerprint -> (side: true = here, since)
  std::unordered_map<uint64_t, std::pair<bool, int64_t>> since_;
};

}  // namespace promha::watch
