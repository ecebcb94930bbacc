#include "ha/ring_buffer.h"

#include "ha/election.h"

namespace promha::ha {

RingBuffer::RingBuffer(int64_t duration_ns, size_t max_bytes)
    : duration_ns_(duration_ns), max_bytes_(max_bytes) {}

void RingBuffer::configure(int64_t duration_ns, size_t max_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  duration_ns_ = duration_ns;
  max_bytes_ = max_bytes;
  evict(entries_.empty() ? 0 : entries_.back().received_ns);
}

void RingBuffer::evict(int64_t now_ns) {
  while (!entries_.empty() &&
         (entries_.front().received_ns < now_ns - duration_ns_ || bytes_ > max_bytes_)) {
    if (entries_.front().received_ns >= now_ns - duration_ns_) ++evicted_for_size_;
    bytes_ -= entries_.front().body->size();
    entries_.pop_front();
  }
}

void RingBuffer::add(int64_t now_ns, std::string_view body, int64_t max_timestamp_ms) {
  if (max_timestamp_ms == kNoTimestamp || duration_ns_ <= 0 || max_bytes_ == 0) return;
  auto copy = std::make_shared<const std::string>(body);
  std::lock_guard<std::mutex> l(mu_);
  entries_.push_back(Entry{++seq_, now_ns, max_timestamp_ms, std::move(copy)});
  bytes_ += body.size();
  evict(now_ns);
}

std::vector<RingBuffer::Entry> RingBuffer::since(uint64_t after_seq, int64_t newer_than_ms) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Entry> out;
  for (const Entry& e : entries_) {
    if (e.seq > after_seq && e.max_timestamp_ms > newer_than_ms) out.push_back(e);
  }
  return out;
}

uint64_t RingBuffer::lastSeq() const {
  std::lock_guard<std::mutex> l(mu_);
  return seq_;
}

RingBuffer::Stats RingBuffer::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return Stats{entries_.size(), bytes_, evicted_for_size_};
}

void RingBuffer::clear() {
  std::lock_guard<std::mutex> l(mu_);
  entries_.clear();
  bytes_ = 0;
}

}  // namespace promha::ha
