#include "remotewrite/codec.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>

namespace promha::remotewrite {

// --- snappy -----------------------------------------------------------------------------------

core::Result<size_t> uncompressedLength(std::string_view compressed) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n)) {
    return core::Error{"invalid snappy block: bad length header"};
  }
  return n;
}

void Buffer::resize(size_t n) {
  if (n > capacity_) {
    const size_t cap = std::max(n, capacity_ + capacity_ / 2);
    auto fresh = std::make_unique<char[]>(cap);  // value-initialised once per growth only
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = cap;
  }
  size_ = n;
}

void Buffer::shrink(size_t max_capacity) {
  if (capacity_ <= max_capacity) return;
  data_.reset();
  capacity_ = 0;
  size_ = 0;
}

bool uncompress(std::string_view compressed, Buffer& out) {
  auto n = uncompressedLength(compressed);
  if (!n.ok()) return false;
  out.resize(*n);
  // Snappy's decompressor is safe on corrupt input: it checks every copy against the output
  // length it was given and returns false.
  return snappy::RawUncompress(compressed.data(), compressed.size(), out.data());
}

void compress(std::string_view in, Buffer& out) {
  out.resize(snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(in.data(), in.size(), out.data(), &n);
  out.resize(n);
}

// --- wire format ------------------------------------------------------------------------------

namespace detail {

enum WireType : uint32_t {
  kVarint = 0,
  kI64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kI32 = 5,
};

const char* wireTypeName(uint32_t wt) {
  switch (wt) {
    case kVarint:
      return "varint";
    case kI64:
      return "fixed64";
    case kLen:
      return "length-delimited";
    case kStartGroup:
    case kEndGroup:
      return "group";
    case kI32:
      return "fixed32";
    default:
      return "invalid";
  }
}

// A cursor over protobuf wire data. Every read checks the bounds and returns false when the data
// ends early or is malformed; nothing is read past `end_`.
class Reader {
 public:
  explicit Reader(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), end_(p_ + s.size()) {}

  bool done() const { return p_ >= end_; }
  const char* pos() const { return reinterpret_cast<const char*>(p_); }

  bool varint(uint64_t& v) {
    if (p_ < end_ && *p_ < 0x80) {  // one byte: tags, lengths and small values
      v = *p_++;
      return true;
    }
    uint64_t r = 0;
    // At most 10 bytes, as Go's and C++'s parsers accept; bits beyond 64 are dropped.
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ >= end_) return false;
      const uint8_t b = *p_++;
      if (shift < 64) r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        v = r;
        return true;
      }
    }
    return false;
  }

  bool skipBytes(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  bool bytes(std::string_view& out) {
    uint64_t n = 0;
    if (!varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Reads a tag; false at a malformed tag, field number 0 or an invalid wire type.
  bool tag(uint32_t& field, uint32_t& wire_type) {
    uint64_t t = 0;
    if (!varint(t)) return false;
    field = static_cast<uint32_t>(t >> 3);
    wire_type = static_cast<uint32_t>(t & 7);
    return field != 0 && (t >> 3) <= 0x1fffffff && wire_type <= kI32 && wire_type != kStartGroup &&
           wire_type != kEndGroup;
  }

  // Skips one value of the given wire type (an unknown field).
  bool skip(uint32_t wire_type) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire_type) {
      case kVarint:
        return varint(v);
      case kI64:
        return skipBytes(8);
      case kLen:
        return bytes(s);
      case kI32:
        return skipBytes(4);
      default:
        return false;  // groups are not used by proto3 and not accepted here
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// UTF-8 validation with an ASCII fast path of 8 bytes at a time: label names and values are
// nearly always ASCII.
bool validUtf8(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) break;
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) >= 0x80) return core::isValidUtf8(s.substr(i));
  }
  return true;
}

// Where an element sits in the request, for error messages: a chain of (name, index) built on
// the stack as the parser descends, formatted only when something fails.
struct Where {
  const Where* parent = nullptr;
  const char* name = "";
  int64_t index = -1;  // -1: not an element of a list

