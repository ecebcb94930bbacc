// The remote-write benchmark's workload: write requests like Prometheus sends for node_exporter
// targets. Each request holds `series` series of `samples` samples; a series has 8 labels
// (__name__, cluster, cpu/device, instance, job, mode, replica and a per-metric one), values are
// counters and gauges with realistic float noise, timestamps 15 s apart. Built with the
// protoc-generated classes and compressed with libsnappy, once, before any measurement.
#pragma once

#include <snappy.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "remote.pb.h"

namespace promha::bench {

struct Workload {
  std::vector<std::string> bodies;  // snappy-compressed WriteRequests
  size_t raw_bytes = 0;             // of one request, uncompressed (the first)
  uint64_t samples_per_request = 0;
};

inline Workload makeWorkload(int requests, int series, int samples, uint64_t seed = 42) {
  static const char* kMetrics[] = {"node_cpu_seconds_total",
                                   "node_network_receive_bytes_total",
                                   "node_network_transmit_bytes_total",
                                   "node_disk_read_bytes_total",
                                   "node_disk_written_bytes_total",
                                   "node_filesystem_avail_bytes",
                                   "node_memory_MemAvailable_bytes",
                                   "node_load1"};
  static const char* kModes[] = {"idle",    "iowait", "irq",    "nice",
                                 "softirq", "steal",  "system", "user"};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  Workload w;
  const int64_t t0 = 1795842426000;  // the fixtures' day
  for (int r = 0; r < requests; ++r) {
    promha::prompb::WriteRequest req;
    for (int s = 0; s < series; ++s) {
      const int metric = s % 8;
      const int host = (s / 8) + r * series / 8;  // each request carries other targets
      promha::prompb::TimeSeries* ts = req.add_timeseries();
      auto add = [&](const std::string& n, const std::string& v) {
        auto* l = ts->add_labels();
        l->set_name(n);
        l->set_value(v);
      };
      // Sorted by name, as Prometheus sends them.
      add("__name__", kMetrics[metric]);
      add("cluster", "prod-eu-west-1");
      add(metric == 0 ? "cpu" : "device", metric == 0 ? std::to_string(s % 16) : "eth0");
      add("instance", "node-" + std::to_string(host % 4096) + ".prod.example.internal:9100");
      add("job", "node");
      add("mode", kModes[s % 8]);
      add("replica", "A");
      add("zone", "eu-west-1" + std::string(1, static_cast<char>('a' + host % 3)));
      double v = 1e5 + static_cast<double>(rng() % 100000) / 7.0;
      for (int k = 0; k < samples; ++k) {
        auto* smp = ts->add_samples();
        v += metric < 5 ? std::abs(noise(rng)) * 1234.5 : noise(rng) * 10;
        smp->set_value(v);
        smp->set_timestamp(t0 + (static_cast<int64_t>(r) * samples + k) * 15000);
      }
    }
    const std::string raw = req.SerializeAsString();
    if (r == 0) w.raw_bytes = raw.size();
    std::string body;
    snappy::Compress(raw.data(), raw.size(), &body);
    w.bodies.push_back(std::move(body));
  }
  w.samples_per_request = static_cast<uint64_t>(series) * static_cast<uint64_t>(samples);
  return w;
}

}  // namespace promha::bench
