#include "config/config.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace promha::config {
namespace {

using core::Diagnostics;
using core::indexPath;
using core::joinPath;

// Keys of a prometheus.yml that promha's own config never has.
constexpr std::array<std::string_view, 6> kPrometheusOnlyKeys{
    "scrape_configs", "rule_files", "scrape_config_files", "remote_read", "storage", "tracing"};

// Decodes YAML into structs that already hold their defaults: an absent or null key keeps the
// default (overlay), a present one replaces it. Records the position of every key it reads.
class Decoder {
 public:
  Decoder(Diagnostics& diag, Positions& pos) : diag_(diag), pos_(pos) {}

  Diagnostics& diag() { return diag_; }

  void mark(const YAML::Node& n, const std::string& path) {
    if (n.IsDefined() && n.Mark().line >= 0) {
      pos_[path] = Position{n.Mark().line + 1, n.Mark().column + 1};
    }
  }

  // core::checkKeys plus duplicate keys (yaml-cpp keeps both and finds the first; Go's yaml.v2,
  // and hence Prometheus, rejects them).
  bool map(const YAML::Node& n, const std::string& path,
           std::initializer_list<std::string_view> allowed) {
    mark(n, path);
    if (!core::checkKeys(n, path, allowed, diag_)) return false;
    checkDuplicates(n, path);
    return true;
  }

  // A map read leniently (prometheus.yml): only its shape is checked.
  bool lenientMap(const YAML::Node& n, const std::string& path) {
    mark(n, path);
    if (!n.IsMap()) {
      diag_.add(n, path, "must be a mapping");
      return false;
    }
    return true;
  }

  void checkDuplicates(const YAML::Node& n, const std::string& path) {
    std::map<std::string, int> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) continue;
      const auto [it, inserted] = seen.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
      if (!inserted) {
        diag_.add(kv.first, path,
                  "duplicate key '" + kv.first.Scalar() + "' (first at line " +
                      std::to_string(it->second) + ")");
      }
    }
  }

  // Returns the value of `key` when present and not null, recording its position.
  std::optional<YAML::Node> get(const YAML::Node& map, std::string_view key,
                                const std::string& path) {
    const YAML::Node n = map[std::string(key)];
    if (!n.IsDefined()) return std::nullopt;
    mark(n, path);
    if (n.IsNull()) return std::nullopt;
    return n;
  }

  void str(const YAML::Node& map, std::string_view key, const std::string& parent,
           std::string& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      if (auto v = core::getString(*n, path, diag_)) out = std::move(*v);
    }
  }
  void secret(const YAML::Node& map, std::string_view key, const std::string& parent, Secret& out) {
    std::string v;
    str(map, key, parent, v);
    if (!v.empty()) out = Secret(std::move(v));
  }
  void boolean(const YAML::Node& map, std::string_view key, const std::string& parent, bool& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      if (auto v = core::getBool(*n, path, diag_)) out = *v;
    }
  }
  void uint(const YAML::Node& map, std::string_view key, const std::string& parent, uint64_t& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      if (auto v = core::getUint(*n, path, diag_)) out = *v;
    }
  }
  void duration(const YAML::Node& map, std::string_view key, const std::string& parent,
                core::Duration& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      if (!n->IsScalar()) {
        diag_.add(*n, path, "must be a duration such as 30s or 1h30m");
        return;
      }
      auto d = core::parseDuration(n->Scalar());
      if (d) {
        out = *d;
      } else {
        diag_.add(*n, path, d.error().message);
      }
    }
  }
  void strings(const YAML::Node& map, std::string_view key, const std::string& parent,
               std::vector<std::string>& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      if (auto v = core::getStringList(*n, path, diag_)) {
        out = std::move(*v);
        for (size_t i = 0; i < n->size(); ++i) mark((*n)[i], indexPath(path, i));
      }
    }
  }
  // A `{name: value}` map of labels, names checked against `scheme`.
  void labels(const YAML::Node& map, std::string_view key, const std::string& parent,
              core::NameScheme scheme, core::Labels& out) {
    const std::string path = joinPath(parent, key);
    auto n = get(map, key, path);
    if (!n) return;
    if (!n->IsMap()) {
      diag_.add(*n, path, "must be a mapping of label names to values");
      return;
    }
    checkDuplicates(*n, path);
    std::vector<core::Label> items;
    for (const auto& kv : *n) {
      if (!kv.first.IsScalar()) {
        diag_.add(kv.first, path, "label names must be strings");
        continue;
      }
      const std::string& name = kv.first.Scalar();
      const std::string lpath = joinPath(path, name);
      if (!core::isValidLabelName(name, scheme)) {
        diag_.add(kv.first, path, core::quote(name) + " is not a valid label name");
        continue;
      }
      if (auto v = core::getString(kv.second, lpath, diag_)) {
        if (!core::isValidUtf8(*v)) {
          diag_.add(kv.second, lpath, "label value is not valid UTF-8");
          continue;
        }
        items.push_back({name, std::move(*v)});
      }
    }
    out = core::Labels::fromUnsorted(std::move(items));
  }
  // One of `names` -> values; reports the allowed names otherwise.
  template <typename E, size_t N>
  void enumeration(const YAML::Node& map, std::string_view key, const std::string& parent,
                   const std::array<std::pair<std::string_view, E>, N>& names, E& out) {
    const std::string path = joinPath(parent, key);
    auto n = get(map, key, path);
    if (!n) return;
    auto v = core::getString(*n, path, diag_);
    if (!v) return;
    std::string list;
    for (const auto& [name, e] : names) {
      if (name == *v) {
        out = e;
        return;
      }
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
    diag_.add(*n, path, "unknown value " + core::quote(*v) + " (allowed: " + list + ")");
  }
  void rules(const YAML::Node& map, std::string_view key, const std::string& parent,
             core::NameScheme scheme, std::vector<relabel::Rule>& out) {
    const std::string path = joinPath(parent, key);
    if (auto n = get(map, key, path)) {
      out = relabel::parseRules(*n, path, scheme, diag_);
      for (size_t i = 0; i < n->size(); ++i) mark((*n)[i], indexPath(path, i));
    }
  }
  // Calls fn(element, element_path) for each element of a list.
  template <typename Fn>
  void list(const YAML::Node& map, std::string_view key, const std::string& parent, Fn fn) {
    const std::string path = joinPath(parent, key);
    auto n = get(map, key, path);
    if (!n) return;
    if (!n->IsSequence()) {
      diag_.add(*n, path, "must be a list");
      return;
    }
    for (size_t i = 0; i < n->size(); ++i) {
      const std::string epath = indexPath(path, i);
      mark((*n)[i], epath);
      fn((*n)[i], epath);
    }
  }

 private:
  Diagnostics& diag_;
  Positions& pos_;
};

