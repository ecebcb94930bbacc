// Watcher: promha's watch loop. It probes the peer Prometheus replicas (and optionally the local
// one), the Alertmanager cluster and the peer promha's firing alerts, exports what it sees as
// metrics, and raises promha's own alerts through the normal alert path (`emit`: relabel and
// fan-out to every Alertmanager):
//   PrometheusReplicaDown{peer}            a peer failed `failure_threshold` probes, for `for`
//   PrometheusAlertingPipelineStalled      the deadman alert (e.g. Watchdog) stopped arriving
//   AlertmanagerClusterDegraded{reason,alertmanagers}  split, peers missing, clustering disabled,
//                                          stuck settling
//   PrometheusReplicasDiverged             alerts firing on one replica only (off by default)
// Label sets carry no replica-specific value, so both sidecars of a pair emit identical alerts
// and Alertmanager deduplicates them.
//
// Every probed endpoint has its own thread and HTTP client with the configured time-out, so a
// peer that hangs is marked down by time-out and never delays the others or the evaluation
// thread, which runs every second. Nothing here affects promha's readiness.
//
// Usage: Watcher w(registry, log, deps); w.apply(cfg.watch); ... w.observe(alerts, now);
//        w.stop();
// Thread-safety: apply/stop from the app's control thread; observe() and the JSON getters from
// HTTP threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
#include "core/result.h"
#include "log/logger.h"
#include "notify/clock.h"
#include "notify/poster.h"
#include "notify/target.h"
#include "watch/cluster.h"
#include "watch/health.h"
#include "watch/pair.h"
#include "watch/self_alerts.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace promha::watch {

inline constexpr char kPeerDownAlert[] = "PrometheusReplicaDown";
inline constexpr char kStalledAlert[] = "PrometheusAlertingPipelineStalled";
inline constexpr char kClusterAlert[] = "AlertmanagerClusterDegraded";
inline constexpr char kDivergedAlert[] = "PrometheusReplicasDiverged";

struct WatcherDeps {
  // Sends promha's own alerts through the alert path.
  std::function<void(std::vector<alert::Alert>)> emit;
  // The Alertmanagers promha delivers to now, per alertmanagers block.
  std::function<std::vector<std::vector<notify::Target>>()> alertmanagers;
  // A Target (URL, time-out, credentials read from files) for a peer's base URL.
  std::function<core::Result<notify::Target>(const config::PeerConfig&, const std::string& url,
                                             core::Duration timeout)>
      make_target;
  // Builds HTTP clients; tests may inject their own.
  std::function<core::Result<std::unique_ptr<notify::HttpGetter>>(const notify::Target&)>
      make_getter;
};

class Loop;  // watch/loop.h

// `--watch.local-name`: the entry of cfg.peers named `local_name` is this replica's own
// Prometheus. It is moved to cfg.local (unless one is set; its promha_url is dropped), so both
// sidecars of a pair can share one config file that lists every replica. No match: unchanged.
config::WatchConfig withLocalName(config::WatchConfig cfg, std::string_view local_name);

class Watcher {
 public:
  Watcher(prometheus::Registry& registry, log::Logger& log, WatcherDeps deps,
          const notify::Clock& clock = notify::SystemClock::instance());
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Starts or updates the watch; peers whose config is unchanged keep their state.
  void apply(const config::WatchConfig& cfg);
  void stop();

  // Alerts from the local Prometheus after the global relabeling (deadman, pair consistency).
  void observe(const std::vector<alert::Alert>& alerts, int64_t now_ns);

  // GET /api/v1/ha/alerts.
  std::string haAlertsJson();
  // The "watch" part of /api/v1/status.
  nlohmann::json statusJson() const;

  // Runs one evaluation now (tests; the evaluation thread does this every second).
  void evaluateNow();

 private:
  struct Peer;
  struct AmProbe;
  struct Metrics;

  void evaluate();
  void syncAlertmanagers(const std::vector<std::vector<notify::Target>>& blocks);
  void probePeer(Peer& p);
  void probeAlertmanager(AmProbe& a);
  std::unique_ptr<Peer> makePeer(const config::PeerConfig& pc, bool local);

  log::Logger& log_;
  const WatcherDeps deps_;
  const notify::Clock& clock_;
  std::unique_ptr<Metrics> metrics_;

  mutable std::mutex mu_;  // guards everything below except the threads' own HTTP clients
  config::WatchConfig cfg_;
  bool applied_ = false;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Peer>> peers_;             // the local one (if any) included
  std::map<std::string, std::unique_ptr<AmProbe>> ams_;  // by base URL
  std::vector<std::vector<std::string>> am_blocks_;      // base URLs per block
  std::vector<Finding> findings_;                        // last cluster assessment
  SelfAlerts self_alerts_;
  Divergence divergence_;
  DivergenceCounts divergence_counts_;
  bool divergence_known_ = false;
  int64_t deadman_last_seen_ns_ = 0;
  int64_t started_ns_ = 0;
  FiringSet firing_;

  std::unique_ptr<Loop> eval_loop_;
};

}  // namespace promha::watch
