// Durations in Prometheus's notation: "1h30m", "10s", "500ms", "1d", "1w", "1y", and a bare "0".
//
// parseDuration() is Prometheus's model.ParseDuration (units y=365d, w, d, h, m, s, ms, each at
// most once and from the largest to the smallest, no fractions, no sign), and formatDuration()
// its Duration.String() ("0s", "1h30m", "90d" rather than "12w6d"). Values are nanoseconds, like
// Go's time.Duration, so anything that overflows an int64 of nanoseconds is out of range.
//
//   auto d = core::parseDuration("1h30m");   // d.value() == 90min
//   core::formatDuration(*d) == "1h30m"
//
// Thread-safety: free functions on values.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace promha::core {

using Duration = std::chrono::nanoseconds;

Result<Duration> parseDuration(std::string_view s);
// Millisecond precision, as Prometheus prints durations; sub-millisecond parts are dropped.
std::string formatDuration(Duration d);

}  // namespace promha::core
