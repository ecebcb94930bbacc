// The remote-write codec on real requests captured from Prometheus 2.42 and vmagent 1.79
// (../shared/fixtures), on requests built with the protoc-generated reference classes, and on
// malformed input. The reference classes are the oracle: what the wire-level decoder sees must
// be what protobuf parses, and what promha re-encodes must parse back to the same message.
#include "remotewrite/codec.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rw_test_util.h"

namespace promha::remotewrite {
namespace {

using namespace testing;

// Records what the decoder hands out and re-encodes it exactly as the forwarder does (labels
// through core::Labels, every other field verbatim), optionally through one relabel-like edit.
class Recorder final : public Visitor {
 public:
  void series(const SeriesView& s) override {
    core::Labels ls;
    std::vector<std::pair<std::string, std::string>> names;
    for (const LabelRef& l : s.labels) {
      ls.appendSorted(l.name, l.value);
      names.emplace_back(l.name, l.value);
    }
    labels.push_back(names);
    samples.push_back(s.samples);
    exemplars.push_back(s.exemplars);
    histograms.push_back(s.histograms);
    max_ts.push_back(s.max_timestamp_ms);
    if (!drop_label.empty()) ls.erase(drop_label);
    appendTimeSeries(out, ls, s.parts);
  }
  void metadata(std::string_view field) override {
    ++metadata_fields;
    out += field;
  }