constexpr std::array<std::pair<std::string_view, core::NameScheme>, 2> kSchemes{{
    {"utf8", core::NameScheme::kUtf8},
    {"legacy", core::NameScheme::kLegacy},
}};
constexpr std::array<std::pair<std::string_view, DnsType>, 3> kDnsTypes{{
    {"SRV", DnsType::kSrv},
    {"A", DnsType::kA},
    {"AAAA", DnsType::kAaaa},
}};
constexpr std::array<std::pair<std::string_view, Scheme>, 2> kHttpSchemes{{
    {"http", Scheme::kHttp},
    {"https", Scheme::kHttps},
}};
constexpr std::array<std::pair<std::string_view, ApiVersion>, 2> kApiVersions{{
    {"v2", ApiVersion::kV2},
    {"v1", ApiVersion::kV1},
}};

template <typename E, size_t N>
std::string_view nameOf(const std::array<std::pair<std::string_view, E>, N>& names, E e) {
  for (const auto& [name, v] : names) {
    if (v == e) return name;
  }
  return "unknown";
}

// global: is read first because its scheme decides how every relabel rule is validated.
void decodeGlobal(Decoder& d, const YAML::Node& root, bool strict, const LoadOptions& opts,
                  GlobalConfig& g) {
  const std::string path = "global";
  auto n = d.get(root, "global", path);
  if (n) {
    const bool is_map = strict
                            ? d.map(*n, path, {"external_labels", "metric_name_validation_scheme"})
                            : d.lenientMap(*n, path);
    if (is_map) {
      d.enumeration(*n, "metric_name_validation_scheme", path, kSchemes,
                    g.metric_name_validation_scheme);
    }
  }
  if (opts.scheme) g.metric_name_validation_scheme = *opts.scheme;
  if (n && n->IsMap()) {
    d.labels(*n, "external_labels", path, g.metric_name_validation_scheme, g.external_labels);
  }
}

void decodeStatic(Decoder& d, const YAML::Node& n, const std::string& path, core::NameScheme s,
                  StaticConfig& out) {
  if (!d.map(n, path, {"targets", "labels"})) return;
  d.strings(n, "targets", path, out.targets);
  d.labels(n, "labels", path, s, out.labels);
}

void decodeDns(Decoder& d, const YAML::Node& n, const std::string& path, DnsSdConfig& out) {
  if (!d.map(n, path, {"names", "type", "port", "refresh_interval"})) return;
  d.strings(n, "names", path, out.names);
  d.enumeration(n, "type", path, kDnsTypes, out.type);
  d.uint(n, "port", path, out.port);
  d.duration(n, "refresh_interval", path, out.refresh_interval);
}

void decodeFileSd(Decoder& d, const YAML::Node& n, const std::string& path, FileSdConfig& out) {
  if (!d.map(n, path, {"files", "refresh_interval"})) return;
  d.strings(n, "files", path, out.files);
  d.duration(n, "refresh_interval", path, out.refresh_interval);
}

