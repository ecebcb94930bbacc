#include "http/web_config.h"

#include <openssl/ssl.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "http/basic_auth.h"
#include "http/tls.h"

namespace promha::http {
namespace {

using core::Diagnostics;

// exporter-toolkit's extraHTTPHeaders: the headers that may be set, with their allowed values
// (empty: any value).
struct AllowedHeader {
  std::string_view name;
  std::array<std::string_view, 2> values;
};
constexpr std::array<AllowedHeader, 5> kAllowedHeaders = {{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff", {}}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

std::optional<int> tlsVersion(const std::string& s) {
  if (s == "TLS10") return TLS1_VERSION;
  if (s == "TLS11") return TLS1_1_VERSION;
  if (s == "TLS12") return TLS1_2_VERSION;
  if (s == "TLS13") return TLS1_3_VERSION;
  return std::nullopt;
}

std::optional<ClientAuth> clientAuth(const std::string& s) {
  if (s.empty() || s == "NoClientCert") return ClientAuth::kNoClientCert;
  if (s == "RequestClientCert") return ClientAuth::kRequestClientCert;
  // "RequireClientCert": kept by exporter-toolkit for backwards compatibility.
  if (s == "RequireAnyClientCert" || s == "RequireClientCert") {
    return ClientAuth::kRequireAnyClientCert;
  }
  if (s == "VerifyClientCertIfGiven") return ClientAuth::kVerifyClientCertIfGiven;
  if (s == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerifyClientCert;
  return std::nullopt;
}

Position positionOf(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? Position{m.line + 1, m.column + 1} : Position{};
}

// exporter-toolkit's config_util.JoinDir.
std::string joinDir(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

core::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error{"cannot open file", path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string dirOf(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : file.substr(0, slash);
}

class Decoder {
 public:
  Decoder(Diagnostics& d, std::string dir) : d_(d), dir_(std::move(dir)) {}

  std::optional<std::string> str(const YAML::Node& map, const char* key, const std::string& path) {
    const YAML::Node n = map[key];
    if (!n.IsDefined()) return std::nullopt;
    return core::getString(n, core::joinPath(path, key), d_);
  }

  void tls(const YAML::Node& n, TlsServerConfig& t) {
    const std::string path = "tls_server_config";
    t.section_pos = positionOf(n);
    if (n.IsNull()) return;
    if (!core::checkKeys(
            n, path,
            {"cert_file", "key_file", "client_ca_file", "client_auth_type", "cipher_suites",
             "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites",
             "cert", "key", "client_ca", "client_allowed_sans"},
            d_)) {
      return;
    }
    for (const char* inline_key : {"cert", "key", "client_ca"}) {
      if (n[inline_key].IsDefined()) {
        d_.add(n[inline_key], core::joinPath(path, inline_key),
               std::string("inline PEM is not supported by promha; use ") + inline_key + "_file");
      }
    }
    if (n["client_allowed_sans"].IsDefined()) {
      d_.add(n["client_allowed_sans"], core::joinPath(path, "client_allowed_sans"),
             "not supported by promha; use client_ca_file with a CA that signs only the allowed "
             "clients");
    }
    const auto file = [&](const char* key, std::string& out, Position& pos) {
      if (auto v = str(n, key, path)) {
        out = joinDir(dir_, *v);
        pos = positionOf(n[key]);
      }
    };
    file("cert_file", t.cert_file, t.cert_pos);
    file("key_file", t.key_file, t.key_pos);
    file("client_ca_file", t.client_ca_file, t.client_ca_pos);
    if (auto v = str(n, "client_auth_type", path)) {
      if (auto ca = clientAuth(*v)) {
        t.client_auth = *ca;
        t.client_auth_given = !v->empty();
      } else {
        d_.add(n["client_auth_type"], core::joinPath(path, "client_auth_type"),
               "invalid \"" + *v +
                   "\" (want NoClientCert, RequestClientCert, RequireAnyClientCert, "
                   "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
      }
    }
    const auto version = [&](const char* key, int& out) {
      if (auto v = str(n, key, path)) {
        if (auto tv = tlsVersion(*v)) {
          out = *tv;
        } else {
          d_.add(n[key], core::joinPath(path, key),
                 "unknown TLS version: " + *v + " (want TLS10, TLS11, TLS12 or TLS13)");
        }
      }
    };
    version("min_version", t.min_version);
    version("max_version", t.max_version);
    if (t.min_version > t.max_version) {
      d_.add(n["min_version"].IsDefined() ? n["min_version"] : n["max_version"], path,
             "min_version is above max_version");
    }
    if (n["prefer_server_cipher_suites"].IsDefined()) {
      if (auto b = core::getBool(n["prefer_server_cipher_suites"],
                                 core::joinPath(path, "prefer_server_cipher_suites"), d_)) {
        t.prefer_server_cipher_suites = *b;
      }
    }
    const auto names = [&](const char* key, std::vector<std::string>& out, auto known) {
      const YAML::Node list = n[key];
      if (!list.IsDefined()) return;
      const std::string kpath = core::joinPath(path, key);
      auto v = core::getStringList(list, kpath, d_);
      if (!v) return;
      for (size_t i = 0; i < v->size(); ++i) {
        if (!known((*v)[i])) {
          d_.add(list[i], core::indexPath(kpath, i),
                 "unknown " + std::string(key) + " name \"" + (*v)[i] + "\"");
        }
      }
      out = std::move(*v);
    };
    // Go's names (tls.CipherSuites(), IANA's); Go ignores the configured list for TLS 1.3,
    // so do we: only TLS 1.2-and-below suites reach SSL_CTX_set_cipher_list.
    names("cipher_suites", t.cipher_suites, [](const std::string& s) {
      const char* o = OPENSSL_cipher_name(s.c_str());
      return o != nullptr && std::string_view(o) != "(NONE)";
    });
    t.cipher_suites.erase(std::remove_if(t.cipher_suites.begin(), t.cipher_suites.end(),
                                         [](const std::string& s) {
                                           const char* o = OPENSSL_cipher_name(s.c_str());
                                           return o == nullptr ||
                                                  std::string_view(o).starts_with("TLS_") ||
                                                  std::string_view(o) == "(NONE)";
                                         }),
                          t.cipher_suites.end());
    names("curve_preferences", t.curve_preferences, [](const std::string& s) {
      return s == "CurveP256" || s == "CurveP384" || s == "CurveP521" || s == "X25519";
    });

    if (!t.enabled()) return;
    if (t.cert_file.empty()) d_.add(n, path, "missing cert_file");
    if (t.key_file.empty()) d_.add(n, path, "missing key_file");
    if (!t.client_ca_file.empty() && t.client_auth == ClientAuth::kNoClientCert) {
      d_.add(n["client_ca_file"], core::joinPath(path, "client_ca_file"),
             "client CA's have been configured without a Client Auth Policy (set "
             "client_auth_type)");
    }
  }

  void httpConfig(const YAML::Node& n, WebConfig& c) {
    const std::string path = "http_server_config";
    if (n.IsNull()) return;
    if (!core::checkKeys(n, path, {"http2", "headers"}, d_)) return;
    if (n["http2"].IsDefined()) {
      if (auto b = core::getBool(n["http2"], core::joinPath(path, "http2"), d_)) c.http2 = *b;
    }
    const YAML::Node h = n["headers"];
    if (!h.IsDefined() || h.IsNull()) return;
    const std::string hpath = core::joinPath(path, "headers");
    if (!h.IsMap()) {
      d_.add(h, hpath, "must be a mapping of header names to values");
      return;
    }
    for (const auto& kv : h) {
      const std::string name = kv.first.Scalar();
      auto value = core::getString(kv.second, core::joinPath(hpath, name), d_);
      if (!value) continue;
      const auto allowed = std::find_if(kAllowedHeaders.begin(), kAllowedHeaders.end(),
                                        [&](const AllowedHeader& a) { return a.name == name; });
      if (allowed == kAllowedHeaders.end()) {
        d_.add(kv.first, hpath, "HTTP header \"" + name + "\" can not be configured");
        continue;
      }
      if (!allowed->values[0].empty() && std::find(allowed->values.begin(), allowed->values.end(),
                                                   *value) == allowed->values.end()) {
        std::string want;
        for (auto v : allowed->values) {
          if (!v.empty()) want += (want.empty() ? "\"" : ", \"") + std::string(v) + "\"";
        }
        d_.add(kv.second, core::joinPath(hpath, name),
               "invalid value \"" + *value + "\" (want one of " + want + ")");
        continue;
      }
      c.headers.emplace_back(name, *value);
    }
  }

  void users(const YAML::Node& n, WebConfig& c) {
    const std::string path = "basic_auth_users";
    if (n.IsNull()) return;
    if (!n.IsMap()) {
      d_.add(n, path, "must be a mapping of user names to bcrypt hashes");
      return;
    }
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        d_.add(kv.first, path, "user names must be strings");
        continue;
      }
      const std::string user = kv.first.Scalar();
      const std::string upath = core::joinPath(path, user);
      auto hash = core::getString(kv.second, upath, d_);
      if (!hash) continue;
      // The hash is never repeated in the message: it is a secret too (exporter-toolkit's
      // config_util.Secret).
      if (!isBcryptHash(*hash)) {
        d_.add(kv.second, upath,
               "not a bcrypt hash (want $2a$, $2b$ or $2y$ with a cost of 04 to 31, e.g. from "
               "`htpasswd -nBC 10 \"\" | tr -d ':\\n'`)");
        continue;
      }
      if (user.find(':') != std::string::npos) {
        d_.add(kv.first, upath, "a user name cannot contain ':' in HTTP basic authentication");
        continue;
      }
      c.users.emplace(user, config::Secret(*hash));
    }
  }

 private:
  Diagnostics& d_;
  std::string dir_;
};

}  // namespace

std::optional<WebConfig> parseWebConfig(const std::string& text, const std::string& file,
                                        core::Diagnostics& diag) {
  auto root = core::parseYaml(text, file);
  if (!root) {
    diag.add(root.error());
    return std::nullopt;
  }
  WebConfig c;
  const size_t before = diag.errors().size();
  const YAML::Node& r = *root;
  if (!r.IsNull()) {
    if (!core::checkKeys(
            r, "", {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"},
            diag)) {
      return std::nullopt;
    }
    Decoder d(diag, dirOf(file));
    if (r["rate_limit"].IsDefined()) {
      diag.add(r["rate_limit"], "rate_limit", "not supported by promha");
    }
    if (r["tls_server_config"].IsDefined()) d.tls(r["tls_server_config"], c.tls);
    if (r["http_server_config"].IsDefined()) d.httpConfig(r["http_server_config"], c);
    if (r["basic_auth_users"].IsDefined()) d.users(r["basic_auth_users"], c);
  }
  if (diag.errors().size() != before) return std::nullopt;
  return c;
}

std::optional<WebConfig> loadWebConfig(const std::string& path, core::Diagnostics& diag) {
  auto text = readFile(path);
  if (!text) {
    diag.add(text.error());
    return std::nullopt;
  }
  return parseWebConfig(*text, path, diag);
}

core::Result<std::shared_ptr<const LoadedWebConfig>> loadWebConfigFull(const std::string& path) {
  core::Diagnostics diag(path);
  auto cfg = loadWebConfig(path, diag);
  if (!cfg) {
    std::string msg = diag.str();
    if (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return core::Error{msg};
  }
  auto loaded = std::make_shared<LoadedWebConfig>();
  if (cfg->tls.enabled()) {
    auto ctx = makeTlsContext(cfg->tls, path);
    if (!ctx) return core::Error{ctx.error().str()};
    loaded->tls = std::move(*ctx);
  }
  loaded->config = std::move(*cfg);
  return std::shared_ptr<const LoadedWebConfig>(std::move(loaded));
}

WebConfigSource::WebConfigSource(std::string path, log::Logger& log,
                                 std::chrono::milliseconds check_interval)
    : path_(std::move(path)), log_(log), check_interval_(check_interval) {}

std::vector<WebConfigSource::FileStamp> WebConfigSource::stamps(
    const std::vector<std::string>& files) const {
  std::vector<FileStamp> out;
  for (const std::string& f : files) {
    FileStamp s;
    s.path = f;
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0) {
      s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      s.size = static_cast<int64_t>(st.st_size);
      s.inode = static_cast<uint64_t>(st.st_ino);
    } else {
      s.mtime_ns = -1;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> WebConfigSource::filesOf(const WebConfig* c) const {
  std::vector<std::string> files{path_};
  if (c != nullptr) {
    for (const std::string* f : {&c->tls.cert_file, &c->tls.key_file, &c->tls.client_ca_file}) {
      if (!f->empty()) files.push_back(*f);
    }
  }
  return files;
}

core::Status WebConfigSource::load() {
  if (path_.empty()) return core::Ok{};
  auto r = loadWebConfigFull(path_);
  if (!r) return r.error();
  std::lock_guard lock(mu_);
  current_ = *r;
  tls_ = current_->config.tls.enabled();
  watched_ = std::make_shared<WebConfig>(current_->config);
  stamps_ = stamps(filesOf(watched_.get()));
  next_check_ = std::chrono::steady_clock::now() + check_interval_;
  return core::Ok{};
}

std::shared_ptr<const LoadedWebConfig> WebConfigSource::current() {
  if (path_.empty()) return nullptr;
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return current_;
  next_check_ = now + check_interval_;
  if (stamps(filesOf(watched_.get())) == stamps_) return current_;

  // Something changed: watch what the new file names from now on, even if it fails to load,
  // so that a fixed certificate is picked up without touching the web config again.
  core::Diagnostics diag(path_);
  auto parsed = loadWebConfig(path_, diag);
  watched_ = parsed ? std::make_shared<WebConfig>(*parsed) : nullptr;
  if (!watched_ && current_) watched_ = std::make_shared<WebConfig>(current_->config);
  stamps_ = stamps(filesOf(watched_.get()));

  auto r = loadWebConfigFull(path_);
  if (r && (*r)->config.tls.enabled() != tls_) {
    r = core::Error{path_ + ": switching TLS " + (tls_ ? "off" : "on") + " needs a restart"};
  }
  if (!r) {
    log_.error("Failed to reload the web config; the previous one stays in force",
               {{"file", path_}, {"err", r.error().str()}});
    return current_;
  }
  current_ = *r;
  log_.info("Reloaded the web config",
            {{"file", path_},
             {"tls", tls_ ? "true" : "false"},
             {"basic_auth_users", std::to_string(current_->config.users.size())}});
  return current_;
}

}  // namespace promha::http
