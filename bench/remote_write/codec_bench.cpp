// rw_codec_bench: the measurement behind the choice of promha's remote-write decode path, on the
// benchmark's workload (1,000 series x 10 samples, 8 labels each), single thread, in process:
//
//   protobuf_parse      protoc's generated WriteRequest::ParseFromArray into a reused message
//   protobuf_arena      the same into a fresh message on a reused protobuf Arena
//   wire_decode         promha's wire-level decoder: validation + views, no objects
//   wire_pipeline       what promha does per request and endpoint: snappy uncompress, decode,
//                       labels into core::Labels, labeldrop replica, re-encode, snappy compress
//   protobuf_pipeline   the same with the generated classes (parse, erase the label, serialize)
//
// Prints key=value lines: ns per sample and samples per CPU-second for each.
//   rw_codec_bench [--iterations N]
#include <google/protobuf/arena.h>
#include <snappy.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "relabel/relabel.h"
#include "relabel/rule.h"
#include "remotewrite/codec.h"
#include "workload.h"

namespace {

using namespace promha;

double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

template <typename Fn>
void measure(const char* name, int iterations, uint64_t samples_per_iter, Fn fn) {
  for (int i = 0; i < 3; ++i) fn(i);  // warm caches and buffers
  const double t0 = cpuSeconds();
  for (int i = 0; i < iterations; ++i) fn(i);
  const double cpu = cpuSeconds() - t0;
  const double samples = static_cast<double>(samples_per_iter) * iterations;
  std::printf("%s_ns_per_sample=%.1f\n", name, cpu * 1e9 / samples);
  std::printf("%s_samples_per_cpu_second=%.0f\n", name, samples / cpu);
}

class Encoder final : public remotewrite::Visitor {
 public:
  explicit Encoder(const std::vector<relabel::Rule>& rules) : rules_(rules) {}
  void series(const remotewrite::SeriesView& s) override {
    in_.clear();
    for (const auto& l : s.labels) in_.appendSorted(l.name, l.value);
    if (!relabel::process(rules_, in_, scratch_)) return;  // in place, as the forwarder does
    label_bytes_.clear();
    remotewrite::appendLabels(label_bytes_, in_);
    remotewrite::appendTimeSeries(out, label_bytes_, s.parts);
  }
  void metadata(std::string_view f) override { out += f; }
  std::string out;

 private:
  const std::vector<relabel::Rule>& rules_;
  core::Labels in_;
  relabel::Scratch scratch_;
  std::string label_bytes_;
};

}  // namespace

int main(int argc, char** argv) {
  int iterations = 300;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atoi(argv[i + 1]);
  }
  const bench::Workload w = bench::makeWorkload(8, 1000, 10);
  std::vector<std::string> raw;
  for (const auto& b : w.bodies) {
    std::string r;
    snappy::Uncompress(b.data(), b.size(), &r);
    raw.push_back(std::move(r));
  }
  const uint64_t n = w.samples_per_request;
  std::printf(
      "request_series=1000\nrequest_samples=%llu\nrequest_bytes_raw=%zu\n"
      "request_bytes_snappy=%zu\n",
      static_cast<unsigned long long>(n), w.raw_bytes, w.bodies[0].size());
  auto rules = relabel::parseRulesText("- {action: labeldrop, regex: replica}\n", "bench",
                                       core::NameScheme::kUtf8);
  if (!rules.ok()) return 1;

  prompb::WriteRequest reused;
  measure("protobuf_parse", iterations, n, [&](int i) {
    reused.ParseFromArray(raw[i % raw.size()].data(), static_cast<int>(raw[i % raw.size()].size()));
  });
  google::protobuf::Arena arena;
  measure("protobuf_arena", iterations, n, [&](int i) {
    arena.Reset();
    auto* m = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
    m->ParseFromArray(raw[i % raw.size()].data(), static_cast<int>(raw[i % raw.size()].size()));
  });
  remotewrite::Decoder dec;
  measure("wire_decode", iterations, n, [&](int i) {
    auto st = dec.decode(raw[i % raw.size()], nullptr);
    if (!st.ok()) std::abort();
  });
  remotewrite::Buffer plain, compressed;
  Encoder enc(*rules);
  measure("wire_pipeline", iterations, n, [&](int i) {
    const std::string& body = w.bodies[i % w.bodies.size()];
    if (!remotewrite::uncompress(body, plain)) std::abort();
    enc.out.clear();
    if (!dec.decode(plain.view(), &enc).ok()) std::abort();
    remotewrite::compress(enc.out, compressed);
  });
  std::string pb_plain, pb_out, pb_compressed;
  measure("protobuf_pipeline", iterations, n, [&](int i) {
    const std::string& body = w.bodies[i % w.bodies.size()];
    snappy::Uncompress(body.data(), body.size(), &pb_plain);
    arena.Reset();
    auto* m = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
    m->ParseFromString(pb_plain);
    for (auto& ts : *m->mutable_timeseries()) {
      auto* ls = ts.mutable_labels();
      for (int k = 0; k < ls->size(); ++k) {
        if (ls->Get(k).name() == "replica") {
          ls->DeleteSubrange(k, 1);
          break;
        }
      }
    }
    m->SerializeToString(&pb_out);
    snappy::Compress(pb_out.data(), pb_out.size(), &pb_compressed);
  });
  return 0;
}
