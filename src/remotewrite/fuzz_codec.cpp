// libFuzzer target for the remote-write decoder. The input is a request body: snappy-compressed
// when its first byte is odd (through the same length check as the receiver), raw protobuf
// otherwise. Whatever the decoder accepts is re-encoded as promha forwards it (labels through
// core::Labels, every other field verbatim) and must decode again to the same series, labels,
// parts and counts. Built with -Dfuzz=true; seeds in tests/fuzz/remote_write/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "remotewrite/codec.h"

namespace {

using namespace promha::remotewrite;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Collected {
  std::vector<std::vector<std::pair<std::string, std::string>>> labels;
  std::vector<std::string> parts;
  std::vector<std::string> metadata;
};

class Collect final : public Visitor {
 public:
  explicit Collect(Collected& c) : c_(c) {}
  void series(const SeriesView& s) override {
    auto& ls = c_.labels.emplace_back();
    promha::core::Labels labels;
    for (const LabelRef& l : s.labels) {
      ls.emplace_back(std::string(l.name), std::string(l.value));
      labels.appendSorted(l.name, l.value);
    }
    std::string parts;
    for (std::string_view p : s.parts) parts += p;
    c_.parts.push_back(parts);
    appendTimeSeries(reencoded, labels, s.parts);
  }
  void metadata(std::string_view field) override {
    c_.metadata.emplace_back(field);
    reencoded += field;
  }
  std::string reencoded;

 private:
  Collected& c_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Buffer plain;
  if (data[0] & 1) {
    auto len = uncompressedLength(in);
    if (!len.ok() || *len > (1 << 20)) return 0;
    if (!uncompress(in, plain)) return 0;
    in = plain.view();
  }
  Decoder dec;
  Collected first;
  Collect c1(first);
  auto stats = dec.decode(in, &c1);
  if (!stats.ok()) return 0;
  check(first.labels.size() == stats->series);
  check(first.metadata.size() == stats->metadata);

  // The forwarded form decodes to the same thing, except that empty label values are gone.
  Collected second;
  Collect c2(second);
  Decoder dec2;
  auto again = dec2.decode(c1.reencoded, &c2);
  check(again.ok());
  check(again->samples == stats->samples);
  check(again->exemplars == stats->exemplars);
  check(again->histograms == stats->histograms);
  check(again->metadata == stats->metadata);
  check(again->min_timestamp_ms == stats->min_timestamp_ms);
  check(again->max_timestamp_ms == stats->max_timestamp_ms);
  check(second.parts == first.parts);
  check(second.metadata == first.metadata);
  check(second.labels.size() == first.labels.size());
  return 0;
}