// basic_auth, authorization and tls_config, as in Prometheus's HTTPClientConfig.
void decodeClientAuth(Decoder& d, const YAML::Node& n, const std::string& path,
                      std::optional<BasicAuth>& basic_auth,
                      std::optional<Authorization>& authorization, TlsConfig& tls) {
  const std::string bpath = joinPath(path, "basic_auth");
  if (auto b = d.get(n, "basic_auth", bpath)) {
    if (d.map(*b, bpath, {"username", "username_file", "password", "password_file"})) {
      BasicAuth& ba = basic_auth.emplace();
      d.str(*b, "username", bpath, ba.username);
      d.str(*b, "username_file", bpath, ba.username_file);
      d.secret(*b, "password", bpath, ba.password);
      d.str(*b, "password_file", bpath, ba.password_file);
    }
  }
  const std::string apath = joinPath(path, "authorization");
  if (auto a = d.get(n, "authorization", apath)) {
    if (d.map(*a, apath, {"type", "credentials", "credentials_file"})) {
      Authorization& au = authorization.emplace();
      d.str(*a, "type", apath, au.type);
      if (au.type.empty()) au.type = Authorization{}.type;  // Prometheus: empty means Bearer
      d.secret(*a, "credentials", apath, au.credentials);
      d.str(*a, "credentials_file", apath, au.credentials_file);
    }
  }
  const std::string tpath = joinPath(path, "tls_config");
  if (auto t = d.get(n, "tls_config", tpath)) {
    if (d.map(*t, tpath,
              {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"})) {
      d.str(*t, "ca_file", tpath, tls.ca_file);
      d.str(*t, "cert_file", tpath, tls.cert_file);
      d.str(*t, "key_file", tpath, tls.key_file);
      d.str(*t, "server_name", tpath, tls.server_name);
      d.boolean(*t, "insecure_skip_verify", tpath, tls.insecure_skip_verify);
    }
  }
}

void decodeAlertmanager(Decoder& d, const YAML::Node& n, const std::string& path,
                        core::NameScheme scheme, AlertmanagerConfig& am) {
  if (!d.map(
          n, path,
          {"static_configs", "dns_sd_configs", "file_sd_configs", "relabel_configs",
           "alert_relabel_configs", "scheme", "path_prefix", "timeout", "api_version", "basic_auth",
           "authorization", "tls_config", "follow_redirects", "enable_http2", "queue", "retry"})) {
    return;
  }
  d.list(n, "static_configs", path, [&](const YAML::Node& e, const std::string& p) {
    decodeStatic(d, e, p, scheme, am.static_configs.emplace_back());
  });
  d.list(n, "dns_sd_configs", path, [&](const YAML::Node& e, const std::string& p) {
    decodeDns(d, e, p, am.dns_sd_configs.emplace_back(kDefaultDnsSdConfig));
  });
  d.list(n, "file_sd_configs", path, [&](const YAML::Node& e, const std::string& p) {
    decodeFileSd(d, e, p, am.file_sd_configs.emplace_back(kDefaultFileSdConfig));
  });
  d.rules(n, "relabel_configs", path, scheme, am.relabel_configs);
  d.rules(n, "alert_relabel_configs", path, scheme, am.alert_relabel_configs);
  d.enumeration(n, "scheme", path, kHttpSchemes, am.scheme);
  d.str(n, "path_prefix", path, am.path_prefix);
  d.duration(n, "timeout", path, am.timeout);
  d.enumeration(n, "api_version", path, kApiVersions, am.api_version);
  decodeClientAuth(d, n, path, am.basic_auth, am.authorization, am.tls_config);
  d.boolean(n, "follow_redirects", path, am.follow_redirects);
  d.boolean(n, "enable_http2", path, am.enable_http2);
  const std::string qpath = joinPath(path, "queue");
  if (auto q = d.get(n, "queue", qpath)) {
    if (d.map(*q, qpath, {"capacity", "max_batch_size", "connections"})) {
      d.uint(*q, "capacity", qpath, am.queue.capacity);
      d.uint(*q, "max_batch_size", qpath, am.queue.max_batch_size);
      d.uint(*q, "connections", qpath, am.queue.connections);
    }
  }
  const std::string rpath = joinPath(path, "retry");
  if (auto r = d.get(n, "retry", rpath)) {
    if (d.map(*r, rpath, {"min_backoff", "max_backoff"})) {
      d.duration(*r, "min_backoff", rpath, am.retry.min_backoff);
      d.duration(*r, "max_backoff", rpath, am.retry.max_backoff);
    }
  }
}

void decodeAlerting(Decoder& d, const YAML::Node& root, bool strict, core::NameScheme scheme,
                    AlertingConfig& out) {
  const std::string path = "alerting";
  auto n = d.get(root, "alerting", path);
  if (!n) return;
  if (!(strict ? d.map(*n, path, {"alert_relabel_configs", "alertmanagers"})
               : d.lenientMap(*n, path))) {
    return;
  }
  d.rules(*n, "alert_relabel_configs", path, scheme, out.alert_relabel_configs);
  d.list(*n, "alertmanagers", path, [&](const YAML::Node& e, const std::string& p) {
    AlertmanagerConfig& am = out.alertmanagers.emplace_back(kDefaultAlertmanagerConfig);
    if (strict) {
      decodeAlertmanager(d, e, p, scheme, am);
    } else if (d.lenientMap(e, p)) {
      // prometheus.yml: only the alert relabeling matters to `promha relabel`.
      d.rules(e, "alert_relabel_configs", p, scheme, am.alert_relabel_configs);
    }
  });
}

void decodeSelfAlert(Decoder& d, const YAML::Node& parent, std::string_view key,
                     const std::string& ppath, core::NameScheme scheme, SelfAlertConfig& out);

void decodeHa(Decoder& d, const YAML::Node& root, core::NameScheme scheme,
              std::optional<HaConfig>& out) {
  const std::string path = "ha";
  const YAML::Node n = root["ha"];
  if (!n.IsDefined()) return;
  d.mark(n, path);
  HaConfig& ha = out.emplace(kDefaultHaConfig);
  if (n.IsNull()) return;
  if (!d.map(n, path,
             {"replica_label", "replicas", "failover_timeout", "interval", "timeout",
              "failure_threshold", "buffer_duration", "buffer_max_bytes", "split_brain_alert"})) {
    return;
  }
  d.str(n, "replica_label", path, ha.replica_label);
  d.strings(n, "replicas", path, ha.replicas);
  d.duration(n, "failover_timeout", path, ha.failover_timeout);
  d.duration(n, "interval", path, ha.interval);
  d.duration(n, "timeout", path, ha.timeout);
  d.uint(n, "failure_threshold", path, ha.failure_threshold);
  d.duration(n, "buffer_duration", path, ha.buffer_duration);
  d.uint(n, "buffer_max_bytes", path, ha.buffer_max_bytes);
  decodeSelfAlert(d, n, "split_brain_alert", path, scheme, ha.split_brain_alert);
}

void decodeSelfAlert(Decoder& d, const YAML::Node& parent, std::string_view key,
                     const std::string& ppath, core::NameScheme scheme, SelfAlertConfig& out) {
  const std::string path = joinPath(ppath, key);
  auto n = d.get(parent, key, path);
  if (!n) return;
  if (!d.map(*n, path, {"enabled", "for", "resend_interval", "labels", "annotations"})) return;
  d.boolean(*n, "enabled", path, out.enabled);
  d.duration(*n, "for", path, out.for_);
  d.duration(*n, "resend_interval", path, out.resend_interval);
  d.labels(*n, "labels", path, scheme, out.labels);
  d.labels(*n, "annotations", path, scheme, out.annotations);
}

void decodePeer(Decoder& d, const YAML::Node& n, const std::string& path, PeerConfig& out) {
  if (!d.map(n, path, {"name", "url", "promha_url", "basic_auth", "authorization", "tls_config"})) {
    return;
  }
  d.str(n, "name", path, out.name);
  d.str(n, "url", path, out.url);
  d.str(n, "promha_url", path, out.promha_url);
  decodeClientAuth(d, n, path, out.basic_auth, out.authorization, out.tls_config);
}

void decodeWatch(Decoder& d, const YAML::Node& root, core::NameScheme scheme, WatchConfig& w) {
  const std::string path = "watch";
  auto n = d.get(root, "watch", path);
  if (!n) return;
  if (!d.map(*n, path,
             {"interval", "timeout", "failure_threshold", "peers", "local", "peer_down_alert",
              "deadman", "divergence", "alertmanager_cluster"})) {
    return;
  }
  d.duration(*n, "interval", path, w.interval);
  d.duration(*n, "timeout", path, w.timeout);
  d.uint(*n, "failure_threshold", path, w.failure_threshold);
  d.list(*n, "peers", path, [&](const YAML::Node& e, const std::string& p) {
    decodePeer(d, e, p, w.peers.emplace_back());
  });
  const std::string lpath = joinPath(path, "local");
  if (auto l = d.get(*n, "local", lpath)) decodePeer(d, *l, lpath, w.local.emplace());
  decodeSelfAlert(d, *n, "peer_down_alert", path, scheme, w.peer_down);
  const std::string dpath = joinPath(path, "deadman");
  if (auto dm = d.get(*n, "deadman", dpath)) {
    if (d.map(*dm, dpath, {"alertname", "timeout", "alert"})) {
      d.str(*dm, "alertname", dpath, w.deadman.alertname);
      d.duration(*dm, "timeout", dpath, w.deadman.timeout);
      decodeSelfAlert(d, *dm, "alert", dpath, scheme, w.deadman.alert);
    }
  }
  const std::string vpath = joinPath(path, "divergence");
  if (auto dv = d.get(*n, "divergence", vpath)) {
    if (d.map(*dv, vpath, {"for", "alert"})) {
      d.duration(*dv, "for", vpath, w.divergence.for_);
      decodeSelfAlert(d, *dv, "alert", vpath, scheme, w.divergence.alert);
    }
  }
  const std::string cpath = joinPath(path, "alertmanager_cluster");
  if (auto c = d.get(*n, "alertmanager_cluster", cpath)) {
    if (d.map(*c, cpath, {"enabled", "settling_timeout", "alert"})) {
      d.boolean(*c, "enabled", cpath, w.alertmanager_cluster.enabled);
      d.duration(*c, "settling_timeout", cpath, w.alertmanager_cluster.settling_timeout);
      decodeSelfAlert(d, *c, "alert", cpath, scheme, w.alertmanager_cluster.alert);
    }
  }
}

void decodeHeaders(Decoder& d, const YAML::Node& n, const std::string& path,
                   std::map<std::string, std::string>& out) {
  const std::string hpath = joinPath(path, "headers");
  auto h = d.get(n, "headers", hpath);
  if (!h) return;
  if (!h->IsMap()) {
    d.diag().add(*h, hpath, "must be a mapping of header names to values");
    return;
  }
  d.checkDuplicates(*h, hpath);
  for (const auto& kv : *h) {
    if (!kv.first.IsScalar()) {
      d.diag().add(kv.first, hpath, "header names must be strings");
      continue;
    }
    const std::string vpath = joinPath(hpath, kv.first.Scalar());
    d.mark(kv.first, vpath);
    if (auto v = core::getString(kv.second, vpath, d.diag())) out[kv.first.Scalar()] = *v;
  }
}

// remote_write[]: Prometheus's RemoteWriteConfig keys that promha uses.
void decodeRemoteWrite(Decoder& d, const YAML::Node& root, core::NameScheme scheme,
                       std::vector<RemoteWriteConfig>& out) {
  d.list(root, "remote_write", "", [&](const YAML::Node& n, const std::string& path) {
    RemoteWriteConfig& rw = out.emplace_back(kDefaultRemoteWriteConfig);
    if (!d.map(n, path,
               {"url", "name", "write_relabel_configs", "remote_timeout", "headers", "basic_auth",
                "authorization", "tls_config", "queue_config"})) {
      return;
    }
    d.str(n, "url", path, rw.url);
    d.str(n, "name", path, rw.name);
    d.rules(n, "write_relabel_configs", path, scheme, rw.write_relabel_configs);
    d.duration(n, "remote_timeout", path, rw.remote_timeout);
    decodeHeaders(d, n, path, rw.headers);
    decodeClientAuth(d, n, path, rw.basic_auth, rw.authorization, rw.tls_config);
    const std::string qpath = joinPath(path, "queue_config");
    if (auto q = d.get(n, "queue_config", qpath)) {
      if (d.map(*q, qpath,
                {"capacity", "max_shards", "min_shards", "max_samples_per_send",
                 "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429"})) {
        RemoteWriteQueueConfig& qc = rw.queue_config;
        d.uint(*q, "capacity", qpath, qc.capacity);
        d.uint(*q, "max_shards", qpath, qc.max_shards);
        d.uint(*q, "min_shards", qpath, qc.min_shards);
        d.uint(*q, "max_samples_per_send", qpath, qc.max_samples_per_send);
        d.duration(*q, "batch_send_deadline", qpath, qc.batch_send_deadline);
        d.duration(*q, "min_backoff", qpath, qc.min_backoff);
        d.duration(*q, "max_backoff", qpath, qc.max_backoff);
        d.boolean(*q, "retry_on_http_429", qpath, qc.retry_on_http_429);
      }
    }
  });
}

void decodeRoot(Decoder& d, const YAML::Node& root, const LoadOptions& opts, Config& cfg) {
  const bool strict = cfg.format == Format::kPromha;
  // The sections of a promha config. New sections (watch, remote_write) add their key here
  // and a decode call below. A root that is not a mapping stops here: yaml-cpp throws on key
  // lookups in a scalar.
  if (!(strict ? d.map(root, "", {"global", "alerting", "ha", "watch", "remote_write"})
               : d.lenientMap(root, ""))) {
    return;
  }
  decodeGlobal(d, root, strict, opts, cfg.global);
  decodeAlerting(d, root, strict, cfg.global.metric_name_validation_scheme, cfg.alerting);
  if (strict) decodeHa(d, root, cfg.global.metric_name_validation_scheme, cfg.ha);
  if (strict) decodeWatch(d, root, cfg.global.metric_name_validation_scheme, cfg.watch);
  if (strict) {
    decodeRemoteWrite(d, root, cfg.global.metric_name_validation_scheme, cfg.remote_write);
  }
}

// --- validation -------------------------------------------------------------------------------

class Validator {
 public:
  Validator(const Config& cfg, Diagnostics& diag) : cfg_(cfg), diag_(diag) {}

  // Reports at the position of `path`, or of its nearest recorded parent.
  void error(const std::string& path, const std::string& message) {
    core::Error e;
    e.file = diag_.file().empty() ? cfg_.file : diag_.file();
    e.message = path.empty() ? message : path + ": " + message;
    std::string p = path;
    while (true) {
      if (auto it = cfg_.positions.find(p); it != cfg_.positions.end()) {
        e.line = it->second.line;
        e.col = it->second.col;
        break;
      }
      const size_t cut = p.find_last_of(".[");
      if (cut == std::string::npos) break;
      p.resize(cut);
    }
    diag_.add(std::move(e));
  }

  void alertmanager(const AlertmanagerConfig& am, const std::string& path) {
    for (size_t i = 0; i < am.static_configs.size(); ++i) {
      const std::string spath = joinPath(indexPath(joinPath(path, "static_configs"), i), "targets");
      const auto& targets = am.static_configs[i].targets;
      for (size_t k = 0; k < targets.size(); ++k) {
        // Prometheus's CheckTargetAddress: a target is host[:port], never a URL.
        if (targets[k].empty()) {
          error(indexPath(spath, k), "empty target");
        } else if (targets[k].find('/') != std::string::npos) {
          error(indexPath(spath, k), core::quote(targets[k]) +
                                         " is not a valid hostname (use scheme and path_prefix "
                                         "for the URL parts)");
        }
      }
    }
    for (size_t i = 0; i < am.dns_sd_configs.size(); ++i) {
      const auto& c = am.dns_sd_configs[i];
      const std::string dpath = indexPath(joinPath(path, "dns_sd_configs"), i);
      if (c.names.empty()) {
        error(dpath, "DNS-SD config must contain at least one record name in 'names'");
      }
      if (c.type != DnsType::kSrv && c.port == 0) {
        error(dpath, "a port is required in DNS-SD configs for all record types except SRV");
      }
      if (c.port > 65535) error(joinPath(dpath, "port"), "must be at most 65535");
      positive(c.refresh_interval, joinPath(dpath, "refresh_interval"));
    }
    for (size_t i = 0; i < am.file_sd_configs.size(); ++i) {
      const auto& c = am.file_sd_configs[i];
      const std::string fpath = indexPath(joinPath(path, "file_sd_configs"), i);
      if (c.files.empty())
        error(fpath,
              "file service discovery config must contain at least one path name in 'files'");
      for (size_t k = 0; k < c.files.size(); ++k) {
        if (!validFileSdPattern(c.files[k])) {
          error(indexPath(joinPath(fpath, "files"), k),
                "path name " + core::quote(c.files[k]) +
                    " is not valid for file discovery (a .json, .yml or .yaml file; '*' only in "
                    "the last path element)");
        }
      }
      positive(c.refresh_interval, joinPath(fpath, "refresh_interval"));
    }
    positive(am.timeout, joinPath(path, "timeout"));
    clientAuth(am.basic_auth, am.authorization, am.tls_config, path);
    const std::string qpath = joinPath(path, "queue");
    if (am.queue.capacity == 0) error(joinPath(qpath, "capacity"), "must be positive");
    if (am.queue.max_batch_size == 0) error(joinPath(qpath, "max_batch_size"), "must be positive");
    if (am.queue.connections == 0 || am.queue.connections > 16) {
      error(joinPath(qpath, "connections"), "must be between 1 and 16");
    }
    const std::string rpath = joinPath(path, "retry");
    const bool min_ok = positive(am.retry.min_backoff, joinPath(rpath, "min_backoff"));
    const bool max_ok = positive(am.retry.max_backoff, joinPath(rpath, "max_backoff"));
    if (min_ok && max_ok && am.retry.min_backoff > am.retry.max_backoff) {
      error(rpath, "min_backoff (" + core::formatDuration(am.retry.min_backoff) +
                       ") must not exceed max_backoff (" +
                       core::formatDuration(am.retry.max_backoff) + ")");
    }
  }

  void clientAuth(const std::optional<BasicAuth>& basic_auth,
                  const std::optional<Authorization>& authorization, const TlsConfig& tls,
                  const std::string& path) {
    if (basic_auth) {
      const auto& b = *basic_auth;
      const std::string bpath = joinPath(path, "basic_auth");
      if (!b.username.empty() && !b.username_file.empty()) {
        error(bpath, "at most one of basic_auth username & username_file must be configured");
      }
      if (!b.password.empty() && !b.password_file.empty()) {
        error(bpath, "at most one of basic_auth password & password_file must be configured");
      }
    }
    if (authorization) {
      const auto& a = *authorization;
      const std::string apath = joinPath(path, "authorization");
      if (basic_auth) {
        error(apath, "at most one of basic_auth and authorization must be configured");
      }
      if (!a.credentials.empty() && !a.credentials_file.empty()) {
        error(apath,
              "at most one of authorization credentials & credentials_file must be configured");
      }
      std::string lower = a.type;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "basic") {
        error(joinPath(apath, "type"),
              "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
    }
    const std::string tpath = joinPath(path, "tls_config");
    if (!tls.cert_file.empty() && tls.key_file.empty()) {
      error(tpath, "client cert file " + core::quote(tls.cert_file) +
                       " specified without client key file");
    }
    if (tls.cert_file.empty() && !tls.key_file.empty()) {
      error(tpath,
            "client key file " + core::quote(tls.key_file) + " specified without client cert file");
    }
  }

  // An http(s) URL with a host; `what` names it in the message.
  void httpUrl(const std::string& url, const std::string& path, bool required) {
    if (url.empty()) {
      if (required) error(path, "is required");
      return;
    }
    const size_t sep = url.find("://");
    const std::string scheme = sep == std::string::npos ? "" : url.substr(0, sep);
    const size_t host_end = sep == std::string::npos ? sep : url.find('/', sep + 3);
    const std::string host =
        sep == std::string::npos
            ? ""
            : url.substr(sep + 3,
                         host_end == std::string::npos ? std::string::npos : host_end - sep - 3);
    if ((scheme != "http" && scheme != "https") || host.empty()) {
      error(path, core::quote(url) + " is not an http:// or https:// URL with a host");
    }
  }

  void selfAlert(const SelfAlertConfig& a, const std::string& path) {
    if (a.for_.count() < 0) error(joinPath(path, "for"), "must not be negative");
    positive(a.resend_interval, joinPath(path, "resend_interval"));
  }

  void peer(const PeerConfig& p, const std::string& path) {
    httpUrl(p.url, joinPath(path, "url"), true);
    httpUrl(p.promha_url, joinPath(path, "promha_url"), false);
    clientAuth(p.basic_auth, p.authorization, p.tls_config, path);
  }

  void watch(const WatchConfig& w) {
    const bool interval_ok = positive(w.interval, "watch.interval");
    const bool timeout_ok = positive(w.timeout, "watch.timeout");
    if (interval_ok && timeout_ok && w.timeout > w.interval) {
      error("watch.timeout", "(" + core::formatDuration(w.timeout) +
                                 ") must not exceed watch.interval (" +
                                 core::formatDuration(w.interval) + ")");
    }
    if (w.failure_threshold == 0) error("watch.failure_threshold", "must be positive");
    std::set<std::string> names;
    auto check_name = [&](const PeerConfig& p, const std::string& path) {
      if (!p.name.empty() && !names.insert(p.name).second) {
        error(joinPath(path, "name"), "duplicate peer name " + core::quote(p.name));
      }
    };
    for (size_t i = 0; i < w.peers.size(); ++i) {
      peer(w.peers[i], indexPath("watch.peers", i));
      check_name(w.peers[i], indexPath("watch.peers", i));
    }
    if (w.local) {
      peer(*w.local, "watch.local");
      check_name(*w.local, "watch.local");
    }
    selfAlert(w.peer_down, "watch.peer_down_alert");
    if (!w.deadman.alertname.empty()) {
      positive(w.deadman.timeout, "watch.deadman.timeout");
      selfAlert(w.deadman.alert, "watch.deadman.alert");
    }
    if (w.divergence.for_.count() < 0) error("watch.divergence.for", "must not be negative");
    selfAlert(w.divergence.alert, "watch.divergence.alert");
    positive(w.alertmanager_cluster.settling_timeout,
             "watch.alertmanager_cluster.settling_timeout");
    selfAlert(w.alertmanager_cluster.alert, "watch.alertmanager_cluster.alert");
  }

  void ha(const HaConfig& h) {
    if (h.replicas.empty()) return;
    const bool interval_ok = positive(h.interval, "ha.interval");
    const bool timeout_ok = positive(h.timeout, "ha.timeout");
    if (interval_ok && timeout_ok && h.timeout > h.interval) {
      error("ha.timeout", "(" + core::formatDuration(h.timeout) +
                              ") must not exceed ha.interval (" + core::formatDuration(h.interval) +
                              ")");
    }
    if (positive(h.failover_timeout, "ha.failover_timeout") && interval_ok &&
        h.failover_timeout < 2 * h.interval) {
      error("ha.failover_timeout", "(" + core::formatDuration(h.failover_timeout) +
                                       ") must be at least twice ha.interval (" +
                                       core::formatDuration(h.interval) + ")");
    }
    if (h.failure_threshold == 0) error("ha.failure_threshold", "must be positive");
    if (h.buffer_duration.count() < 0) error("ha.buffer_duration", "must not be negative");
    selfAlert(h.split_brain_alert, "ha.split_brain_alert");
    // Every replica is named in `watch`: its Prometheus (this one's) or its promha (the others').
    std::map<std::string, const PeerConfig*> known;
    for (const auto& p : cfg_.watch.peers) known.emplace(p.name, &p);
    if (cfg_.watch.local) known.emplace(cfg_.watch.local->name, &*cfg_.watch.local);
    std::set<std::string> seen;
    for (size_t i = 0; i < h.replicas.size(); ++i) {
      const std::string path = indexPath("ha.replicas", i);
      const std::string& name = h.replicas[i];
      if (name.empty()) {
        error(path, "must not be empty");
        continue;
      }
      if (!seen.insert(name).second) error(path, "duplicate replica " + core::quote(name));
      auto it = known.find(name);
      if (it == known.end()) {
        error(path, "replica " + core::quote(name) +
                        " is not named in watch.peers or watch.local: promha needs its "
                        "Prometheus URL (this replica) or its promha_url (the others)");
      } else if (cfg_.watch.local && it->second == &*cfg_.watch.local) {
        continue;
      } else if (it->second->promha_url.empty()) {
        error(path, "watch.peers entry " + core::quote(name) +
                        " needs a promha_url: the replicas of ha.replicas ask each other's promha "
                        "for its role (GET /api/v1/ha/status)");
      }
    }
  }

  // Prometheus's reservedHeaders (config.go): set by the remote-write client itself.
  static bool reservedHeader(std::string_view lower) {
    static constexpr std::array<std::string_view, 14> kReserved{
        "host",
        "content-encoding",
        "content-length",
        "content-type",
        "user-agent",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "www-authenticate",
        "accept-encoding",
        "x-prometheus-remote-write-version",
        "x-prometheus-remote-read-version",
        "transfer-encoding",
    };
    return std::find(kReserved.begin(), kReserved.end(), lower) != kReserved.end();
  }

  // RFC 9110 token characters.
  static bool headerToken(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      if (!ok) return false;
    }
    return true;
  }

  void remoteWrite() {
    std::map<std::string, size_t> urls, names;
    for (size_t i = 0; i < cfg_.remote_write.size(); ++i) {
      const RemoteWriteConfig& rw = cfg_.remote_write[i];
      const std::string path = indexPath("remote_write", i);
      httpUrl(rw.url, joinPath(path, "url"), true);
      if (!rw.url.empty()) {
        if (const auto [it, added] = urls.emplace(rw.url, i); !added) {
          error(joinPath(path, "url"), "duplicate URL " + core::quote(rw.url) +
                                           " (also remote_write[" + std::to_string(it->second) +
                                           "]); promha's queues and metrics are per URL");
        }
      }
      if (!rw.name.empty()) {
        if (const auto [it, added] = names.emplace(rw.name, i); !added) {
          error(joinPath(path, "name"), "duplicate remote write name " + core::quote(rw.name) +
                                            " (also remote_write[" + std::to_string(it->second) +
                                            "])");
        }
      }
      positive(rw.remote_timeout, joinPath(path, "remote_timeout"));
      for (const auto& [name, value] : rw.headers) {
        const std::string hpath = joinPath(joinPath(path, "headers"), name);
        std::string lower = name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!headerToken(name)) {
          error(hpath, core::quote(name) + " is not a valid HTTP header name");
        } else if (reservedHeader(lower)) {
          error(hpath, name + " is a reserved header. It must not be changed");
        } else if (lower == "authorization" && (rw.basic_auth || rw.authorization)) {
          error(hpath,
                "authorization header must be changed via the basic_auth or authorization "
                "parameter");
        }
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
          error(hpath, "header values must not contain CR, LF or NUL");
        }
      }
      clientAuth(rw.basic_auth, rw.authorization, rw.tls_config, path);
      const RemoteWriteQueueConfig& q = rw.queue_config;
      const std::string qpath = joinPath(path, "queue_config");
      if (q.capacity == 0) error(joinPath(qpath, "capacity"), "must be positive");
      if (q.max_shards == 0 || q.max_shards > 256) {
        error(joinPath(qpath, "max_shards"), "must be between 1 and 256");
      }
      if (q.max_samples_per_send == 0) {
        error(joinPath(qpath, "max_samples_per_send"), "must be positive");
      }
      positive(q.batch_send_deadline, joinPath(qpath, "batch_send_deadline"));
      const bool min_ok = positive(q.min_backoff, joinPath(qpath, "min_backoff"));
      const bool max_ok = positive(q.max_backoff, joinPath(qpath, "max_backoff"));
      if (min_ok && max_ok && q.min_backoff > q.max_backoff) {
        error(qpath, "min_backoff (" + core::formatDuration(q.min_backoff) +
                         ") must not exceed max_backoff (" + core::formatDuration(q.max_backoff) +
                         ")");
      }
    }
  }

  void run() {
    remoteWrite();
    for (size_t i = 0; i < cfg_.alerting.alertmanagers.size(); ++i) {
      alertmanager(cfg_.alerting.alertmanagers[i], indexPath("alerting.alertmanagers", i));
    }
    if (cfg_.ha && !core::isValidLabelName(cfg_.ha->replica_label,
                                           cfg_.global.metric_name_validation_scheme)) {
      error("ha.replica_label", core::quote(cfg_.ha->replica_label) + " is not a valid label name");
    }
    watch(cfg_.watch);
    if (cfg_.ha) ha(*cfg_.ha);
  }

 private:
  bool positive(core::Duration d, const std::string& path) {
    if (d.count() > 0) return true;
    error(path, "must be positive");
    return false;
  }

  // Prometheus's patFileSDName: ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$ , i.e. a known
  // extension and no '/' after the first '*'.
  static bool validFileSdPattern(std::string_view f) {
    const size_t star = f.find('*');
    if (star != std::string_view::npos && f.find('/', star) != std::string_view::npos) {
      return false;
    }
    for (std::string_view ext : {".json", ".yml", ".yaml", ".JSON", ".YML", ".YAML"}) {
      if (f.ends_with(ext)) return true;
    }
    return false;
  }

  const Config& cfg_;
  Diagnostics& diag_;
};

