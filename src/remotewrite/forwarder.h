// Forwarder: promha's remote-write receiver (POST /api/v1/write) and its fan-out to every
// `remote_write` endpoint.
//
//   Forwarder fw(httpPosterFactory("promha/0.1.0"), clock, &metrics, &log, {});
//   fw.apply(endpoints, scheme);       // on start and reload (app::remoteWriteEndpoints)
//   WriteResult r = fw.write(body, content_encoding, content_type);  // never waits on I/O
//   fw.stop(drain_timeout);            // on shutdown
//
// write(): checks the snappy length header against max_decoded_bytes before decompressing (413),
// answers 503 at once while an endpoint's queue is full (before spending any work on the body),
// decompresses into a reused buffer, decodes and validates the WriteRequest at the wire level
// (400 with the reason), and for each endpoint relabels every series with its
// write_relabel_configs (endpoints with equal rules share the work), re-encodes it into the
// lane its labels hash to, then queues the request for every endpoint at once.
//
// When 2xx is returned (204): only after every sample, exemplar, histogram and metadata entry of
// the request is in the bounded in-memory queue of EVERY endpoint (or was dropped by that
// endpoint's relabeling, or deduplicated by the HA gate). From then on promha delivers it,
// retrying 5xx and network errors for as long as it takes. When an endpoint's queue is full (its
// storage is down or slower than Prometheus), nothing of the request is queued anywhere and the
// answer is 503: Prometheus keeps the samples in its WAL and retries with backoff, forever for
// 5xx (measured on 2.42), so a storage outage loses nothing. promha never answers 429 (Prometheus
// drops such batches unless retry_on_http_429). What an acknowledged request can still lose: the
// queued samples when promha is killed without draining (SIGKILL, OOM) or when the drain time-out
// (--shutdown.drain-timeout) ends before the storage takes them, and batches the storage rejects
// with a non-retryable 4xx (dropped, as Prometheus drops them). Each is counted in
// promha_remote_write_samples_failed_total.
//
// Reload (apply()): an endpoint whose config is unchanged keeps its queue and connections; a
// changed one is replaced by a new endpoint that takes over the old queue in order, once the old
// one's POSTs in flight have ended (Endpoint's hand-over: no batch is sent twice, which a
// Prometheus receiver would reject as out of order), waiting at most `handover_timeout` or the
// endpoint's remote_timeout, whichever is shorter, after which a POST still hanging is aborted
// and its batch re-sent by the successor; requests keep being queued meanwhile. A removed one
// drains in the background for up to `retire_drain_timeout`, then what is left counts as failed.
//
// HA (ha::Coordinator): setGate(). A Gate is asked once per request, before anything is
// decoded, whether this replica forwards (leader, or split brain: fail open) or discards
// (follower), and from which timestamp on (after a takeover, what the previous leader covered is
// not sent again); a discarded request is still validated (400 stays 400), counted in
// promha_remote_write_samples_deduplicated_total and answered 204, as are samples filtered out as
// already covered. Gate::observe() sees every valid request as received (snappy body +
// DecodeStats with its time range), forwarded or not, also one then refused with 503 (Prometheus
// sends it again): the place for the ring buffer of recent requests, which replay() forwards on
// takeover, bypassing the gate.
//
// Thread-safety: every method may be called from any thread; write() runs concurrently on the
// server's connection threads (Prometheus sends with up to ~10 shards at once after an outage).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "log/logger.h"
#include "notify/clock.h"
#include "remotewrite/codec.h"
#include "remotewrite/endpoint.h"
#include "remotewrite/metrics.h"
#include "remotewrite/poster.h"

namespace promha::remotewrite {

struct WriteResult {
  int status = 204;
  std::string message;  // why, for non-2xx answers
};

// What the gate decides for one request.
struct GateDecision {
  bool forward = true;  // false: accept it as deduplicated (this replica is a follower)
  // Forward only samples, histograms and exemplars newer than this: the previous leader covered
  // the rest. min(): everything.
  int64_t newer_than_ms = std::numeric_limits<int64_t>::min();
};

// The HA seam; see the header comment. Implementations must be thread-safe.
class Gate {
 public:
  virtual ~Gate() = default;
  // Once per request, before anything is decoded.
  virtual GateDecision begin() = 0;
  // Every valid request (forwarded or not), as received, with its statistics; for a discarded
  // one it is called without the Forwarder's lock (the gate may replay() under its own). May turn a
  // request begun as discarded into a forwarded one (d.forward = true, with its filter): this
  // replica took over between begin() and observe(), after the takeover replayed the buffer.
  virtual void observe(std::string_view snappy_body, const DecodeStats& stats, GateDecision& d) = 0;
  // After every begin(), whatever became of the request.
  virtual void end(const GateDecision& d) = 0;
};

struct ApplyResult {
  size_t added = 0;
  size_t kept = 0;
  size_t changed = 0;
  size_t removed = 0;
  bool operator==(const ApplyResult&) const = default;
};

// An endpoint's settings from its config entry; `http` carries the URL, remote_timeout and the
// credentials already read from their files (app::makeRemoteWriteTarget).
EndpointConfig endpointConfigOf(const config::RemoteWriteConfig& rw, notify::Target http);

class Forwarder {
 public:
  struct Options {
    // Upper bound of a request's decompressed size (413 above); vmagent's default.
    size_t max_decoded_bytes = 32 << 20;
    // How long a removed endpoint may still deliver its queue.
    std::chrono::nanoseconds retire_drain_timeout = std::chrono::seconds(10);
    // How long a reload waits for the POSTs in flight of the endpoints it replaces (all of them
    // together); also bounded by each endpoint's remote_timeout. Short, as a reload should be.
    std::chrono::nanoseconds handover_timeout = std::chrono::seconds(5);
    uint64_t seed = 0;  // backoff jitter
  };