  std::string drop_label;
  std::string out;
  std::vector<std::vector<std::pair<std::string, std::string>>> labels;
  std::vector<uint32_t> samples, exemplars, histograms;
  std::vector<int64_t> max_ts;
  size_t metadata_fields = 0;
};

struct Fixture {
  const char* body;
  const char* decoded;
};

// Every captured request: the decoder agrees with the fixture's counts and with protobuf, and
// re-encoding gives back the decompressed body byte for byte (Prometheus's encoder, like promha's,
// writes fields in order, so verbatim parts + canonical labels reproduce it exactly).
TEST_CASE("fixtures decode as protobuf does and re-encode byte for byte") {
  const Fixture fixtures[] = {
      {"remote-write-2.42/rw-0001.body", "remote-write-2.42/rw-0001.decoded.json"},
      {"remote-write-2.42/rw-0002.body", "remote-write-2.42/rw-0002.decoded.json"},
      {"remote-write-2.42/rw-0003.body", "remote-write-2.42/rw-0003.decoded.json"},
      {"remote-write-2.42/rw-0004.body", "remote-write-2.42/rw-0004.decoded.json"},
      {"remote-write-2.42/rw-0005.body", "remote-write-2.42/rw-0005.decoded.json"},
      {"remote-write-2.42/rw-0006.body", "remote-write-2.42/rw-0006.decoded.json"},
      {"remote-write-2.42/stale/rw-stale.body", "remote-write-2.42/stale/rw-stale.decoded.json"},
      {"vmagent-1.79/forwarded-rw-0006.body", "vmagent-1.79/forwarded-rw-0006.decoded.json"},
  };
  for (const Fixture& f : fixtures) {
    SUBCASE(f.body) {
      const std::string body = fixture(f.body);
      const auto want = nlohmann::json::parse(fixture(f.decoded));
      auto len = uncompressedLength(body);
      REQUIRE(len.ok());
      CHECK(*len == want["uncompressed_bytes"].get<size_t>());
      Buffer plain;
      REQUIRE(uncompress(body, plain));
      const std::string proto(plain.view());
      Decoder dec;
      Recorder rec;
      auto stats = dec.decode(proto, &rec);
      REQUIRE_MESSAGE(stats.ok(), stats.error().message);
      CHECK(stats->series == want["series_count"].get<uint64_t>());
      CHECK(stats->samples == want["samples_count"].get<uint64_t>());
      CHECK(stats->exemplars == want["exemplars_count"].get<uint64_t>());
      CHECK(stats->histograms == want["histograms_count"].get<uint64_t>());
      CHECK(stats->metadata == want["metadata_count"].get<uint64_t>());
      CHECK(rec.metadata_fields == stats->metadata);

      const pb::WriteRequest ref = parse(proto);
      REQUIRE(static_cast<size_t>(ref.timeseries_size()) == rec.labels.size());
      int64_t min_ts = std::numeric_limits<int64_t>::max();
      int64_t max_ts = std::numeric_limits<int64_t>::min();
      for (int i = 0; i < ref.timeseries_size(); ++i) {
        const auto& ts = ref.timeseries(i);
        REQUIRE(static_cast<size_t>(ts.labels_size()) == rec.labels[i].size());
        for (int k = 0; k < ts.labels_size(); ++k) {
          CHECK(ts.labels(k).name() == rec.labels[i][k].first);
          CHECK(ts.labels(k).value() == rec.labels[i][k].second);
        }
        CHECK(static_cast<uint32_t>(ts.samples_size()) == rec.samples[i]);
        CHECK(static_cast<uint32_t>(ts.exemplars_size()) == rec.exemplars[i]);
        int64_t series_max = std::numeric_limits<int64_t>::min();
        for (const auto& s : ts.samples()) {
          min_ts = std::min(min_ts, s.timestamp());
          series_max = std::max(series_max, s.timestamp());
        }
        max_ts = std::max(max_ts, series_max);
        CHECK(rec.max_ts[i] == series_max);
      }
      if (stats->samples > 0) {
        CHECK(stats->min_timestamp_ms == min_ts);
        CHECK(stats->max_timestamp_ms == max_ts);
      }
      CHECK(rec.out == proto);
    }
  }
}

// NaN samples in a fixture's decoded.json, by their bits ("NaN:0x7ff0000000000002").
size_t nansIn(const std::string& decoded, const std::string& bits_text) {
  size_t n = 0;
  const auto json = nlohmann::json::parse(fixture(decoded));
  for (const auto& ts : json["timeseries"]) {
    for (const auto& s : ts["samples"]) n += s[0].is_string() && s[0] == "NaN:" + bits_text;
  }
  return n;
}

TEST_CASE("staleness markers and Prometheus's NaN survive relabeling bit for bit") {
  for (const char* name : {"remote-write-2.42/stale/rw-stale", "remote-write-2.42/rw-0001"}) {
    CAPTURE(name);
    const std::string proto = snappyUncompress(fixture(std::string(name) + ".body"));
    const pb::WriteRequest in = parse(proto);
    Decoder dec;
    Recorder rec;
    rec.drop_label = "replica";
    REQUIRE(dec.decode(proto, &rec).ok());
    const pb::WriteRequest out = parse(rec.out);
    REQUIRE(out.timeseries_size() == in.timeseries_size());
    size_t stale = 0, nans = 0;
    const std::string decoded = std::string(name) + ".decoded.json";
    for (int i = 0; i < in.timeseries_size(); ++i) {
      const auto& a = in.timeseries(i);
      const auto& b = out.timeseries(i);
      // The replica label is gone and nothing else changed.
      CHECK(b.labels_size() == a.labels_size() - 1);
      for (const auto& l : b.labels()) CHECK(l.name() != "replica");
      REQUIRE(b.samples_size() == a.samples_size());
      for (int k = 0; k < a.samples_size(); ++k) {
        CHECK(bits(b.samples(k).value()) == bits(a.samples(k).value()));
        CHECK(b.samples(k).timestamp() == a.samples(k).timestamp());
        if (bits(a.samples(k).value()) == kStaleNaN) ++stale;
        if (std::isnan(a.samples(k).value())) ++nans;
      }
      CHECK(b.exemplars_size() == a.exemplars_size());
    }
    CHECK(stale == nansIn(decoded, "0x7ff0000000000002"));
    CHECK(nans == stale + nansIn(decoded, "0x7ff8000000000001"));
    if (std::string(name).find("stale") != std::string::npos) {
      CHECK(stale == 6);  // every series of the target that went away
    } else {
      CHECK(nans == 26);  // summary quantiles without observations: 0x7ff8000000000001
    }
  }
}

TEST_CASE("exemplars travel as series without samples, metadata in requests of its own") {
  const std::string proto = snappyUncompress(fixture("remote-write-2.42/rw-0001.body"));
  const pb::WriteRequest in = parse(proto);
  Decoder dec;
  Recorder rec;
  REQUIRE(dec.decode(proto, &rec).ok());
  const pb::WriteRequest out = parse(rec.out);
  size_t exemplar_series = 0;
  for (int i = 0; i < out.timeseries_size(); ++i) {
    const auto& ts = out.timeseries(i);
    if (ts.exemplars_size() == 0) continue;
    ++exemplar_series;
    CHECK(ts.samples_size() == 0);
    REQUIRE(ts.exemplars_size() == 1);
    CHECK(ts.exemplars(0).labels(0).name() == "trace_id");
    CHECK(ts.exemplars(0).SerializeAsString() == in.timeseries(i).exemplars(0).SerializeAsString());
  }
  CHECK(exemplar_series == 2);

  const std::string meta = snappyUncompress(fixture("remote-write-2.42/rw-0002.body"));
  Recorder mrec;
  auto stats = dec.decode(meta, &mrec);
  REQUIRE(stats.ok());
  CHECK(stats->series == 0);
  CHECK(stats->metadata == 266);
  const pb::WriteRequest mout = parse(mrec.out);
  REQUIRE(mout.metadata_size() == 266);
  CHECK(mout.metadata(0).metric_family_name() == "process_start_time_seconds");
  CHECK(mout.metadata(0).type() == pb::MetricMetadata::GAUGE);
  CHECK(mout.metadata(265).unit() == "seconds");
}

TEST_CASE("native histograms, unknown fields and unpacked repeated fields pass through") {
  pb::WriteRequest req;
  pb::TimeSeries* ts = req.add_timeseries();
  auto* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("rpc_duration_seconds");
  l = ts->add_labels();
  l->set_name("replica");
  l->set_value("B");
  pb::Histogram* h = ts->add_histograms();  // an integer histogram
  h->set_count_int(12);
  h->set_sum(18.4);
  h->set_schema(-3);
  h->set_zero_threshold(1e-128);
  h->set_zero_count_int(1);
  auto* span = h->add_positive_spans();
  span->set_offset(-2);
  span->set_length(3);
  for (int64_t d : {1, 2, -1}) h->add_positive_deltas(d);
  span = h->add_negative_spans();
  span->set_offset(1);
  span->set_length(1);
  h->add_negative_deltas(4);
  h->set_reset_hint(pb::Histogram::NO);
  h->set_timestamp(1795842426516);
  pb::Histogram* f = ts->add_histograms();  // a float histogram
  f->set_count_float(3.5);
  f->set_zero_count_float(0.5);
  f->set_sum(-2);
  for (double c : {0.5, 1.5, std::numeric_limits<double>::infinity()}) f->add_positive_counts(c);
  f->set_reset_hint(pb::Histogram::GAUGE);
  f->set_timestamp(1795842427516);
  std::string proto = req.SerializeAsString();

  Decoder dec;
  Recorder rec;
  rec.drop_label = "replica";
  auto stats = dec.decode(proto, &rec);
  REQUIRE_MESSAGE(stats.ok(), stats.error().message);
  CHECK(stats->histograms == 2);
  CHECK(stats->samples == 0);
  CHECK(stats->min_timestamp_ms == 1795842426516);
  CHECK(stats->max_timestamp_ms == 1795842427516);
  pb::WriteRequest out = parse(rec.out);
  REQUIRE(out.timeseries_size() == 1);
  CHECK(out.timeseries(0).labels_size() == 1);
  REQUIRE(out.timeseries(0).histograms_size() == 2);
  CHECK(out.timeseries(0).histograms(0).SerializeAsString() == h->SerializeAsString());
  CHECK(out.timeseries(0).histograms(1).SerializeAsString() == f->SerializeAsString());

  // Unpacked repeated scalars (a valid encoding that Go's gogo decoder accepts) and an unknown
  // field (number 99) inside the series: both are passed through unchanged.
  core::Labels ls = core::Labels::fromUnsorted({{"__name__", "x"}});
  std::string unpacked_hist;
  unpacked_hist += "\x60\x02";  // positive_deltas (12), varint 2 (= sint64 1), unpacked
  unpacked_hist += "\x69";      // positive_counts (13), fixed64, unpacked
  unpacked_hist += std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);  // 1.0
  std::string parts;
  parts += "\x22";
  appendVarint(parts, unpacked_hist.size());
  parts += unpacked_hist;
  parts += std::string("\x98\x06\x07", 3);  // field 99, varint 7
  std::string body;
  const std::string_view part_views[] = {parts};
  appendTimeSeries(body, ls, part_views);
  Recorder rec2;
  auto stats2 = dec.decode(body, &rec2);
  REQUIRE_MESSAGE(stats2.ok(), stats2.error().message);
  CHECK(stats2->histograms == 1);
  CHECK(rec2.out == body);
}

TEST_CASE("label validation") {
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, std::string>> labels;
    core::NameScheme scheme;
    const char* error;  // "" = valid
  };
  const Row rows[] = {
      {"sorted", {{"__name__", "up"}, {"job", "x"}}, core::NameScheme::kUtf8, ""},
      {"unsorted",
       {{"job", "x"}, {"__name__", "up"}},
       core::NameScheme::kUtf8,
       "timeseries[0]: labels are not sorted by name: \"__name__\" after \"job\""},
      {"duplicate",
       {{"job", "x"}, {"job", "y"}},
       core::NameScheme::kUtf8,
       "timeseries[0]: duplicate label name \"job\""},
      {"empty name",
       {{"", "x"}},
       core::NameScheme::kUtf8,
       "timeseries[0]: invalid label name \"\""},
      {"utf8 name in utf8 scheme", {{"http.method", "GET"}}, core::NameScheme::kUtf8, ""},
      {"utf8 name in legacy scheme",
       {{"http.method", "GET"}},
       core::NameScheme::kLegacy,
       "timeseries[0]: invalid label name \"http.method\""},
      {"invalid UTF-8 value",
       {{"job", "\xff\xfe"}},
       core::NameScheme::kUtf8,
       "timeseries[0]: the value of label \"job\" is not valid UTF-8"},
      {"invalid UTF-8 name",
       {{"a\xc3", "x"}},
       core::NameScheme::kUtf8,
       "timeseries[0]: invalid label name \"a\\xc3\""},
      {"no labels", {}, core::NameScheme::kUtf8, "timeseries[0]: no labels"},
      {"only empty values",
       {{"a", ""}, {"b", ""}},
       core::NameScheme::kUtf8,
       "timeseries[0]: no labels"},
      {"an empty value is dropped", {{"a", ""}, {"b", "1"}}, core::NameScheme::kUtf8, ""},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      google::protobuf::LogSilencer quiet;  // protobuf warns when it serializes invalid UTF-8
      pb::WriteRequest req;
      addSeries(req, row.labels, {{1, 1000}});
      Decoder dec(DecodeOptions{row.scheme});
      Recorder rec;
      auto stats = dec.decode(req.SerializeAsString(), &rec);
      if (*row.error == '\0') {
        REQUIRE_MESSAGE(stats.ok(), stats.error().message);
      } else {
        REQUIRE_FALSE(stats.ok());
        CHECK(stats.error().message == row.error);
      }
    }
  }
}

