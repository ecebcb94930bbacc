#include "remotewrite/endpoint.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace promha::remotewrite {
namespace {

using SteadyClock = std::chrono::steady_clock;

template <typename M>
void inc(M* metric, double v) {
  if (metric != nullptr && v != 0) metric->Increment(v);
}

// Keep at most this many spare batches / raw buffers per lane: enough for the open batch and one
// being compressed, without holding on to memory after a burst.
constexpr size_t kMaxSpares = 2;

}  // namespace

std::optional<std::chrono::nanoseconds> parseRetryAfter(std::string_view value, int64_t now_ns) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t secs = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (secs < 0) return std::nullopt;
    return std::chrono::seconds(std::min<int64_t>(secs, int64_t{1} << 32));
  }
  // An HTTP-date (RFC 9110 IMF-fixdate), as Go's http.ParseTime reads it first.
  std::tm tm{};
  const std::string s(value);
  const char* rest = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const int64_t at_ns = static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
  return std::chrono::nanoseconds(std::max<int64_t>(0, at_ns - now_ns));
}

Endpoint::Endpoint(EndpointConfig cfg, const PosterFactory& factory, const notify::Clock& clock,
                   uint64_t seed, EndpointSeries series, log::Logger* log)
    : cfg_(std::move(cfg)),
      clock_(clock),
      series_(series),
      log_(log),
      capacity_(std::max<uint64_t>(1, cfg_.capacity_per_shard) *
                std::max<uint64_t>(1, cfg_.shards)) {
  status_.url = cfg_.url();
  status_.name = cfg_.name;
  const size_t n = std::max<size_t>(1, cfg_.shards);
  for (size_t i = 0; i < n; ++i) {
    auto lane = std::make_unique<Lane>();
    lane->open = std::make_unique<Batch>();
    lane->poster = factory(cfg_.poster);
    lane->random = std::make_unique<notify::SeededRandom>(seed + 0x9e3779b97f4a7c15ULL * (i + 1));
    lane->backoff =
        std::make_unique<notify::Backoff>(cfg_.min_backoff, cfg_.max_backoff, *lane->random);
    lanes_.push_back(std::move(lane));
  }
  inc(series_.queue_capacity, static_cast<double>(capacity_));
  for (auto& l : lanes_) {
    Lane* lane = l.get();
    lane->worker = std::thread([this, lane] { run(*lane); });
  }
}

Endpoint::~Endpoint() {
  stop();
  // Give back this endpoint's share of the gauges (a successor with the same URL shares them).
  if (series_.queue_length != nullptr) {
    series_.queue_length->Decrement(static_cast<double>(queued_.load()));
  }
  if (series_.queue_capacity != nullptr) {
    series_.queue_capacity->Decrement(static_cast<double>(capacity_));
  }
}

bool Endpoint::tryReserve(uint64_t units) {
  if (units == 0) return true;
  if (draining_.load(std::memory_order_relaxed)) return false;
  uint64_t cur = queued_.load(std::memory_order_relaxed);
  do {
    if (cur > 0 && cur + units > capacity_) return false;
  } while (!queued_.compare_exchange_weak(cur, cur + units, std::memory_order_relaxed));
  inc(series_.queue_length, static_cast<double>(units));
  return true;
}

void Endpoint::unreserve(uint64_t units) { release(units); }

void Endpoint::release(uint64_t units) {
  if (units == 0) return;
  if (series_.queue_length != nullptr) series_.queue_length->Decrement(static_cast<double>(units));
  if (queued_.fetch_sub(units, std::memory_order_acq_rel) == units) {
    std::lock_guard<std::mutex> lock(idle_mu_);
    idle_cv_.notify_all();
  }
}

void Endpoint::countRejected() {
  inc(series_.rejected, 1);
  std::lock_guard<std::mutex> lock(status_mu_);
  ++status_.rejected_requests;
}

void Endpoint::countRelabelDropped(uint64_t samples) {
  if (samples == 0) return;
  inc(series_.relabel_dropped, static_cast<double>(samples));
  std::lock_guard<std::mutex> lock(status_mu_);
  status_.relabel_dropped += samples;
}

