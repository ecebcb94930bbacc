// Alertmanager API codec: decodes what Prometheus POSTs to /api/v2/alerts and /api/v1/alerts,
// with Alertmanager 0.25's validation and answers (see ../shared/fixtures/alertmanager-0.25), and
// encodes batches the way Prometheus 2.42 sends them to an Alertmanager.
//
// decode() reproduces Alertmanager 0.25 (go-openapi + Go 1.19 encoding/json) byte for byte where
// the fixtures pin it down: status code, body, Content-Type, and which alerts of a request are
// still accepted. It is a single-pass, bounded, non-recursive scanner with Go's JSON semantics
// (invalid UTF-8 and lone surrogates become U+FFFD instead of failing, keys match
// case-insensitively, trailing bytes after the top-level value are ignored as by json.Decoder, the
// same syntax error texts). Where we add to Alertmanager's text: a syntax error other than
// "unexpected EOF" gets " at byte offset N" (0-based index of the offending byte) appended.
//
// Missing startsAt/endsAt stay 0 in the decoded Alert: Alertmanager fills them on receipt
// (startsAt = endsAt or now, endsAt = now + resolve_timeout), so the sender leaves them out and the
// real Alertmanager fills them exactly as it would have. Validation ("start time must be before
// end time") still uses the filled-in values, with `now_ns` and DecodeLimits::resolve_timeout_ns.
// Times are int64 nanoseconds: values outside 1677..2262 are clamped, and an explicit
// 1970-01-01T00:00:00Z (or strfmt's "" = Unix epoch) reads as "not set".
//
// Divergences (Alertmanager would not answer at all or is random):
// - a `null` element in the array makes Alertmanager 0.25 panic (no response); we answer 400.
// - with several invalid label names, Go reports one in random map order; we report the first in
//   sorted order.
// - DecodeLimits violations answer 413 (Alertmanager has no such limits).
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
  size_t max_alerts = 100000;         // alerts per request
  size_t max_labels = 1000;           // labels (and annotations) per alert
  size_t max_string_bytes = 1 << 20;  // per name or value
  // Alertmanager's global.resolve_timeout (default 5m); only used to validate startsAt of an alert
  // without endsAt, as Alertmanager does after filling endsAt = now + resolve_timeout.
  int64_t resolve_timeout_ns = 5LL * 60 * 1000 * 1000 * 1000;
};

// The outcome of decoding one POST body, mirroring Alertmanager 0.25:
// - 200: every alert valid.
// - 400 with per-alert messages: content errors (empty labels, bad names, endsAt before
//   startsAt); the valid alerts of the same request are still in `alerts` and must be accepted.
// - 400/422 (schema or decode errors), 413 (DecodeLimits) and 415 (wrong Content-Type): nothing
//   accepted.
struct DecodeResult {
  int status = 200;
  std::vector<Alert> alerts;  // accepted alerts (also on a partial 400)
  size_t invalid = 0;         // alerts rejected for their content
  std::string body;           // response body, byte-compatible with Alertmanager 0.25
  std::string content_type;   // of `body`; empty when the body is empty
};

// `content_type` is the request's Content-Type header value (may be empty). v1 ignores it.
DecodeResult decode(ApiVersion v, std::string_view body, std::string_view content_type,
                    int64_t now_ns, const DecodeLimits& limits = {});

// Encodes a batch as a JSON array for POST to an Alertmanager, as Prometheus 2.42 does:
// v2 keys `annotations, endsAt, startsAt, generatorURL, labels` with millisecond times; v1 keys
// `labels, annotations, startsAt, endsAt, generatorURL` with RFC 3339 nanosecond times. Times that
// are 0 are left out (Alertmanager fills them); empty annotations (v2) and generatorURL are left
// out, and so is a v2 generatorURL that Alertmanager's v2 schema would reject (format "uri", which
// v1 never checked), since it would fail the whole batch with 422. Strings are escaped like Go's
// encoding/json (`& < >` as \u0026 \u003c \u003e).
std::string encode(ApiVersion v, const std::vector<const Alert*>& alerts);
// One element of encode()'s array, appended to `out`; encode() is '[' + these joined by ',' + ']'.
void appendEncoded(ApiVersion v, const Alert& alert, std::string& out);
// A size that appendEncoded() rarely exceeds (for reserve()).
size_t encodedSizeHint(const Alert& alert);

// Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint, FNV-1a 64 over the
// sorted names and values, each followed by a 0xff byte).
uint64_t fingerprint(const core::Labels& labels);

// RFC 3339 like Go's time.RFC3339Nano, UTC ("2026-11-28T05:01:41.243166236Z", trailing zeros of
// the fraction dropped); with millis_only exactly three fraction digits, truncated ("…41.243Z").
std::string formatTime(int64_t ns, bool millis_only = false);
// Go's time.Parse(time.RFC3339Nano, s): `Z` or ±hh:mm offsets, optional fraction of any length.
bool parseTime(std::string_view s, int64_t& ns);

}  // namespace promha::alert
