// DNS discovery: the pure group construction, the keep-last-good logic through the Resolver
// seam, and real lookups (SRV, A, AAAA, NXDOMAIN, server down) against a dnsmasq started here.
#include "discovery/dns.h"

#include <doctest/doctest.h>

#include <map>

#include "helpers.h"

using promha::core::Label;
using promha::core::Labels;
namespace discovery = promha::discovery;
using discovery::DnsAnswer;
using discovery::DnsType;
using discovery::testing::Dnsmasq;
using discovery::testing::TempDir;

namespace {

// promha::core::Error with only a message (and a file): no positions.
inline promha::core::Error errorOf(std::string message, std::string file = {}) {
  return promha::core::Error{std::move(message), std::move(file), 0, 0};
}

Labels L(std::vector<Label> v) { return Labels::fromUnsorted(std::move(v)); }

std::vector<std::string> addresses(const discovery::TargetGroup& g) {
  std::vector<std::string> out;
  for (const auto& t : g.targets) out.emplace_back(t.get("__address__"));
  std::sort(out.begin(), out.end());
  return out;
}

// Scripted answers per name; a name without a script fails.
class FakeResolver : public discovery::Resolver {
 public:
  std::map<std::string, promha::core::Result<DnsAnswer>> answers;
  int calls = 0;
  promha::core::Result<DnsAnswer> lookup(const std::string& name, DnsType) override {
    ++calls;
    auto it = answers.find(name);
    if (it == answers.end()) return errorOf("no answer for " + name);
    return it->second;
  }
};

const std::vector<std::string> kRecords = {
    "--local=/test.local/",
    "--srv-host=_alertmanager._tcp.test.local,am1.test.local,9093",
    "--srv-host=_alertmanager._tcp.test.local,am2.test.local,9094",
    "--host-record=am1.test.local,127.0.0.1",
    "--host-record=am2.test.local,127.0.0.2",
    "--host-record=multi.test.local,127.0.0.3",
    "--host-record=multi.test.local,127.0.0.4",
    "--host-record=am6.test.local,::1",
    "--cname=alias.test.local,am1.test.local",
};

std::unique_ptr<discovery::LibresolvResolver> resolverFor(const Dnsmasq& dns) {
  auto r = discovery::LibresolvResolver::create({.nameserver = dns.nameserver(),
                                                 .use_search_list = false,
                                                 .timeout_seconds = 1,
                                                 .attempts = 1});
  REQUIRE(r.ok());
  return std::move(r).value();
}

// dnsmasq is ready once it answers.
void waitReady(Dnsmasq& dns, discovery::Resolver& r) {
  const bool ready = discovery::testing::waitFor([&] {
    REQUIRE_MESSAGE(dns.running(), (std::string("dnsmasq exited: ") + dns.log()));
    auto a = r.lookup("am1.test.local", DnsType::kA);
    return a.ok() && !a->addresses.empty();
  });
  REQUIRE_MESSAGE(ready, (std::string("dnsmasq did not answer: ") + dns.log()));
}

}  // namespace

TEST_CASE("dnsTargetGroup: Prometheus's labels") {
  DnsAnswer srv;
  srv.srv = {{"am1.example.com.", 9093, 10, 5}, {"am2.example.com.", 9094, 10, 5}};
  const auto g = discovery::dnsTargetGroup("_am._tcp.example.com", DnsType::kSrv, 0, srv);
  CHECK(g.source == "_am._tcp.example.com");
  CHECK(g.labels.empty());
  REQUIRE(g.targets.size() == 2);
  CHECK(g.targets[0] == L({{"__address__", "am1.example.com:9093"},
                           {"__meta_dns_name", "_am._tcp.example.com"},
                           {"__meta_dns_srv_record_target", "am1.example.com."},
                           {"__meta_dns_srv_record_port", "9093"}}));

  DnsAnswer a;
  a.addresses = {"10.0.0.1", "2001:db8::1"};
  const auto ga = discovery::dnsTargetGroup("am.example.com", DnsType::kA, 9093, a);
  REQUIRE(ga.targets.size() == 2);
  CHECK(ga.targets[0] ==
        L({{"__address__", "10.0.0.1:9093"}, {"__meta_dns_name", "am.example.com"}}));
  CHECK(ga.targets[1].get("__address__") == "[2001:db8::1]:9093");

  CHECK(discovery::dnsTargetGroup("x", DnsType::kA, 1, DnsAnswer{}).targets.empty());
}