std::unique_ptr<Batch> Endpoint::spareLocked(Lane& lane) {
  std::unique_ptr<Batch> b;
  if (!lane.spare.empty()) {
    b = std::move(lane.spare.back());
    lane.spare.pop_back();
    b->units = b->samples = 0;
    b->max_timestamp_ms = std::numeric_limits<int64_t>::min();
    b->ready = false;
    b->raw.clear();
    b->data.clear();
  } else {
    b = std::make_unique<Batch>();
  }
  if (b->raw.capacity() == 0 && !lane.spare_raw.empty()) {
    b->raw.swap(lane.spare_raw.back());
    lane.spare_raw.pop_back();
    b->raw.clear();
  }
  return b;
}

void Endpoint::recycleLocked(Lane& lane, std::unique_ptr<Batch> b) {
  if (lane.spare.size() < kMaxSpares) lane.spare.push_back(std::move(b));
}

Batch* Endpoint::closeOpenLocked(Lane& lane) {
  lane.closed.push_back(std::move(lane.open));
  lane.open = spareLocked(lane);
  return lane.closed.back().get();
}

void Endpoint::appendLocked(Lane& lane, LaneInput& in, bool may_take, std::vector<Batch*>& closed) {
  const size_t max = std::max<size_t>(1, cfg_.max_samples_per_send);
  if (may_take && lane.open->units == 0 && in.units <= max) {
    // The whole input becomes the open batch: swap buffers instead of copying.
    Batch* open = lane.open.get();
    open->raw.clear();
    open->raw.swap(in.bytes);
    lane.open_since = SteadyClock::now();
    open->units = in.units;
    open->samples = in.samples;
    for (const LaneInput::Mark& m : in.marks) {
      open->max_timestamp_ms = std::max(open->max_timestamp_ms, m.max_timestamp_ms);
    }
    if (open->units >= max) closed.push_back(closeOpenLocked(lane));
    return;
  }
  size_t start = 0;      // where the current field begins in in.bytes
  size_t copy_from = 0;  // in.bytes before this are in some batch already
  auto flush = [&](size_t upto) {
    lane.open->raw.append(in.bytes, copy_from, upto - copy_from);
    copy_from = upto;
  };
  for (const LaneInput::Mark& m : in.marks) {
    Batch* open = lane.open.get();
    if (open->units > 0 && open->units + m.units > max) {
      flush(start);
      closed.push_back(closeOpenLocked(lane));
      open = lane.open.get();
    }
    if (open->units == 0) lane.open_since = SteadyClock::now();
    open->units += m.units;
    open->samples += m.samples;
    open->max_timestamp_ms = std::max(open->max_timestamp_ms, m.max_timestamp_ms);
    if (open->units >= max) {
      flush(m.end);
      closed.push_back(closeOpenLocked(lane));
    }
    start = m.end;
  }
  flush(in.bytes.size());
}

void Endpoint::compressAndPublish(Lane& lane, const std::vector<Batch*>& batches) {
  // Compression runs without the lane's lock, on the thread that filled the batch; the batch
  // already holds its place in the queue, so order is kept while requests compress in parallel.
  for (Batch* b : batches) compress(b->raw, b->data);
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    for (Batch* b : batches) {
      b->ready = true;
      if (lane.spare_raw.size() < kMaxSpares) {
        b->raw.clear();
        lane.spare_raw.push_back(std::move(b->raw));
      }
      b->raw = std::string();
    }
  }
  lane.cv.notify_one();
}

void Endpoint::append(std::span<LaneInput> inputs, LaneInput* metadata, bool may_take) {
  std::vector<Batch*> closed;
  for (size_t i = 0; i < lanes_.size(); ++i) {
    LaneInput* in = i < inputs.size() ? &inputs[i] : nullptr;
    const bool has_series = in != nullptr && !in->empty();
    const bool has_meta = i == 0 && metadata != nullptr && !metadata->empty();
    if (!has_series && !has_meta) continue;
    Lane& lane = *lanes_[i];
    closed.clear();
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(lane.mu);
      was_empty = lane.open->units == 0;
      if (has_series) appendLocked(lane, *in, may_take, closed);
      // Metadata goes to every endpoint: it is always copied.
      if (has_meta) appendLocked(lane, *metadata, false, closed);
    }
    if (!closed.empty()) {
      compressAndPublish(lane, closed);
    } else if (was_empty) {
      lane.cv.notify_one();  // the worker starts the batch_send_deadline timer
    }
  }
}

