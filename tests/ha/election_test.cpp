#include "ha/election.h"

#include <doctest/doctest.h>

#include "ha/ring_buffer.h"

namespace promha::ha {
namespace {

constexpr int64_t kSec = 1'000'000'000;

// A and B in that order, seen from `self`, at t = 100 s, started at t = 0, failover 10 s.
ElectionInput input(const std::string& self) {
  ElectionInput in;
  in.order = {"A", "B"};
  in.self = self;
  in.self_prometheus_up = true;
  in.now_ns = 100 * kSec;
  in.started_ns = 0;
  in.failover_timeout_ns = 10 * kSec;
  return in;
}

PeerView peer(const std::string& name, Role role, bool up = true, int64_t contact_ago_s = 1,
              int64_t last_queued_ms = 5000) {
  PeerView p;
  p.name = name;
  p.contacted = true;
  p.last_contact_ns = (100 - contact_ago_s) * kSec;
  p.role = role;
  p.prometheus_up = up;
  p.last_queued_ms = last_queued_ms;
  return p;
}

TEST_CASE("the first healthy replica in order leads; the others follow") {
  ElectionInput a = input("A");
  a.peers = {peer("B", Role::kFollower)};
  ElectionResult r = elect(a);
  CHECK(r.leader == "A");
  CHECK(r.role == Role::kLeader);
  CHECK(r.take_over);
  CHECK(r.newer_than_ms == 5000);  // what B queued is covered
  CHECK_FALSE(r.fail_open);

  ElectionInput b = input("B");
  b.peers = {peer("A", Role::kLeader)};
  r = elect(b);
  CHECK(r.leader == "A");
  CHECK(r.role == Role::kFollower);
  CHECK_FALSE(r.take_over);
}

TEST_CASE("a leader whose Prometheus is down is replaced at once, after it stepped down") {
  // A reports its Prometheus down but still leading (stepping down): B waits for it.
  ElectionInput b = input("B");
  b.peers = {peer("A", Role::kSteppingDown, /*up=*/false)};
  ElectionResult r = elect(b);
  CHECK(r.leader == "B");
  CHECK(r.role == Role::kFollower);
  CHECK(r.waiting_for == "A");
  CHECK_FALSE(r.take_over);
  // A is a follower now: B takes over, forwarding what is newer than A's last queued sample.
  b.peers = {peer("A", Role::kFollower, false, 1, 7000)};
  r = elect(b);
  CHECK(r.role == Role::kLeader);
  CHECK(r.take_over);
  CHECK(r.newer_than_ms == 7000);

  // A itself, seeing its own Prometheus down, steps down.
  ElectionInput a = input("A");
  a.self_prometheus_up = false;
  a.self_role = Role::kLeader;
  a.peers = {peer("B", Role::kFollower)};
  r = elect(a);
  CHECK(r.leader == "B");
  CHECK(r.role == Role::kSteppingDown);
}

TEST_CASE("a silent leader keeps its last state until failover_timeout, then is not waited for") {
  ElectionInput b = input("B");
  b.peers = {peer("A", Role::kLeader, true, /*contact_ago_s=*/9)};
  CHECK(elect(b).role == Role::kFollower);  // 9 s of silence: still A
  b.peers = {peer("A", Role::kLeader, true, /*contact_ago_s=*/10)};
  const ElectionResult r = elect(b);
  CHECK(r.leader == "B");
  CHECK(r.take_over);
  CHECK(r.newer_than_ms == 5000);  // A's last known queued sample
  CHECK(r.fail_open);              // A may still be forwarding: split brain
  CHECK(r.unreachable == std::vector<std::string>{"A"});
}

TEST_CASE("a peer never heard from is waited for during the start-up grace only") {
  ElectionInput b = input("B");
  b.now_ns = 5 * kSec;  // 5 s after start
  PeerView a;
  a.name = "A";
  b.peers = {a};
  CHECK(elect(b).leader == "A");
  b.now_ns = 11 * kSec;
  const ElectionResult r = elect(b);
  CHECK(r.leader == "B");
  CHECK(r.take_over);
  CHECK(r.newer_than_ms == kNoTimestamp);  // nothing known: replay everything buffered
}

TEST_CASE("the leader that is handed off yields to the next eligible replica") {
  ElectionInput a = input("A");
  a.self_role = Role::kLeader;
  a.self_eligible = false;
  a.peers = {peer("B", Role::kFollower)};
  ElectionResult r = elect(a);
  CHECK(r.leader == "B");
  CHECK(r.role == Role::kSteppingDown);
  // Nobody else healthy: eligibility is ignored rather than nobody forwarding.
  a.peers = {peer("B", Role::kFollower, /*up=*/false)};
  r = elect(a);
  CHECK(r.leader == "A");
  CHECK(r.role == Role::kLeader);
}

TEST_CASE("nobody healthy: every replica forwards (fail open)") {
  ElectionInput b = input("B");
  b.self_prometheus_up = false;
  b.peers = {peer("A", Role::kFollower, /*up=*/false)};
  const ElectionResult r = elect(b);
  CHECK(r.leader == "B");
  CHECK(r.role == Role::kLeader);
}

TEST_CASE("two leaders that see each other again: the later one in order steps down") {
  ElectionInput b = input("B");
  b.self_role = Role::kLeader;
  b.peers = {peer("A", Role::kLeader)};
  CHECK(elect(b).role == Role::kSteppingDown);
  ElectionInput a = input("A");
  a.self_role = Role::kLeader;
  a.peers = {peer("B", Role::kLeader)};
  const ElectionResult r = elect(a);
  CHECK(r.role == Role::kLeader);
  CHECK_FALSE(r.take_over);
}

TEST_CASE("role names round-trip") {
  for (Role r : {Role::kFollower, Role::kLeader, Role::kSteppingDown}) {
    CHECK(roleFromName(roleName(r)) == r);
  }
  CHECK(roleFromName("bogus") == Role::kFollower);
}

TEST_CASE("the ring buffer keeps requests for its duration and its size, oldest first") {
  RingBuffer b(10 * kSec, 100);
  b.add(1 * kSec, std::string(30, 'a'), 1000);
  b.add(2 * kSec, std::string(30, 'b'), 2000);
  b.add(3 * kSec, "metadata only", kNoTimestamp);  // nothing to replay: not kept
  CHECK(b.stats().entries == 2);
  CHECK(b.stats().bytes == 60);
  auto all = b.since(0, kNoTimestamp);
  REQUIRE(all.size() == 2);
  CHECK(*all[0].body == std::string(30, 'a'));
  CHECK(all[0].seq < all[1].seq);
  CHECK(b.since(0, 1000).size() == 1);  // only the one newer than 1000
  CHECK(b.since(all[0].seq, kNoTimestamp).size() == 1);

  b.add(4 * kSec, std::string(50, 'c'), 3000);  // 110 bytes > 100: the oldest goes
  CHECK(b.stats().entries == 2);
  CHECK(b.stats().evicted_for_size == 1);
  b.add(20 * kSec, std::string(10, 'd'), 4000);  // the others are older than 10 s
  all = b.since(0, kNoTimestamp);
  REQUIRE(all.size() == 1);
  CHECK(all[0].max_timestamp_ms == 4000);
  b.clear();
  CHECK(b.stats().entries == 0);
}

}  // namespace
}  // namespace promha::ha