  std::string str() const {
    std::string out = parent ? parent->str() + "." : "";
    out += name;
    if (index >= 0) out += "[" + std::to_string(index) + "]";
    return out;
  }
};

// Parses and validates the messages of a request. Each method returns false with `err_` set.
class Parser {
 public:
  explicit Parser(std::string& err) : err_(err) {}

  bool fail(const Where& w, const std::string& msg) {
    err_ = w.str() + ": " + msg;
    return false;
  }
  bool truncated(const Where& w) { return fail(w, "truncated or malformed protobuf"); }
  bool wrongType(const Where& w, const char* field, uint32_t wt, uint32_t want) {
    return fail(w, std::string("field '") + field + "' has wire type " + wireTypeName(wt) +
                       ", want " + wireTypeName(want));
  }

  bool label(std::string_view msg, LabelRef& out, const Where& w) {
    Reader r(msg);
    out = LabelRef{};
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      if (f == 1 || f == 2) {
        if (wt != kLen) return wrongType(w, f == 1 ? "name" : "value", wt, kLen);
        if (!r.bytes(f == 1 ? out.name : out.value)) return truncated(w);
      } else if (!r.skip(wt)) {
        return truncated(w);
      }
    }
    return true;
  }

  // Expects wire type `want`; reads a varint into *v (when given) or skips a fixed-size value.
  bool scalar(Reader& r, uint32_t wt, uint32_t want, const char* field, const Where& w,
              uint64_t* v = nullptr) {
    if (wt != want) return wrongType(w, field, wt, want);
    if (want == kVarint) {
      uint64_t tmp = 0;
      if (!r.varint(v ? *v : tmp)) return truncated(w);
      return true;
    }
    if (!r.skipBytes(want == kI64 ? 8 : 4)) return truncated(w);
    return true;
  }

  bool sample(std::string_view msg, int64_t& ts, const Where& w) {
    Reader r(msg);
    uint64_t t = 0;
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      if (f == 1) {
        if (!scalar(r, wt, kI64, "value", w)) return false;
      } else if (f == 2) {
        if (!scalar(r, wt, kVarint, "timestamp", w, &t)) return false;
      } else if (!r.skip(wt)) {
        return truncated(w);
      }
    }
    ts = static_cast<int64_t>(t);
    return true;
  }

  bool exemplar(std::string_view msg, const Where& w) {
    Reader r(msg);
    int64_t n = 0;
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      if (f == 1) {
        if (wt != kLen) return wrongType(w, "labels", wt, kLen);
        std::string_view m;
        if (!r.bytes(m)) return truncated(w);
        const Where lw{&w, "labels", n++};
        LabelRef l;
        if (!label(m, l, lw)) return false;
        if (!validUtf8(l.name) || !validUtf8(l.value)) return fail(lw, "invalid UTF-8");
      } else if (f == 2) {
        if (!scalar(r, wt, kI64, "value", w)) return false;
      } else if (f == 3) {
        if (!scalar(r, wt, kVarint, "timestamp", w)) return false;
      } else if (!r.skip(wt)) {
        return truncated(w);
      }
    }
    return true;
  }

  bool bucketSpan(std::string_view msg, const Where& w) {
    Reader r(msg);
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      if (f == 1 || f == 2) {
        if (!scalar(r, wt, kVarint, f == 1 ? "offset" : "length", w)) return false;
      } else if (!r.skip(wt)) {
        return truncated(w);
      }
    }
    return true;
  }

  // A repeated scalar: packed (one length-delimited run) or one unpacked element.
  bool repeated(Reader& r, uint32_t wt, uint32_t elem, const char* field, const Where& w) {
    if (wt == elem) return scalar(r, wt, elem, field, w);
    if (wt != kLen) return wrongType(w, field, wt, kLen);
    std::string_view packed;
    if (!r.bytes(packed)) return truncated(w);
    if (elem == kI64) return packed.size() % 8 == 0 || truncated(w);
    Reader pr(packed);
    uint64_t v;
    while (!pr.done()) {
      if (!pr.varint(v)) return truncated(w);
    }
    return true;
  }

  bool histogram(std::string_view msg, int64_t& ts, const Where& w) {
    Reader r(msg);
    uint64_t t = 0;
    int64_t neg = 0, pos = 0;
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      bool ok = true;
      switch (f) {
        case 1:
          ok = scalar(r, wt, kVarint, "count_int", w);
          break;
        case 2:
          ok = scalar(r, wt, kI64, "count_float", w);
          break;
        case 3:
          ok = scalar(r, wt, kI64, "sum", w);
          break;
        case 4:
          ok = scalar(r, wt, kVarint, "schema", w);
          break;
        case 5:
          ok = scalar(r, wt, kI64, "zero_threshold", w);
          break;
        case 6:
          ok = scalar(r, wt, kVarint, "zero_count_int", w);
          break;
        case 7:
          ok = scalar(r, wt, kI64, "zero_count_float", w);
          break;
        case 8:
        case 11: {
          const char* name = f == 8 ? "negative_spans" : "positive_spans";
          if (wt != kLen) return wrongType(w, name, wt, kLen);
          std::string_view m;
          if (!r.bytes(m)) return truncated(w);
          ok = bucketSpan(m, Where{&w, name, f == 8 ? neg++ : pos++});
          break;
        }
        case 9:
          ok = repeated(r, wt, kVarint, "negative_deltas", w);
          break;
        case 10:
          ok = repeated(r, wt, kI64, "negative_counts", w);
          break;
        case 12:
          ok = repeated(r, wt, kVarint, "positive_deltas", w);
          break;
        case 13:
          ok = repeated(r, wt, kI64, "positive_counts", w);
          break;
        case 14:
          ok = scalar(r, wt, kVarint, "reset_hint", w);
          break;
        case 15:
          ok = scalar(r, wt, kVarint, "timestamp", w, &t);
          break;
        default:
          ok = r.skip(wt) || truncated(w);
      }
      if (!ok) return false;
    }
    ts = static_cast<int64_t>(t);
    return true;
  }

  bool metadata(std::string_view msg, const Where& w) {
    Reader r(msg);
    while (!r.done()) {
      uint32_t f, wt;
      if (!r.tag(f, wt)) return truncated(w);
      if (f == 1) {
        if (!scalar(r, wt, kVarint, "type", w)) return false;
      } else if (f == 2 || f == 4 || f == 5) {
        const char* name = f == 2 ? "metric_family_name" : f == 4 ? "help" : "unit";
        if (wt != kLen) return wrongType(w, name, wt, kLen);
        std::string_view s;
        if (!r.bytes(s)) return truncated(w);
        if (!validUtf8(s)) return fail(w, std::string(name) + " is not valid UTF-8");
      } else if (!r.skip(wt)) {
        return truncated(w);
      }
    }
    return true;
  }

 private:
  std::string& err_;
};

}  // namespace detail

