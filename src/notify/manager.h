// Manager: the set of Senders, one per Alertmanager, grouped by `alertmanagers` config block.
//
// The app calls apply() with the targets of each block on start, on every discovery update and on
// reload; send() with each block's relabeled alerts from the HTTP handlers; status() for
// /api/v1/status; stop() on shutdown. A Sender is keyed by (block index, URL):
// - a key whose Target is unchanged keeps its Sender, with its queue and backoff state;
// - a key whose Target changed (timeout, auth, ...) gets a new Sender that inherits the old queue.
//   The old Sender first finishes its POSTs in flight (it starts no new one meanwhile, and still
//   queues what is sent to it): aborting them would make the successor send those alerts again
//   and count accepted alerts as errors. The wait is bounded by the target's timeout and by
//   kMaxHandOverWait, so a reload does not hang on a black hole: what still hangs then is aborted
//   and sent again by the successor. Only what was not sent moves to the new Sender;
// - a key that disappeared is stopped at once and its queue is dropped (and counted).
// Within a block, a URL listed twice is used once (the first Target wins), as in Prometheus.
// Thread-safety: every method may be called from any thread; send() never waits on I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "metrics/metrics.h"
#include "notify/clock.h"
#include "notify/poster.h"
#include "notify/sender.h"
#include "notify/target.h"

namespace promha::notify {

struct TargetStatus {
  size_t block = 0;
  Target target;
  SenderStatus sender;
};

struct ApplyResult {
  size_t added = 0;
  size_t kept = 0;
  size_t changed = 0;
  size_t removed = 0;
  bool operator==(const ApplyResult&) const = default;
};

class Manager {
 public:
  // The longest apply() waits for the POSTs in flight of the Senders it replaces (all of them
  // together: they finish in parallel). Also bounded by each target's own timeout.
  static constexpr std::chrono::seconds kMaxHandOverWait{5};

  // `clock` must outlive the Manager; `metrics` may be null (no metrics). `seed` seeds each
  // sender's backoff jitter (mixed with its URL); main passes a random one.
  Manager(PosterFactory poster_factory, const Clock& clock, metrics::Metrics* metrics = nullptr,
          uint64_t seed = 0);
  // stop(0).
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // blocks[i] = the targets of alertmanagers block i. Ignored after stop().
  ApplyResult apply(const std::vector<std::vector<Target>>& blocks);

  // Queues the (already relabeled) alerts of block `block` to each of its Alertmanagers; the
  // alerts are shared, not copied, between the targets. Received-at time is the clock's now.
  // Returns the number of targets they were queued to (0 for an unknown block).
  size_t send(size_t block, std::vector<alert::Alert> alerts);
  size_t send(size_t block, const std::vector<Entry>& entries);

  // One row per target, ordered by block then URL.
  std::vector<TargetStatus> status() const;
  size_t targetCount() const;

  // Stops accepting, drains every queue in parallel for up to `drain_timeout`, then stops the
  // senders. Idempotent.
  void stop(std::chrono::nanoseconds drain_timeout = std::chrono::nanoseconds(0));

 private:
  using Key = std::pair<size_t, std::string>;
  std::unique_ptr<Sender> makeSender(const Target& t);
  // Stops and destroys senders, then releases their metrics; called without mu_ held.
  void retire(std::vector<std::unique_ptr<Sender>> senders, bool discard);

  const PosterFactory poster_factory_;
  const Clock& clock_;
  metrics::Metrics* const metrics_;
  const uint64_t seed_;

  std::mutex apply_mu_;  // serialises apply() and stop(); taken before mu_
  mutable std::shared_mutex mu_;
  std::map<Key, std::unique_ptr<Sender>> senders_;  // guarded by mu_
  std::vector<std::vector<Sender*>> by_block_;      // guarded by mu_
  bool stopped_ = false;                            // guarded by mu_
};

}  // namespace promha::notify
