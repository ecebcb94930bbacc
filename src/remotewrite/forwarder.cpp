#include "remotewrite/forwarder.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "alert/codec.h"
#include "relabel/relabel.h"

namespace promha::remotewrite {
namespace {

// Scratch buffers above this size are freed after a request, so that one unusually large
// request does not pin its memory for the life of the process.
constexpr size_t kKeepScratchBytes = 4 << 20;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

void trim(std::string& s) {
  if (s.capacity() > kKeepScratchBytes) std::string().swap(s);
}

// Endpoints with equal rules and shard counts relabel and encode once.
struct Group {
  std::vector<relabel::Rule> rules;
  size_t shards = 1;
};

}  // namespace

EndpointConfig endpointConfigOf(const config::RemoteWriteConfig& rw, notify::Target http) {
  EndpointConfig c;
  c.name = rw.name;
  http.url = rw.url;
  http.timeout = rw.remote_timeout;
  c.poster.http = std::move(http);
  c.poster.headers = rw.headers;
  c.rules = rw.write_relabel_configs;
  const config::RemoteWriteQueueConfig& q = rw.queue_config;
  c.shards = static_cast<size_t>(q.max_shards);
  c.capacity_per_shard = static_cast<size_t>(q.capacity);
  c.max_samples_per_send = static_cast<size_t>(q.max_samples_per_send);
  c.batch_send_deadline = q.batch_send_deadline;
  c.min_backoff = q.min_backoff;
  c.max_backoff = q.max_backoff;
  c.retry_on_http_429 = q.retry_on_http_429;
  return c;
}

// What write() reads under the shared lock: the endpoints in config order and their groups.
struct Forwarder::State {
  std::vector<Endpoint*> endpoints;
  std::vector<size_t> group_of;     // endpoint index -> group index
  std::vector<bool> last_of_group;  // the last endpoint using its group's encoded input
  std::vector<Group> groups;
  core::NameScheme scheme = core::NameScheme::kUtf8;
};

// Per-request buffers, pooled so that steady-state requests do not allocate.
struct Forwarder::Scratch {
  Buffer proto;
  Decoder decoder;
  core::Labels in;
  core::Labels out;
  relabel::Scratch relabel;
  std::string label_bytes;
  std::vector<std::string_view> filtered_parts;
  std::vector<std::vector<LaneInput>> groups;  // [group][lane]
  std::vector<uint64_t> dropped;               // per group: samples dropped by relabeling
  LaneInput metadata;

  void prepare(const State& st) {
    groups.resize(st.groups.size());
    dropped.assign(st.groups.size(), 0);
    for (size_t g = 0; g < st.groups.size(); ++g) {
      groups[g].resize(st.groups[g].shards);
      for (LaneInput& l : groups[g]) l.clear();
    }
    metadata.clear();
  }
  void trimAll() {
    proto.shrink(kKeepScratchBytes);
    for (auto& g : groups) {
      for (LaneInput& l : g) trim(l.bytes);
    }
    trim(metadata.bytes);
  }
};

class Forwarder::ScratchLease {
 public:
  explicit ScratchLease(Forwarder& f) : f_(f), s_(f.acquireScratch()) {}
  ~ScratchLease() { f_.releaseScratch(std::move(s_)); }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  Scratch* operator->() { return s_.get(); }
  Scratch& operator*() { return *s_; }

 private:
  Forwarder& f_;
  std::unique_ptr<Scratch> s_;
};

struct Forwarder::Retiring {
  std::thread thread;
  std::atomic<bool> done{false};
};

namespace {

// Relabels each decoded series once per group and encodes it into the lane its labels hash to.
class EncodeVisitor final : public Visitor {
 public:
  EncodeVisitor(const std::vector<Group>& groups, core::Labels& in, core::Labels& out,
                relabel::Scratch& rs, std::string& label_bytes,
                std::vector<std::vector<LaneInput>>& lanes, std::vector<uint64_t>& dropped,
                LaneInput& metadata, int64_t newer_than_ms,
                std::vector<std::string_view>& filtered_parts)
      : newer_than_ms_(newer_than_ms),
        filtered_parts_(filtered_parts),
        groups_(groups),
        in_(in),
        out_(out),
        rs_(rs),
        label_bytes_(label_bytes),
        lanes_(lanes),
        dropped_(dropped),
        metadata_(metadata) {}