// --- serialisation ----------------------------------------------------------------------------

void emitRules(YAML::Emitter& out, const char* key, const std::vector<relabel::Rule>& rules) {
  if (rules.empty()) return;
  out << YAML::Key << key << YAML::Value;
  relabel::emitRules(out, rules);
}

void emitLabels(YAML::Emitter& out, const char* key, const core::Labels& labels) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& l : labels) out << YAML::Key << l.name << YAML::Value << l.value;
  out << YAML::EndMap;
}

void emitSecret(YAML::Emitter& out, const char* key, const Secret& s) {
  if (!s.empty()) out << YAML::Key << key << YAML::Value << s.str();
}

void emitString(YAML::Emitter& out, const char* key, const std::string& s) {
  if (!s.empty()) out << YAML::Key << key << YAML::Value << s;
}

void emitClientAuth(YAML::Emitter& out, const std::optional<BasicAuth>& basic_auth,
                    const std::optional<Authorization>& authorization, const TlsConfig& tls) {
  if (basic_auth) {
    out << YAML::Key << "basic_auth" << YAML::Value << YAML::BeginMap;
    emitString(out, "username", basic_auth->username);
    emitString(out, "username_file", basic_auth->username_file);
    emitSecret(out, "password", basic_auth->password);
    emitString(out, "password_file", basic_auth->password_file);
    out << YAML::EndMap;
  }
  if (authorization) {
    out << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << authorization->type;
    emitSecret(out, "credentials", authorization->credentials);
    emitString(out, "credentials_file", authorization->credentials_file);
    out << YAML::EndMap;
  }
  out << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
  emitString(out, "ca_file", tls.ca_file);
  emitString(out, "cert_file", tls.cert_file);
  emitString(out, "key_file", tls.key_file);
  emitString(out, "server_name", tls.server_name);
  out << YAML::Key << "insecure_skip_verify" << YAML::Value << tls.insecure_skip_verify;
  out << YAML::EndMap;
}

