// The listener's bounds, each asserted with a real socket: lifecycle endpoints, the whole-request
// deadline against slow clients (slow-loris), the idle keep-alive timeout, header size limits and
// the cap on concurrent connections.
#include <doctest/doctest.h>

#include "test_util.h"

using namespace promha;
using namespace promha::testing;
using namespace std::chrono_literals;

namespace {

http::ServerOptions fastOptions() {
  http::ServerOptions o;
  o.read_timeout = 1s;
  o.write_timeout = 1s;
  o.idle_timeout = 1s;
  return o;
}

std::string request(const std::string& method, const std::string& path,
                    const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: promha\r\n" + extra_headers + "\r\n";
}

}  // namespace

TEST_CASE("lifecycle endpoints answer only with --web.enable-lifecycle") {
  SUBCASE("disabled: POST and PUT are 403, GET is 405, nothing reloads") {
    TestServer srv(fastOptions());
    for (const char* method : {"POST", "PUT"}) {
      RawClient c(srv.port);
      REQUIRE(c.send(request(method, "/-/reload", "Content-Length: 0\r\n")));
      REQUIRE(c.readResponse(2s));
      CHECK(c.status() == 403);
      CHECK(c.received().ends_with("\r\n\r\nLifecycle API is not enabled."));
    }
    RawClient c(srv.port);
    REQUIRE(c.send(request("GET", "/-/reload")));
    REQUIRE(c.readResponse(2s));
    CHECK(c.status() == 405);
    CHECK(c.received().find("Allow: POST, PUT") != std::string::npos);
    CHECK(srv.reloads == 0);
    RawClient other(srv.port);  // Handlers::lifecycle routes are guarded alike
    REQUIRE(other.send(request("POST", "/-/handoff", "Content-Length: 1\r\n") + "A"));
    REQUIRE(other.readResponse(2s));
    CHECK(other.status() == 403);
  }
  SUBCASE("enabled: POST reloads, even without Content-Length (curl -X POST), GET is 405") {
    auto o = fastOptions();
    o.enable_lifecycle = true;
    o.read_timeout = 30s;  // an answer must not wait for this
    TestServer srv(o);
    RawClient c(srv.port);
    const auto t0 = Clock::now();
    REQUIRE(c.send(request("POST", "/-/reload")));  // no Content-Length: no body (RFC 9112 6.3)
    REQUIRE(c.readResponse(5s));
    CHECK(c.status() == 200);
    CHECK(secondsSince(t0) < 2);
    CHECK(srv.reloads == 1);
    c.clear();
    REQUIRE(c.send(request("PUT", "/-/reload", "Content-Length: 0\r\n")));  // same connection
    REQUIRE(c.readResponse(2s));
    CHECK(c.status() == 200);
    CHECK(srv.reloads == 2);
    RawClient g(srv.port);
    REQUIRE(g.send(request("GET", "/-/reload")));
    REQUIRE(g.readResponse(2s));
    CHECK(g.status() == 405);
    RawClient other(srv.port);
    REQUIRE(other.send(request("POST", "/-/handoff", "Content-Length: 1\r\n") + "A"));
    REQUIRE(other.readResponse(2s));
    CHECK(other.status() == 200);
    CHECK(other.received().ends_with("handed off A"));
    RawClient get(srv.port);
    REQUIRE(get.send(request("GET", "/-/handoff")));
    REQUIRE(get.readResponse(2s));
    CHECK(get.status() == 405);
  }
}

