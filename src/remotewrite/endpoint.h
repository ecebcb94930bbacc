// Endpoint: the bounded queue and the senders of ONE remote_write URL.
//
// An endpoint has `shards` lanes. A series always goes to the same lane (the Forwarder picks it
// by a hash of the relabeled labels), and a lane sends one batch at a time, strictly in order and
// retrying the batch at its head, so the samples of a series reach the storage in the order
// Prometheus sent them (out-of-order samples would be rejected by a Prometheus receiver).
//
// - Admission is separate from appending: tryReserve(units) succeeds while the endpoint holds
//   fewer than capacity units (capacity = queue_config.capacity x shards; a request is admitted
//   into an empty endpoint whatever its size, so that no request can be refused forever). The
//   Forwarder reserves on every endpoint first and answers 503 when any is full, so a request is
//   queued everywhere or nowhere, and then append()s. Units are released when their batch is
//   delivered or given up.
// - A lane collects series into an open batch of at most max_samples_per_send units, cut at
//   series boundaries. A full batch is closed and snappy-compressed by the thread that filled it
//   (in parallel with other requests); a partly filled one is closed by the lane's worker after
//   batch_send_deadline. Queued batches are kept compressed: memory ~ a fifth of the raw size.
// - Failures: no response (connection refused, reset, time-out) and 5xx are retried with jittered
//   exponential backoff (min_backoff..max_backoff) for as long as it takes, as Prometheus 2.42
//   does; 429 likewise when retry_on_http_429 (honouring Retry-After), else, like every other 4xx,
//   the batch is dropped and counted as failed (Prometheus drops it too).
// - stop(drain_timeout) is idempotent: it closes the open batches at once, lets the lanes deliver
//   for up to drain_timeout, then stops them, aborting POSTs in flight (stop wins over work).
//   takeQueue() hands what is left to a successor; discardQueue() counts it as failed.
// - Hand-over (a reload replaces this endpoint): beginHandOver() starts no new POST and
//   awaitHandOver(deadline) waits for the POSTs in flight to end on their own (delivered, failed
//   and kept for a retry, or dropped), while append() still queues. Then stop(0) and takeQueue():
//   only what was not delivered moves to the successor. Aborting a POST instead would make the
//   successor send a batch the storage may already have stored, which a Prometheus receiver
//   rejects with 400 "out of order sample" (counted as failed although stored). The Forwarder
//   bounds the wait; stop() aborts a POST that still hangs (black hole), which is then re-sent.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "log/logger.h"
#include "notify/backoff.h"
#include "notify/clock.h"
#include "relabel/rule.h"
#include "remotewrite/codec.h"
#include "remotewrite/metrics.h"
#include "remotewrite/poster.h"

namespace promha::remotewrite {

struct EndpointConfig {
  std::string name;                  // remote_write[].name; may be empty
  PosterConfig poster;               // URL, remote_timeout, auth, TLS, headers
  std::vector<relabel::Rule> rules;  // write_relabel_configs
  size_t shards = 4;
  size_t capacity_per_shard = 10000;
  size_t max_samples_per_send = 2000;
  std::chrono::nanoseconds batch_send_deadline = std::chrono::seconds(5);
  std::chrono::nanoseconds min_backoff = std::chrono::milliseconds(30);
  std::chrono::nanoseconds max_backoff = std::chrono::seconds(5);
  bool retry_on_http_429 = false;

  const std::string& url() const { return poster.http.url; }
  bool operator==(const EndpointConfig&) const = default;
};

// What one write request adds to one lane: encoded WriteRequest fields back to back, and for each
// field its end offset and cost, so that the lane can cut batches between them.
struct LaneInput {
  struct Mark {
    size_t end = 0;
    uint32_t units = 0;
    uint32_t samples = 0;  // float + histogram samples
    int64_t max_timestamp_ms = std::numeric_limits<int64_t>::min();
  };
  std::string bytes;
  std::vector<Mark> marks;
  uint64_t units = 0;
  uint64_t samples = 0;