void emitAlertmanager(YAML::Emitter& out, const AlertmanagerConfig& am) {
  out << YAML::BeginMap;
  if (!am.static_configs.empty()) {
    out << YAML::Key << "static_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : am.static_configs) {
      out << YAML::BeginMap << YAML::Key << "targets" << YAML::Value << YAML::Flow << s.targets;
      if (!s.labels.empty()) emitLabels(out, "labels", s.labels);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!am.dns_sd_configs.empty()) {
    out << YAML::Key << "dns_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& c : am.dns_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "names" << YAML::Value << YAML::Flow << c.names;
      out << YAML::Key << "type" << YAML::Value << std::string(dnsTypeName(c.type));
      if (c.port != 0) out << YAML::Key << "port" << YAML::Value << c.port;
      out << YAML::Key << "refresh_interval" << YAML::Value
          << core::formatDuration(c.refresh_interval) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!am.file_sd_configs.empty()) {
    out << YAML::Key << "file_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& c : am.file_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "files" << YAML::Value << YAML::Flow << c.files;
      out << YAML::Key << "refresh_interval" << YAML::Value
          << core::formatDuration(c.refresh_interval) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  emitRules(out, "relabel_configs", am.relabel_configs);
  emitRules(out, "alert_relabel_configs", am.alert_relabel_configs);
  out << YAML::Key << "scheme" << YAML::Value << std::string(nameOf(kHttpSchemes, am.scheme));
  out << YAML::Key << "path_prefix" << YAML::Value << am.path_prefix;
  out << YAML::Key << "timeout" << YAML::Value << core::formatDuration(am.timeout);
  out << YAML::Key << "api_version" << YAML::Value
      << std::string(nameOf(kApiVersions, am.api_version));
  emitClientAuth(out, am.basic_auth, am.authorization, am.tls_config);
  out << YAML::Key << "follow_redirects" << YAML::Value << am.follow_redirects;
  out << YAML::Key << "enable_http2" << YAML::Value << am.enable_http2;
  out << YAML::Key << "queue" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "capacity" << YAML::Value << am.queue.capacity;
  out << YAML::Key << "max_batch_size" << YAML::Value << am.queue.max_batch_size;
  out << YAML::Key << "connections" << YAML::Value << am.queue.connections;
  out << YAML::EndMap;
  out << YAML::Key << "retry" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "min_backoff" << YAML::Value << core::formatDuration(am.retry.min_backoff);
  out << YAML::Key << "max_backoff" << YAML::Value << core::formatDuration(am.retry.max_backoff);
  out << YAML::EndMap;
  out << YAML::EndMap;
}

void emitSelfAlert(YAML::Emitter& out, const char* key, const SelfAlertConfig& a) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << a.enabled;
  out << YAML::Key << "for" << YAML::Value << core::formatDuration(a.for_);
  out << YAML::Key << "resend_interval" << YAML::Value << core::formatDuration(a.resend_interval);
  if (!a.labels.empty()) emitLabels(out, "labels", a.labels);
  if (!a.annotations.empty()) emitLabels(out, "annotations", a.annotations);
  out << YAML::EndMap;
}

