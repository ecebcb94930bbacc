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

}  // namespace

Sender::Sender(Target target, std::unique_ptr<HttpPoster> poster, const Clock& clock,
               std::unique_ptr<RandomSource> random, metrics::AlertmanagerSeries series)
    : target_(std::move(target)),
      poster_(std::move(poster)),
      clock_(clock),
      random_(std::move(random)),
      series_(series),
      resolve_timeout_ns_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(target_.resolve_timeout).count()),
      queue_(target_.queue_capacity),
      backoff_(target_.min_backoff, target_.max_backoff, *random_) {
  status_.url = target_.url;
  inc(series_.queue_capacity, static_cast<double>(queue_.capacity()));
  worker_ = std::thread([this] { run(); });
}

Sender::~Sender() {
  stop();
  std::lock_guard<std::mutex> lock(mu_);
  // Give back this sender's share of the gauges (they may be shared with another sender).
  if (series_.queue_length != nullptr) {
    series_.queue_length->Decrement(static_cast<double>(published_length_));
  }
  if (series_.queue_capacity != nullptr) {
    series_.queue_capacity->Decrement(static_cast<double>(queue_.capacity()));
  }
}

void Sender::publishQueueLength() {
  const size_t len = queue_.size();
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

void Sender::enqueue(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return;
    uint64_t overflow = 0;
    for (const Entry& e : entries) {
      switch (queue_.push(e)) {
        case Queue::PushOutcome::kAdded:
          break;
        case Queue::PushOutcome::kCoalesced:
          ++status_.coalesced;
          break;
        case Queue::PushOutcome::kAddedDroppedOldest:
          ++overflow;
          break;
      }
    }
    addDropped(overflow);
    publishQueueLength();
  }
  work_cv_.notify_one();
}

void Sender::adopt(std::vector<Entry> older) {
  if (older.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return;
    addDropped(queue_.requeue(older).dropped);
    publishQueueLength();
  }
  work_cv_.notify_one();
}

void Sender::run() {
  std::vector<Entry> batch;
  batch.reserve(target_.max_batch);
  std::vector<const alert::Alert*> ptrs;
  ptrs.reserve(target_.max_batch);
  const size_t max_batch = std::max<size_t>(1, target_.max_batch);

  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) break;
    queue_.popBatch(batch, max_batch);
    in_flight_ = true;
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
      ptrs.clear();
      for (const Entry& e : batch) ptrs.push_back(e.alert.get());
      const std::string body = alert::encode(target_.api, ptrs);
      const auto t0 = clock_.steadyNow();
      result = poster_->post(body);
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
      backoff_.reset();
      batch.clear();
    } else {
      status_.errors += batch.size();
      inc(series_.errors, n);
      status_.last_error =
          result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error;
      status_.last_error_ns = clock_.systemNowNs();
      if (result.retryable()) {
        const Queue::RequeueOutcome r = queue_.requeue(batch);
        status_.retries += r.requeued;
        inc(series_.retries, static_cast<double>(r.requeued));
        addDropped(r.dropped);
        delay = backoff_.next();
      } else {
        // The Alertmanager rejected the payload; sending it again would fail the same way.
        addDropped(batch.size());
        batch.clear();
        backoff_.reset();
      }
    }
    status_.backoff_attempt = backoff_.attempt();
    in_flight_ = false;
    publishQueueLength();
    idle_cv_.notify_all();
    if (delay.count() > 0) {
      work_cv_.wait_for(lock, delay, [&] { return stop_; });
    }
  }
  exited_ = true;
  idle_cv_.notify_all();
}

void Sender::stop(std::chrono::nanoseconds drain_timeout) {
  std::lock_guard<std::mutex> serial(stop_mu_);
  if (!worker_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    accepting_ = false;
    if (drain_timeout.count() > 0) {
      idle_cv_.wait_for(lock, drain_timeout,
                        [&] { return exited_ || (queue_.empty() && !in_flight_); });
    }
    stop_ = true;
  }
  work_cv_.notify_all();
  // Abort a POST in flight. The worker may be between its stop_ check and the start of a POST,
  // where one cancel() would be lost, so repeat it until the worker has exited.
  std::unique_lock<std::mutex> lock(mu_);
  while (!exited_) {
    lock.unlock();
    poster_->cancel();
    lock.lock();
    idle_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return exited_; });
  }
  lock.unlock();
  worker_.join();
}

std::vector<Entry> Sender::takeQueue() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out = queue_.takeAll();
  publishQueueLength();
  return out;
}

size_t Sender::discardQueue() {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = queue_.takeAll().size();
  addDropped(n);
  publishQueueLength();
  return n;
}

SenderStatus Sender::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  SenderStatus s = status_;
  s.queue_length = queue_.size();
  s.queue_capacity = queue_.capacity();
  return s;
}

}  // namespace promha::notify