  void add(uint32_t units, uint32_t samples, int64_t max_timestamp_ms) {
    marks.push_back(Mark{bytes.size(), units, samples, max_timestamp_ms});
    this->units += units;
    this->samples += samples;
  }
  void clear() {
    bytes.clear();
    marks.clear();
    units = samples = 0;
  }
  bool empty() const { return marks.empty(); }
};

// A batch: one WriteRequest body, raw while it fills, snappy-compressed once closed.
struct Batch {
  std::string raw;
  Buffer data;
  uint64_t units = 0;
  uint64_t samples = 0;
  int64_t max_timestamp_ms = std::numeric_limits<int64_t>::min();
  bool ready = false;  // compressed into `data`
};

struct EndpointStatus {
  std::string url;
  std::string name;
  size_t shards = 0;
  uint64_t queue_length = 0;  // units
  uint64_t queue_capacity = 0;
  uint64_t forwarded = 0;  // samples delivered
  uint64_t failed = 0;
  uint64_t retries = 0;
  uint64_t rejected_requests = 0;
  uint64_t relabel_dropped = 0;
  int64_t last_success_ns = 0;  // wall time; 0 = never
  int64_t last_error_ns = 0;
  std::string last_error;
  // The newest sample timestamp of any delivered batch (the HA takeover needs it); min() = none.
  int64_t last_forwarded_timestamp_ms = std::numeric_limits<int64_t>::min();
  int backoff_attempt = 0;  // consecutive failed attempts of the worst lane
};

// Parses a Retry-After value (delay in seconds, or an HTTP-date) relative to `now_ns` (wall).
std::optional<std::chrono::nanoseconds> parseRetryAfter(std::string_view value, int64_t now_ns);

class Endpoint {
 public:
  // Starts one worker thread per shard. `clock` must outlive the Endpoint; `log` may be null.
  Endpoint(EndpointConfig cfg, const PosterFactory& factory, const notify::Clock& clock,
           uint64_t seed, EndpointSeries series = {}, log::Logger* log = nullptr);
  ~Endpoint();  // stop(0)
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  const EndpointConfig& config() const { return cfg_; }
  size_t shards() const { return lanes_.size(); }
  uint64_t capacity() const { return capacity_; }

  // Reserves room for `units`; false when the queue is full (or the endpoint stopping).
  bool tryReserve(uint64_t units);
  // No request with data can be admitted now (checked before a request is decoded, to spend no
  // work on what will be refused).
  bool full() const { return queued_.load(std::memory_order_relaxed) >= capacity_; }
  void unreserve(uint64_t units);
  // Appends reserved input: lanes[i] to lane i (lanes.size() == shards()), `metadata` to lane 0.
  // With `may_take`, an input that fills an empty batch on its own is moved in rather than
  // copied (the input then holds a spare buffer): for the last endpoint that uses the input.
  void append(std::span<LaneInput> lanes, LaneInput* metadata, bool may_take = false);

  void countRejected();  // a request refused with 503 because this queue is full
  void countRelabelDropped(uint64_t samples);

  void stop(std::chrono::nanoseconds drain_timeout = std::chrono::nanoseconds(0));
  // Hand-over (header comment): the lanes start no new POST and exit once their POST in flight
  // (if any) has ended. append() still queues.
  void beginHandOver();
  // After beginHandOver(): waits until no POST is in flight, or `deadline`; true if none is.
  bool awaitHandOver(std::chrono::steady_clock::time_point deadline);
  // After stop(): every batch not yet delivered, compressed, oldest first per lane (index = lane).
  std::vector<std::deque<std::unique_ptr<Batch>>> takeQueue();
  // Before any append(): puts a predecessor's batches in front (lane i % shards()).
  void adopt(std::vector<std::deque<std::unique_ptr<Batch>>> lanes);
  // After stop(): counts what is still queued as failed and drops it; returns the samples.
  uint64_t discardQueue();

  EndpointStatus status() const;

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::unique_ptr<Batch> open;  // never null
    std::chrono::steady_clock::time_point open_since;
    std::deque<std::unique_ptr<Batch>> closed;  // FIFO; the front is the one being sent
    std::vector<std::unique_ptr<Batch>> spare;  // recycled batches (buffers kept)
    std::vector<std::string> spare_raw;         // recycled raw buffers
    std::chrono::steady_clock::time_point retry_at;
    std::unique_ptr<Poster> poster;
    std::unique_ptr<notify::SeededRandom> random;  // jitter of this lane's backoff
    std::unique_ptr<notify::Backoff> backoff;
    std::atomic<bool> exited{false};
    std::thread worker;
  };

  void run(Lane& lane);
  void appendLocked(Lane& lane, LaneInput& in, bool may_take, std::vector<Batch*>& closed);
  Batch* closeOpenLocked(Lane& lane);
  void compressAndPublish(Lane& lane, const std::vector<Batch*>& batches);
  std::unique_ptr<Batch> spareLocked(Lane& lane);
  void recycleLocked(Lane& lane, std::unique_ptr<Batch> b);
  void release(uint64_t units);
  void noteError(const std::string& error);
  bool allExited() const;

  const EndpointConfig cfg_;
  const notify::Clock& clock_;
  const EndpointSeries series_;
  log::Logger* const log_;
  const uint64_t capacity_;
  std::vector<std::unique_ptr<Lane>> lanes_;

  std::atomic<uint64_t> queued_{0};  // reserved units not yet delivered or given up
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> hold_{false};  // beginHandOver(): the lanes exit between POSTs
  std::mutex stop_mu_;             // serialises stop()
  bool stopped_ = false;
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;  // stop(): queued_ reached 0

  mutable std::mutex status_mu_;
  EndpointStatus status_;  // counters and last success/error; guarded by status_mu_
};

}  // namespace promha::remotewrite
