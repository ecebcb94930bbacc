#include "app/targets.h"

#include <fstream>
#include <sstream>

namespace promha::app {
namespace {

core::Result<std::string> readSecretFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error{"cannot read " + std::string(what) + " file", path};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  // Prometheus trims surrounding white space of secret files (a trailing newline is common).
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Credentials (read from their files now, as Prometheus does on each config load) and TLS.
core::Status applyClientAuth(const std::optional<config::BasicAuth>& basic_auth,
                             const std::optional<config::Authorization>& authorization,
                             const config::TlsConfig& tls, notify::Target& t) {
  if (basic_auth) {
    notify::BasicAuth b;
    b.username = basic_auth->username;
    if (!basic_auth->username_file.empty()) {
      auto u = readSecretFile(basic_auth->username_file, "username");
      if (!u) return u.error();
      b.username = *u;
    }
    b.password = basic_auth->password.reveal();
    if (!basic_auth->password_file.empty()) {
      auto p = readSecretFile(basic_auth->password_file, "password");
      if (!p) return p.error();
      b.password = *p;
    }
    t.basic_auth = std::move(b);
  }
  if (authorization) {
    std::string cred = authorization->credentials.reveal();
    if (!authorization->credentials_file.empty()) {
      auto c = readSecretFile(authorization->credentials_file, "credentials");
      if (!c) return c.error();
      cred = *c;
    }
    t.bearer_token = std::move(cred);
  }
  t.tls.ca_file = tls.ca_file;
  t.tls.cert_file = tls.cert_file;
  t.tls.key_file = tls.key_file;
  t.tls.server_name = tls.server_name;
  t.tls.insecure_skip_verify = tls.insecure_skip_verify;
  return core::Ok{};
}

}  // namespace

core::Result<notify::Target> makeTarget(const config::AlertmanagerConfig& am, std::string url) {
  notify::Target t;
  t.url = std::move(url);
  t.api =
      am.api_version == config::ApiVersion::kV1 ? alert::ApiVersion::kV1 : alert::ApiVersion::kV2;
  t.timeout = am.timeout;
  t.queue_capacity = static_cast<size_t>(am.queue.capacity);
  t.max_batch = static_cast<size_t>(am.queue.max_batch_size);
  t.connections = static_cast<size_t>(am.queue.connections);
  t.min_backoff = am.retry.min_backoff;
  t.max_backoff = am.retry.max_backoff;
  if (auto st = applyClientAuth(am.basic_auth, am.authorization, am.tls_config, t); !st) {
    return st.error();
  }
  return t;
}

core::Result<notify::Target> makePeerTarget(const config::PeerConfig& peer, std::string url,
                                            core::Duration timeout) {
  notify::Target t;
  t.url = std::move(url);
  t.timeout = timeout;
  t.connections = 1;
  if (auto st = applyClientAuth(peer.basic_auth, peer.authorization, peer.tls_config, t); !st) {
    return st.error();
  }
  return t;
}

core::Result<std::vector<remotewrite::EndpointConfig>> remoteWriteEndpoints(
    const config::Config& cfg) {
  std::vector<remotewrite::EndpointConfig> out;
  for (size_t i = 0; i < cfg.remote_write.size(); ++i) {
    const config::RemoteWriteConfig& rw = cfg.remote_write[i];
    notify::Target http;
    if (auto st = applyClientAuth(rw.basic_auth, rw.authorization, rw.tls_config, http); !st) {
      core::Error e = st.error();
      e.message = "remote_write[" + std::to_string(i) + "]: " + e.message;
      return e;
    }
    out.push_back(remotewrite::endpointConfigOf(rw, std::move(http)));
  }
  return out;
}

}  // namespace promha::app
