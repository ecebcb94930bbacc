#include "web/history.h"

#include <cmath>
#include <limits>

namespace promha::web {
namespace {

// Prometheus's increase() between two raw counter values: a decrease is a reset to 0.
uint64_t increase(uint64_t from, uint64_t to) { return to >= from ? to - from : to; }

double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

std::optional<double> bucketQuantile(double q, const std::vector<double>& bounds,
                                     const std::vector<double>& cumulative) {
  // promql/quantile.go bucketQuantile, for one series with a +Inf bucket last.
  if (bounds.size() < 2 || bounds.size() != cumulative.size() || !std::isinf(bounds.back())) {
    return std::nullopt;
  }
  const double total = cumulative.back();
  if (!(total > 0)) return std::nullopt;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  const double rank = q * total;
  size_t b = 0;
  while (b + 1 < cumulative.size() && cumulative[b] < rank) ++b;
  if (b == bounds.size() - 1) return bounds[bounds.size() - 2];  // in +Inf: the highest bound
  if (b == 0 && bounds[0] <= 0) return bounds[0];
  double start = 0, end = bounds[b], count = cumulative[b], before = 0;
  if (b > 0) {
    start = bounds[b - 1];
    before = cumulative[b - 1];
  }
  count -= before;
  if (count <= 0) return end;
  return start + (end - start) * ((rank - before) / count);
}

void History::add(int64_t now_ns, const std::vector<AlertmanagerSample>& samples) {
  std::map<std::string, AlertmanagerSample> merged;
  for (const auto& s : samples) {
    auto [it, inserted] = merged.try_emplace(s.url, s);
    if (inserted) continue;
    AlertmanagerSample& m = it->second;
    m.queue_length += s.queue_length;
    m.queue_capacity += s.queue_capacity;
    m.sent += s.sent;
    m.errors += s.errors;
    // Both entries read the same histogram (its series is per URL): keep one copy.
  }
  for (auto it = series_.begin(); it != series_.end();) {
    it = merged.count(it->first) ? std::next(it) : series_.erase(it);
  }
  for (auto& [url, s] : merged) {
    Series& series = series_[url];
    series.queue_capacity = s.queue_capacity;
    if (s.bucket_bounds != series.bounds) {
      // New buckets make old counts incomparable: start the latency history over.
      series.bounds = s.bucket_bounds;
      for (auto& p : series.points) p.buckets.clear();
    }
    if (!series.points.empty() && series.points.back().t_ns >= now_ns) continue;  // clock went back
    Point p{now_ns, s.queue_length, s.sent, s.errors, std::move(s.bucket_counts)};
    if (p.buckets.size() != series.bounds.size()) p.buckets.clear();
    series.points.push_back(std::move(p));
    while (series.points.size() > capacity_) series.points.pop_front();
  }
}

size_t History::size(const std::string& url) const {
  const auto it = series_.find(url);
  return it == series_.end() ? 0 : it->second.points.size();
}

History::Summary History::summary(const std::string& url, int64_t now_ns,
                                  std::chrono::seconds rate_window,
                                  std::chrono::seconds latency_window) const {
  Summary out;
  const auto it = series_.find(url);
  if (it == series_.end() || it->second.points.size() < 2) return out;
  const Series& s = it->second;
  const auto& pts = s.points;
  // The window's points: every point newer than now - window, and the one just before them, so
  // that the first rate covers the window's start.
  auto first_in = [&](std::chrono::seconds window) {
    const int64_t from =
        now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
    size_t i = pts.size() - 1;
    while (i > 0 && pts[i - 1].t_ns >= from) --i;
    return i > 0 ? i - 1 : 0;
  };
  const size_t r0 = first_in(rate_window);
  if (r0 + 1 < pts.size()) {
    uint64_t sent = 0, errors = 0;
    for (size_t i = r0 + 1; i < pts.size(); ++i) {
      sent += increase(pts[i - 1].sent, pts[i].sent);
      errors += increase(pts[i - 1].errors, pts[i].errors);
    }
    const double dt = seconds(pts.back().t_ns - pts[r0].t_ns);
    if (dt > 0) {
      out.send_rate = static_cast<double>(sent) / dt;
      out.error_rate = static_cast<double>(errors) / dt;
    }
  }
  const size_t l0 = first_in(latency_window);
  if (!s.bounds.empty()) {
    std::vector<double> inc(s.bounds.size(), 0.0);
    bool any = false;
    for (size_t i = l0 + 1; i < pts.size(); ++i) {
      const auto& a = pts[i - 1].buckets;
      const auto& b = pts[i].buckets;
      if (a.size() != inc.size() || b.size() != inc.size()) continue;
      any = true;
      for (size_t k = 0; k < inc.size(); ++k) inc[k] += static_cast<double>(increase(a[k], b[k]));
    }
    if (any) out.latency_p99 = bucketQuantile(0.99, s.bounds, inc);
  }
  return out;
}

nlohmann::ordered_json History::json() const {
  nlohmann::ordered_json j;
  j["samples"] = capacity_;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [url, s] : series_) {
    nlohmann::ordered_json t = nlohmann::ordered_json::array(), q = t, sent = t, err = t;
    const Point* prev = nullptr;
    for (const auto& p : s.points) {
      // Milliseconds are enough for a 5 s sample and keep the document short.
      t.push_back(std::round(seconds(p.t_ns) * 1000) / 1000);
      q.push_back(p.queue_length);
      if (prev == nullptr) {
        sent.push_back(nullptr);
        err.push_back(nullptr);
      } else {
        const double dt = seconds(p.t_ns - prev->t_ns);
        const auto rate = [dt](uint64_t a, uint64_t b) {
          return std::round(static_cast<double>(increase(a, b)) / dt * 1000) / 1000;
        };
        sent.push_back(rate(prev->sent, p.sent));
        err.push_back(rate(prev->errors, p.errors));
      }
      prev = &p;
    }
    list.push_back({{"url", url},
                    {"queueCapacity", s.queue_capacity},
                    {"t", std::move(t)},
                    {"queueLength", std::move(q)},
                    {"sendRate", std::move(sent)},
                    {"errorRate", std::move(err)}});
  }
  j["alertmanagers"] = std::move(list);
  return j;
}

}  // namespace promha::web
