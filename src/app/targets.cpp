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
  if (am.basic_auth) {
    notify::BasicAuth b;
    b.username = am.basic_auth->username;
    if (!am.basic_auth->username_file.empty()) {
      auto u = readSecretFile(am.basic_auth->username_file, "username");
      if (!u) return u.error();
      b.username = *u;
    }
    b.password = am.basic_auth->password.reveal();
    if (!am.basic_auth->password_file.empty()) {
      auto p = readSecretFile(am.basic_auth->password_file, "password");
      if (!p) return p.error();
      b.password = *p;
    }
    t.basic_auth = std::move(b);
  }
  if (am.authorization) {
    std::string cred = am.authorization->credentials.reveal();
    if (!am.authorization->credentials_file.empty()) {
      auto c = readSecretFile(am.authorization->credentials_file, "credentials");
      if (!c) return c.error();
      cred = *c;
    }
    t.bearer_token = std::move(cred);
  }
  t.tls.ca_file = am.tls_config.ca_file;
  t.tls.cert_file = am.tls_config.cert_file;
  t.tls.key_file = am.tls_config.key_file;
  t.tls.server_name = am.tls_config.server_name;
  t.tls.insecure_skip_verify = am.tls_config.insecure_skip_verify;
  return t;
}

}  // namespace promha::app
