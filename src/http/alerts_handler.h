// AlertsHandler: the body of POST /api/v{1,2}/alerts. Decodes (Alertmanager 0.25's validation and
// answers), applies the relabel pipeline of each Alertmanager set in Prometheus's order
// (external labels, global alert_relabel_configs, the set's own alert_relabel_configs), and hands
// the survivors to a Sink that only enqueues. It never waits on an Alertmanager.
//
// The pipeline is an immutable snapshot swapped atomically on reload, so a request in flight
// finishes with the config it started with.
// Thread-safety: handle() may run on many threads at once; setPipeline() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "alert/codec.h"
#include "core/labels.h"
#include "http/server.h"
#include "relabel/rule.h"

namespace prometheus {
class Counter;
}

namespace promha::http {

struct Pipeline {
  core::Labels external_labels;                       // added to alerts that lack them
  std::vector<relabel::Rule> global_rules;            // alerting.alert_relabel_configs
  std::vector<std::vector<relabel::Rule>> set_rules;  // per alertmanagers[] block
  alert::DecodeLimits limits;
};

// Where relabeled alerts go: one call per Alertmanager set that has something to send.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void send(size_t set_index, std::vector<alert::Alert> alerts) = 0;
};

struct IngestCounters {
  prometheus::Counter* received = nullptr;
  prometheus::Counter* invalid = nullptr;
  prometheus::Counter* relabel_dropped = nullptr;
};

// Applies the pipeline for one set to `alerts` (already through external labels and global
// rules); returns the survivors and counts the dropped. Pure; exposed for tests and the CLI.
std::vector<alert::Alert> relabelForSet(const std::vector<relabel::Rule>& rules,
                                        const std::vector<alert::Alert>& alerts, size_t& dropped);

class AlertsHandler {
 public:
  AlertsHandler(Sink& sink, IngestCounters counters) : sink_(sink), counters_(counters) {}

  void setPipeline(std::shared_ptr<const Pipeline> p) { pipeline_.store(std::move(p)); }
  std::shared_ptr<const Pipeline> pipeline() const { return pipeline_.load(); }

  Response handle(alert::ApiVersion v, std::string_view body, std::string_view content_type);

  // The path after decoding: external labels, global rules, each set's rules, enqueue. handle()
  // calls it with observe = true; promha's own alerts come in with observe = false.
  void ingest(std::vector<alert::Alert> alerts, bool observe);

  // Sees every request's alerts from Prometheus after the global rules (the watcher's deadman
  // and pair-consistency checks). Set once before serving.
  using Observer = std::function<void(const std::vector<alert::Alert>&, int64_t now_ns)>;
  void setObserver(Observer o) { observer_ = std::move(o); }

 private:
  Sink& sink_;
  IngestCounters counters_;
  Observer observer_;
  std::atomic<std::shared_ptr<const Pipeline>> pipeline_;

  void ingestWith(const Pipeline& p, std::vector<alert::Alert> alerts, bool observe);
};

}  // namespace promha::http