void emitPeer(YAML::Emitter& out, const PeerConfig& p) {
  out << YAML::BeginMap;
  emitString(out, "name", p.name);
  out << YAML::Key << "url" << YAML::Value << p.url;
  emitString(out, "promha_url", p.promha_url);
  emitClientAuth(out, p.basic_auth, p.authorization, p.tls_config);
  out << YAML::EndMap;
}

void emitWatch(YAML::Emitter& out, const WatchConfig& w) {
  out << YAML::Key << "watch" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "interval" << YAML::Value << core::formatDuration(w.interval);
  out << YAML::Key << "timeout" << YAML::Value << core::formatDuration(w.timeout);
  out << YAML::Key << "failure_threshold" << YAML::Value << w.failure_threshold;
  out << YAML::Key << "peers" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : w.peers) emitPeer(out, p);
  out << YAML::EndSeq;
  if (w.local) {
    out << YAML::Key << "local" << YAML::Value;
    emitPeer(out, *w.local);
  }
  emitSelfAlert(out, "peer_down_alert", w.peer_down);
  out << YAML::Key << "deadman" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "alertname" << YAML::Value << w.deadman.alertname;
  out << YAML::Key << "timeout" << YAML::Value << core::formatDuration(w.deadman.timeout);
  emitSelfAlert(out, "alert", w.deadman.alert);
  out << YAML::EndMap;
  out << YAML::Key << "divergence" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "for" << YAML::Value << core::formatDuration(w.divergence.for_);
  emitSelfAlert(out, "alert", w.divergence.alert);
  out << YAML::EndMap;
  out << YAML::Key << "alertmanager_cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << w.alertmanager_cluster.enabled;
  out << YAML::Key << "settling_timeout" << YAML::Value
      << core::formatDuration(w.alertmanager_cluster.settling_timeout);
  emitSelfAlert(out, "alert", w.alertmanager_cluster.alert);
  out << YAML::EndMap;
  out << YAML::EndMap;
}

