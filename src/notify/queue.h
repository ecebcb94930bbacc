// Queue: the bounded, coalescing queue of alerts waiting to be sent to one Alertmanager.
//
// - Coalescing: an alert whose label set is already queued replaces the queued copy in place
//   (keeping its position), so a stalled Alertmanager does not accumulate the resends Prometheus
//   makes every resend-delay; at most one copy per label set is ever queued.
// - Bounded: when full, the oldest entry is dropped and counted, like Prometheus's notifier.
// - requeue() puts a failed batch back at the front; a copy of the same alert that arrived while
//   the batch was in flight is newer and wins, and when there is no room the oldest go first.
// All operations are O(1) amortised (per entry): a deque in FIFO order plus a hash index from the
// label set (fingerprint, then full equality) to the entry's sequence number.
//
// Alerts are held as shared_ptr<const Alert>: the manager fans one alert out to the queues of
// every Alertmanager of a block, and each queue co-owns the immutable alert until it is sent.
// Pure: no locks, no clock. Thread-safety: none; the Sender guards its Queue with a mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "alert/codec.h"

namespace promha::notify {

// The JSON of one alert per API version, encoded at most once however many Alertmanagers (and
// retries) send it. Thread-safety: get() from any thread.
// Lock-free and small (two pointers until used): the first sender to need a version encodes it
// and installs it; a racing sender that loses discards its own copy.
class EncodedAlert {
 public:
  EncodedAlert() = default;
  ~EncodedAlert();
  EncodedAlert(const EncodedAlert&) = delete;
  EncodedAlert& operator=(const EncodedAlert&) = delete;
  const std::string& get(alert::ApiVersion v, const alert::Alert& a);

 private:
  std::atomic<const std::string*> json_[2] = {nullptr, nullptr};
};

struct Entry {
  std::shared_ptr<const alert::Alert> alert;
  uint64_t fingerprint = 0;  // alert::fingerprint(alert->labels)
  int64_t received_ns = 0;   // wall time at which promha accepted the alert
  // Lives in the alert's allocation (kept alive by `alert`); null in entries built by hand (then
  // encoded each time).
  EncodedAlert* encoded = nullptr;
};

// Builds an Entry, computing the fingerprint once (it is shared by every target's queue).
Entry makeEntry(alert::Alert a, int64_t received_ns);

// The POST body for a batch (alert::encode's format), reusing each entry's cached encoding.
void encodeBatch(alert::ApiVersion v, const std::vector<Entry>& batch, std::string& out);

// The wall time until which an entry is worth (re)sending. A firing alert is valid until its
// endsAt, after which Alertmanager would consider it resolved anyway. An alert without endsAt, or
// one already resolved when received (endsAt <= receipt, as Prometheus sends resolutions), is kept
// for `resolve_timeout` from receipt: Alertmanager's copy of it expires within that time, so a
// later delivery changes nothing.
int64_t validUntilNs(const Entry& e, int64_t resolve_timeout_ns);

class Queue {
 public:
  static constexpr size_t kDefaultCapacity = 10'000;
  static constexpr size_t kDefaultMaxBatch = 256;

  enum class PushOutcome { kAdded, kCoalesced, kAddedDroppedOldest };
  struct RequeueOutcome {
    size_t requeued = 0;    // put back at the front
    size_t superseded = 0;  // a newer copy was queued meanwhile; the old one is discarded
    size_t dropped = 0;     // no room: the queue is full of newer entries
  };

  // A capacity of 0 is treated as 1.
  explicit Queue(size_t capacity = kDefaultCapacity);

  PushOutcome push(Entry e);
  // Replaces `out` with up to `max` entries from the front (oldest first).
  size_t popBatch(std::vector<Entry>& out, size_t max = kDefaultMaxBatch);
  // Puts the entries of a batch returned by popBatch back at the front, in their order.
  // Consumes `batch` (left empty).
  RequeueOutcome requeue(std::vector<Entry>& batch);
  // Removes and returns every entry, oldest first.
  std::vector<Entry> takeAll();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t capacity() const { return capacity_; }
  // Entries dropped by push() because the queue was full, since construction.
  uint64_t droppedOldest() const { return dropped_oldest_; }

 private:
  // Points at the labels of a queued alert (or of a probe); the fingerprint is the hash.
  // `labels` is mutable so that coalescing can re-point a key at the newer copy of the same label
  // set in place: hash and equality are unchanged by that, and it saves a second lookup.
  struct Key {
    uint64_t fingerprint;
    mutable const core::Labels* labels;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return static_cast<size_t>(k.fingerprint); }
  };
  struct KeyEq {
    bool operator()(const Key& a, const Key& b) const {
      return a.fingerprint == b.fingerprint && (a.labels == b.labels || *a.labels == *b.labels);
    }
  };
  static Key keyOf(const Entry& e) { return Key{e.fingerprint, &e.alert->labels}; }
  void popFront();

  size_t capacity_;
  std::deque<Entry> entries_;
  // Sequence number of each queued label set; its index in entries_ is seq - front_seq_.
  std::unordered_map<Key, int64_t, KeyHash, KeyEq> index_;
  int64_t front_seq_ = 0;
  uint64_t dropped_oldest_ = 0;
};

}  // namespace promha::notify
