// Config: promha's configuration, loaded from YAML with Prometheus's own field names so that a
// user can paste the `alerting:` block of a prometheus.yml.
//
// Defaults are data (kDefaultAlertmanagerConfig ...). Loading overlays the YAML on the defaults and
// checks every map's keys (unknown keys are errors); validate() is a separate pass over the
// structs. Every error carries file:line:col and the key path, and all errors are reported at
// once through core::Diagnostics:
//
//   core::Diagnostics diag("promha.yml");
//   std::optional<config::Config> cfg = config::loadFile("promha.yml", {}, diag);
//   if (!cfg) { std::cerr << diag.str(); }   // parse + validation errors, all of them
//
// Two formats: a promha config (strict), and a Prometheus prometheus.yml, of which only
// global.external_labels, global.metric_name_validation_scheme, alerting.alert_relabel_configs and
// alerting.alertmanagers[].alert_relabel_configs are read (everything else is ignored).
// Format::kAuto treats a file with any Prometheus-only top-level key (scrape_configs, rule_files,
// ...) as a prometheus.yml.
//
// Extension points: later sections each add a struct + member in Config, a decode function
// called from decodeRoot() in config.cpp next to its allowed key, and a step in validate(), as
// `remote_write:` does.
// Thread-safety: plain values; a const Config may be read from any number of threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/labels.h"
#include "core/yaml.h"
#include "relabel/rule.h"

namespace promha::config {

using namespace std::chrono_literals;

// A secret value (password, bearer credentials). The value is kept for use, but printing and
// serialisation show "<secret>" (or "" when empty), like Prometheus's config.Secret.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  // The real value; only for the code that sends it.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::string str() const { return value_.empty() ? "" : "<secret>"; }
  bool operator==(const Secret&) const = default;

 private:
  std::string value_{};
};
std::ostream& operator<<(std::ostream& os, const Secret& s);

struct StaticConfig {
  std::vector<std::string> targets{};  // host:port
  core::Labels labels{};
  bool operator==(const StaticConfig&) const = default;
};

enum class DnsType { kSrv, kA, kAaaa };
std::string_view dnsTypeName(DnsType t);

struct DnsSdConfig {
  std::vector<std::string> names{};
  DnsType type = DnsType::kSrv;
  uint64_t port = 0;  // required for A and AAAA; SRV records carry their own
  core::Duration refresh_interval = 30s;
  bool operator==(const DnsSdConfig&) const = default;
};
inline const DnsSdConfig kDefaultDnsSdConfig{};

struct FileSdConfig {
  std::vector<std::string> files{};  // the last path element may hold a '*' glob
  core::Duration refresh_interval = 5min;
  bool operator==(const FileSdConfig&) const = default;
};
inline const FileSdConfig kDefaultFileSdConfig{};

struct BasicAuth {
  std::string username{};
  std::string username_file{};
  Secret password{};
  std::string password_file{};
  bool operator==(const BasicAuth&) const = default;
};

struct Authorization {
  std::string type = "Bearer";
  Secret credentials{};
  std::string credentials_file{};
  bool operator==(const Authorization&) const = default;
};

struct TlsConfig {
  std::string ca_file{};
  std::string cert_file{};
  std::string key_file{};
  std::string server_name{};
  bool insecure_skip_verify = false;
  bool operator==(const TlsConfig&) const = default;
};

// promha's own: the bounded per-Alertmanager queue (drop oldest when full).
struct QueueConfig {
  uint64_t capacity = 10000;
  uint64_t max_batch_size = 256;
  // Concurrent POSTs (keep-alive connections) per Alertmanager; an alert always uses the same one.
  uint64_t connections = 2;
  bool operator==(const QueueConfig&) const = default;
};

// promha's own: jittered exponential backoff for retried sends.
struct RetryConfig {
  core::Duration min_backoff = 100ms;
  core::Duration max_backoff = 10s;
  bool operator==(const RetryConfig&) const = default;
};

enum class Scheme { kHttp, kHttps };
enum class ApiVersion { kV2, kV1 };