void emitRemoteWrite(YAML::Emitter& out, const std::vector<RemoteWriteConfig>& list) {
  out << YAML::Key << "remote_write" << YAML::Value << YAML::BeginSeq;
  for (const auto& rw : list) {
    out << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << rw.url;
    emitString(out, "name", rw.name);
    emitRules(out, "write_relabel_configs", rw.write_relabel_configs);
    out << YAML::Key << "remote_timeout" << YAML::Value << core::formatDuration(rw.remote_timeout);
    if (!rw.headers.empty()) {
      out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : rw.headers) out << YAML::Key << k << YAML::Value << v;
      out << YAML::EndMap;
    }
    emitClientAuth(out, rw.basic_auth, rw.authorization, rw.tls_config);
    const RemoteWriteQueueConfig& q = rw.queue_config;
    out << YAML::Key << "queue_config" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "capacity" << YAML::Value << q.capacity;
    out << YAML::Key << "max_shards" << YAML::Value << q.max_shards;
    out << YAML::Key << "min_shards" << YAML::Value << q.min_shards;
    out << YAML::Key << "max_samples_per_send" << YAML::Value << q.max_samples_per_send;
    out << YAML::Key << "batch_send_deadline" << YAML::Value
        << core::formatDuration(q.batch_send_deadline);
    out << YAML::Key << "min_backoff" << YAML::Value << core::formatDuration(q.min_backoff);
    out << YAML::Key << "max_backoff" << YAML::Value << core::formatDuration(q.max_backoff);
    out << YAML::Key << "retry_on_http_429" << YAML::Value << q.retry_on_http_429;
    out << YAML::EndMap;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Secret& s) { return os << s.str(); }

