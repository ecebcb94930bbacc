// Remote write 1.0 codec: snappy block (de)compression and a wire-level protobuf decoder and
// encoder for prometheus.WriteRequest (proto/remote.proto, proto/types.proto).
//
// The forwarding path never builds an object per series. Decoder::decode() walks the decompressed
// buffer once, validates everything that will be forwarded (Prometheus's Go receivers reject a
// whole batch for one malformed field), and hands each series to a visitor as views: its labels,
// and its other fields (samples, exemplars, native histograms, unknown fields) as verbatim byte
// ranges. appendTimeSeries() re-encodes a series with new (relabeled) labels and those ranges
// copied unchanged, so sample values, staleness NaN bits, exemplars and histograms pass through
// bit for bit without being interpreted.
//
//   Decoder dec({.scheme = core::NameScheme::kUtf8});
//   auto stats = dec.decode(proto, visitor);     // error: a message for a 400 answer
//
// Thread-safety: a Decoder holds scratch buffers and belongs to one thread at a time; the free
// functions are reentrant. Pure: no I/O, clocks or globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/result.h"

namespace promha::remotewrite {

namespace detail {
class Parser;
struct Where;
}  // namespace detail

// --- snappy (Debian libsnappy, block format: what remote write uses, not the framed format) -----

// The length the block says it decompresses to, read from its header without decompressing; an
// error when the header is not a valid varint. Check it against a limit before uncompress().
core::Result<size_t> uncompressedLength(std::string_view compressed);

// A growable byte buffer whose growth does not zero-fill (std::string::resize would), reused
// across requests so that steady-state decoding does not allocate.
class Buffer {
 public:
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }
  // Sets the size to n, keeping the first min(n, size) bytes; the rest is uninitialised.
  void resize(size_t n);
  void clear() { size_ = 0; }
  // Frees the memory when it exceeds `max_capacity` (after one unusually large request).
  void shrink(size_t max_capacity);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Decompresses a snappy block into `out` (resized to the uncompressed length); false when the
// data is corrupt. Call uncompressedLength() first to bound the size.
bool uncompress(std::string_view compressed, Buffer& out);

// Compresses `in` into `out` (replacing its contents).
void compress(std::string_view in, Buffer& out);

// --- decoding ---------------------------------------------------------------------------------

struct LabelRef {
  std::string_view name;
  std::string_view value;
};

// One TimeSeries of a request, valid during the visitor call only.
struct SeriesView {
  size_t index = 0;                         // position in the request, for messages
  std::span<const LabelRef> labels;         // sorted by name, unique, validated
  std::span<const std::string_view> parts;  // every other field, verbatim (tag+length+bytes)
  uint32_t samples = 0;
  uint32_t exemplars = 0;
  uint32_t histograms = 0;
  // The newest sample or histogram timestamp; min() when there is none.
  int64_t max_timestamp_ms = std::numeric_limits<int64_t>::min();
  // Queue and batch-size accounting, as Prometheus counts a batch: samples + exemplars +
  // histograms, at least 1 (a series without any still costs a slot).
  uint32_t units() const {
    const uint32_t n = samples + exemplars + histograms;
    return n == 0 ? 1 : n;
  }
};

class Visitor {
 public:
  virtual ~Visitor() = default;
  // Called for each series in request order. After a decode error the series already visited
  // must be discarded: the request is rejected as a whole.
  virtual void series(const SeriesView& s) = 0;
  // One WriteRequest.metadata field, verbatim (tag+length+bytes), already validated.
  virtual void metadata(std::string_view field) = 0;
};

struct DecodeStats {
  uint64_t series = 0;
  uint64_t samples = 0;  // float samples
  uint64_t exemplars = 0;
  uint64_t histograms = 0;  // native histogram samples
  uint64_t metadata = 0;
  // Over samples and histograms; min > max when there are none.
  int64_t min_timestamp_ms = std::numeric_limits<int64_t>::max();
  int64_t max_timestamp_ms = std::numeric_limits<int64_t>::min();
  void noteTimestamp(int64_t ts) {
    if (ts < min_timestamp_ms) min_timestamp_ms = ts;
    if (ts > max_timestamp_ms) max_timestamp_ms = ts;
  }
  bool operator==(const DecodeStats&) const = default;
};

struct DecodeOptions {
  // Label names are checked with this scheme (Prometheus 3.x: UTF-8; 2.x: legacy).
  core::NameScheme scheme = core::NameScheme::kUtf8;
};

class Decoder {
 public:
  explicit Decoder(DecodeOptions opts = {}) : opts_(opts) {}
  void setOptions(DecodeOptions opts) { opts_ = opts; }

  // Decodes and validates a WriteRequest, calling `visitor` (may be null: validation only).
  // Errors name the element, e.g. `timeseries[3]: labels are not sorted: "a" after "job"`.
  // Validation: well-formed wire format with gogoproto's wire types for every known field
  // (packed or unpacked repeated scalars), valid UTF-8 in every string, and per series at least
  // one label, names valid under the scheme, sorted and unique. Unknown fields of a TimeSeries
  // are passed through; those of other messages are checked for well-formedness only.
  core::Result<DecodeStats> decode(std::string_view proto, Visitor* visitor);

 private:
  bool series(std::string_view msg, const detail::Where& w, SeriesView& sv, detail::Parser& p,
              DecodeStats& stats);

  DecodeOptions opts_;
  std::vector<LabelRef> labels_;
  std::vector<std::string_view> parts_;
};

// --- filtering (HA takeover) ------------------------------------------------------------------

// What filterNewerThan() kept and dropped of one series.
struct FilterCounts {
  uint32_t samples = 0;    // float + histogram samples kept
  uint32_t exemplars = 0;  // exemplars kept
  uint32_t dropped = 0;    // float + histogram samples dropped
  int64_t max_timestamp_ms = std::numeric_limits<int64_t>::min();  // of the kept samples
  uint32_t units() const {
    const uint32_t n = samples + exemplars;
    return n == 0 ? 1 : n;
  }
};

// Copies into `out` the fields of a series' verbatim parts (SeriesView::parts, already validated
// by Decoder::decode) without the samples, exemplars and histograms whose timestamp is at or
// before `newer_than_ms`; other fields are kept. Used when a replica takes over forwarding: what
// the previous leader already covered is not sent again (a Prometheus receiver would reject it as
// out of order, and with it the whole batch).
FilterCounts filterNewerThan(std::span<const std::string_view> parts, int64_t newer_than_ms,
                             std::vector<std::string_view>& out);

// --- encoding ---------------------------------------------------------------------------------

// Appends `labels` as TimeSeries.labels fields (empty values are skipped).
void appendLabels(std::string& out, const core::Labels& labels);

// Appends a WriteRequest.timeseries field (field 1) holding the already encoded label fields and
// then the verbatim `parts`. A WriteRequest body is just a sequence of such fields and metadata
// fields, so batches are built by appending.
void appendTimeSeries(std::string& out, std::string_view encoded_labels,
                      std::span<const std::string_view> parts);
void appendTimeSeries(std::string& out, const core::Labels& labels,
                      std::span<const std::string_view> parts);

// The size of a varint, and appending one (exposed for tests and the benchmark's generator).
size_t varintSize(uint64_t v);
void appendVarint(std::string& out, uint64_t v);

}  // namespace promha::remotewrite
