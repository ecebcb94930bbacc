// Target: one Alertmanager that promha delivers to, as the app resolves it from the `alerting:`
// config and discovery (full URL, API version, time-out, auth, TLS, queue and retry settings).
//
// The app compares Targets with operator== on reload: a target whose Target is unchanged keeps its
// Sender and queue (Prometheus's notifier likewise keeps unchanged Alertmanager sets).
// Thread-safety: plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alert/codec.h"

namespace promha::notify {

struct BasicAuth {
  std::string username;
  std::string password;
  bool operator==(const BasicAuth&) const = default;
};

struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // SNI and certificate host name; empty = the URL's host
  bool insecure_skip_verify = false;
  bool operator==(const TlsOptions&) const = default;
};

// Durations are nanoseconds (= core::Duration), so config values need no conversion.
struct Target {
  // Full URL including the path, e.g. "http://127.0.0.1:9093/api/v2/alerts".
  std::string url;
  alert::ApiVersion api = alert::ApiVersion::kV2;
  // Connect, read and write time-out of each POST (Prometheus's alertmanager `timeout`, 10s).
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  std::optional<BasicAuth> basic_auth;
  std::optional<std::string> bearer_token;  // `authorization: {type: Bearer, credentials}`
  TlsOptions tls;
  size_t queue_capacity = 10'000;
  size_t max_batch = 256;  // Prometheus's maxBatchSize
  size_t connections = 2;  // lanes of the Sender: concurrent POSTs, split by fingerprint
  std::chrono::nanoseconds min_backoff = std::chrono::milliseconds(100);
  std::chrono::nanoseconds max_backoff = std::chrono::seconds(10);
  // How long an alert without endsAt (or already resolved on receipt) stays worth retrying:
  // Alertmanager's `resolve_timeout` default.
  std::chrono::nanoseconds resolve_timeout = std::chrono::minutes(5);

  bool operator==(const Target&) const = default;
};

// The parts of an http(s) URL that the HTTP client needs.
struct UrlParts {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // explicit or the scheme's default
  std::string path;    // "/" when absent; includes any query
  // "scheme://host:port" (IPv6 hosts in brackets), as httplib::Client takes it.
  std::string schemeHostPort() const;
  bool operator==(const UrlParts&) const = default;
};

// Splits "http://host:port/path"; nullopt for other schemes, a missing host or a bad port.
std::optional<UrlParts> splitUrl(std::string_view url);

}  // namespace promha::notify
