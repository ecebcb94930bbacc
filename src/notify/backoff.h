// Backoff: jittered exponential backoff between retries of a failed POST to an Alertmanager.
//
// Attempt n (0-based) has the ceiling d = min(max, min * 2^n). The delay is "equal jitter":
// uniform in [d/2, d], then raised to at least `min`. Equal rather than full jitter because full
// jitter may pick ~0 and hammer an Alertmanager that is already failing; half the ceiling still
// spreads the retries of many senders apart. Every delay therefore lies in [min, max].
//
// Pure: randomness comes from an injected RandomSource, so a seeded source gives a fixed sequence.
// Thread-safety: none; a Backoff belongs to one sender's worker thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace promha::notify {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // 64 uniformly distributed bits.
  virtual uint64_t next() = 0;
};

// SplitMix64: tiny, fast and good enough for jitter; deterministic for a given seed.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t next() override;

 private:
  uint64_t state_;
};

class Backoff {
 public:
  using Duration = std::chrono::nanoseconds;

  // `min` <= 0 is treated as 1ns and `max` < `min` as `min`.
  Backoff(Duration min, Duration max, RandomSource& random);

  // The delay before the next retry; each call doubles the ceiling up to `max`.
  Duration next();
  // After a success: the next failure starts again from `min`.
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }
  // The ceiling d for the next call (for tests and the status page).
  Duration ceiling() const;

 private:
  Duration min_;
  Duration max_;
  RandomSource* random_;
  int attempt_ = 0;
};

}  // namespace promha::notify