  // `clock` must outlive the Forwarder; `metrics` and `log` may be null.
  Forwarder(PosterFactory factory, const notify::Clock& clock, Metrics* metrics, log::Logger* log,
            Options opts);
  ~Forwarder();  // stop(0)
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Endpoints in config order (URLs are unique: config validation). Ignored after stop().
  ApplyResult apply(std::vector<EndpointConfig> endpoints, core::NameScheme scheme);

  // POST /api/v1/write. `content_encoding` may be empty (read as snappy, like Prometheus);
  // `content_type` may name the protobuf message (remote write 2.0's
  // `application/x-protobuf;proto=io.prometheus.write.v2.Request` is answered 415).
  WriteResult write(std::string_view body, std::string_view content_encoding,
                    std::string_view content_type = {});
  // Forwards a request that write() accepted earlier, bypassing the gate, with only its samples
  // newer than `newer_than_ms` (HA takeover). 503 while a queue is full: try again later.
  WriteResult replay(std::string_view snappy_body,
                     int64_t newer_than_ms = std::numeric_limits<int64_t>::min());

  // The gate must outlive the Forwarder or be reset to null first.
  void setGate(Gate* gate) { gate_.store(gate); }

  // The newest sample (or histogram) timestamp queued for forwarding so far; min() before any.
  int64_t lastQueuedTimestampMs() const { return last_queued_ms_.load(); }

  std::vector<EndpointStatus> status() const;
  // The "remoteWrite" section of /api/v1/status.
  nlohmann::ordered_json statusJson() const;

  // Stops accepting (503), drains every endpoint in parallel for up to `drain_timeout`, stops
  // them and counts what is left as failed. Idempotent.
  void stop(std::chrono::nanoseconds drain_timeout = std::chrono::nanoseconds(0));

 private:
  struct Scratch;
  struct State;
  struct Retiring;
  class ScratchLease;

  WriteResult handle(std::string_view body, std::string_view content_encoding,
                     std::string_view content_type, bool gated, int64_t newer_than_ms);
  std::unique_ptr<Scratch> acquireScratch();
  void releaseScratch(std::unique_ptr<Scratch> s);
  std::unique_ptr<Endpoint> makeEndpoint(const EndpointConfig& cfg);
  void destroyEndpoint(std::unique_ptr<Endpoint> ep);
  void reapRetired(bool all);
  // `count`: in promha_remote_write_requests_total (not for replays).
  WriteResult answer(int status, std::string message, bool count = true);
  // 503 for a request refused because `ep`'s queue is full.
  WriteResult rejectFull(Endpoint& ep, bool count = true);

  const PosterFactory factory_;
  const notify::Clock& clock_;
  Metrics* const metrics_;
  log::Logger* const log_;
  const Options opts_;
  std::atomic<Gate*> gate_{nullptr};
  std::atomic<uint64_t> received_{0};  // samples in accepted requests
  std::atomic<uint64_t> deduplicated_{0};
  std::atomic<uint64_t> replayed_{0};  // samples forwarded by replay()
  std::atomic<int64_t> last_queued_ms_{std::numeric_limits<int64_t>::min()};
  uint64_t endpoints_made_ = 0;  // guarded by apply_mu_; varies the jitter seeds

  std::mutex apply_mu_;  // serialises apply() and stop(); taken before mu_
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;  // by URL; guarded by mu_
  std::unique_ptr<State> state_;                                // guarded by mu_
  bool stopped_ = false;                                        // guarded by mu_
  std::vector<std::unique_ptr<Retiring>> retiring_;             // guarded by apply_mu_

  std::mutex scratch_mu_;
  std::vector<std::unique_ptr<Scratch>> scratch_;  // idle scratch sets; guarded by scratch_mu_
};

}  // namespace promha::remotewrite
