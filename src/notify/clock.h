// Clock: the time seam of the notify module. Senders read steady time for latencies and system
// (wall) time for alert validity (endsAt) and the status page; tests inject a fake.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace promha::notify {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
  // Nanoseconds since the Unix epoch, the unit of Alert::ends_at_ns.
  virtual int64_t systemNowNs() const = 0;
};

// The real clocks. A process-wide instance: stateless, so sharing it is harmless.
class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point steadyNow() const override;
  int64_t systemNowNs() const override;
  static const SystemClock& instance();
};

}  // namespace promha::notify
