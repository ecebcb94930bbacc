// Coordinator: remote-write HA for one replica of a Prometheus HA set (config `ha.replicas`).
// It is the Forwarder's Gate: while this replica leads it forwards; while it follows it accepts
// and discards (counted as deduplicated), keeping the requests in a ring buffer.
//
// Every `interval` it probes its own Prometheus (/-/ready; down after `failure_threshold` failures
// in a row) and asks every other replica's promha for its state (GET /api/v1/ha/status), then
// applies the rule of election.h. A takeover replays the buffered requests, only their samples
// newer than the newest sample any other replica queued, then forwards live requests with the
// same filter, so the storage gets neither duplicates nor out-of-order samples. A leader that
// should not lead any more steps down: it stops forwarding, waits for the requests in flight, and
// only then reports itself a follower, so its newest queued sample is final when the next leader
// reads it. POST /api/v1/ha/handoff (with --web.enable-lifecycle) makes this replica ineligible
// for a while (`?for=`, default 10m; `?for=0s` makes it eligible again).
//
// Fail open: a replica whose promha cannot be reached for failover_timeout is not waited for;
// when two sidecars cannot see each other both forward (duplicates, never loss), which
// promha_ha_fail_open and the RemoteWriteHASplitBrain alert report.
//
// Thread-safety: apply/stop from the app's control thread; the Gate methods from connection
// threads; statusJson/handoff from HTTP threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
#include "core/result.h"
#include "ha/election.h"
#include "ha/ring_buffer.h"
#include "log/logger.h"
#include "notify/clock.h"
#include "notify/poster.h"
#include "notify/target.h"
#include "remotewrite/forwarder.h"
#include "watch/self_alerts.h"

namespace prometheus {
class Registry;
}

namespace promha::watch {
class Loop;
}

namespace promha::ha {

inline constexpr char kSplitBrainAlert[] = "RemoteWriteHASplitBrain";

// One other replica of the set: its name and its promha.
struct Replica {
  std::string name;
  notify::Target promha;
  bool operator==(const Replica&) const = default;
};

// What apply() needs, built by the app from `ha` and `watch` (after --watch.local-name).
struct Settings {
  std::vector<std::string> order;
  std::string self;
  // This replica's Prometheus (watch.local). Without it, it counts as up while remote-write
  // requests arrive (one within failover_timeout).
  std::optional<notify::Target> prometheus;
  std::vector<Replica> peers;
  std::chrono::nanoseconds failover_timeout = std::chrono::seconds(10);
  std::chrono::nanoseconds interval = std::chrono::seconds(1);
  uint64_t failure_threshold = 3;
  std::chrono::nanoseconds buffer_duration = std::chrono::minutes(2);
  uint64_t buffer_max_bytes = 64ULL << 20;
  config::SelfAlertConfig split_brain_alert;
  bool operator==(const Settings&) const = default;
};

// Settings from a config: an error when `ha.replicas` does not name this replica (`self`, from
// watch.local after --watch.local-name) or a peer lacks a promha_url. nullopt: HA is off.
core::Result<std::optional<Settings>> settingsOf(
    const config::Config& cfg, const config::WatchConfig& watch,
    const std::function<core::Result<notify::Target>(
        const config::PeerConfig&, const std::string& url, core::Duration timeout)>& make_target);

struct CoordinatorDeps {
  std::function<core::Result<std::unique_ptr<notify::HttpGetter>>(const notify::Target&)>
      make_getter;
  // Sends promha's own alerts through the alert path.
  std::function<void(std::vector<alert::Alert>)> emit;
};

class Coordinator final : public remotewrite::Gate {
 public:
  Coordinator(prometheus::Registry& registry, log::Logger& log, remotewrite::Forwarder& fw,
              CoordinatorDeps deps, const notify::Clock& clock = notify::SystemClock::instance());
  ~Coordinator() override;
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Starts, updates or (nullopt) ends HA; when it ends, this replica forwards everything.
  void apply(std::optional<Settings> s);
  void stop();

  // remotewrite::Gate
  remotewrite::GateDecision begin() override;
  void observe(std::string_view snappy_body, const remotewrite::DecodeStats& stats,
               remotewrite::GateDecision& d) override;
  void end(const remotewrite::GateDecision& d) override;

  // GET /api/v1/ha/status.
  std::string statusJson() const;
  // POST /api/v1/ha/handoff[?for=10m]: {status code, JSON or message}.
  std::pair<int, std::string> handoff(std::string_view for_param);

  // Runs one election now (tests; the loop does this every interval).
  void tick();

 private:
  struct Peer;
  struct Metrics;
  struct State;

  void stopLoops();  // with control_mu_ held
  void probeLocal();
  void probePeer(Peer& p);
  void takeOver(int64_t newer_than_ms);
  void replayEntry(const RingBuffer::Entry& e, int64_t newer_than_ms,
                   std::chrono::steady_clock::time_point deadline);
  nlohmann::ordered_json statusLocked(int64_t now) const;  // with mu_ held

  log::Logger& log_;
  remotewrite::Forwarder& fw_;
  const CoordinatorDeps deps_;
  const notify::Clock& clock_;
  std::unique_ptr<Metrics> metrics_;

  // The Gate's fast path reads these without locks.
  std::atomic<bool> enabled_{false};
  std::atomic<Role> role_{Role::kFollower};
  std::atomic<int64_t> newer_than_ms_{kNoTimestamp};
  std::atomic<int64_t> inflight_{0};       // forwarded requests between begin() and end()
  std::atomic<int64_t> last_write_ns_{0};  // the last valid request from the local Prometheus

  std::atomic<bool> stopping_{false};
  std::mutex control_mu_;  // serialises apply/stop/tick (the takeover runs under it)
  std::vector<std::unique_ptr<watch::Loop>> loops_;  // guarded by control_mu_
  mutable std::mutex mu_;                            // the state below; observe() takes it
  std::unique_ptr<State> state_;
  RingBuffer buffer_;
};

}  // namespace promha::ha