TEST_CASE("DnsDiscoverer: a failed lookup keeps the name's previous group") {
  FakeResolver fake;
  DnsAnswer one;
  one.addresses = {"10.0.0.1"};
  fake.answers.emplace("a.example", one);
  discovery::DnsDiscoverer d(
      {.names = {"a.example", "b.example", "a.example"}, .type = DnsType::kA, .port = 9093}, fake);
  auto groups = d.refresh();
  REQUIRE(groups.size() == 1);  // b.example never resolved; the duplicate name is asked once
  CHECK(fake.calls == 2);
  CHECK(addresses(groups[0]) == std::vector<std::string>{"10.0.0.1:9093"});
  CHECK(d.stats().failures == 1);
  CHECK(d.stats().last_error == "no answer for b.example");

  fake.answers.erase("a.example");  // now a.example fails too
  DnsAnswer two;
  two.addresses = {"10.0.0.2"};
  fake.answers.emplace("b.example", two);
  groups = d.refresh();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].source == "a.example");
  CHECK(addresses(groups[0]) == std::vector<std::string>{"10.0.0.1:9093"});  // kept
  CHECK(addresses(groups[1]) == std::vector<std::string>{"10.0.0.2:9093"});
  const auto stats = d.stats();
  CHECK(stats.lookups == 4);
  CHECK(stats.failures == 2);
  CHECK(stats.refreshes == 2);

  fake.answers.emplace("a.example", DnsAnswer{});  // resolves, with no records: now empty
  groups = d.refresh();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].targets.empty());
  CHECK(d.stats().last_error.empty());
}

TEST_CASE("LibresolvResolver: options") {
  CHECK(discovery::LibresolvResolver::create({.nameserver = "127.0.0.1:5353"}).ok());
  CHECK(discovery::LibresolvResolver::create({.nameserver = "127.0.0.1"}).ok());
  auto bad = discovery::LibresolvResolver::create({.nameserver = "::1"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("IPv4") != std::string::npos);
  CHECK_FALSE(discovery::LibresolvResolver::create({.nameserver = "127.0.0.1:x"}).ok());
  CHECK_FALSE(discovery::LibresolvResolver::create({.nameserver = "127.0.0.1:0"}).ok());
}

TEST_CASE("LibresolvResolver against a real dnsmasq") {
  TempDir dir;
  Dnsmasq dns(kRecords, dir.file("dnsmasq.log"));
  auto resolver = resolverFor(dns);
  waitReady(dns, *resolver);

  SUBCASE("SRV") {
    auto r = resolver->lookup("_alertmanager._tcp.test.local", DnsType::kSrv);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
    REQUIRE(r->srv.size() == 2);
    auto srv = r->srv;
    std::sort(srv.begin(), srv.end(),
              [](const auto& a, const auto& b) { return a.target < b.target; });
    CHECK(srv[0].target == "am1.test.local.");
    CHECK(srv[0].port == 9093);
    CHECK(srv[1].target == "am2.test.local.");
    CHECK(srv[1].port == 9094);
    CHECK(r->addresses.empty());
  }
  SUBCASE("A, several records") {
    auto r = resolver->lookup("multi.test.local", DnsType::kA);
    REQUIRE(r.ok());
    auto a = r->addresses;
    std::sort(a.begin(), a.end());
    CHECK(a == std::vector<std::string>{"127.0.0.3", "127.0.0.4"});
  }
  SUBCASE("A through a CNAME: the CNAME record is skipped") {
    auto r = resolver->lookup("alias.test.local", DnsType::kA);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
    CHECK(r->addresses == std::vector<std::string>{"127.0.0.1"});
  }
  SUBCASE("AAAA") {
    auto r = resolver->lookup("am6.test.local", DnsType::kAaaa);
    REQUIRE(r.ok());
    CHECK(r->addresses == std::vector<std::string>{"::1"});
  }
  SUBCASE("NXDOMAIN and no-data are empty answers, not errors") {
    auto nx = resolver->lookup("nope.test.local", DnsType::kA);
    REQUIRE(nx.ok());
    CHECK(*nx == DnsAnswer{});
    auto nodata = resolver->lookup("am1.test.local", DnsType::kAaaa);
    REQUIRE(nodata.ok());
    CHECK(*nodata == DnsAnswer{});
  }
  SUBCASE("DnsDiscoverer over SRV, then the server goes away: targets kept, error reported") {
    discovery::DnsDiscoverer d({.names = {"_alertmanager._tcp.test.local"}}, *resolver);
    auto groups = d.refresh();
    REQUIRE(groups.size() == 1);
    CHECK(addresses(groups[0]) ==
          std::vector<std::string>{"am1.test.local:9093", "am2.test.local:9094"});
    CHECK(d.stats().last_error.empty());

    dns.stop();  // killed by PID; nothing answers on the port any more
    auto after = d.refresh();
    CHECK(after == groups);
    const auto stats = d.stats();
    CHECK(stats.failures == 1);
    CHECK(stats.last_error.find("could not resolve \"_alertmanager._tcp.test.local\" (SRV)") == 0);
  }
}
