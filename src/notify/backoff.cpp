#include "notify/backoff.h"

#include <algorithm>

namespace promha::notify {

uint64_t SeededRandom::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Backoff::Backoff(Duration min, Duration max, RandomSource& random)
    : min_(std::max(min, Duration(1))), max_(std::max(max, min_)), random_(&random) {}

Backoff::Duration Backoff::ceiling() const {
  Duration d = min_;
  // Doubling stops at max_, so this never overflows however many attempts fail.
  for (int i = 0; i < attempt_ && d < max_; ++i) d = d > max_ / 2 ? max_ : d * 2;
  return std::min(d, max_);
}

Backoff::Duration Backoff::next() {
  const Duration d = ceiling();
  if (attempt_ < 64) ++attempt_;
  const uint64_t half = static_cast<uint64_t>(d.count() / 2);
  const uint64_t span = static_cast<uint64_t>(d.count()) - half;  // [half, d] has span+1 values
  const uint64_t jitter = random_->next() % (span + 1);
  return std::max(Duration(static_cast<int64_t>(half + jitter)), min_);
}

}  // namespace promha::notify