  // Samples left out as already forwarded by the previous leader (HA takeover).
  uint64_t covered = 0;

  void series(const SeriesView& s) override {
    std::span<const std::string_view> parts = s.parts;
    uint32_t samples = s.samples + s.histograms;
    uint32_t units = s.units();
    int64_t max_ts = s.max_timestamp_ms;
    if (newer_than_ms_ != std::numeric_limits<int64_t>::min()) {
      const FilterCounts c = filterNewerThan(s.parts, newer_than_ms_, filtered_parts_);
      covered += c.dropped;
      // A series whose every sample was covered is left out (one without any is kept).
      if (c.dropped > 0 && c.samples == 0 && c.exemplars == 0) return;
      parts = filtered_parts_;
      samples = c.samples;
      units = c.units();
      max_ts = c.max_timestamp_ms;
    }
    in_.clear();
    for (const LabelRef& l : s.labels) in_.appendSorted(l.name, l.value);
    for (size_t g = 0; g < groups_.size(); ++g) {
      const core::Labels* labels = &in_;
      const std::vector<relabel::Rule>& rules = groups_[g].rules;
      if (!rules.empty()) {
        // The last group may relabel the decoded labels in place; earlier ones work on a copy.
        core::Labels& work = g + 1 == groups_.size() ? in_ : out_;
        if (&work == &out_) out_ = in_;
        // Prometheus drops a series whose labels relabel to nothing, as if a rule dropped it.
        if (!relabel::process(rules, work, rs_) || work.empty()) {
          dropped_[g] += samples;
          continue;
        }
        labels = &work;
      }
      label_bytes_.clear();
      appendLabels(label_bytes_, *labels);
      const size_t shards = groups_[g].shards;
      const size_t lane = shards <= 1 ? 0 : std::hash<std::string_view>{}(label_bytes_) % shards;
      LaneInput& li = lanes_[g][lane];
      appendTimeSeries(li.bytes, label_bytes_, parts);
      li.add(units, samples, max_ts);
    }
  }

  void metadata(std::string_view field) override {
    metadata_.bytes.append(field);
    metadata_.add(1, 0, std::numeric_limits<int64_t>::min());
  }