TEST_CASE("a client sending one byte per second is cut off at the request deadline") {
  auto o = fastOptions();
  o.read_timeout = 2s;
  TestServer srv(o);
  // Sends `slow` one byte per second; true if the server closed before all of it was sent.
  const auto trickle = [](RawClient& c, const std::string& slow, size_t* sent) {
    *sent = 0;
    while (*sent < slow.size() && !c.closed() && c.received().empty() &&
           c.send(slow.substr(*sent, 1))) {
      ++*sent;
      c.poll(1000ms);  // reads what the server says meanwhile
    }
    return c.readUntilClosed(2s) && *sent < slow.size();
  };
  const std::string headers = "Host: promha\r\nX-Pad: " + std::string(40, 'a') + "\r\n\r\n";

  SUBCASE("from the first byte: closed without an answer, as Go's http.Server does") {
    RawClient c(srv.port);
    const auto t0 = Clock::now();
    size_t sent = 0;
    CHECK(trickle(c, "GET /-/healthy HTTP/1.1\r\n" + headers, &sent));
    CHECK(sent < 5);  // cut off after about 2 of the 80 bytes
    CHECK(secondsSince(t0) >= 1.9);
    CHECK(secondsSince(t0) < 4.5);
    CHECK(c.received().empty());
  }
  SUBCASE("in the headers: 408") {
    RawClient c(srv.port);
    REQUIRE(c.send("GET /-/healthy HTTP/1.1\r\n"));
    const auto t0 = Clock::now();
    size_t sent = 0;
    CHECK(trickle(c, headers, &sent));
    CHECK(sent < 5);
    CHECK(secondsSince(t0) < 4.5);
    CHECK(c.status() == 408);
  }
  SUBCASE("in the body: 408") {
    RawClient c(srv.port);
    REQUIRE(
        c.send("POST /api/v2/alerts HTTP/1.1\r\nHost: promha\r\nContent-Type: "
               "application/json\r\nContent-Length: 100\r\n\r\n"));
    const auto t0 = Clock::now();
    size_t sent = 0;
    CHECK(trickle(c, std::string(100, '['), &sent));
    CHECK(sent < 5);
    CHECK(secondsSince(t0) < 4.5);
    CHECK(c.status() == 408);
  }
}

TEST_CASE("idle keep-alive connections are closed after the idle timeout") {
  auto o = fastOptions();
  o.idle_timeout = 500ms;
  TestServer srv(o);
  SUBCASE("before any request") {
    RawClient c(srv.port);
    const auto t0 = Clock::now();
    CHECK(c.readUntilClosed(3s));
    CHECK(secondsSince(t0) > 0.4);
    CHECK(c.received().empty());
  }
  SUBCASE("after a request, which is answered with keep-alive") {
    RawClient c(srv.port);
    REQUIRE(c.send(request("GET", "/-/healthy")));
    REQUIRE(c.readResponse(2s));
    CHECK(c.status() == 200);
    CHECK(c.received().find("Keep-Alive: timeout=1") != std::string::npos);
    const auto t0 = Clock::now();
    c.clear();
    CHECK(c.readUntilClosed(3s));
    CHECK(secondsSince(t0) > 0.4);
    CHECK(c.received().empty());
  }
}

TEST_CASE("header size limits") {
  auto o = fastOptions();
  o.max_header_bytes = 4096;
  TestServer srv(o);
  const std::string line = "X-Pad: " + std::string(993, 'a') + "\r\n";  // 1000 bytes

  SUBCASE("headers within the limit are served") {
    RawClient c(srv.port);
    REQUIRE(c.send(request("GET", "/-/healthy", line + line + line)));
    REQUIRE(c.readResponse(2s));
    CHECK(c.status() == 200);
  }
  SUBCASE("many short lines above the limit: 431 and the connection closes") {
    RawClient c(srv.port);
    std::string many;
    for (int i = 0; i < 100; ++i) many += line;  // 100 kB, each line far below httplib's 8 kB
    c.send(request("GET", "/-/healthy", many));  // the server may close before all is sent
    CHECK(c.readUntilClosed(3s));
    CHECK(c.status() == 431);
  }
  SUBCASE("lines without CRLF count too (httplib skips them, they must not be free)") {
    RawClient c(srv.port);
    std::string junk;
    for (int i = 0; i < 100; ++i) junk += std::string(999, 'b') + "\n";
    c.send("GET /-/healthy HTTP/1.1\r\n" + junk);
    CHECK(c.readUntilClosed(3s));
    CHECK(c.status() == 431);
  }
  SUBCASE("a request line alone above the limit: 431") {
    RawClient c(srv.port);
    c.send(request("GET", "/" + std::string(5000, 'p')));
    CHECK(c.readUntilClosed(3s));
    CHECK(c.status() == 431);
  }
}

