// RingBuffer: the recent remote-write requests of this replica's Prometheus, kept as received
// (snappy bodies) for `duration` and at most `max_bytes`, so that a follower that takes over can
// forward what the leader may not have: the samples newer than the leader's newest.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace promha::ha {

class RingBuffer {
 public:
  struct Entry {
    uint64_t seq = 0;  // increasing, from 1
    int64_t received_ns = 0;
    int64_t max_timestamp_ms = 0;  // newest sample of the request
    std::shared_ptr<const std::string> body;
  };
  struct Stats {
    size_t entries = 0;
    size_t bytes = 0;
    uint64_t evicted_for_size = 0;  // entries dropped before `duration` because of max_bytes
  };

  RingBuffer(int64_t duration_ns, size_t max_bytes);
  void configure(int64_t duration_ns, size_t max_bytes);

  // Adds a request and drops what is older than the duration or beyond the size bound. Requests
  // without samples (metadata only) are not kept: nothing in them can be missing downstream.
  void add(int64_t now_ns, std::string_view body, int64_t max_timestamp_ms);
  // Entries after `after_seq` whose newest sample is newer than `newer_than_ms`, oldest first.
  std::vector<Entry> since(uint64_t after_seq, int64_t newer_than_ms) const;
  uint64_t lastSeq() const;
  Stats stats() const;
  void clear();

 private:
  void evict(int64_t now_ns);  // with mu_ held

  mutable std::mutex mu_;
  int64_t duration_ns_;
  size_t max_bytes_;
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
  uint64_t seq_ = 0;
  uint64_t evicted_for_size_ = 0;
};

}  // namespace promha::ha
