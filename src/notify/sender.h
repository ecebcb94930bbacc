// Sender: delivers alerts to ONE Alertmanager through a small pool of connections ("lanes").
// Each lane owns a bounded, coalescing Queue, an HttpPoster (one keep-alive connection) and a
// worker thread that pops batches (<= max_batch), encodes them (v1 or v2 body), POSTs them and
// retries failures with jittered exponential backoff. An alert always goes to the lane picked by
// its fingerprint, so the updates of one alert (firing, then resolved) reach the Alertmanager in
// order, while other alerts use the other connections in parallel. The target's queue_capacity
// is split evenly between the lanes.
//
// - enqueue() only takes the mutex and pushes: it never waits on I/O, so HTTP handlers answer at
//   once even when this Alertmanager is a black hole.
// - 5xx, time-outs and connection errors: the batch goes back to the front of the queue (a newer
//   copy of an alert queued meanwhile wins) and the worker waits for the backoff delay. Each alert
//   is retried only while it is valid (validUntilNs: its endsAt, or resolve_timeout from receipt);
//   expired alerts are dropped and counted. 4xx: permanent, the batch is dropped and counted.
// - stop(drain_timeout) is idempotent; it first lets the workers empty the queues for up to
//   drain_timeout, then stops them, aborting POSTs in flight: stop wins over work.
// - Hand-over (a reload replaces this Sender): beginHandOver() starts no new POST, and
//   awaitHandOver(deadline) waits for the POSTs in flight to end on their own (accepted, failed
//   and requeued, or dropped), so that a successor does not send again what the Alertmanager
//   already took and sent/errors stay true. The Manager bounds the wait (kMaxHandOverWait);
//   stop() then aborts what still hangs (a black hole), and only what was not sent moves on.
//
// Counters count alerts. Every alert given to enqueue() ends, here or in a Sender that adopts it,
// in exactly one of:
// sent (accepted), dropped (queue overflow, expired, 4xx, discardQueue()), coalesced (a newer copy
// of the same label set replaced it in the queue, on push or when a failed batch is requeued or
// adopted) or still queued; takeQueue() moves entries uncounted to the adopting Sender, whose
// series are the same (metrics::Metrics shares them by URL). So per Alertmanager, exactly,
// whenever no POST is in flight, also across replacements:
//   enqueued = sent + dropped + coalesced + queued   (queued = promha_notifications_queue_length)
// errors and retries count attempts: an alert may be in several failed POSTs and requeues.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.h"
#include "notify/backoff.h"
#include "notify/clock.h"
#include "notify/poster.h"
#include "notify/queue.h"
#include "notify/target.h"

namespace promha::notify {

struct SenderStatus {
  std::string url;
  size_t queue_length = 0;
  size_t queue_capacity = 0;
  int64_t last_success_ns = 0;  // wall time of the last accepted POST; 0 = never
  std::string last_error;       // of the last failed POST; cleared by nothing (history)
  int64_t last_error_ns = 0;
  uint64_t sent = 0;        // alerts accepted by the Alertmanager
  uint64_t errors = 0;      // alerts in failed POSTs (per attempt)
  uint64_t dropped = 0;     // alerts given up: queue overflow, expired, 4xx
  uint64_t retries = 0;     // alerts requeued after a failed attempt
  uint64_t coalesced = 0;   // alerts replaced by a newer copy while queued (or on requeue)
  int backoff_attempt = 0;  // consecutive failed attempts (the worst lane)
  size_t connections = 0;   // lanes
};

class Sender {
 public:
  // Starts one worker thread per poster (at least one poster). `clock` must outlive the Sender.
  // `series` may be all null.
  Sender(Target target, std::vector<std::unique_ptr<HttpPoster>> posters, const Clock& clock,
         std::unique_ptr<RandomSource> random, metrics::AlertmanagerSeries series = {});
  // A single lane.
  Sender(Target target, std::unique_ptr<HttpPoster> poster, const Clock& clock,
         std::unique_ptr<RandomSource> random, metrics::AlertmanagerSeries series = {});
  // stop(0).
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Queues copies (shared) of the entries; never blocks on I/O. Ignored after stop().
  void enqueue(const std::vector<Entry>& entries);
  // Takes over the queue of a predecessor (entries older than anything enqueued here): they go to
  // the front, and a copy of the same alert already queued here is newer and wins.
  void adopt(std::vector<Entry> older);
  // See the header comment. Returns once the worker thread has exited.
  void stop(std::chrono::nanoseconds drain_timeout = std::chrono::nanoseconds(0));
  // Hand-over (header comment): the workers start no new POST and exit once their POST in flight
  // (if any) has ended; enqueue() still queues. Then stop() and takeQueue().
  void beginHandOver();
  // After beginHandOver(): waits until no POST is in flight, or `deadline`; true if none is.
  bool awaitHandOver(std::chrono::steady_clock::time_point deadline);
  // After stop(): the entries still queued, oldest first (by receipt), e.g. to hand them to the
  // Sender that replaces this one. They are not counted as dropped.
  std::vector<Entry> takeQueue();
  // After stop(): drops what is still queued and counts it; returns how many.
  size_t discardQueue();

  SenderStatus status() const;
  const Target& target() const { return target_; }

 private:
  struct Lane {
    Lane(size_t capacity, const Target& t, RandomSource& random, std::unique_ptr<HttpPoster> p)
        : queue(capacity), backoff(t.min_backoff, t.max_backoff, random), poster(std::move(p)) {}
    Queue queue;                         // guarded by mu_
    Backoff backoff;                     // guarded by mu_ (shares random_)
    std::unique_ptr<HttpPoster> poster;  // its worker only (cancel() from stop())
    std::condition_variable work_cv;     // worker: queue not empty, or stop
    bool in_flight = false;              // guarded by mu_: a popped batch is being processed
    bool exited = false;                 // guarded by mu_
    std::thread worker;
  };

  void run(Lane& lane);
  Lane& laneOf(const Entry& e) { return *lanes_[e.fingerprint % lanes_.size()]; }
  size_t queuedLocked() const;
  bool idleLocked() const;
  bool allExitedLocked() const;
  // Called with mu_ held: moves the queue-length gauge by the change since the last call.
  void publishQueueLength();
  void addDropped(uint64_t n);
  void addCoalesced(uint64_t n);

  const Target target_;
  const Clock& clock_;
  const std::unique_ptr<RandomSource> random_;
  const metrics::AlertmanagerSeries series_;
  const int64_t resolve_timeout_ns_;

  std::mutex stop_mu_;  // serialises stop() calls; taken before mu_
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;           // stop(): queues drained, or workers exited
  std::vector<std::unique_ptr<Lane>> lanes_;  // fixed after construction
  bool stop_ = false;                         // guarded by mu_
  bool hold_ = false;                         // guarded by mu_: beginHandOver() was called
  bool accepting_ = true;                     // guarded by mu_
  bool stopped_ = false;                      // guarded by stop_mu_: workers joined
  size_t published_length_ = 0;               // guarded by mu_
  SenderStatus status_;                       // guarded by mu_ (queue fields filled in by status())
};

}  // namespace promha::notify