// Builds a one-series request whose TimeSeries payload is `series` (raw bytes).
std::string withSeries(const std::string& series) {
  std::string out = "\x0a";
  appendVarint(out, series.size());
  return out + series;
}

const std::string kLabel = std::string(
    "\x0a\x07\x0a\x01"
    "a\x12\x02"
    "bc",
    9);

TEST_CASE("malformed protobuf is rejected with the element that is wrong") {
  struct Row {
    const char* name;
    std::string proto;
    const char* error;
  };
  const Row rows[] = {
      {"garbage", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "malformed protobuf at byte 0"},
      {"field number 0", std::string("\x00\x01", 2), "malformed protobuf at byte 0"},
      {"group wire type", "\x0b", "malformed protobuf at byte 0"},
      {"timeseries as varint", "\x08\x01",
       "timeseries[0]: wire type varint, want length-delimited"},
      {"length past the end", "\x0a\x10\x0a", "timeseries[0]: truncated or malformed protobuf"},
      {"truncated label",
       withSeries("\x0a\x04\x0a\x09"
                  "ab"),
       "timeseries[0].labels[0]: truncated or malformed protobuf"},
      {"sample value as varint", withSeries(kLabel + "\x12\x02\x08\x01"),
       "timeseries[0].samples[0]: field 'value' has wire type varint, want fixed64"},
      {"sample value cut short",
       withSeries(kLabel + std::string("\x12\x05\x09\x00\x00\x00\x00", 7)),
       "timeseries[0].samples[0]: truncated or malformed protobuf"},
      {"exemplar label with bad UTF-8",
       withSeries(kLabel + "\x1a\x08\x0a\x06\x0a\x01"
                           "t\x12\x01\xff"),
       "timeseries[0].exemplars[0].labels[0]: invalid UTF-8"},
      {"histogram span of the wrong type", withSeries(kLabel + "\x22\x02\x40\x01"),
       "timeseries[0].histograms[0]: field 'negative_spans' has wire type varint, want "
       "length-delimited"},
      {"packed doubles of a bad length",
       withSeries(kLabel + std::string("\x22\x05\x52\x03\x00\x00\x00", 7)),
       "timeseries[0].histograms[0]: truncated or malformed protobuf"},
      {"metadata help with bad UTF-8", "\x1a\x03\x22\x01\xc0",
       "metadata[0]: help is not valid UTF-8"},
      {"11-byte varint",
       withSeries(kLabel + "\x12\x0c\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
       "timeseries[0].samples[0]: truncated or malformed protobuf"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      Decoder dec;
      Recorder rec;
      auto stats = dec.decode(row.proto, &rec);
      REQUIRE_FALSE(stats.ok());
      CHECK(stats.error().message == row.error);
    }
  }
  SUBCASE("a valid request built from the same pieces") {
    Decoder dec;
    auto stats = dec.decode(withSeries(kLabel + "\x12\x09\x09" + std::string(8, '\0')), nullptr);
    REQUIRE_MESSAGE(stats.ok(), stats.error().message);
    CHECK(stats->samples == 1);
  }
  SUBCASE("the index names the series") {
    pb::WriteRequest req;
    addSeries(req, {{"a", "1"}}, {{1, 1}});
    addSeries(req, {{"b", "1"}, {"a", "1"}}, {{1, 1}});
    Decoder dec;
    auto stats = dec.decode(req.SerializeAsString(), nullptr);
    REQUIRE_FALSE(stats.ok());
    CHECK(stats.error().message.rfind("timeseries[1]: ", 0) == 0);
  }
}

TEST_CASE("snappy: the length header is read before anything is decompressed") {
  const std::string body = fixture("remote-write-2.42/rw-0001.body");
  SUBCASE("truncated") {
    Buffer out;
    CHECK(uncompressedLength(body.substr(0, body.size() / 2)).ok());
    CHECK_FALSE(uncompress(body.substr(0, body.size() / 2), out));
  }
  SUBCASE("a header that lies") {
    // Claims 1 GiB; the data holds 81688 bytes: the length is known without decompressing, and
    // decompression fails instead of reading or writing out of bounds.
    std::string lying;
    appendVarint(lying, 1u << 30);
    size_t hdr = 0;
    while (static_cast<unsigned char>(body[hdr]) & 0x80) ++hdr;
    lying += body.substr(hdr + 1);
    auto len = uncompressedLength(lying);
    REQUIRE(len.ok());
    CHECK(*len == (1u << 30));
    std::string small;
    appendVarint(small, 100);
    small += body.substr(hdr + 1);
    Buffer out;
    CHECK_FALSE(uncompress(small, out));
  }
  SUBCASE("not snappy at all") {
    CHECK_FALSE(uncompressedLength("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").ok());
  }
}

TEST_CASE("Buffer grows without losing data and can be trimmed") {
  Buffer b;
  b.resize(3);
  std::memcpy(b.data(), "abc", 3);
  b.resize(100000);
  CHECK(std::string_view(b.data(), 3) == "abc");
  CHECK(b.capacity() >= 100000);
  b.shrink(1 << 20);
  CHECK(b.capacity() >= 100000);
  b.shrink(1000);
  CHECK(b.capacity() == 0);
  CHECK(b.size() == 0);
}

}  // namespace
}  // namespace promha::remotewrite