void Endpoint::noteError(const std::string& error) {
  status_.last_error = error;
  status_.last_error_ns = clock_.systemNowNs();
}

void Endpoint::run(Lane& lane) {
  std::unique_lock<std::mutex> lock(lane.mu);
  while (!stop_.load() && !hold_.load()) {
    Batch* front = lane.closed.empty() ? nullptr : lane.closed.front().get();
    if (front != nullptr && front->ready) {
      const auto now = SteadyClock::now();
      if (now < lane.retry_at) {
        lane.cv.wait_until(lock, lane.retry_at);
        continue;
      }
      lock.unlock();
      const auto t0 = clock_.steadyNow();
      PostResult res = lane.poster->post(front->data.view());
      const std::chrono::duration<double> took = clock_.steadyNow() - t0;
      if (series_.send_duration != nullptr) series_.send_duration->Observe(took.count());
      const bool retry_429 = res.status == 429 && cfg_.retry_on_http_429;
      const bool retryable = !res.ok() && (res.status == 0 || res.status >= 500 || retry_429);
      lock.lock();
      if (res.ok()) {
        std::unique_ptr<Batch> done = std::move(lane.closed.front());
        lane.closed.pop_front();
        const bool recovered = lane.backoff->attempt() > 0;
        lane.backoff->reset();
        lane.retry_at = {};
        const uint64_t units = done->units;
        const uint64_t samples = done->samples;
        const int64_t max_ts = done->max_timestamp_ms;
        recycleLocked(lane, std::move(done));
        lock.unlock();
        inc(series_.forwarded, static_cast<double>(samples));
        {
          std::lock_guard<std::mutex> s(status_mu_);
          status_.forwarded += samples;
          status_.last_success_ns = clock_.systemNowNs();
          status_.last_forwarded_timestamp_ms =
              std::max(status_.last_forwarded_timestamp_ms, max_ts);
        }
        if (recovered && log_ != nullptr) {
          log_->info("Remote write endpoint recovered", {{"url", cfg_.url()}});
        }
        release(units);
        lock.lock();
        continue;
      }
      if (stop_.load() && res.status == 0) break;  // aborted by stop(): the batch stays queued
      if (retryable) {
        std::chrono::nanoseconds delay = lane.backoff->next();
        if (retry_429) {
          if (auto ra = parseRetryAfter(res.retry_after, clock_.systemNowNs())) delay = *ra;
        }
        lane.retry_at = SteadyClock::now() + delay;
        const int attempt = lane.backoff->attempt();
        const uint64_t samples = front->samples;
        lock.unlock();
        inc(series_.retries, static_cast<double>(samples));
        {
          std::lock_guard<std::mutex> s(status_mu_);
          status_.retries += samples;
          noteError(res.error);
        }
        // Like Prometheus's "Failed to send batch, retrying", without a line per attempt.
        if (log_ != nullptr && (attempt == 1 || attempt % 20 == 0)) {
          log_->warn(
              "Failed to send batch, retrying",
              {{"url", cfg_.url()}, {"attempt", std::to_string(attempt)}, {"err", res.error}});
        }
        lock.lock();
        continue;
      }
      // Permanent: the endpoint rejected the payload; sending it again would fail the same way.
      std::unique_ptr<Batch> dropped = std::move(lane.closed.front());
      lane.closed.pop_front();
      lane.backoff->reset();
      lane.retry_at = {};
      const uint64_t units = dropped->units;
      const uint64_t samples = dropped->samples;
      recycleLocked(lane, std::move(dropped));
      lock.unlock();
      inc(series_.failed, static_cast<double>(samples));
      {
        std::lock_guard<std::mutex> s(status_mu_);
        status_.failed += samples;
        noteError(res.error);
      }
      if (log_ != nullptr) {
        log_->error(
            "Non-recoverable error sending batch, dropped it",
            {{"url", cfg_.url()}, {"samples", std::to_string(samples)}, {"err", res.error}});
      }
      release(units);
      lock.lock();
      continue;
    }
    if (front == nullptr && lane.open->units > 0) {
      const auto due = lane.open_since + cfg_.batch_send_deadline;
      if (draining_.load() || SteadyClock::now() >= due) {
        std::vector<Batch*> closed{closeOpenLocked(lane)};
        lock.unlock();
        compressAndPublish(lane, closed);
        lock.lock();
        continue;
      }
      lane.cv.wait_until(lock, due);
      continue;
    }
    lane.cv.wait(lock);  // new data, a batch ready, or stop
  }
  lane.exited = true;
  lock.unlock();
  std::lock_guard<std::mutex> idle(idle_mu_);
  idle_cv_.notify_all();
}

