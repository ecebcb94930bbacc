// TLS for promha's own listener: an OpenSSL server context built from a web config's
// tls_server_config, with the semantics of Go's crypto/tls as exporter-toolkit configures it.
//
//   auto ctx = makeTlsContext(cfg.tls, "web.yml");   // reads cert, key and client CA now
//   if (!ctx) { ... ctx.error().str() ... }          // "web.yml:3:14: tls_server_config.cert_file:
//   ..."
//
// Mapping (crypto/tls -> OpenSSL): min/max_version -> SSL_CTX_set_{min,max}_proto_version;
// cipher_suites (IANA names, TLS 1.2 and below as in Go) -> SSL_CTX_set_cipher_list;
// curve_preferences -> SSL_CTX_set1_groups_list; client_auth_type -> SSL_CTX_set_verify:
// RequestClientCert and RequireAnyClientCert ask for a certificate but do not verify it, the
// Verify* modes verify against client_ca_file (the system roots when there is none, as Go does).
// Renegotiation and compression are off. No cryptography is implemented here.
// Thread-safety: a finished SSL_CTX may be shared by any number of connections (OpenSSL counts
// its references; SSL_new takes one), so a context can be replaced while connections use the old.
#pragma once

#include <string>

#include "core/result.h"
#include "http/web_config.h"

namespace promha::http {

core::Result<SslCtxPtr> makeTlsContext(const TlsServerConfig& c, const std::string& file);

// The OpenSSL error queue of this thread as text (and cleared), for log lines and errors.
std::string takeSslErrors();

}  // namespace promha::http
