#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace promha::http {

void SslCtxFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }

std::string takeSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

namespace {

// crypto/tls's RequestClientCert and RequireAnyClientCert take any certificate unverified.
int acceptAnyCert(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

// Go's curve names (exporter-toolkit's `curves` table) in OpenSSL's group names.
const char* opensslGroup(const std::string& go_name) {
  if (go_name == "CurveP256") return "P-256";
  if (go_name == "CurveP384") return "P-384";
  if (go_name == "CurveP521") return "P-521";
  if (go_name == "X25519") return "X25519";
  return nullptr;
}

}  // namespace

core::Result<SslCtxPtr> makeTlsContext(const TlsServerConfig& c, const std::string& file) {
  ERR_clear_error();
  const auto fail = [&](const Position& at, const std::string& msg) {
    return core::Error{"tls_server_config" + msg, file, at.line, at.col};
  };
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail(c.section_pos, ": cannot create a TLS context: " + takeSslErrors());
  SSL_CTX* x = ctx.get();
  if (SSL_CTX_set_min_proto_version(x, c.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(x, c.max_version) != 1) {
    return fail(c.section_pos, ": unsupported TLS version range: " + takeSslErrors());
  }
  uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (c.prefer_server_cipher_suites) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(x, options);
  // Sessions are resumable only on this context; OpenSSL requires an id context when client
  // certificates are verified.
  static const unsigned char kSessionContext[] = "promha";
  SSL_CTX_set_session_id_context(x, kSessionContext, sizeof(kSessionContext) - 1);

  if (SSL_CTX_use_certificate_chain_file(x, c.cert_file.c_str()) != 1) {
    return fail(c.cert_pos, ".cert_file: cannot load \"" + c.cert_file + "\": " + takeSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(x, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                           ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      return fail(c.key_pos,
                  ".key_file: \"" + c.key_file + "\" does not match the certificate in cert_file");
    }
    return fail(c.key_pos, ".key_file: cannot load \"" + c.key_file + "\": " + takeSslErrors());
  }
  if (SSL_CTX_check_private_key(x) != 1) {
    return fail(c.key_pos, ".key_file: the key does not match the certificate in cert_file: " +
                               takeSslErrors());
  }

  if (!c.cipher_suites.empty()) {
    std::string list;
    for (const std::string& name : c.cipher_suites) {
      // Validated by parseWebConfig; OPENSSL_cipher_name maps the IANA name.
      const char* ossl = OPENSSL_cipher_name(name.c_str());
      if (!list.empty()) list += ':';
      list += ossl;
    }
    if (SSL_CTX_set_cipher_list(x, list.c_str()) != 1) {
      return fail(c.section_pos, ".cipher_suites: none usable: " + takeSslErrors());
    }
  }
  if (!c.curve_preferences.empty()) {
    std::string list;
    for (const std::string& name : c.curve_preferences) {
      if (!list.empty()) list += ':';
      list += opensslGroup(name);
    }
    if (SSL_CTX_set1_groups_list(x, list.c_str()) != 1) {
      return fail(c.section_pos, ".curve_preferences: " + takeSslErrors());
    }
  }

  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(x, c.client_ca_file.c_str(), nullptr) != 1) {
      return fail(c.client_ca_pos,
                  ".client_ca_file: cannot load \"" + c.client_ca_file + "\": " + takeSslErrors());
    }
    // The CA names sent in the CertificateRequest, as Go sends its ClientCAs' subjects.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (names == nullptr) {
      return fail(c.client_ca_pos, ".client_ca_file: no certificate in \"" + c.client_ca_file +
                                       "\": " + takeSslErrors());
    }
    SSL_CTX_set_client_CA_list(x, names);
  }
  switch (c.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(x, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(x, SSL_VERIFY_PEER, acceptAnyCert);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(x, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCert);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
    case ClientAuth::kRequireAndVerifyClientCert: {
      const int mode = c.client_auth == ClientAuth::kRequireAndVerifyClientCert
                           ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                           : SSL_VERIFY_PEER;
      SSL_CTX_set_verify(x, mode, nullptr);
      // Go verifies against the system roots when ClientCAs is nil.
      if (c.client_ca_file.empty() && SSL_CTX_set_default_verify_paths(x) != 1) {
        return fail(c.section_pos, ": cannot load the system CA certificates: " + takeSslErrors());
      }
      break;
    }
  }
  ERR_clear_error();
  return ctx;
}

}  // namespace promha::http