// One alerting.alertmanagers[] block (Prometheus's AlertmanagerConfig plus promha's queue/retry).
struct AlertmanagerConfig {
  std::vector<StaticConfig> static_configs{};
  std::vector<DnsSdConfig> dns_sd_configs{};
  std::vector<FileSdConfig> file_sd_configs{};
  std::vector<relabel::Rule> relabel_configs{};        // on discovered targets (__address__ ...)
  std::vector<relabel::Rule> alert_relabel_configs{};  // after the global ones
  Scheme scheme = Scheme::kHttp;
  std::string path_prefix = "/";
  core::Duration timeout = 10s;
  ApiVersion api_version = ApiVersion::kV2;
  std::optional<BasicAuth> basic_auth{};
  std::optional<Authorization> authorization{};
  TlsConfig tls_config{};
  bool follow_redirects = true;
  bool enable_http2 = true;  // accepted for compatibility; promha speaks HTTP/1.1
  QueueConfig queue{};
  RetryConfig retry{};
  bool operator==(const AlertmanagerConfig&) const = default;
};
inline const AlertmanagerConfig kDefaultAlertmanagerConfig{};

struct GlobalConfig {
  core::Labels external_labels{};
  core::NameScheme metric_name_validation_scheme = core::NameScheme::kUtf8;
  bool operator==(const GlobalConfig&) const = default;
};

struct AlertingConfig {
  std::vector<relabel::Rule> alert_relabel_configs{};
  std::vector<AlertmanagerConfig> alertmanagers{};
  bool operator==(const AlertingConfig&) const = default;
};

// --- watch: ------------------------------------------------------------------------------------

// One of promha's own alerts (Prometheus-rule-like): raised after `for_`, re-sent every
// `resend_interval` with endsAt a few resend intervals ahead, resolved (endsAt = now) when the
// condition clears. `labels` are added to the built-in ones (alertname, severity and the
// condition's own) and may override them; annotation values may use {{ $labels.NAME }}.
struct SelfAlertConfig {
  bool enabled = true;
  core::Duration for_ = 1min;
  core::Duration resend_interval = 1min;
  core::Labels labels{};
  core::Labels annotations{};  // (name, template) pairs; added to or replacing the defaults
  bool operator==(const SelfAlertConfig&) const = default;
};

// A Prometheus replica to probe (/-/healthy, /-/ready), and optionally its promha sidecar.
struct PeerConfig {
  std::string name{};        // the `peer` label; default: the URL's host:port
  std::string url{};         // Prometheus's base URL, e.g. http://prometheus-b:9090
  std::string promha_url{};  // the peer's promha, for pair consistency (optional)
  std::optional<BasicAuth> basic_auth{};
  std::optional<Authorization> authorization{};
  TlsConfig tls_config{};
  bool operator==(const PeerConfig&) const = default;
};

struct DeadmanConfig {
  std::string alertname{};        // e.g. Watchdog; empty = off
  core::Duration timeout = 5min;  // raise PrometheusAlertingPipelineStalled after this
  SelfAlertConfig alert{true, 0s, 1min, {}, {}};
  bool operator==(const DeadmanConfig&) const = default;
};

struct DivergenceConfig {
  core::Duration for_ = 3min;  // an alert firing on one side only counts after this
  SelfAlertConfig alert{false, 0s, 1min, {}, {}};  // PrometheusReplicasDiverged, off by default
  bool operator==(const DivergenceConfig&) const = default;
};

struct ClusterWatchConfig {
  bool enabled = true;                              // probe /api/v2/status of every Alertmanager
  core::Duration settling_timeout = 2min;           // "settling" for longer than this is stuck
  SelfAlertConfig alert{true, 1min, 1min, {}, {}};  // AlertmanagerClusterDegraded
  bool operator==(const ClusterWatchConfig&) const = default;
};

struct WatchConfig {
  core::Duration interval = 5s;
  core::Duration timeout = 2s;
  uint64_t failure_threshold = 3;
  std::vector<PeerConfig> peers{};
  std::optional<PeerConfig> local{};  // this replica's own Prometheus (optional)
  SelfAlertConfig peer_down{};        // PrometheusReplicaDown
  DeadmanConfig deadman{};
  DivergenceConfig divergence{};
  ClusterWatchConfig alertmanager_cluster{};
  bool operator==(const WatchConfig&) const = default;
};
inline const WatchConfig kDefaultWatchConfig{};

// --- ha: -----------------------------------------------------------------------------------------