using detail::kLen;
using detail::Parser;
using detail::Reader;
using detail::validUtf8;
using detail::Where;
using detail::wireTypeName;

core::Result<DecodeStats> Decoder::decode(std::string_view proto, Visitor* visitor) {
  DecodeStats stats;
  std::string err;
  Parser p(err);
  Reader top(proto);
  while (!top.done()) {
    const char* field_start = top.pos();
    uint32_t f, wt;
    if (!top.tag(f, wt) || (f != 1 && f != 3 && !top.skip(wt))) {
      return core::Error{"malformed protobuf at byte " +
                         std::to_string(field_start - proto.data())};
    }
    if (f != 1 && f != 3) continue;  // unknown (or reserved) field of WriteRequest
    const Where w{nullptr, f == 1 ? "timeseries" : "metadata",
                  static_cast<int64_t>(f == 1 ? stats.series : stats.metadata)};
    if (wt != kLen) {
      p.fail(w, std::string("wire type ") + wireTypeName(wt) + ", want length-delimited");
      return core::Error{err};
    }
    std::string_view msg;
    if (!top.bytes(msg)) {
      p.truncated(w);
      return core::Error{err};
    }
    if (f == 3) {
      if (!p.metadata(msg, w)) return core::Error{err};
      ++stats.metadata;
      if (visitor) visitor->metadata(std::string_view(field_start, top.pos() - field_start));
      continue;
    }
    SeriesView sv;
    sv.index = static_cast<size_t>(stats.series);
    if (!series(msg, w, sv, p, stats)) return core::Error{err};
    ++stats.series;
    stats.samples += sv.samples;
    stats.exemplars += sv.exemplars;
    stats.histograms += sv.histograms;
    if (visitor) {
      sv.labels = labels_;
      sv.parts = parts_;
      visitor->series(sv);
    }
  }
  return stats;
}

