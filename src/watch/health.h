// PeerHealth: the up/down state machine of one probed Prometheus replica. A peer starts up (so a
// restart of promha does not page), goes down after `failure_threshold` consecutive failed probes
// of /-/healthy, and is up again after one success. Readiness (/-/ready) is reported as seen.
// Pure. Thread-safety: none (guarded by the watcher).
#pragma once

#include <cstdint>
#include <string>

namespace promha::watch {

struct ProbeResult {
  bool healthy = false;  // GET /-/healthy answered 2xx
  bool ready = false;    // GET /-/ready answered 2xx
  double duration_seconds = 0;
  std::string error;  // why the health probe failed ("" when healthy)
};

class PeerHealth {
 public:
  void observe(const ProbeResult& r, int64_t now_ns, uint64_t failure_threshold);

  bool up() const { return up_; }
  bool ready() const { return ready_; }
  bool probed() const { return probes_ > 0; }
  uint64_t probes() const { return probes_; }
  uint64_t consecutiveFailures() const { return failures_; }
  uint64_t stateChanges() const { return state_changes_; }
  int64_t lastSuccessNs() const { return last_success_ns_; }
  int64_t lastChangeNs() const { return last_change_ns_; }
  int64_t downSinceNs() const { return up_ ? 0 : last_change_ns_; }
  const std::string& lastError() const { return last_error_; }
  double lastDurationSeconds() const { return last_duration_; }

 private:
  bool up_ = true;
  bool ready_ = false;
  uint64_t probes_ = 0;
  uint64_t failures_ = 0;
  uint64_t state_changes_ = 0;
  int64_t last_success_ns_ = 0;
  int64_t last_change_ns_ = 0;
  std::string last_error_;
  double last_duration_ = 0;
};

}  // namespace promha::watch
