#include "watch/health.h"

namespace promha::watch {

void PeerHealth::observe(const ProbeResult& r, int64_t now_ns, uint64_t failure_threshold) {
  ++probes_;
  last_duration_ = r.duration_seconds;
  ready_ = r.healthy && r.ready;
  if (r.healthy) {
    failures_ = 0;
    last_success_ns_ = now_ns;
    if (!up_) {
      up_ = true;
      ++state_changes_;
      last_change_ns_ = now_ns;
    }
    return;
  }
  last_error_ = r.error;
  ++failures_;
  if (up_ && failures_ >= failure_threshold) {
    up_ = false;
    ++state_changes_;
    last_change_ns_ = now_ns;
  }
}

}  // namespace promha::watch