bool Decoder::series(std::string_view msg, const detail::Where& w, SeriesView& sv,
                     detail::Parser& p, DecodeStats& stats) {
  labels_.clear();
  parts_.clear();
  Reader r(msg);
  while (!r.done()) {
    const char* start = r.pos();
    uint32_t f, wt;
    if (!r.tag(f, wt)) return p.truncated(w);
    if (f >= 1 && f <= 4) {
      static constexpr const char* kNames[] = {"", "labels", "samples", "exemplars", "histograms"};
      if (wt != kLen) return p.wrongType(w, kNames[f], wt, kLen);
      std::string_view m;
      if (!r.bytes(m)) return p.truncated(w);
      int64_t ts = 0;
      switch (f) {
        case 1: {
          const Where lw{&w, "labels", static_cast<int64_t>(labels_.size())};
          if (!p.label(m, labels_.emplace_back(), lw)) return false;
          continue;  // labels are re-encoded, never passed through
        }
        case 2:
          if (!p.sample(m, ts, Where{&w, "samples", sv.samples})) return false;
          ++sv.samples;
          stats.noteTimestamp(ts);
          sv.max_timestamp_ms = std::max(sv.max_timestamp_ms, ts);
          break;
        case 3:
          if (!p.exemplar(m, Where{&w, "exemplars", sv.exemplars})) return false;
          ++sv.exemplars;
          break;
        case 4:
          if (!p.histogram(m, ts, Where{&w, "histograms", sv.histograms})) return false;
          ++sv.histograms;
          stats.noteTimestamp(ts);
          sv.max_timestamp_ms = std::max(sv.max_timestamp_ms, ts);
          break;
      }
    } else if (!r.skip(wt)) {
      return p.truncated(w);
    }
    // A verbatim part; adjacent fields (the usual layout) become one range.
    const std::string_view part(start, static_cast<size_t>(r.pos() - start));
    if (!parts_.empty() && parts_.back().data() + parts_.back().size() == start) {
      parts_.back() = std::string_view(parts_.back().data(), parts_.back().size() + part.size());
    } else {
      parts_.push_back(part);
    }
  }
  // Prometheus's data model: at least one label, names valid and unique, sorted by name. An
  // empty value means "no such label" (it is not forwarded), so it does not count.
  size_t non_empty = 0;
  for (size_t i = 0; i < labels_.size(); ++i) {
    const LabelRef& l = labels_[i];
    if (!l.value.empty()) ++non_empty;
    const bool name_ok = opts_.scheme == core::NameScheme::kLegacy
                             ? core::isValidLegacyName(l.name)
                             : !l.name.empty() && validUtf8(l.name);
    if (!name_ok) return p.fail(w, "invalid label name " + core::quote(l.name));
    if (!validUtf8(l.value)) {
      return p.fail(w, "the value of label " + core::quote(l.name) + " is not valid UTF-8");
    }
    if (i > 0) {
      const std::string_view prev = labels_[i - 1].name;
      const int order = l.name.compare(prev);
      if (order == 0) return p.fail(w, "duplicate label name " + core::quote(l.name));
      if (order < 0) {
        return p.fail(w, "labels are not sorted by name: " + core::quote(l.name) + " after " +
                             core::quote(prev));
      }
    }
  }
  if (non_empty == 0) return p.fail(w, "no labels");
  return true;
}

// --- filtering --------------------------------------------------------------------------------

