// WebConfig: the `--web.config.file` of promha's own listener, in the format of the Prometheus
// exporter-toolkit (what Prometheus, Alertmanager and the exporters read), so that a Prometheus's
// `tls_config` and `basic_auth` towards promha work unchanged:
//
//   tls_server_config: {cert_file: promha.crt, key_file: promha.key}
//   basic_auth_users: {prometheus: $2y$10$...}      # bcrypt hashes
//
//   core::Diagnostics diag("web.yml");
//   std::optional<WebConfig> c = loadWebConfig("web.yml", diag);   // all errors, file:line:col
//
// Relative file names are resolved against the web config's directory (exporter-toolkit's
// SetDirectory). Unknown keys are errors. What promha does not implement is rejected with the
// reason instead of being silently ignored: inline `cert`/`key`/`client_ca`, `client_allowed_sans`
// and `rate_limit` (exporter-toolkit versions newer than Prometheus 2.42's).
//
// WebConfigSource holds the loaded config plus its TLS context and re-reads them when the file,
// or a certificate, key or CA file it names, changes: exporter-toolkit re-reads them per request
// and per TLS handshake, promha checks their mtimes at most once a second. A change that fails to
// load is logged and the previous config stays in force, as with promha's own config reload.
// Thread-safety: WebConfig is a plain value; WebConfigSource may be used from any thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "core/yaml.h"
#include "log/logger.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace promha::http {

struct SslCtxFree {
  void operator()(ssl_ctx_st* ctx) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

// Go crypto/tls's ClientAuthType, by exporter-toolkit's names.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

// Where a key was in the web config, for errors found after parsing (e.g. an unreadable cert).
struct Position {
  int line = 0;
  int col = 0;
};

struct TlsServerConfig {
  std::string cert_file;  // resolved against the web config's directory
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::vector<std::string> cipher_suites;      // IANA names as Go spells them
  std::vector<std::string> curve_preferences;  // CurveP256, CurveP384, CurveP521, X25519
  int min_version = 0x0303;                    // TLS12, exporter-toolkit's default
  int max_version = 0x0304;                    // TLS13
  bool prefer_server_cipher_suites = true;
  bool client_auth_given = false;  // client_auth_type was set (even to NoClientCert)
  Position cert_pos, key_pos, client_ca_pos, section_pos;

  // exporter-toolkit's IsEnabled: any of these set means "serve TLS".
  bool enabled() const {
    return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty() || client_auth_given;
  }
};

struct WebConfig {
  TlsServerConfig tls;
  bool http2 = true;  // accepted for compatibility; promha serves HTTP/1.1 only
  // http_server_config.headers, added to every response.
  std::vector<std::pair<std::string, std::string>> headers;
  // basic_auth_users: user -> bcrypt hash. Empty: no authentication.
  std::map<std::string, config::Secret> users;
};

// Parses and validates a web config; errors go to `diag` (all of them) and yield nullopt.
// Certificates and keys are not read here: see makeTlsContext (tls.h).
std::optional<WebConfig> parseWebConfig(const std::string& text, const std::string& file,
                                        core::Diagnostics& diag);
std::optional<WebConfig> loadWebConfig(const std::string& path, core::Diagnostics& diag);

// A web config with what it needs at run time: the TLS context when TLS is on.
struct LoadedWebConfig {
  WebConfig config;
  SslCtxPtr tls;  // null without TLS
};

// Loads, validates and builds the TLS context; the error lists every problem, one per line.
core::Result<std::shared_ptr<const LoadedWebConfig>> loadWebConfigFull(const std::string& path);

class WebConfigSource {
 public:
  // `path` empty: no web config (plain HTTP, no authentication).
  WebConfigSource(std::string path, log::Logger& log,
                  std::chrono::milliseconds check_interval = std::chrono::seconds(1));

  // The first load; an error here must stop the server from starting.
  core::Status load();
  // The current config, re-read first if a file changed (checked at most once per interval).
  // Null when there is no web config.
  std::shared_ptr<const LoadedWebConfig> current();
  bool tls() const { return tls_; }

 private:
  struct FileStamp {
    std::string path;
    int64_t mtime_ns = 0;
    int64_t size = 0;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  std::vector<FileStamp> stamps(const std::vector<std::string>& files) const;
  std::vector<std::string> filesOf(const WebConfig* c) const;  // the web config + what it names

  const std::string path_;
  log::Logger& log_;
  const std::chrono::milliseconds check_interval_;
  bool tls_ = false;  // fixed at the first load: switching TLS on or off needs a restart

  std::mutex mu_;
  std::shared_ptr<const LoadedWebConfig> current_;  // guarded by mu_
  std::shared_ptr<const WebConfig> watched_;        // the files to watch: the last parsed config
  std::vector<FileStamp> stamps_;                   // of watched_'s files
  std::chrono::steady_clock::time_point next_check_{};
};

}  // namespace promha::http
