#include "core/duration.h"

#include <doctest/doctest.h>

namespace {

using promha::core::Duration;
using promha::core::formatDuration;
using promha::core::parseDuration;
using namespace std::chrono_literals;

TEST_CASE("parseDuration accepts Prometheus durations") {
  struct Row {
    const char* in;
    Duration want;
    const char* formatted;  // Prometheus's Duration.String() of the result
  };
  const Row rows[] = {
      {"0", 0s, "0s"},
      {"0s", 0s, "0s"},
      {"10s", 10s, "10s"},
      {"500ms", 500ms, "500ms"},
      {"1h30m", 90min, "1h30m"},
      {"1d", 24h, "1d"},
      {"1w", 7 * 24h, "1w"},
      {"1y", 365 * 24h, "1y"},
      {"90d", 90 * 24h, "90d"},
      {"14d", 14 * 24h, "2w"},
      {"1y2w3d4h5m6s7ms", 365 * 24h + 17 * 24h + 4h + 5min + 6s + 7ms,
       "382d4h5m6s7ms"},  // y and w only when exact
      {"61s", 61s, "1m1s"},
      {"1500ms", 1500ms, "1s500ms"},
      {"292y", 292 * 365 * 24h, "292y"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.in) {
      auto d = parseDuration(r.in);
      REQUIRE(d.ok());
      CHECK(*d == r.want);
      CHECK(formatDuration(*d) == r.formatted);
    }
  }
}

TEST_CASE("parseDuration rejects what Prometheus rejects") {
  struct Row {
    const char* in;
    const char* message;
  };
  const Row rows[] = {
      {"", "empty duration string"},
      {"1", "not a valid duration string: \"1\""},
      {"s", "not a valid duration string: \"s\""},
      {"-1s", "not a valid duration string: \"-1s\""},
      {"1.5s", "unknown unit \".\" in duration \"1.5s\""},
      {"1m1h", "not a valid duration string: \"1m1h\""},
      {"1s1s", "not a valid duration string: \"1s1s\""},
      {"10x", "unknown unit \"x\" in duration \"10x\""},
      {" 1s", "not a valid duration string: \" 1s\""},
      {"1S", "unknown unit \"S\" in duration \"1S\""},
      {"300y", "duration out of range"},
      {"99999999999999999999s", "not a valid duration string: \"99999999999999999999s\""},
      {"292y200d", "duration out of range"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.in) {
      auto d = parseDuration(r.in);
      REQUIRE_FALSE(d.ok());
      CHECK(d.error().message == r.message);
    }
  }
}

TEST_CASE("formatDuration drops sub-millisecond parts") {
  CHECK(formatDuration(Duration{1'500'000}) == "1ms");
  CHECK(formatDuration(Duration{999'999}) == "0s");
}

}  // namespace
