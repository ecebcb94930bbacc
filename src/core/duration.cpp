#include "core/duration.h"

#include <array>
#include <charconv>
#include <cstdint>

#include "core/labels.h"

namespace promha::core {
namespace {

Error err(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

struct Unit {
  std::string_view name;
  uint64_t mult;  // nanoseconds
};

constexpr uint64_t kMs = 1'000'000;
// In Prometheus's order; a unit must come after every unit before it (pos = index + 1).
constexpr std::array<Unit, 7> kUnits{{
    {"y", kMs * 1000 * 60 * 60 * 24 * 365},
    {"w", kMs * 1000 * 60 * 60 * 24 * 7},
    {"d", kMs * 1000 * 60 * 60 * 24},
    {"h", kMs * 1000 * 60 * 60},
    {"m", kMs * 1000 * 60},
    {"s", kMs * 1000},
    {"ms", kMs},
}};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Duration> parseDuration(std::string_view s) {
  if (s == "0") return Duration{0};  // Prometheus allows 0 without a unit.
  if (s.empty()) return err("empty duration string");
  const std::string orig = quote(s);
  const auto invalid = [&] { return err("not a valid duration string: " + orig); };
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  size_t last_unit = 0;
  while (!s.empty()) {
    if (!isDigit(s[0])) return invalid();
    size_t i = 0;
    while (i < s.size() && isDigit(s[i])) ++i;
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + i, v);
    if (ec != std::errc() || p != s.data() + i) return invalid();
    s.remove_prefix(i);
    i = 0;
    while (i < s.size() && !isDigit(s[i])) ++i;
    if (i == 0) return invalid();
    const std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    size_t pos = 0;
    for (size_t k = 0; k < kUnits.size(); ++k) {
      if (kUnits[k].name == u) pos = k + 1;
    }
    if (pos == 0) return err("unknown unit " + quote(u) + " in duration " + orig);
    if (pos <= last_unit) return invalid();  // units go from the biggest to the smallest
    last_unit = pos;
    const uint64_t mult = kUnits[pos - 1].mult;
    if (v > kMax / mult) return err("duration out of range");
    total += v * mult;
    if (total > kMax - 1) return err("duration out of range");
  }
  return Duration{static_cast<int64_t>(total)};
}

std::string formatDuration(Duration d) {
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {  // Go prints negative durations from model.Duration oddly; keep it readable.
    out = "-";
    ms = -ms;
  }
  for (size_t k = 0; k < kUnits.size(); ++k) {
    const auto mult = static_cast<int64_t>(kUnits[k].mult / kMs);
    // Years and weeks only when exact: "90d" reads better than "12w6d".
    if (k < 2 && ms % mult != 0) continue;
    if (const int64_t v = ms / mult; v > 0) {
      out += std::to_string(v);
      out += kUnits[k].name;
      ms -= v * mult;
    }
  }
  return out;
}

}  // namespace promha::core
