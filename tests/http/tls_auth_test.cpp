// The listener with a --web.config.file: TLS (every client_auth_type), basic auth with bcrypt,
// extra headers, re-reading the file when it changes, and what a plain-HTTP or slow TLS client
// gets. Certificates come from tests/data/tls/gen_test_certs.sh at test time.
#include <doctest/doctest.h>
#include <httplib.h>

#include "test_util.h"

using namespace promha;
using namespace promha::testing;
using namespace std::chrono_literals;

namespace {

http::ServerOptions withWebConfig(const std::string& file) {
  http::ServerOptions o;
  o.web_config_file = file;
  o.read_timeout = 2s;
  o.write_timeout = 2s;
  o.idle_timeout = 1s;
  o.web_config_check_interval = 0ms;  // re-read on every check: no waiting in tests
  return o;
}

struct Tls {
  const TempDir& dir;
  std::string ca() const { return dir.file("ca.crt"); }
  // A GET over TLS; status 0 when the connection or handshake failed.
  int get(int port, const std::string& path, const std::string& cert = "",
          const std::string& auth = "") const {
    std::unique_ptr<httplib::SSLClient> cli;
    if (cert.empty()) {
      cli = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    } else {
      cli = std::make_unique<httplib::SSLClient>("127.0.0.1", port, dir.file(cert + ".crt"),
                                                 dir.file(cert + ".key"));
    }
    cli->set_ca_cert_path(ca().c_str());
    cli->enable_server_certificate_verification(true);
    cli->set_connection_timeout(2, 0);
    cli->set_read_timeout(2, 0);
    httplib::Headers h;
    if (!auth.empty()) h.emplace("Authorization", auth);
    auto res = cli->Get(path.c_str(), h);
    return res ? res->status : 0;
  }
};

}  // namespace

TEST_CASE("TLS: served with the configured certificate; plain HTTP gets Go's 400") {
  TempDir dir;
  generateCerts(dir);
  const std::string web = dir.write("web.yml", R"(
tls_server_config:
  cert_file: server.crt   # relative to the web config's directory
  key_file: server.key
)");
  TestServer srv(withWebConfig(web));
  REQUIRE(srv.bind_error == "");
  Tls tls{dir};
  CHECK(tls.get(srv.port, "/-/healthy") == 200);

  RawClient plain(srv.port);
  REQUIRE(plain.send("GET /-/healthy HTTP/1.1\r\nHost: promha\r\n\r\n"));
  CHECK(plain.readUntilClosed(3s));
  CHECK(plain.received().starts_with("HTTP/1.0 400 Bad Request"));
  CHECK(plain.received().find("Client sent an HTTP request to an HTTPS server.") !=
        std::string::npos);
  CHECK(plain.received().find("OK") == std::string::npos);
}

TEST_CASE("TLS: a handshake sent one byte at a time is cut off at the deadline") {
  TempDir dir;
  generateCerts(dir);
  const std::string web =
      dir.write("web.yml", "tls_server_config: {cert_file: server.crt, key_file: server.key}\n");
  TestServer srv(withWebConfig(web));  // handshake deadline = idle_timeout = 1 s
  RawClient c(srv.port);
  // The start of a TLS ClientHello record, trickled.
  const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  const auto t0 = Clock::now();
  size_t sent = 0;
  while (sent < hello.size() && !c.closed() && c.send(hello.substr(sent, 1))) {
    ++sent;
    c.poll(400ms);
  }
  CHECK(c.readUntilClosed(2s));
  CHECK(secondsSince(t0) < 2.5);
  CHECK(sent < hello.size());
}

TEST_CASE("TLS: client_auth_type") {
  TempDir dir;
  generateCerts(dir);
  Tls tls{dir};
  struct Row {
    const char* type;
    int none, ca_signed, rogue;  // 200 = served, 0 = handshake refused
  };
  for (const Row& row :
       {Row{"NoClientCert", 200, 200, 200}, Row{"RequestClientCert", 200, 200, 200},
        Row{"RequireAnyClientCert", 0, 200, 200}, Row{"VerifyClientCertIfGiven", 200, 200, 0},
        Row{"RequireAndVerifyClientCert", 0, 200, 0}}) {
    SUBCASE(row.type) {
      const bool with_ca = std::string(row.type) != "NoClientCert";
      const std::string web = dir.write(
          "web.yml", std::string("tls_server_config:\n  cert_file: server.crt\n  key_file: "
                                 "server.key\n  client_auth_type: ") +
                         row.type + "\n" + (with_ca ? "  client_ca_file: ca.crt\n" : ""));
      TestServer srv(withWebConfig(web));
      REQUIRE(srv.bind_error == "");
      CHECK(tls.get(srv.port, "/-/healthy") == row.none);
      CHECK(tls.get(srv.port, "/-/healthy", "client") == row.ca_signed);
      CHECK(tls.get(srv.port, "/-/healthy", "rogue") == row.rogue);
    }
  }
}