 private:
  const int64_t newer_than_ms_;
  std::vector<std::string_view>& filtered_parts_;
  const std::vector<Group>& groups_;
  core::Labels& in_;
  core::Labels& out_;
  relabel::Scratch& rs_;
  std::string& label_bytes_;
  std::vector<std::vector<LaneInput>>& lanes_;
  std::vector<uint64_t>& dropped_;
  LaneInput& metadata_;
};

}  // namespace

Forwarder::Forwarder(PosterFactory factory, const notify::Clock& clock, Metrics* metrics,
                     log::Logger* log, Options opts)
    : factory_(std::move(factory)),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      opts_(opts),
      state_(std::make_unique<State>()) {}

Forwarder::~Forwarder() { stop(); }

std::unique_ptr<Forwarder::Scratch> Forwarder::acquireScratch() {
  {
    std::lock_guard<std::mutex> lock(scratch_mu_);
    if (!scratch_.empty()) {
      auto s = std::move(scratch_.back());
      scratch_.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>();
}

void Forwarder::releaseScratch(std::unique_ptr<Scratch> s) {
  s->trimAll();
  std::lock_guard<std::mutex> lock(scratch_mu_);
  scratch_.push_back(std::move(s));
}

WriteResult Forwarder::answer(int status, std::string message, bool count) {
  if (count && metrics_ != nullptr) metrics_->requests(status).Increment();
  return WriteResult{status, std::move(message)};
}

WriteResult Forwarder::rejectFull(Endpoint& ep, bool count) {
  if (count) ep.countRejected();
  const EndpointStatus s = ep.status();
  return answer(503,
                "the queue for remote_write endpoint " + core::quote(s.url) + " is full (" +
                    std::to_string(s.queue_length) + " of " + std::to_string(s.queue_capacity) +
                    " queued): the endpoint is down or slower than Prometheus; retry later",
                count);
}

WriteResult Forwarder::write(std::string_view body, std::string_view content_encoding,
                             std::string_view content_type) {
  return handle(body, content_encoding, content_type, /*gated=*/true,
                std::numeric_limits<int64_t>::min());
}

WriteResult Forwarder::replay(std::string_view snappy_body, int64_t newer_than_ms) {
  return handle(snappy_body, "snappy", {}, /*gated=*/false, newer_than_ms);
}

WriteResult Forwarder::handle(std::string_view body, std::string_view content_encoding,
                              std::string_view content_type, bool gated, int64_t newer_than_ms) {
  // A replay is promha's own doing (HA takeover), not a request: it is not counted as one.
  const auto reply = [&](int status, std::string message) {
    return answer(status, std::move(message), /*count=*/gated);
  };
  // Remote write 2.0 names its message in the Content-Type; 1.0 (what Prometheus 2.x sends)
  // names none or prometheus.WriteRequest. Prometheus 3's receiver answers 415 to a message it
  // does not take, and a 2.0 sender then falls back to 1.0.
  if (const size_t at = content_type.find("proto="); at != std::string_view::npos) {
    std::string_view proto = content_type.substr(at + 6);
    proto = proto.substr(0, proto.find_first_of("; "));
    if (proto != "prometheus.WriteRequest") {
      return reply(415, "unsupported protobuf message " + core::quote(proto) +
                            ": promha takes remote write 1.0 (prometheus.WriteRequest)");
    }
  }
  // Remote write 1.0 bodies are snappy block-compressed; Prometheus's own receiver does not
  // look at the header, so a missing one is read as snappy too.
  if (!content_encoding.empty() && !equalsIgnoreCase(content_encoding, "snappy")) {
    return reply(415, "unsupported Content-Encoding " + core::quote(content_encoding) +
                          ": remote write 1.0 bodies are snappy-compressed");
  }
  // The length header first: a small body may claim gigabytes (a "snappy bomb").
  auto len = uncompressedLength(body);
  if (!len) return reply(400, "snappy: " + len.error().message);
  if (*len > opts_.max_decoded_bytes) {
    return reply(413, "decompressed body of " + std::to_string(*len) +
                          " bytes exceeds the limit of " + std::to_string(opts_.max_decoded_bytes) +
                          " bytes");
  }
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (stopped_) return reply(503, "promha is shutting down");
  const State* st = state_.get();  // re-read if the lock is released and taken again
  Gate* gate = gated ? gate_.load() : nullptr;
  // The HA decision: forward or discard, and from which timestamp on.
  GateDecision decision;
  if (gate != nullptr) decision = gate->begin();
  struct EndGate {
    Gate* gate;
    const GateDecision& d;
    ~EndGate() {
      if (gate != nullptr) gate->end(d);
    }
  } end_gate{gate, decision};
  if (gate != nullptr) newer_than_ms = decision.newer_than_ms;
  bool forward = decision.forward;
  const auto refuseIfFull = [&]() -> std::optional<WriteResult> {
    // Backpressure before any work: a full queue refuses every request that carries data.
    for (Endpoint* ep : st->endpoints) {
      if (ep->full()) return rejectFull(*ep, gated);
    }
    return std::nullopt;
  };
  if (forward) {
    if (auto r = refuseIfFull()) return *r;
  }
  ScratchLease sc(*this);
  if (!uncompress(body, sc->proto)) return reply(400, "snappy: corrupt input");
  sc->prepare(*st);
  sc->decoder.setOptions(DecodeOptions{st->scheme});
  std::optional<EncodeVisitor> visitor;
  visitor.emplace(st->groups, sc->in, sc->out, sc->relabel, sc->label_bytes, sc->groups,
                  sc->dropped, sc->metadata, newer_than_ms, sc->filtered_parts);
  const bool encode = forward && !st->endpoints.empty();
  auto stats = sc->decoder.decode(sc->proto.view(), encode ? &*visitor : nullptr);
  if (!stats) return reply(400, stats.error().message);
  const uint64_t samples = stats->samples + stats->histograms;
  // Counted once accepted, so that a request refused with 503 and sent again counts once.
  // A replay was counted as received (and deduplicated) when it first arrived.
  const bool replay = !gated;
  const auto accepted = [&] {
    if (replay) return WriteResult{204, {}};
    received_ += samples;
    if (metrics_ != nullptr) metrics_->samplesReceived().Increment(static_cast<double>(samples));
    return answer(204, {});
  };
  const auto deduplicate = [&](uint64_t n) {
    if (n == 0) return;
    deduplicated_ += n;
    if (metrics_ != nullptr) metrics_->samplesDeduplicated().Increment(static_cast<double>(n));
  };
  if (gate != nullptr && !forward) {
    // A discarded request is observed without this lock: the gate takes its own lock, which it
    // also holds while replaying into the forwarder (lock order: gate, then forwarder).
    lock.unlock();
    gate->observe(body, *stats, decision);
    if (!decision.forward) {
      deduplicate(samples);
      return accepted();
    }
    // This replica took over while the request was being decoded: forward it after all.
    lock.lock();
    if (stopped_) return reply(503, "promha is shutting down");
    st = state_.get();
    forward = true;
    if (auto r = refuseIfFull()) return *r;
    if (!st->endpoints.empty()) {
      sc->prepare(*st);
      sc->decoder.setOptions(DecodeOptions{st->scheme});
      visitor.emplace(st->groups, sc->in, sc->out, sc->relabel, sc->label_bytes, sc->groups,
                      sc->dropped, sc->metadata, decision.newer_than_ms, sc->filtered_parts);
      if (!sc->decoder.decode(sc->proto.view(), &*visitor)) return reply(400, "decode failed");
    }
  } else if (gate != nullptr) {
    gate->observe(body, *stats, decision);  // forwarded: the gate only notes the time
  }
  if (st->endpoints.empty()) {
    // Accepting would lose the samples: nothing would forward them.
    return reply(503, "no remote_write endpoints are configured");
  }

  // Queue everywhere or nowhere: reserve on every endpoint first.
  std::vector<uint64_t> units(st->endpoints.size());
  for (size_t e = 0; e < st->endpoints.size(); ++e) {
    for (const LaneInput& l : sc->groups[st->group_of[e]]) units[e] += l.units;
    units[e] += sc->metadata.units;
  }
  for (size_t e = 0; e < st->endpoints.size(); ++e) {
    if (st->endpoints[e]->tryReserve(units[e])) continue;
    for (size_t k = 0; k < e; ++k) st->endpoints[k]->unreserve(units[k]);
    return rejectFull(*st->endpoints[e], gated);
  }
  for (size_t e = 0; e < st->endpoints.size(); ++e) {
    const size_t g = st->group_of[e];
    st->endpoints[e]->append(sc->groups[g], &sc->metadata, /*may_take=*/st->last_of_group[e]);
    st->endpoints[e]->countRelabelDropped(sc->dropped[g]);
  }
  for (int64_t seen = last_queued_ms_.load();
       stats->max_timestamp_ms > seen &&
       !last_queued_ms_.compare_exchange_weak(seen, stats->max_timestamp_ms);) {
  }
  if (replay) {
    const uint64_t n = samples - visitor->covered;
    replayed_ += n;
    if (metrics_ != nullptr) metrics_->samplesReplayed().Increment(static_cast<double>(n));
  } else {
    deduplicate(visitor->covered);
  }
  return accepted();
}

std::unique_ptr<Endpoint> Forwarder::makeEndpoint(const EndpointConfig& cfg) {
  EndpointSeries series;
  if (metrics_ != nullptr) series = metrics_->acquire(cfg.url());
  const uint64_t seed = opts_.seed ^ std::hash<std::string>{}(cfg.url()) ^ (++endpoints_made_);
  return std::make_unique<Endpoint>(cfg, factory_, clock_, seed, series, log_);
}

void Forwarder::destroyEndpoint(std::unique_ptr<Endpoint> ep) {
  const std::string url = ep->config().url();
  ep.reset();
  if (metrics_ != nullptr) metrics_->release(url);
}

void Forwarder::reapRetired(bool all) {
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if (all || (*it)->done.load()) {
      (*it)->thread.join();
      it = retiring_.erase(it);
    } else {
      ++it;
    }
  }
}

ApplyResult Forwarder::apply(std::vector<EndpointConfig> endpoints, core::NameScheme scheme) {
  std::lock_guard<std::mutex> serial(apply_mu_);
  reapRetired(false);
  ApplyResult r;
  {
    // Endpoints to be replaced let their POSTs in flight end before their queues are handed over
    // (header comment); they keep taking requests meanwhile. Waiting needs no lock: apply_mu_
    // keeps endpoints_ as it is.
    std::vector<std::pair<Endpoint*, std::chrono::steady_clock::time_point>> handing_over;
    const auto now = std::chrono::steady_clock::now();
    std::set<std::string> seen;
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (stopped_) return r;
    for (const EndpointConfig& cfg : endpoints) {
      if (!seen.insert(cfg.url()).second) continue;
      auto it = endpoints_.find(cfg.url());
      if (it == endpoints_.end() || it->second->config() == cfg) continue;
      const auto bound = std::min<std::chrono::nanoseconds>(
          opts_.handover_timeout, it->second->config().poster.http.timeout);
      it->second->beginHandOver();
      handing_over.emplace_back(
          it->second.get(),
          now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(bound));
    }
    lock.unlock();
    for (auto [ep, deadline] : handing_over) ep->awaitHandOver(deadline);
  }
  std::vector<std::unique_ptr<Endpoint>> replaced;
  std::vector<std::unique_ptr<Endpoint>> removed;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (stopped_) return r;
    std::map<std::string, std::unique_ptr<Endpoint>> next;
    auto state = std::make_unique<State>();
    state->scheme = scheme;
    for (const EndpointConfig& cfg : endpoints) {
      if (next.count(cfg.url()) != 0) continue;  // validation rejects duplicates
      auto it = endpoints_.find(cfg.url());
      std::unique_ptr<Endpoint> ep;
      if (it != endpoints_.end() && it->second->config() == cfg) {
        ep = std::move(it->second);
        ++r.kept;
      } else if (it != endpoints_.end()) {
        // Changed (rules, queue, auth ...): the new endpoint takes over the old queue in order.
        // The old one's POSTs in flight have ended above; only one that still hung after the
        // bound is aborted here, and its batch may then be delivered twice.
        ep = makeEndpoint(cfg);
        it->second->stop();
        ep->adopt(it->second->takeQueue());
        replaced.push_back(std::move(it->second));
        ++r.changed;
      } else {
        ep = makeEndpoint(cfg);
        ++r.added;
      }
      if (it != endpoints_.end()) endpoints_.erase(it);
      state->endpoints.push_back(ep.get());
      size_t g = 0;
      for (; g < state->groups.size(); ++g) {
        if (state->groups[g].rules == cfg.rules && state->groups[g].shards == ep->shards()) break;
      }
      if (g == state->groups.size()) state->groups.push_back(Group{cfg.rules, ep->shards()});
      state->group_of.push_back(g);
      next.emplace(cfg.url(), std::move(ep));
    }
    state->last_of_group.assign(state->endpoints.size(), false);
    for (size_t g = 0; g < state->groups.size(); ++g) {
      for (size_t e = state->endpoints.size(); e-- > 0;) {
        if (state->group_of[e] == g) {
          state->last_of_group[e] = true;
          break;
        }
      }
    }
    for (auto& [url, ep] : endpoints_) removed.push_back(std::move(ep));
    r.removed = removed.size();
    endpoints_ = std::move(next);
    state_ = std::move(state);
  }
  for (auto& ep : replaced) destroyEndpoint(std::move(ep));
  for (auto& ep : removed) {
    // A removed endpoint may still deliver what it holds, as Prometheus flushes a removed queue.
    auto ret = std::make_unique<Retiring>();
    Retiring* raw = ret.get();
    ret->thread = std::thread([this, raw, ep = std::move(ep)]() mutable {
      ep->stop(opts_.retire_drain_timeout);
      const uint64_t lost = ep->discardQueue();
      if (lost > 0 && log_ != nullptr) {
        log_->warn("Removed remote_write endpoint could not deliver its queue",
                   {{"url", ep->config().url()}, {"samples", std::to_string(lost)}});
      }
      destroyEndpoint(std::move(ep));
      raw->done = true;
    });
    retiring_.push_back(std::move(ret));
  }
  return r;
}

std::vector<EndpointStatus> Forwarder::status() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<EndpointStatus> out;
  for (const Endpoint* ep : state_->endpoints) out.push_back(ep->status());
  return out;
}

