// rw_load: a remote-write load generator. `--connections` threads, each with one keep-alive
// connection, POST pre-built requests (workload.h: 1,000 series x 10 samples, 8 labels per series,
// snappy) with Prometheus's headers as fast as they are answered, for `--duration` seconds. A 5xx
// answer is retried after 30 ms (Prometheus's min_backoff) with the same request, as Prometheus
// would. Prints key=value lines; the figures are for reading, never for asserting.
//
//   rw_load --url http://127.0.0.1:9095/api/v1/write [--connections 4] [--duration 20]
//           [--series 1000] [--samples 10] [--requests 16]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notify/target.h"
#include "workload.h"

namespace {

struct Totals {
  std::mutex mu;
  uint64_t accepted = 0;
  uint64_t attempts = 0;
  std::map<int, uint64_t> by_status;
  std::vector<double> latencies_ms;
};

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int connections = 4, series = 1000, samples = 10, requests = 16;
  double duration = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--url")
      url = v;
    else if (k == "--connections")
      connections = std::atoi(v);
    else if (k == "--duration")
      duration = std::atof(v);
    else if (k == "--series")
      series = std::atoi(v);
    else if (k == "--samples")
      samples = std::atoi(v);
    else if (k == "--requests")
      requests = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  auto parts = promha::notify::splitUrl(url);
  if (!parts) {
    std::fprintf(stderr, "usage: rw_load --url http://host:port/api/v1/write ...\n");
    return 2;
  }
  const promha::bench::Workload w = promha::bench::makeWorkload(requests, series, samples);
  Totals totals;
  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli(parts->schemeHostPort());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      cli.set_read_timeout(std::chrono::seconds(30));
      const httplib::Headers headers = {{"Content-Encoding", "snappy"},
                                        {"User-Agent", "Prometheus/2.42.0+ds"},
                                        {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
      uint64_t accepted = 0, attempts = 0;
      std::map<int, uint64_t> by_status;
      std::vector<double> lat;
      size_t next = static_cast<size_t>(c);
      while (!stop.load()) {
        const std::string& body = w.bodies[next % w.bodies.size()];
        const auto t0 = std::chrono::steady_clock::now();
        auto res =
            cli.Post(parts->path, headers, body.data(), body.size(), "application/x-protobuf");
        lat.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        ++attempts;
        const int status = res ? res->status : 0;
        ++by_status[status];
        if (status >= 200 && status < 300) {
          ++accepted;
          next += static_cast<size_t>(connections);
        } else if (status >= 500 || status == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
        } else {
          next += static_cast<size_t>(connections);  // 4xx: Prometheus drops the batch
        }
      }
      std::lock_guard<std::mutex> l(totals.mu);
      totals.accepted += accepted;
      totals.attempts += attempts;
      for (const auto& [s, n] : by_status) totals.by_status[s] += n;
      totals.latencies_ms.insert(totals.latencies_ms.end(), lat.begin(), lat.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  stop = true;
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto& lat = totals.latencies_ms;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))];
  };
  const uint64_t accepted_samples = totals.accepted * w.samples_per_request;
  std::printf("load_connections=%d\nload_duration_s=%.2f\n", connections, secs);
  std::printf("request_samples=%llu\nrequest_bytes_raw=%zu\nrequest_bytes_snappy=%zu\n",
              static_cast<unsigned long long>(w.samples_per_request), w.raw_bytes,
              w.bodies[0].size());
  std::printf("requests_sent=%llu\nrequests_accepted=%llu\n",
              static_cast<unsigned long long>(totals.attempts),
              static_cast<unsigned long long>(totals.accepted));
  for (const auto& [s, n] : totals.by_status) {
    std::printf("responses_%d=%llu\n", s, static_cast<unsigned long long>(n));
  }
  std::printf("accepted_samples=%llu\naccepted_samples_per_s=%.0f\n",
              static_cast<unsigned long long>(accepted_samples),
              static_cast<double>(accepted_samples) / secs);
  std::printf("latency_p50_ms=%.2f\nlatency_p99_ms=%.2f\n", pct(0.5), pct(0.99));
  return 0;
}