std::string_view dnsTypeName(DnsType t) { return nameOf(kDnsTypes, t); }

bool looksLikePrometheusConfig(const YAML::Node& root) {
  if (!root.IsMap()) return false;
  for (auto key : kPrometheusOnlyKeys) {
    if (root[std::string(key)].IsDefined()) return true;
  }
  return false;
}

std::optional<Config> load(const YAML::Node& root, const LoadOptions& opts,
                           core::Diagnostics& diag) {
  Config cfg;
  cfg.file = diag.file();
  cfg.format = opts.format;
  if (cfg.format == Format::kAuto) {
    cfg.format = looksLikePrometheusConfig(root) ? Format::kPrometheus : Format::kPromha;
  }
  const size_t before = diag.errors().size();
  if (root.IsDefined() && !root.IsNull()) {  // an empty file is the default config
    Decoder d(diag, cfg.positions);
    try {
      decodeRoot(d, root, opts, cfg);
    } catch (const YAML::Exception& e) {
      // A shape the decoder did not guard against; report it rather than crash.
      core::Error err{"unexpected YAML structure: " + e.msg, diag.file(), 0, 0};
      if (e.mark.line >= 0) {
        err.line = e.mark.line + 1;
        err.col = e.mark.column + 1;
      }
      diag.add(std::move(err));
    }
  }
  validate(cfg, diag);
  if (diag.errors().size() != before) return std::nullopt;
  return cfg;
}

std::optional<Config> loadString(const std::string& yaml, const LoadOptions& opts,
                                 core::Diagnostics& diag) {
  auto root = core::parseYaml(yaml, diag.file());
  if (!root) {
    diag.add(root.error());
    return std::nullopt;
  }
  return load(*root, opts, diag);
}

std::optional<Config> loadFile(const std::string& path, const LoadOptions& opts,
                               core::Diagnostics& diag) {
  auto root = core::loadYamlFile(path);
  if (!root) {
    diag.add(root.error());
    return std::nullopt;
  }
  return load(*root, opts, diag);
}

void validate(const Config& cfg, core::Diagnostics& diag) { Validator(cfg, diag).run(); }

std::string toYaml(const Config& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  emitLabels(out, "external_labels", cfg.global.external_labels);
  out << YAML::Key << "metric_name_validation_scheme" << YAML::Value
      << std::string(nameOf(kSchemes, cfg.global.metric_name_validation_scheme));
  out << YAML::EndMap;
  out << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
  emitRules(out, "alert_relabel_configs", cfg.alerting.alert_relabel_configs);
  out << YAML::Key << "alertmanagers" << YAML::Value << YAML::BeginSeq;
  for (const auto& am : cfg.alerting.alertmanagers) emitAlertmanager(out, am);
  out << YAML::EndSeq;
  out << YAML::EndMap;
  if (cfg.ha) {
    const HaConfig& h = *cfg.ha;
    out << YAML::Key << "ha" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "replica_label" << YAML::Value << h.replica_label;
    out << YAML::Key << "replicas" << YAML::Value << YAML::Flow << h.replicas;
    out << YAML::Key << "failover_timeout" << YAML::Value
        << core::formatDuration(h.failover_timeout);
    out << YAML::Key << "interval" << YAML::Value << core::formatDuration(h.interval);
    out << YAML::Key << "timeout" << YAML::Value << core::formatDuration(h.timeout);
    out << YAML::Key << "failure_threshold" << YAML::Value << h.failure_threshold;
    out << YAML::Key << "buffer_duration" << YAML::Value << core::formatDuration(h.buffer_duration);
    out << YAML::Key << "buffer_max_bytes" << YAML::Value << h.buffer_max_bytes;
    emitSelfAlert(out, "split_brain_alert", h.split_brain_alert);
    out << YAML::EndMap;
  }
  if (cfg.format == Format::kPromha) emitWatch(out, cfg.watch);
  if (!cfg.remote_write.empty()) emitRemoteWrite(out, cfg.remote_write);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace promha::config