nlohmann::ordered_json Forwarder::statusJson() const {
  nlohmann::ordered_json j;
  j["receivedSamples"] = received_.load();
  j["deduplicatedSamples"] = deduplicated_.load();
  j["replayedSamples"] = replayed_.load();
  j["endpoints"] = nlohmann::ordered_json::array();
  for (const EndpointStatus& s : status()) {
    nlohmann::ordered_json e;
    e["url"] = s.url;
    e["name"] = s.name;
    e["shards"] = s.shards;
    e["queueLength"] = s.queue_length;
    e["queueCapacity"] = s.queue_capacity;
    e["forwardedSamples"] = s.forwarded;
    e["failedSamples"] = s.failed;
    e["retriedSamples"] = s.retries;
    e["rejectedRequests"] = s.rejected_requests;
    e["relabelDroppedSamples"] = s.relabel_dropped;
    e["lastSuccess"] = s.last_success_ns ? alert::formatTime(s.last_success_ns) : "";
    e["lastError"] = s.last_error;
    e["lastErrorTime"] = s.last_error_ns ? alert::formatTime(s.last_error_ns) : "";
    e["lastForwardedSampleTime"] =
        s.last_forwarded_timestamp_ms == std::numeric_limits<int64_t>::min()
            ? ""
            : alert::formatTime(s.last_forwarded_timestamp_ms * 1'000'000);
    e["state"] = s.backoff_attempt > 0 ? "retrying" : "up";
    j["endpoints"].push_back(std::move(e));
  }
  return j;
}

void Forwarder::stop(std::chrono::nanoseconds drain_timeout) {
  std::lock_guard<std::mutex> serial(apply_mu_);
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    endpoints = std::move(endpoints_);
    endpoints_.clear();
    state_ = std::make_unique<State>();
  }
  std::vector<std::thread> stoppers;
  for (auto& [url, ep] : endpoints) {
    Endpoint* raw = ep.get();
    stoppers.emplace_back([this, raw, drain_timeout] {
      raw->stop(drain_timeout);
      const uint64_t lost = raw->discardQueue();
      if (lost > 0 && log_ != nullptr) {
        log_->error("Remote write samples still queued at shutdown are lost",
                    {{"url", raw->config().url()}, {"samples", std::to_string(lost)}});
      }
    });
  }
  for (auto& t : stoppers) t.join();
  for (auto& [url, ep] : endpoints) destroyEndpoint(std::move(ep));
  reapRetired(true);
}

}  // namespace promha::remotewrite