// The HA pair (or set). replica_label: check-config verifies that alerts differing only in it
// collapse. replicas: remote-write leader election (off while empty). The replicas are named as
// in `watch` (watch.local / watch.peers[].name, or --watch.local-name): this replica's Prometheus
// is watch.local's URL, the others' promha is their watch.peers[].promha_url.
struct HaConfig {
  std::string replica_label = "replica";
  std::vector<std::string> replicas{};      // in order of preference; the first healthy leads
  core::Duration failover_timeout = 10s;    // a silent leader is replaced after this
  core::Duration interval = 1s;             // probe period (own Prometheus, peer promha)
  core::Duration timeout = 1s;              // per probe; <= interval
  uint64_t failure_threshold = 3;           // own Prometheus down after this many failures
  core::Duration buffer_duration = 2min;    // ring buffer of recent requests for takeover
  uint64_t buffer_max_bytes = 64ULL << 20;  // and its size bound (compressed bodies)
  SelfAlertConfig split_brain_alert{true, 1min, 1min, {}, {}};  // RemoteWriteHASplitBrain
  bool operator==(const HaConfig&) const = default;
};
inline const HaConfig kDefaultHaConfig{};

// --- remote_write: ------------------------------------------------------------------------------

// Prometheus's queue_config keys. promha runs exactly `max_shards` sender lanes per endpoint (a
// series always uses the same lane, so its samples stay in order) and does not reshard, hence a
// smaller default than Prometheus's upper bound; `min_shards` is accepted for compatibility.
struct RemoteWriteQueueConfig {
  uint64_t capacity = 10000;  // samples buffered per shard; the endpoint holds capacity x shards
  uint64_t max_shards = 4;
  uint64_t min_shards = 1;
  uint64_t max_samples_per_send = 2000;
  core::Duration batch_send_deadline = 5s;
  core::Duration min_backoff = 30ms;
  core::Duration max_backoff = 5s;
  bool retry_on_http_429 = false;  // Prometheus drops a batch answered 429 unless this is set
  bool operator==(const RemoteWriteQueueConfig&) const = default;
};

// One remote_write[] entry, in Prometheus's shape (the keys promha uses).
struct RemoteWriteConfig {
  std::string url{};
  std::string name{};
  std::vector<relabel::Rule> write_relabel_configs{};
  core::Duration remote_timeout = 30s;
  std::map<std::string, std::string> headers{};
  std::optional<BasicAuth> basic_auth{};
  std::optional<Authorization> authorization{};
  TlsConfig tls_config{};
  RemoteWriteQueueConfig queue_config{};
  bool operator==(const RemoteWriteConfig&) const = default;
};
inline const RemoteWriteConfig kDefaultRemoteWriteConfig{};

enum class Format { kAuto, kPromha, kPrometheus };

// Source positions of the loaded keys, by key path ("alerting.alertmanagers[0].timeout"), so that
// validate() can point at the offending line.
struct Position {
  int line = 0;
  int col = 0;
  bool operator==(const Position&) const = default;
};
using Positions = std::map<std::string, Position, std::less<>>;

struct Config {
  Format format = Format::kPromha;  // what the file was (never kAuto after loading)
  std::string file{};
  GlobalConfig global{};
  AlertingConfig alerting{};
  std::optional<HaConfig> ha{};  // only when the file has an `ha:` section
  // Without a `watch:` section promha still checks the Alertmanager cluster (defaults).
  WatchConfig watch{};
  std::vector<RemoteWriteConfig> remote_write{};
  Positions positions{};
  // Equality compares the configuration, not where it came from.
  bool operator==(const Config& o) const {
    return global == o.global && alerting == o.alerting && ha == o.ha && watch == o.watch &&
           remote_write == o.remote_write;
  }
};

struct LoadOptions {
  Format format = Format::kAuto;
  // Overrides global.metric_name_validation_scheme (the CLI's --name-validation-scheme).
  std::optional<core::NameScheme> scheme{};
};

// Prometheus's top-level keys that promha does not know; any of them marks a prometheus.yml.
bool looksLikePrometheusConfig(const YAML::Node& root);

// Decodes and validates. Returns nullopt when `diag` got any error.
std::optional<Config> load(const YAML::Node& root, const LoadOptions& opts,
                           core::Diagnostics& diag);
std::optional<Config> loadString(const std::string& yaml, const LoadOptions& opts,
                                 core::Diagnostics& diag);
std::optional<Config> loadFile(const std::string& path, const LoadOptions& opts,
                               core::Diagnostics& diag);

// The validation pass, run by load(); exposed for configs built in code.
void validate(const Config& cfg, core::Diagnostics& diag);

// The effective configuration (defaults filled in) as YAML, secrets shown as "<secret>".
std::string toYaml(const Config& cfg);

}  // namespace promha::config
