// The web config's parsing and validation (exporter-toolkit's format and error cases, each error
// with file:line:col), and BasicAuth: header parsing, bcrypt variants, the verification cache.
#include "http/web_config.h"

#include <doctest/doctest.h>

#include "http/basic_auth.h"
#include "http/tls.h"
#include "test_util.h"

using namespace promha;
using namespace promha::testing;

namespace {

std::string errorsOf(const std::string& yaml) {
  core::Diagnostics diag("/etc/promha/web.yml");
  auto c = http::parseWebConfig(yaml, "/etc/promha/web.yml", diag);
  CHECK_FALSE(c.has_value());
  return diag.str();
}

}  // namespace

TEST_CASE("parseWebConfig: a full config") {
  const std::string hash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
  core::Diagnostics diag("web.yml");
  auto c = http::parseWebConfig(R"(
tls_server_config:
  cert_file: tls/promha.crt
  key_file: /abs/promha.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers: {X-Content-Type-Options: nosniff, Strict-Transport-Security: max-age=31536000}
basic_auth_users:
  prometheus: )" + hash + "\n",
                                "/etc/promha/web.yml", diag);
  REQUIRE_MESSAGE(c.has_value(), diag.str());
  CHECK(c->tls.enabled());
  CHECK(c->tls.cert_file == "/etc/promha/tls/promha.crt");
  CHECK(c->tls.key_file == "/abs/promha.key");
  CHECK(c->tls.client_ca_file == "/etc/promha/ca.crt");
  CHECK(c->tls.client_auth == http::ClientAuth::kRequireAndVerifyClientCert);
  CHECK(c->tls.min_version == 0x0304);
  CHECK(c->tls.max_version == 0x0304);
  // TLS 1.3 suites are not configurable (Go ignores them too).
  CHECK(c->tls.cipher_suites == std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
  CHECK(c->tls.curve_preferences == std::vector<std::string>{"X25519", "CurveP256"});
  CHECK_FALSE(c->tls.prefer_server_cipher_suites);
  CHECK_FALSE(c->http2);
  CHECK(c->headers.size() == 2);
  REQUIRE(c->users.count("prometheus") == 1);
  CHECK(c->users.at("prometheus").reveal() == hash);
  CHECK(c->tls.cert_pos.line == 3);
  CHECK(c->tls.cert_pos.col == 14);
}

TEST_CASE("parseWebConfig: empty file and empty sections mean plain HTTP without auth") {
  for (const char* yaml :
       {"", "tls_server_config:\nbasic_auth_users:\n", "http_server_config: {}"}) {
    core::Diagnostics diag("web.yml");
    auto c = http::parseWebConfig(yaml, "web.yml", diag);
    REQUIRE_MESSAGE(c.has_value(), diag.str());
    CHECK_FALSE(c->tls.enabled());
    CHECK(c->users.empty());
  }
}

TEST_CASE("parseWebConfig: errors name file:line:col and why") {
  struct Row {
    const char* name;
    std::string yaml;
    std::string want;
  };
  const Row rows[] = {
      {"unknown top-level key", "basic_auth: {}\n",
       "/etc/promha/web.yml:1:1: unknown key 'basic_auth' (allowed: tls_server_config, "
       "http_server_config, basic_auth_users, rate_limit)"},
      {"unknown tls key", "tls_server_config:\n  certfile: a\n",
       "/etc/promha/web.yml:2:3: tls_server_config: unknown key 'certfile'"},
      {"missing key_file", "tls_server_config:\n  cert_file: a.crt\n",
       "/etc/promha/web.yml:2:3: tls_server_config: missing key_file"},
      {"bad client_auth_type",
       "tls_server_config: {cert_file: a, key_file: b, "
       "client_auth_type: Always}\n",
       "/etc/promha/web.yml:1:66: tls_server_config.client_auth_type: invalid \"Always\" (want "
       "NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
       "RequireAndVerifyClientCert)"},
      {"client CA without a policy",
       "tls_server_config:\n  cert_file: a\n  key_file: b\n"
       "  client_ca_file: ca.crt\n",
       "/etc/promha/web.yml:4:19: tls_server_config.client_ca_file: client CA's have been "
       "configured without a Client Auth Policy"},
      {"unknown TLS version", "tls_server_config: {cert_file: a, key_file: b, min_version: TLS9}\n",
       "tls_server_config.min_version: unknown TLS version: TLS9"},
      {"min above max",
       "tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, "
       "max_version: TLS12}\n",
       "tls_server_config: min_version is above max_version"},
      {"unknown cipher", "tls_server_config: {cert_file: a, key_file: b, cipher_suites: [RC4]}\n",
       "tls_server_config.cipher_suites[0]: unknown cipher_suites name \"RC4\""},
      {"unknown curve",
       "tls_server_config: {cert_file: a, key_file: b, curve_preferences: [P256]}\n",
       "tls_server_config.curve_preferences[0]: unknown curve_preferences name \"P256\""},
      {"inline key", "tls_server_config: {cert_file: a, key: \"-----BEGIN\"}\n",
       "tls_server_config.key: inline PEM is not supported by promha; use key_file"},
      {"client_allowed_sans",
       "tls_server_config: {cert_file: a, key_file: b, "
       "client_allowed_sans: [x]}\n",
       "tls_server_config.client_allowed_sans: not supported by promha"},
      {"header not allowed", "http_server_config:\n  headers:\n    Server: promha\n",
       "/etc/promha/web.yml:3:5: http_server_config.headers: HTTP header \"Server\" can not be "
       "configured"},
      {"header value not allowed", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "/etc/promha/web.yml:3:22: http_server_config.headers.X-Frame-Options: invalid value "
       "\"allow\" (want one of \"deny\", \"sameorigin\")"},
      {"rate_limit", "rate_limit: {burst: 1}\n", "rate_limit: not supported by promha"},
      {"users not a map", "basic_auth_users: [a]\n",
       "basic_auth_users: must be a mapping of user names to bcrypt hashes"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const std::string errors = errorsOf(row.yaml);
      CHECK_MESSAGE(errors.find(row.want) != std::string::npos, errors);
    }
  }
  SUBCASE("a password that is not a bcrypt hash: the error does not repeat it") {
    const std::string errors = errorsOf("basic_auth_users:\n  alice: hunter2\n");
    CHECK(errors.find("/etc/promha/web.yml:2:10: basic_auth_users.alice: not a bcrypt hash") !=
          std::string::npos);
    CHECK(errors.find("hunter2") == std::string::npos);
  }
  SUBCASE("all errors at once") {
    const std::string errors = errorsOf(
        "tls_server_config: {cert_file: a, client_auth_type: x}\nbasic_auth_users: {a: b}\n");
    CHECK(std::count(errors.begin(), errors.end(), '\n') == 3);
  }
}