bool Endpoint::allExited() const {
  for (const auto& l : lanes_) {
    if (!l->exited.load()) return false;
  }
  return true;
}

void Endpoint::stop(std::chrono::nanoseconds drain_timeout) {
  std::lock_guard<std::mutex> serial(stop_mu_);
  if (stopped_) return;
  draining_ = true;
  for (auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);
    l->cv.notify_all();
  }
  if (drain_timeout.count() > 0) {
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_cv_.wait_for(lock, drain_timeout, [&] { return queued_.load() == 0 || allExited(); });
  }
  stop_ = true;
  for (auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);
    l->cv.notify_all();
  }
  // Abort POSTs in flight. A worker may be between its stop_ check and the start of a POST,
  // where one cancel() would be lost, so repeat it until every worker has exited.
  std::unique_lock<std::mutex> lock(idle_mu_);
  while (!allExited()) {
    lock.unlock();
    for (auto& l : lanes_) l->poster->cancel();
    lock.lock();
    idle_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return allExited(); });
  }
  lock.unlock();
  for (auto& l : lanes_) l->worker.join();
  stopped_ = true;
}

void Endpoint::beginHandOver() {
  hold_ = true;
  for (auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);  // a worker between its check and its wait sees it
    l->cv.notify_all();
  }
}

bool Endpoint::awaitHandOver(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(idle_mu_);
  return idle_cv_.wait_until(lock, deadline, [&] { return allExited(); });
}

std::vector<std::deque<std::unique_ptr<Batch>>> Endpoint::takeQueue() {
  std::vector<std::deque<std::unique_ptr<Batch>>> out;
  uint64_t units = 0;
  for (auto& l : lanes_) {
    std::vector<Batch*> closed;
    {
      std::lock_guard<std::mutex> lock(l->mu);
      if (l->open->units > 0) closed.push_back(closeOpenLocked(*l));
    }
    if (!closed.empty()) compressAndPublish(*l, closed);
    std::lock_guard<std::mutex> lock(l->mu);
    for (const auto& b : l->closed) units += b->units;
    out.push_back(std::move(l->closed));
    l->closed.clear();
  }
  release(units);
  return out;
}

void Endpoint::adopt(std::vector<std::deque<std::unique_ptr<Batch>>> lanes) {
  uint64_t units = 0;
  for (size_t i = 0; i < lanes.size(); ++i) {
    Lane& lane = *lanes_[i % lanes_.size()];
    std::lock_guard<std::mutex> lock(lane.mu);
    // In front of anything this endpoint has queued itself, keeping their order.
    for (auto it = lanes[i].rbegin(); it != lanes[i].rend(); ++it) {
      units += (*it)->units;
      lane.closed.push_front(std::move(*it));
    }
    lane.cv.notify_one();
  }
  queued_ += units;
  inc(series_.queue_length, static_cast<double>(units));
}

uint64_t Endpoint::discardQueue() {
  uint64_t units = 0, samples = 0;
  for (auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);
    units += l->open->units;
    samples += l->open->samples;
    l->open = spareLocked(*l);
    for (const auto& b : l->closed) {
      units += b->units;
      samples += b->samples;
    }
    l->closed.clear();
  }
  inc(series_.failed, static_cast<double>(samples));
  {
    std::lock_guard<std::mutex> s(status_mu_);
    status_.failed += samples;
  }
  release(units);
  return samples;
}

EndpointStatus Endpoint::status() const {
  EndpointStatus s;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    s = status_;
  }
  s.shards = lanes_.size();
  s.queue_length = queued_.load();
  s.queue_capacity = capacity_;
  for (const auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);
    s.backoff_attempt = std::max(s.backoff_attempt, l->backoff->attempt());
  }
  return s;
}

}  // namespace promha::remotewrite
