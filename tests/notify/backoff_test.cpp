#include "notify/backoff.h"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

namespace promha::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// Returns the same value every time: pins the jitter to one end of its range.
class ConstRandom final : public RandomSource {
 public:
  explicit ConstRandom(uint64_t v) : v_(v) {}
  uint64_t next() override { return v_; }

 private:
  uint64_t v_;
};

TEST_CASE("backoff: ceilings double up to max") {
  SeededRandom r(1);
  Backoff b(milliseconds(100), milliseconds(1000), r);
  const std::vector<milliseconds> want = {milliseconds(100),  milliseconds(200),
                                          milliseconds(400),  milliseconds(800),
                                          milliseconds(1000), milliseconds(1000)};
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(b.ceiling() == want[i]);
    b.next();
  }
  b.reset();
  CHECK(b.attempt() == 0);
  CHECK(b.ceiling() == milliseconds(100));
}

TEST_CASE("backoff: equal jitter bounds") {
  struct Row {
    const char* name;
    uint64_t random;
    std::vector<nanoseconds> want;
  };
  // With r % (span+1) == 0 the delay is d/2 (raised to min); with r = span it is d.
  const std::vector<Row> rows = {
      {"lowest jitter",
       0,
       {milliseconds(100), milliseconds(100), milliseconds(200), milliseconds(400),
        milliseconds(500)}},
      {"jitter one",
       1,
       {milliseconds(100), nanoseconds(100'000'001), nanoseconds(200'000'001),
        nanoseconds(400'000'001), nanoseconds(500'000'001)}},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      ConstRandom r(row.random);
      Backoff b(milliseconds(100), milliseconds(1000), r);
      for (size_t i = 0; i < row.want.size(); ++i) {
        CAPTURE(i);
        CHECK(b.next() == row.want[i]);
      }
    }
  }
}

TEST_CASE("backoff: seeded delays stay within [d/2, d] and [min, max]") {
  struct Row {
    const char* name;
    nanoseconds min;
    nanoseconds max;
    uint64_t seed;
  };
  const std::vector<Row> rows = {
      {"default settings", milliseconds(100), milliseconds(10000), 42},
      {"tiny", nanoseconds(1), nanoseconds(7), 7},
      {"min equals max", milliseconds(50), milliseconds(50), 3},
      {"max below min is raised", milliseconds(50), milliseconds(10), 9},
      {"zero min is raised to 1ns", nanoseconds(0), milliseconds(5), 11},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      SeededRandom r(row.seed);
      Backoff b(row.min, row.max, r);
      const nanoseconds lo = std::max(row.min, nanoseconds(1));
      const nanoseconds hi = std::max(row.max, lo);
      for (int i = 0; i < 200; ++i) {
        const nanoseconds d = b.ceiling();
        const nanoseconds got = b.next();
        CAPTURE(i);
        CHECK(got >= lo);
        CHECK(got <= hi);
        CHECK(got >= std::max(d / 2, lo));
        CHECK(got <= d);
      }
    }
  }
}

TEST_CASE("backoff: a seed fixes the sequence and jitter spreads it") {
  SeededRandom r1(5), r2(5), r3(6);
  Backoff a(milliseconds(100), milliseconds(10000), r1);
  Backoff b(milliseconds(100), milliseconds(10000), r2);
  Backoff c(milliseconds(100), milliseconds(10000), r3);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    if (x != c.next()) differs = true;
  }
  CHECK(differs);
}

TEST_CASE("backoff: many attempts do not overflow") {
  SeededRandom r(1);
  Backoff b(std::chrono::seconds(1), std::chrono::hours(1), r);
  for (int i = 0; i < 1000; ++i) b.next();
  CHECK(b.ceiling() == std::chrono::hours(1));
  CHECK(b.next() <= std::chrono::hours(1));
}

}  // namespace
}  // namespace promha::notify
