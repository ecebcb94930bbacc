// Leader election for remote write, without a key-value store: every promha of an HA set applies
// the same rule to what it sees, so they agree without voting.
//
// The rule. A replica is *healthy* when its Prometheus is up (this replica: its own probes of
// /-/ready; another one: what its promha said in its last GET /api/v1/ha/status) and, for another
// replica, its promha answered within `failover_timeout`. Until then a silent promha keeps the
// state it last reported, so a blip does not move the leadership; a promha never heard from
// counts as healthy for the first `failover_timeout` after start (this replica waits for it
// rather than forwarding a duplicate stream). The leader is the first replica in config order
// that is healthy and eligible (not handed off); if none is eligible, the first healthy one; if
// none is healthy, every replica forwards (fail open: duplicates, never loss).
//
// Taking over is ordered: a replica that should lead waits until no reachable replica still
// reports itself leading (or stepping down), so two replicas never forward at once while they
// can see each other; the new leader then forwards only samples newer than the newest sample any
// other replica queued (`newer_than_ms`). A replica that cannot reach another for
// `failover_timeout` does not wait for it (split brain: both may forward; `fail_open` says so).
//
// Pure: time comes in as now_ns. Thread-safety: none needed (free function).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace promha::ha {

enum class Role { kFollower, kLeader, kSteppingDown };
std::string_view roleName(Role r);
// The inverse of roleName(); kFollower for anything unknown.
Role roleFromName(std::string_view s);

inline constexpr int64_t kNoTimestamp = std::numeric_limits<int64_t>::min();

// What this replica knows of another one.
struct PeerView {
  std::string name;
  bool contacted = false;  // answered at least once
  int64_t last_contact_ns = 0;
  // From its last answer:
  Role role = Role::kFollower;
  bool prometheus_up = false;
  bool eligible = true;                   // false after a hand-off
  int64_t last_queued_ms = kNoTimestamp;  // the newest sample it queued for forwarding
};

struct ElectionInput {
  std::vector<std::string> order;  // ha.replicas
  std::string self;
  bool self_prometheus_up = false;
  bool self_eligible = true;
  Role self_role = Role::kFollower;
  std::vector<PeerView> peers;  // the other replicas (any order)
  int64_t now_ns = 0;
  int64_t started_ns = 0;  // when this promha started: the grace for peers never heard from
  int64_t failover_timeout_ns = 0;
};

struct ElectionResult {
  std::string leader;           // who should forward; this replica's name when failing open
  Role role = Role::kFollower;  // what this replica should be now
  bool take_over = false;       // becoming the leader now: replay the buffer, then lead
  int64_t newer_than_ms = kNoTimestamp;  // with take_over: what others covered
  bool fail_open = false;                // leading while some replica's promha is unreachable
  std::vector<std::string> unreachable;  // replicas whose promha is silent past the timeout
  std::string waiting_for;               // should lead, but this replica still reports leading
};

ElectionResult elect(const ElectionInput& in);

}  // namespace promha::ha
