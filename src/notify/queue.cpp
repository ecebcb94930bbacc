#include "notify/queue.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "alert/codec.h"

namespace promha::notify {

namespace {
// One allocation for the alert and its encodings.
struct Shared {
  explicit Shared(alert::Alert a) : alert(std::move(a)) {}
  const alert::Alert alert;
  EncodedAlert encoded;
};
}  // namespace

EncodedAlert::~EncodedAlert() {
  for (auto& p : json_) delete p.load(std::memory_order_relaxed);
}

const std::string& EncodedAlert::get(alert::ApiVersion v, const alert::Alert& a) {
  std::atomic<const std::string*>& slot = json_[v == alert::ApiVersion::kV2 ? 1 : 0];
  if (const std::string* p = slot.load(std::memory_order_acquire)) return *p;
  thread_local std::string scratch;  // encode once, then allocate exactly what it takes
  scratch.clear();
  alert::appendEncoded(v, a, scratch);
  auto mine = std::make_unique<const std::string>(scratch);
  const std::string* expected = nullptr;
  if (slot.compare_exchange_strong(expected, mine.get(), std::memory_order_acq_rel)) {
    return *mine.release();
  }
  return *expected;  // another sender won the race; ours is freed
}

Entry makeEntry(alert::Alert a, int64_t received_ns) {
  const uint64_t fp = alert::fingerprint(a.labels);
  auto shared = std::make_shared<Shared>(std::move(a));
  return Entry{std::shared_ptr<const alert::Alert>(shared, &shared->alert), fp, received_ns,
               &shared->encoded};
}

void encodeBatch(alert::ApiVersion v, const std::vector<Entry>& batch, std::string& out) {
  out.clear();
  out += '[';
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i != 0) out += ',';
    const Entry& e = batch[i];
    if (e.encoded != nullptr) {
      out += e.encoded->get(v, *e.alert);
    } else {
      alert::appendEncoded(v, *e.alert, out);
    }
  }
  out += ']';
}

int64_t validUntilNs(const Entry& e, int64_t resolve_timeout_ns) {
  const int64_t ends = e.alert->ends_at_ns;
  if (ends > e.received_ns) return ends;
  return e.received_ns + resolve_timeout_ns;
}

Queue::Queue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  // Sized once for a full queue: no rehashing while alerts flow.
  index_.reserve(std::min<size_t>(capacity_, 1 << 16));
}

void Queue::popFront() {
  const size_t erased = index_.erase(keyOf(entries_.front()));
  assert(erased == 1);
  (void)erased;
  entries_.pop_front();
  ++front_seq_;
}

Queue::PushOutcome Queue::push(Entry e) {
  // One hash lookup per push: insert the key optimistically with the sequence number the entry
  // will have (dropping the oldest below shifts front_seq_ and the index together).
  const int64_t seq = front_seq_ + static_cast<int64_t>(entries_.size());
  const auto [it, inserted] = index_.try_emplace(keyOf(e), seq);
  if (!inserted) {
    Entry& slot = entries_[static_cast<size_t>(it->second - front_seq_)];
    // The key points at the labels of the alert being replaced: re-point it at the new alert
    // before the old one can be freed.
    it->first.labels = &e.alert->labels;
    slot = std::move(e);
    return PushOutcome::kCoalesced;
  }
  PushOutcome outcome = PushOutcome::kAdded;
  if (entries_.size() >= capacity_) {
    popFront();  // a different label set: the new one was not queued
    ++dropped_oldest_;
    outcome = PushOutcome::kAddedDroppedOldest;
  }
  entries_.push_back(std::move(e));
  return outcome;
}

size_t Queue::popBatch(std::vector<Entry>& out, size_t max) {
  out.clear();
  while (out.size() < max && !entries_.empty()) {
    index_.erase(keyOf(entries_.front()));
    out.push_back(std::move(entries_.front()));
    entries_.pop_front();
    ++front_seq_;
  }
  return out.size();
}

Queue::RequeueOutcome Queue::requeue(std::vector<Entry>& batch) {
  RequeueOutcome r;
  // Newest of the batch first, so that when room runs out the oldest are the ones dropped.
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    if (index_.contains(keyOf(*it))) {
      ++r.superseded;
      continue;
    }
    if (entries_.size() >= capacity_) {
      ++r.dropped;
      continue;
    }
    entries_.push_front(std::move(*it));
    --front_seq_;
    index_.emplace(keyOf(entries_.front()), front_seq_);
    ++r.requeued;
  }
  batch.clear();
  return r;
}

std::vector<Entry> Queue::takeAll() {
  std::vector<Entry> out(std::make_move_iterator(entries_.begin()),
                         std::make_move_iterator(entries_.end()));
  entries_.clear();
  index_.clear();
  front_seq_ = 0;
  return out;
}

}  // namespace promha::notify