TEST_CASE("a request line above 8 kB is 414 (cpp-httplib's compiled-in limit)") {
  TestServer srv(fastOptions());  // the default 64 kB header limit
  RawClient c(srv.port);
  c.send(request("GET", "/" + std::string(9000, 'p')));
  REQUIRE(c.readResponse(3s));
  CHECK(c.status() == 414);
}

TEST_CASE("at most --web.max-connections connections; slow clients cannot starve the others") {
  auto o = fastOptions();
  o.max_connections = 2;
  o.read_timeout = 2s;
  TestServer srv(o);
  // Two clients that never finish their request hold both slots.
  RawClient slow1(srv.port), slow2(srv.port);
  REQUIRE(slow1.send("GET /-/healthy HTTP/1.1\r\n"));
  REQUIRE(slow2.send("GET /-/healthy HTTP/1.1\r\n"));
  // The third connects (the kernel's accept queue) but is not served while they hold.
  RawClient third(srv.port);
  const auto t0 = Clock::now();
  REQUIRE(third.send(request("GET", "/-/healthy")));
  CHECK_FALSE(third.poll(700ms));  // observation window: nothing may arrive
  // The slow ones are cut at their request deadline, and the third is served then.
  REQUIRE(third.readResponse(5s));
  CHECK(third.status() == 200);
  const double took = secondsSince(t0);
  CHECK(took > 1.0);
  CHECK(took < 4.0);
  CHECK(slow1.readUntilClosed(1s));
  CHECK(slow2.readUntilClosed(1s));
}

TEST_CASE("a connection slot frees as soon as its client closes") {
  auto o = fastOptions();
  o.max_connections = 2;
  o.read_timeout = 30s;
  TestServer srv(o);
  RawClient hold1(srv.port), hold2(srv.port);
  REQUIRE(hold1.send("GET /-/healthy HTTP/1.1\r\n"));
  REQUIRE(hold2.send("GET /-/healthy HTTP/1.1\r\n"));
  RawClient next(srv.port);
  REQUIRE(next.send(request("GET", "/-/healthy")));
  CHECK_FALSE(next.poll(300ms));  // observation window: not served while both slots are held
  const auto t0 = Clock::now();
  hold1.close();
  REQUIRE(next.readResponse(2s));
  CHECK(next.status() == 200);
  CHECK(secondsSince(t0) < 0.5);
}

TEST_CASE("stop() returns promptly with connections open and mid-request") {
  auto o = fastOptions();
  o.read_timeout = 30s;
  o.idle_timeout = 30s;
  TestServer srv(o);
  RawClient idle(srv.port), partial(srv.port);
  REQUIRE(partial.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n"));
  RawClient done(srv.port);
  REQUIRE(done.send(request("GET", "/-/healthy")));
  REQUIRE(done.readResponse(2s));
  const auto t0 = Clock::now();
  srv.stop();
  CHECK(secondsSince(t0) < 2.0);
  CHECK(idle.readUntilClosed(1s));
  CHECK(partial.readUntilClosed(1s));
}

TEST_CASE("connections beyond the cap wait in the accept queue, and are all served in turn") {
  auto o = fastOptions();
  o.max_connections = 1;
  o.read_timeout = 30s;
  TestServer srv(o);
  RawClient holder(srv.port);
  REQUIRE(holder.send("GET /-/healthy HTTP/1.1\r\n"));
  // More than cpp-httplib's own listen backlog of 5: none may be refused or delayed by SYN
  // retries (the backlog is raised to SOMAXCONN).
  constexpr int kWaiting = 30;
  std::vector<std::unique_ptr<RawClient>> waiting;
  const auto t0 = Clock::now();
  for (int i = 0; i < kWaiting; ++i) {
    waiting.push_back(std::make_unique<RawClient>(srv.port));
    REQUIRE(waiting.back()->send(request("GET", "/-/healthy", "Connection: close\r\n")));
  }
  CHECK(secondsSince(t0) < 0.5);
  CHECK_FALSE(waiting.front()->poll(200ms));
  const auto t1 = Clock::now();
  holder.close();
  int served = 0;
  for (auto& c : waiting) served += c->readResponse(3s) && c->status() == 200;
  CHECK(served == kWaiting);
  CHECK(secondsSince(t1) < 2.0);
}