TEST_CASE("basic auth: bcrypt users, 401 with WWW-Authenticate, extra headers on every answer") {
  const std::string hash = bcryptHash("s3cret-pw");
  TempDir dir;
  const std::string web = dir.write("web.yml", "basic_auth_users:\n  prometheus: " + hash +
                                                   "\nhttp_server_config:\n  headers:\n"
                                                   "    X-Frame-Options: deny\n");
  TestServer srv(withWebConfig(web));
  REQUIRE(srv.bind_error == "");
  const auto get = [&](const std::string& auth, const std::string& path = "/-/healthy") {
    RawClient c(srv.port);
    REQUIRE(c.send("GET " + path + " HTTP/1.1\r\nHost: promha\r\n" +
                   (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "\r\n"));
    REQUIRE(c.readResponse(3s));
    return c.received();
  };
  const std::string none = get("");
  CHECK(none.starts_with("HTTP/1.1 401"));
  CHECK(none.find("WWW-Authenticate: Basic\r\n") != std::string::npos);
  CHECK(none.find("X-Frame-Options: deny") != std::string::npos);
  CHECK(get(basicAuthHeader("prometheus", "wrong")).starts_with("HTTP/1.1 401"));
  CHECK(get(basicAuthHeader("nobody", "s3cret-pw")).starts_with("HTTP/1.1 401"));
  CHECK(get("Bearer s3cret-pw").starts_with("HTTP/1.1 401"));
  const std::string ok = get(basicAuthHeader("prometheus", "s3cret-pw"));
  CHECK(ok.starts_with("HTTP/1.1 200"));
  CHECK(ok.find("X-Frame-Options: deny") != std::string::npos);
  // Every path is protected, as with exporter-toolkit; 404s carry the headers too.
  CHECK(get("", "/metrics").starts_with("HTTP/1.1 401"));
  const std::string missing = get(basicAuthHeader("prometheus", "s3cret-pw"), "/nope");
  CHECK(missing.starts_with("HTTP/1.1 404"));
  CHECK(missing.find("X-Frame-Options: deny") != std::string::npos);

  SUBCASE("a rejected POST's body is never read: the 401 arrives and the connection closes") {
    RawClient c(srv.port);
    const std::string body(1 << 20, 'x');
    c.send(
        "POST /api/v2/alerts HTTP/1.1\r\nHost: promha\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    c.send(body.substr(0, 64 << 10));  // a part; the server answers without waiting for more
    CHECK(c.readUntilClosed(3s));
    CHECK(c.status() == 401);
  }
  const std::string logs = srv.logs();
  CHECK(logs.find("s3cret-pw") == std::string::npos);
  CHECK(logs.find(hash) == std::string::npos);
}

TEST_CASE("the web config is re-read when it changes; a broken change keeps the old one") {
  TempDir dir;
  generateCerts(dir);
  const std::string tls_part =
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  const std::string web =
      dir.write("web.yml", tls_part + "basic_auth_users:\n  alice: " + bcryptHash("one") + "\n");
  TestServer srv(withWebConfig(web));
  REQUIRE(srv.bind_error == "");
  Tls tls{dir};
  CHECK(tls.get(srv.port, "/-/healthy", "", basicAuthHeader("alice", "one")) == 200);

  // A new password: the old one stops working.
  dir.write("web.yml", tls_part + "basic_auth_users:\n  alice: " + bcryptHash("two") + "\n");
  CHECK(tls.get(srv.port, "/-/healthy", "", basicAuthHeader("alice", "one")) == 401);
  CHECK(tls.get(srv.port, "/-/healthy", "", basicAuthHeader("alice", "two")) == 200);

  // Requiring client certificates takes effect for new connections.
  dir.write("web.yml", tls_part +
                           "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: "
                           "ca.crt\nbasic_auth_users:\n  alice: " +
                           bcryptHash("two") + "\n");
  CHECK(tls.get(srv.port, "/-/healthy", "", basicAuthHeader("alice", "two")) == 0);
  CHECK(tls.get(srv.port, "/-/healthy", "client", basicAuthHeader("alice", "two")) == 200);

  // A broken file (a bad hash) is refused as a whole: everything stays as it was.
  dir.write("web.yml", tls_part + "basic_auth_users:\n  alice: plaintext-password\n");
  CHECK(tls.get(srv.port, "/-/healthy", "client", basicAuthHeader("alice", "two")) == 200);
  CHECK(tls.get(srv.port, "/-/healthy", "", basicAuthHeader("alice", "two")) == 0);
  // Turning TLS off needs a restart.
  dir.write("web.yml", "basic_auth_users:\n  alice: " + bcryptHash("two") + "\n");
  CHECK(tls.get(srv.port, "/-/healthy", "client", basicAuthHeader("alice", "two")) == 200);

  const std::string logs = srv.logs();
  CHECK(logs.find("Failed to reload the web config") != std::string::npos);
  CHECK(logs.find("web.yml:5:10: basic_auth_users.alice: not a bcrypt hash") != std::string::npos);
  CHECK(logs.find("switching TLS off needs a restart") != std::string::npos);
  CHECK(logs.find("plaintext-password") == std::string::npos);
}

TEST_CASE("an invalid web config stops the server from starting, with file:line") {
  TempDir dir;
  SUBCASE("a missing certificate") {
    const std::string web =
        dir.write("web.yml", "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n");
    TestServer srv(withWebConfig(web));
    CHECK(srv.bind_error.find("web.yml:2:14: tls_server_config.cert_file: cannot load \"" +
                              dir.file("nope.crt") + "\"") != std::string::npos);
  }
  SUBCASE("an unknown key") {
    const std::string web = dir.write("web.yml", "basic_auth_user: {}\n");
    TestServer srv(withWebConfig(web));
    CHECK(srv.bind_error.find("web.yml:1:1: unknown key 'basic_auth_user'") != std::string::npos);
  }
  SUBCASE("no such file") {
    TestServer srv(withWebConfig(dir.file("missing.yml")));
    CHECK(srv.bind_error.find("missing.yml: cannot open file") != std::string::npos);
  }
}