namespace {

// The timestamp field of a Sample (2), Exemplar (3) or Histogram (15) message; 0 when absent.
int64_t timestampOf(std::string_view msg, uint32_t ts_field) {
  Reader r(msg);
  uint64_t t = 0;
  while (!r.done()) {
    uint32_t f, wt;
    if (!r.tag(f, wt)) break;
    if (f == ts_field && wt == detail::kVarint) {
      if (!r.varint(t)) break;
    } else if (!r.skip(wt)) {
      break;
    }
  }
  return static_cast<int64_t>(t);
}

}  // namespace

FilterCounts filterNewerThan(std::span<const std::string_view> parts, int64_t newer_than_ms,
                             std::vector<std::string_view>& out) {
  FilterCounts c;
  out.clear();
  const auto keep = [&](std::string_view field) {
    if (!out.empty() && out.back().data() + out.back().size() == field.data()) {
      out.back() = std::string_view(out.back().data(), out.back().size() + field.size());
    } else {
      out.push_back(field);
    }
  };
  for (std::string_view part : parts) {
    Reader r(part);
    while (!r.done()) {
      const char* start = r.pos();
      uint32_t f, wt;
      if (!r.tag(f, wt)) return c;  // cannot happen on validated parts
      std::string_view msg;
      if (wt == kLen && f >= 2 && f <= 4) {
        if (!r.bytes(msg)) return c;
      } else if (!r.skip(wt)) {
        return c;
      }
      const std::string_view field(start, static_cast<size_t>(r.pos() - start));
      if (msg.data() == nullptr) {
        keep(field);
        continue;
      }
      const int64_t ts = timestampOf(msg, f == 2 ? 2 : f == 3 ? 3 : 15);
      if (ts <= newer_than_ms) {
        if (f != 3) ++c.dropped;
        continue;
      }
      keep(field);
      if (f == 3) {
        ++c.exemplars;
      } else {
        ++c.samples;
        c.max_timestamp_ms = std::max(c.max_timestamp_ms, ts);
      }
    }
  }
  return c;
}

// --- encoding ---------------------------------------------------------------------------------

size_t varintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

namespace {
char* putVarint(char* w, uint64_t v) {
  while (v >= 0x80) {
    *w++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *w++ = static_cast<char>(v);
  return w;
}

char* putString(char* w, char tag, std::string_view s) {
  *w++ = tag;
  w = putVarint(w, s.size());
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

size_t labelSize(const core::Label& l) {
  return 2 + varintSize(l.name.size()) + l.name.size() + varintSize(l.value.size()) +
         l.value.size();
}
}  // namespace

void appendVarint(std::string& out, uint64_t v) {
  char buf[10];
  out.append(buf, static_cast<size_t>(putVarint(buf, v) - buf));
}

void appendLabels(std::string& out, const core::Labels& labels) {
  size_t total = 0;
  for (const core::Label& l : labels) {
    if (l.value.empty()) continue;
    const size_t n = labelSize(l);
    total += 1 + varintSize(n) + n;
  }
  const size_t old = out.size();
  out.resize(old + total);
  char* w = out.data() + old;
  for (const core::Label& l : labels) {
    if (l.value.empty()) continue;
    *w++ = 0x0a;  // TimeSeries.labels
    w = putVarint(w, labelSize(l));
    w = putString(w, 0x0a, l.name);
    w = putString(w, 0x12, l.value);
  }
}

void appendTimeSeries(std::string& out, std::string_view encoded_labels,
                      std::span<const std::string_view> parts) {
  size_t inner = encoded_labels.size();
  for (std::string_view p : parts) inner += p.size();
  char header[11];
  header[0] = 0x0a;  // WriteRequest.timeseries
  const size_t header_size = static_cast<size_t>(putVarint(header + 1, inner) - header);
  out.reserve(out.size() + header_size + inner);  // grows geometrically; appends do not zero-fill
  out.append(header, header_size);
  out.append(encoded_labels);
  for (std::string_view p : parts) out.append(p);
}

void appendTimeSeries(std::string& out, const core::Labels& labels,
                      std::span<const std::string_view> parts) {
  std::string encoded;
  appendLabels(encoded, labels);
  appendTimeSeries(out, encoded, parts);
}

}  // namespace promha::remotewrite
