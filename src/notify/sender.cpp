#include "notify/sender.h"

#include <algorithm>
#include <utility>

#include "alert/codec.h"

namespace promha::notify {
namespace {

template <typename M>
void inc(M* metric, double v) {
  if (metric != nullptr && v != 0) metric->Increment(v);
}

std::vector<std::unique_ptr<HttpPoster>> one(std::unique_ptr<HttpPoster> p) {
  std::vector<std::unique_ptr<HttpPoster>> v;
  v.push_back(std::move(p));
  return v;
}

}  // namespace

Sender::Sender(Target target, std::unique_ptr<HttpPoster> poster, const Clock& clock,
               std::unique_ptr<RandomSource> random, metrics::AlertmanagerSeries series)
    : Sender(std::move(target), one(std::move(poster)), clock, std::move(random), series) {}

Sender::Sender(Target target, std::vector<std::unique_ptr<HttpPoster>> posters, const Clock& clock,
               std::unique_ptr<RandomSource> random, metrics::AlertmanagerSeries series)
    : target_(std::move(target)),
      clock_(clock),
      random_(std::move(random)),
      series_(series),
      resolve_timeout_ns_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(target_.resolve_timeout).count()) {
  status_.url = target_.url;
  const size_t n = posters.size();
  // Split the capacity so that the lanes together hold target.queue_capacity (at least 1 each).
  const size_t capacity =
      std::max<size_t>(1, (target_.queue_capacity + n - 1) / std::max<size_t>(1, n));
  for (auto& p : posters) {
    lanes_.push_back(std::make_unique<Lane>(capacity, target_, *random_, std::move(p)));
  }
  status_.connections = lanes_.size();
  size_t total_capacity = 0;
  for (const auto& l : lanes_) total_capacity += l->queue.capacity();
  inc(series_.queue_capacity, static_cast<double>(total_capacity));
  for (auto& l : lanes_) {
    Lane* lane = l.get();
    lane->worker = std::thread([this, lane] { run(*lane); });
  }
}

Sender::~Sender() {
  stop();
  std::lock_guard<std::mutex> lock(mu_);
  // Give back this sender's share of the gauges (they may be shared with another sender).
  if (series_.queue_length != nullptr) {
    series_.queue_length->Decrement(static_cast<double>(published_length_));
  }
  if (series_.queue_capacity != nullptr) {
    size_t total_capacity = 0;
    for (const auto& l : lanes_) total_capacity += l->queue.capacity();
    series_.queue_capacity->Decrement(static_cast<double>(total_capacity));
  }
}

size_t Sender::queuedLocked() const {
  size_t n = 0;
  for (const auto& l : lanes_) n += l->queue.size();
  return n;
}

bool Sender::idleLocked() const {
  for (const auto& l : lanes_) {
    if (!l->queue.empty() || l->in_flight) return false;
  }
  return true;
}

bool Sender::allExitedLocked() const {
  for (const auto& l : lanes_) {
    if (!l->exited) return false;
  }
  return true;
}

void Sender::publishQueueLength() {
  const size_t len = queuedLocked();
  if (len == published_length_) return;
  if (series_.queue_length != nullptr) {
    series_.queue_length->Increment(static_cast<double>(len) -
                                    static_cast<double>(published_length_));
  }
  published_length_ = len;
}

void Sender::addDropped(uint64_t n) {
  status_.dropped += n;
  inc(series_.dropped, static_cast<double>(n));
}

void Sender::addCoalesced(uint64_t n) {
  status_.coalesced += n;
  inc(series_.coalesced, static_cast<double>(n));
}

void Sender::enqueue(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  uint64_t woken = 0;  // bit i: lane i got work (lanes beyond 64 are always woken)
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return;
    uint64_t overflow = 0, coalesced = 0;
    for (const Entry& e : entries) {
      const size_t i = e.fingerprint % lanes_.size();
      woken |= i < 64 ? (uint64_t{1} << i) : ~uint64_t{0};
      switch (lanes_[i]->queue.push(e)) {
        case Queue::PushOutcome::kAdded:
          break;
        case Queue::PushOutcome::kCoalesced:
          ++coalesced;
          break;
        case Queue::PushOutcome::kAddedDroppedOldest:
          ++overflow;
          break;
      }
    }
    addDropped(overflow);
    addCoalesced(coalesced);
    publishQueueLength();
  }
  for (size_t i = 0; i < lanes_.size(); ++i) {
    if (i >= 64 || (woken >> i & 1) != 0) lanes_[i]->work_cv.notify_one();
  }
}

void Sender::adopt(std::vector<Entry> older) {
  if (older.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) {
      // Stopped meanwhile (shutdown): these will never be sent; keep the accounting whole.
      addDropped(older.size());
      return;
    }
    std::vector<std::vector<Entry>> per_lane(lanes_.size());
    for (Entry& e : older) per_lane[e.fingerprint % lanes_.size()].push_back(std::move(e));
    for (size_t i = 0; i < lanes_.size(); ++i) {
      const Queue::RequeueOutcome r = lanes_[i]->queue.requeue(per_lane[i]);
      addDropped(r.dropped);
      addCoalesced(r.superseded);
    }
    publishQueueLength();
  }
  for (auto& l : lanes_) l->work_cv.notify_one();
}

