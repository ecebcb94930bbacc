// libFuzzer target for the Alertmanager API codec: decodes arbitrary bodies as v1 and v2 with a
// few Content-Types, re-encodes what was accepted, and checks that the re-encoded batch decodes to
// the same alerts (with no errors) in both API versions.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "alert/codec.h"

namespace {

using promha::alert::Alert;
using promha::alert::ApiVersion;
using promha::alert::decode;
using promha::alert::DecodeLimits;
using promha::alert::encode;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void roundTrip(const std::vector<Alert>& alerts, const DecodeLimits& limits) {
  std::vector<const Alert*> ptrs;
  for (const Alert& a : alerts) ptrs.push_back(&a);
  for (const ApiVersion v : {ApiVersion::kV2, ApiVersion::kV1}) {
    const std::string body = encode(v, ptrs);
    // A large now keeps "endsAt before startsAt" out of the picture only when the times are set;
    // accepted alerts already passed that check with the same now, so re-validation must pass.
    const auto again = decode(v, body, "application/json", 0, limits);
    check(again.status == 200);
    check(again.invalid == 0);
    check(again.alerts.size() == alerts.size());
    for (size_t i = 0; i < alerts.size(); ++i) {
      const Alert& a = alerts[i];
      const Alert& b = again.alerts[i];
      check(a.labels == b.labels);
      check(a.annotations == b.annotations);
      // encode(kV2) leaves out a generatorURL that v2 would reject (only v1 accepts those).
      check(a.generator_url == b.generator_url ||
            (v == ApiVersion::kV2 && b.generator_url.empty()));
      // v2 carries milliseconds only.
      const int64_t unit = v == ApiVersion::kV2 ? 1000000 : 1;
      // Times are clamped to the int64 range, so truncating the minimum stays at the minimum.
      auto trunc = [unit](int64_t t) {
        int64_t out = 0;
        if (__builtin_sub_overflow(t, ((t % unit) + unit) % unit, &out)) return t;
        return out;
      };
      check(b.starts_at_ns == trunc(a.starts_at_ns));
      check(b.ends_at_ns == trunc(a.ends_at_ns));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  DecodeLimits limits;
  limits.max_alerts = 1000;
  limits.max_labels = 100;
  limits.max_string_bytes = 4096;
  for (const std::string_view ct :
       {"application/json", "application/json; charset=utf-8", "text/plain", ""}) {
    const auto r = decode(ApiVersion::kV2, body, ct, 0, limits);
    check(r.status == 200 || r.status == 400 || r.status == 413 || r.status == 415 ||
          r.status == 422);
    check(r.body.empty() == r.content_type.empty());
    check(r.alerts.size() <= limits.max_alerts);
    if (r.status != 200 && r.status != 400) check(r.alerts.empty());
    for (const Alert& a : r.alerts) {
      check(!a.labels.empty() && a.labels.size() <= limits.max_labels);
      check(a.ends_at_ns == 0 || a.starts_at_ns == 0 || a.ends_at_ns >= a.starts_at_ns);
    }
    if (ct == "application/json") roundTrip(r.alerts, limits);
  }
  const auto r1 = decode(ApiVersion::kV1, body, "", 0, limits);
  check(r1.status == 200 || r1.status == 400 || r1.status == 413);
  check(!r1.body.empty());
  roundTrip(r1.alerts, limits);
  return 0;
}