TEST_CASE("makeTlsContext: unreadable or mismatched files name the key's line") {
  TempDir dir;
  generateCerts(dir);
  core::Diagnostics diag("web.yml");
  auto c =
      http::parseWebConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n",
                           dir.file("web.yml"), diag);
  REQUIRE(c.has_value());
  auto ctx = http::makeTlsContext(c->tls, dir.file("web.yml"));
  REQUIRE_FALSE(ctx.ok());
  CHECK(ctx.error().line == 3);
  CHECK(ctx.error().message == "tls_server_config.key_file: \"" + dir.file("client.key") +
                                   "\" does not match the certificate in cert_file");
  c->tls.key_file = dir.file("server.key");
  CHECK(http::makeTlsContext(c->tls, dir.file("web.yml")).ok());
}

TEST_CASE("parseBasicAuth follows Go's Request.BasicAuth") {
  CHECK(http::parseBasicAuth(basicAuthHeader("a", "b:c")) ==
        std::make_pair(std::string("a"), std::string("b:c")));
  CHECK(http::parseBasicAuth("basic YTpi") == std::make_pair(std::string("a"), std::string("b")));
  CHECK(http::parseBasicAuth(basicAuthHeader("", "")) ==
        std::make_pair(std::string(), std::string()));
  CHECK_FALSE(http::parseBasicAuth("Basic YWI=").has_value());   // no colon
  CHECK_FALSE(http::parseBasicAuth("Basic YTpi=").has_value());  // bad padding
  CHECK_FALSE(http::parseBasicAuth("Basic YT!i").has_value());
  CHECK_FALSE(http::parseBasicAuth("Bearer YTpi").has_value());
  CHECK_FALSE(http::parseBasicAuth("").has_value());
}

TEST_CASE("BasicAuth: bcrypt $2a$, $2b$, $2y$; results cached by user, hash and password") {
  http::BasicAuth auth;
  const std::string h2b = bcryptHash("pw");
  for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
    std::string h = h2b;
    h.replace(0, 4, prefix);  // the same hash in each variant (they differ only for 8-bit input)
    CHECK(http::isBcryptHash(h));
    CHECK(auth.verify(h, "pw"));
    CHECK_FALSE(auth.verify(h, "pw2"));
  }
  CHECK_FALSE(http::isBcryptHash("$1$abc$def"));
  CHECK_FALSE(http::isBcryptHash(h2b.substr(0, 59)));

  std::map<std::string, config::Secret> users{{"alice", config::Secret(h2b)}};
  const uint64_t before = auth.bcryptCalls();
  CHECK(auth.check(users, basicAuthHeader("alice", "pw")));
  CHECK(auth.bcryptCalls() == before + 1);
  for (int i = 0; i < 5; ++i) CHECK(auth.check(users, basicAuthHeader("alice", "pw")));
  CHECK(auth.bcryptCalls() == before + 1);  // cached
  CHECK_FALSE(auth.check(users, basicAuthHeader("alice", "nope")));
  CHECK_FALSE(auth.check(users, basicAuthHeader("alice", "nope")));
  CHECK(auth.bcryptCalls() == before + 2);  // failures are cached too
  // An unknown user costs a bcrypt as well (no user enumeration by timing), and never passes.
  CHECK_FALSE(auth.check(users, basicAuthHeader("mallory", "pw")));
  CHECK(auth.bcryptCalls() == before + 3);
  // A new hash for the user misses the cache.
  users["alice"] = config::Secret(bcryptHash("pw2"));
  CHECK_FALSE(auth.check(users, basicAuthHeader("alice", "pw")));
  CHECK(auth.check(users, basicAuthHeader("alice", "pw2")));
  CHECK(auth.bcryptCalls() == before + 5);
  // Not Basic at all: no bcrypt.
  CHECK_FALSE(auth.check(users, "Bearer x"));
  CHECK(auth.bcryptCalls() == before + 5);
}

TEST_CASE("conf/web-config.yml, the documented example, loads; its example password is as stated") {
  const std::string path = std::string(PROMHA_SOURCE_DIR) + "/conf/web-config.yml";
  core::Diagnostics diag(path);
  auto c = http::loadWebConfig(path, diag);
  REQUIRE_MESSAGE(c.has_value(), diag.str());
  CHECK(c->tls.enabled());
  CHECK(c->tls.cert_file == std::string(PROMHA_SOURCE_DIR) + "/conf/promha.crt");
  REQUIRE(c->users.count("prometheus") == 1);
  http::BasicAuth auth;
  CHECK(auth.verify(c->users.at("prometheus").reveal(), "change-me"));
}