void Sender::run(Lane& lane) {
  std::vector<Entry> batch;
  batch.reserve(target_.max_batch);
  std::string body;
  const size_t max_batch = std::max<size_t>(1, target_.max_batch);

  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    lane.work_cv.wait(lock, [&] { return stop_ || hold_ || !lane.queue.empty(); });
    if (stop_ || hold_) break;
    lane.queue.popBatch(batch, max_batch);
    lane.in_flight = true;
    publishQueueLength();
    lock.unlock();

    // Alerts that are no longer valid are not worth (re)sending: Alertmanager would treat them
    // as resolved on its own by now.
    const int64_t now_ns = clock_.systemNowNs();
    const size_t before = batch.size();
    std::erase_if(batch,
                  [&](const Entry& e) { return validUntilNs(e, resolve_timeout_ns_) <= now_ns; });
    const size_t expired = before - batch.size();

    PostResult result;
    if (!batch.empty()) {
      encodeBatch(target_.api, batch, body);
      const auto t0 = clock_.steadyNow();
      result = lane.poster->post(body);
      const std::chrono::duration<double> took = clock_.steadyNow() - t0;
      if (series_.latency != nullptr) series_.latency->Observe(took.count());
    }

    lock.lock();
    addDropped(expired);
    const double n = static_cast<double>(batch.size());
    std::chrono::nanoseconds delay{0};
    if (batch.empty()) {
      // Everything had expired; nothing was posted.
    } else if (result.ok()) {
      status_.sent += batch.size();
      inc(series_.sent, n);
      status_.last_success_ns = clock_.systemNowNs();
      lane.backoff.reset();
      batch.clear();
    } else {
      status_.errors += batch.size();
      inc(series_.errors, n);
      status_.last_error =
          result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error;
      status_.last_error_ns = clock_.systemNowNs();
      if (result.retryable()) {
        const Queue::RequeueOutcome r = lane.queue.requeue(batch);
        status_.retries += r.requeued;
        inc(series_.retries, static_cast<double>(r.requeued));
        addDropped(r.dropped);
        addCoalesced(r.superseded);  // a newer copy queued meanwhile goes instead
        delay = lane.backoff.next();
      } else {
        // The Alertmanager rejected the payload; sending it again would fail the same way.
        addDropped(batch.size());
        batch.clear();
        lane.backoff.reset();
      }
    }
    lane.in_flight = false;
    publishQueueLength();
    idle_cv_.notify_all();
    if (delay.count() > 0) {
      lane.work_cv.wait_for(lock, delay, [&] { return stop_ || hold_; });
    }
  }
  lane.exited = true;
  idle_cv_.notify_all();
}

void Sender::stop(std::chrono::nanoseconds drain_timeout) {
  std::lock_guard<std::mutex> serial(stop_mu_);
  if (stopped_) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    accepting_ = false;
    if (drain_timeout.count() > 0) {
      idle_cv_.wait_for(lock, drain_timeout, [&] { return allExitedLocked() || idleLocked(); });
    }
    stop_ = true;
  }
  for (auto& l : lanes_) l->work_cv.notify_all();
  // Abort POSTs in flight. A worker may be between its stop_ check and the start of a POST,
  // where one cancel() would be lost, so repeat it until every worker has exited.
  std::unique_lock<std::mutex> lock(mu_);
  while (!allExitedLocked()) {
    lock.unlock();
    for (auto& l : lanes_) l->poster->cancel();
    lock.lock();
    idle_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return allExitedLocked(); });
  }
  lock.unlock();
  for (auto& l : lanes_) l->worker.join();
  stopped_ = true;
}

void Sender::beginHandOver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  for (auto& l : lanes_) l->work_cv.notify_all();
}

bool Sender::awaitHandOver(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] { return allExitedLocked(); });
}

std::vector<Entry> Sender::takeQueue() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  for (auto& l : lanes_) {
    std::vector<Entry> part = l->queue.takeAll();
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.received_ns < b.received_ns; });
  publishQueueLength();
  return out;
}

size_t Sender::discardQueue() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto& l : lanes_) n += l->queue.takeAll().size();
  addDropped(n);
  publishQueueLength();
  return n;
}

SenderStatus Sender::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  SenderStatus s = status_;
  s.queue_length = queuedLocked();
  s.queue_capacity = 0;
  s.backoff_attempt = 0;
  for (const auto& l : lanes_) {
    s.queue_capacity += l->queue.capacity();
    s.backoff_attempt = std::max(s.backoff_attempt, l->backoff.attempt());
  }
  return s;
}

}  // namespace promha::notify
