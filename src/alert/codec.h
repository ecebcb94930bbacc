// Alertmanager API codec: decodes what Prometheus POSTs to /api/v2/alerts and /api/v1/alerts,
// with Alertmanager 0.25's validation and answers (see ../shared/fixtures/alertmanager-0.25), and
// encodes batches the way Prometheus sends them to an Alertmanager.
//
// Pure: no I/O, no clock except the `now_ns` passed in.
// Thread-safety: free functions on values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"

namespace promha::alert {

enum class ApiVersion { kV1, kV2 };

struct DecodeLimits {
  size_t max_alerts = 100000;        // alerts per request
  size_t max_labels = 1000;          // labels (and annotations) per alert
  size_t max_string_bytes = 1 << 20; // per name or value
};

// The outcome of decoding one POST body, mirroring Alertmanager 0.25:
// - 200: every alert valid.
// - 400 with per-alert messages: content errors (empty labels, bad names, endsAt before
//   startsAt); the valid alerts of the same request are still in `alerts` and must be accepted.
// - 400/422 (schema or decode errors) and 415 (wrong Content-Type): nothing accepted.
struct DecodeResult {
  int status = 200;
  std::vector<Alert> alerts;          // accepted alerts (also on a partial 400)
  size_t invalid = 0;                 // alerts rejected for their content
  std::string body;                   // response body, byte-compatible with Alertmanager 0.25
  std::string content_type;           // of `body`; empty when the body is empty
};

// `content_type` is the request's Content-Type header value (may be empty).
DecodeResult decode(ApiVersion v, std::string_view body, std::string_view content_type,
                    int64_t now_ns, const DecodeLimits& limits = {});

// Encodes a batch as a JSON array for POST to an Alertmanager (v2 or v1 body shape).
std::string encode(ApiVersion v, const std::vector<const Alert*>& alerts);

// Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint, FNV-1a 64).
uint64_t fingerprint(const core::Labels& labels);

// RFC 3339 with nanoseconds, UTC ("2026-11-28T05:01:41.243166236Z"); parse accepts offsets.
std::string formatTime(int64_t ns, bool millis_only = false);
bool parseTime(std::string_view s, int64_t& ns);

}  // namespace promha::alert
