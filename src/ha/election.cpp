#include "ha/election.h"

#include <algorithm>

namespace promha::ha {

std::string_view roleName(Role r) {
  switch (r) {
    case Role::kLeader:
      return "leader";
    case Role::kSteppingDown:
      return "stepping_down";
    case Role::kFollower:
      break;
  }
  return "follower";
}

Role roleFromName(std::string_view s) {
  if (s == "leader") return Role::kLeader;
  if (s == "stepping_down") return Role::kSteppingDown;
  return Role::kFollower;
}

namespace {

struct Seen {
  bool reachable = false;  // answered within the time-out (or still in the start-up grace)
  bool healthy = false;
  bool eligible = true;
  Role role = Role::kFollower;
};

Seen see(const ElectionInput& in, const PeerView& p) {
  Seen s;
  if (p.contacted) {
    s.reachable = in.now_ns - p.last_contact_ns < in.failover_timeout_ns;
    s.healthy = s.reachable && p.prometheus_up;
    s.eligible = p.eligible;
    s.role = s.reachable ? p.role : Role::kFollower;
  } else {
    // Never heard from: assume it is there (and not leading) for the start-up grace.
    s.reachable = in.now_ns - in.started_ns < in.failover_timeout_ns;
    s.healthy = s.reachable;
  }
  return s;
}

}  // namespace

ElectionResult elect(const ElectionInput& in) {
  ElectionResult r;
  std::vector<std::pair<std::string, Seen>> seen;  // in config order
  for (const std::string& name : in.order) {
    Seen s;
    if (name == in.self) {
      s.reachable = true;
      s.healthy = in.self_prometheus_up;
      s.eligible = in.self_eligible;
      s.role = in.self_role;
    } else {
      auto it = std::find_if(in.peers.begin(), in.peers.end(),
                             [&](const PeerView& p) { return p.name == name; });
      if (it != in.peers.end()) s = see(in, *it);
      if (!s.reachable) r.unreachable.push_back(name);
    }
    seen.emplace_back(name, s);
  }
  const auto first = [&](bool need_eligible) -> std::string {
    for (const auto& [name, s] : seen) {
      if (s.healthy && (!need_eligible || s.eligible)) return name;
    }
    return {};
  };
  r.leader = first(true);
  if (r.leader.empty()) r.leader = first(false);
  if (r.leader.empty()) r.leader = in.self;  // nobody healthy: fail open

  if (r.leader != in.self) {
    r.role = in.self_role == Role::kFollower ? Role::kFollower : Role::kSteppingDown;
    return r;
  }
  if (in.self_role == Role::kLeader) {
    r.role = Role::kLeader;
  } else {
    for (const auto& [name, s] : seen) {
      if (name != in.self && s.reachable && s.role != Role::kFollower) {
        r.waiting_for = name;
        break;
      }
    }
    if (r.waiting_for.empty()) {
      r.role = Role::kLeader;
      r.take_over = true;
      for (const PeerView& p : in.peers) {
        if (p.contacted) r.newer_than_ms = std::max(r.newer_than_ms, p.last_queued_ms);
      }
    } else {
      r.role = Role::kFollower;
    }
  }
  r.fail_open = r.role == Role::kLeader && !r.unreachable.empty();
  return r;
}

}  // namespace promha::ha
