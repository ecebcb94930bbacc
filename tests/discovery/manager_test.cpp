// Manager: static, file and DNS discoverers per block, onChange only on change, stop.
#include "discovery/manager.h"

#include <doctest/doctest.h>

#include <csignal>
#include <mutex>

#include "helpers.h"

namespace discovery = promha::discovery;
using discovery::Manager;
using discovery::TargetGroup;
using discovery::testing::Dnsmasq;
using discovery::testing::TempDir;
using discovery::testing::waitFor;
using discovery::testing::writeFile;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> addresses(const std::vector<TargetGroup>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (const auto& t : g.targets) out.emplace_back(t.get("__address__"));
  }
  return out;
}

// Records every onChange and onError call.
struct Recorder {
  mutable std::mutex mu;
  std::vector<std::pair<size_t, std::vector<TargetGroup>>> changes;
  std::vector<std::string> errors;

  Manager::OnChange onChange() {
    return [this](size_t block, std::vector<TargetGroup> groups) {
      std::lock_guard lock(mu);
      changes.emplace_back(block, std::move(groups));
    };
  }
  Manager::OnError onError() {
    return [this](size_t, const std::string& msg) {
      std::lock_guard lock(mu);
      errors.push_back(msg);
    };
  }
  size_t count() const {
    std::lock_guard lock(mu);
    return changes.size();
  }
  // The addresses of the last change of `block`, or nullopt.
  std::optional<std::vector<std::string>> last(size_t block) const {
    std::lock_guard lock(mu);
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      if (it->first == block) return addresses(it->second);
    }
    return std::nullopt;
  }
  bool lastIs(size_t block, const std::vector<std::string>& want) const {
    auto l = last(block);
    return l && *l == want;
  }
  std::vector<std::string> errorList() const {
    std::lock_guard lock(mu);
    return errors;
  }
};

}  // namespace

TEST_CASE("Manager: static blocks are delivered by start(), once") {
  Recorder rec;
  std::vector<discovery::DiscoveryConfig> blocks(2);
  blocks[0].static_configs = {{.targets = {"am1:9093", "am2:9093"}, .labels = {}},
                              {.targets = {"am3:9093"}, .labels = {}}};
  // blocks[1] has nothing: it is still delivered, empty, so its owner knows it.
  Manager m(blocks, rec.onChange());
  m.start();
  REQUIRE(rec.count() == 2);
  CHECK(rec.changes[0].first == 0);
  CHECK(addresses(rec.changes[0].second) ==
        std::vector<std::string>{"am1:9093", "am2:9093", "am3:9093"});
  CHECK(rec.changes[0].second[1].source == "1");
  CHECK(rec.changes[1].first == 1);
  CHECK(rec.changes[1].second.empty());
  CHECK(addresses(m.groups(0)) == std::vector<std::string>{"am1:9093", "am2:9093", "am3:9093"});
  CHECK(m.groups(7).empty());
  m.start();  // a second start does nothing
  m.stop();
  m.stop();  // idempotent
  CHECK(rec.count() == 2);
}

TEST_CASE("Manager: file_sd changes reach onChange; a broken file keeps the targets") {
  TempDir dir;
  const std::string f = dir.file("am.yml");
  writeFile(f, "- targets: [am1:9093]\n");
  Recorder rec;
  std::vector<discovery::DiscoveryConfig> blocks(1);
  blocks[0].static_configs = {{.targets = {"static:9093"}, .labels = {}}};
  blocks[0].file_sd_configs = {{.files = {dir.file("*.yml")}, .refresh_interval = 1h}};
  Manager m(blocks, rec.onChange(), {.file_poll_interval = 10ms, .on_error = rec.onError()});
  m.start();
  REQUIRE(waitFor([&] { return rec.lastIs(0, {"static:9093", "am1:9093"}); }));

  writeFile(f, "- targets: [am1:9093, am2:9093]\n");
  REQUIRE(waitFor([&] { return rec.lastIs(0, {"static:9093", "am1:9093", "am2:9093"}); }));

  const size_t before = rec.count();
  writeFile(f, "- targets: [am1:9093, am2:9093]\n  bad_key: 1\n");
  REQUIRE(waitFor([&] { return !rec.errorList().empty(); }));
  CHECK(rec.errorList()[0] ==
        "file_sd_configs[0]: " + f + ":2:3: [0].bad_key: unknown key \"bad_key\"");
  const auto st = m.status();
  REQUIRE(st.size() == 1);
  CHECK(st[0].config == "file_sd_configs[0]");
  CHECK(st[0].failures == 1);
  CHECK(st[0].last_error.find(f + ":2:3:") == 0);
  // The targets did not change, so there was no callback.
  CHECK(rec.count() == before);
  CHECK(addresses(m.groups(0)) == std::vector<std::string>{"static:9093", "am1:9093", "am2:9093"});

  writeFile(f, "- targets: [am3:9093]\n");
  REQUIRE(waitFor([&] { return rec.lastIs(0, {"static:9093", "am3:9093"}); }));

  // Stop wins over the pending (hour-long) refresh and the polling.
  const auto t0 = std::chrono::steady_clock::now();
  m.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  const size_t after_stop = rec.count();
  writeFile(f, "- targets: [am4:9093]\n");
  // Give a running poller every chance to (wrongly) deliver: poll the status for a while.
  CHECK_FALSE(waitFor([&] { return rec.count() != after_stop; }, 200ms));
}

TEST_CASE("Manager: DNS against a real dnsmasq; a changed record is delivered") {
  TempDir dir;
  // dnsmasq started as root reads --addn-hosts after dropping to its own user.
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const std::string hosts = dir.file("hosts");
  writeFile(hosts, "127.0.0.1 am.test.local\n");
  Dnsmasq dns({"--local=/test.local/", "--addn-hosts=" + hosts,
               "--srv-host=_alertmanager._tcp.test.local,am1.test.local,9093"},
              dir.file("dnsmasq.log"));
  auto created = discovery::LibresolvResolver::create({.nameserver = dns.nameserver(),
                                                       .use_search_list = false,
                                                       .timeout_seconds = 1,
                                                       .attempts = 1});
  REQUIRE(created.ok());
  std::unique_ptr<discovery::LibresolvResolver> resolver = std::move(created).value();
  REQUIRE_MESSAGE(waitFor([&] {
                    REQUIRE_MESSAGE(dns.running(), (std::string("dnsmasq exited: ") + dns.log()));
                    auto a = resolver->lookup("am.test.local", discovery::DnsType::kA);
                    return a.ok() && !a->addresses.empty();
                  }),
                  (std::string("dnsmasq did not answer: ") + dns.log()));

  Recorder rec;
  std::vector<discovery::DiscoveryConfig> blocks(2);
  blocks[0].dns_sd_configs = {{.names = {"am.test.local"},
                               .type = discovery::DnsType::kA,
                               .port = 9093,
                               .refresh_interval = 20ms}};
  blocks[1].static_configs = {{.targets = {"static:9093"}, .labels = {}}};
  blocks[1].dns_sd_configs = {
      {.names = {"_alertmanager._tcp.test.local"}, .refresh_interval = 20ms}};
  Manager m(blocks, rec.onChange(), {.resolver = resolver.get(), .on_error = rec.onError()});
  m.start();
  REQUIRE(waitFor([&] { return rec.lastIs(0, {"127.0.0.1:9093"}); }));
  REQUIRE(waitFor([&] { return rec.lastIs(1, {"static:9093", "am1.test.local:9093"}); }));

  // Several more refreshes with the same answers: no further callbacks.
  const size_t settled = rec.count();
  CHECK(settled == 4);  // start(): both blocks; then each DNS config once
  REQUIRE(waitFor([&] {
    for (const auto& s : m.status()) {
      if (s.refreshes < 5) return false;
    }
    return true;
  }));
  CHECK(rec.count() == settled);

  // dnsmasq re-reads --addn-hosts on SIGHUP.
  writeFile(hosts, "127.0.0.5 am.test.local\n127.0.0.6 am.test.local\n");
  dns.signal(SIGHUP);
  REQUIRE(waitFor([&] {
    auto l = rec.last(0);
    if (!l) return false;
    std::sort(l->begin(), l->end());
    return *l == std::vector<std::string>{"127.0.0.5:9093", "127.0.0.6:9093"};
  }));

  // The server dies: errors are reported, the last good targets stay.
  const auto groups_before = m.groups(0);
  dns.stop();
  REQUIRE(waitFor([&] {
    for (const auto& s : m.status()) {
      if (s.block == 0 && s.failures > 0) return true;
    }
    return false;
  }));
  CHECK(m.groups(0) == groups_before);
  const auto errors = rec.errorList();
  REQUIRE_FALSE(errors.empty());
  // Both blocks' lookups fail now; block 0's error names its config and the name.
  CHECK(std::any_of(errors.begin(), errors.end(), [](const std::string& e) {
    return e.starts_with("dns_sd_configs[0]: could not resolve \"am.test.local\" (A): ");
  }));
  m.stop();
}

TEST_CASE("Manager: stop() does not wait for a pending refresh") {
  // A resolver that answers at once and counts; the refresh interval is an hour.
  struct CountingResolver : discovery::Resolver {
    std::atomic<int> calls{0};
    promha::core::Result<discovery::DnsAnswer> lookup(const std::string&,
                                                      discovery::DnsType) override {
      ++calls;
      discovery::DnsAnswer a;
      a.addresses = {"10.0.0.1"};
      return a;
    }
  } resolver;
  Recorder rec;
  std::vector<discovery::DiscoveryConfig> blocks(1);
  blocks[0].dns_sd_configs = {
      {.names = {"am"}, .type = discovery::DnsType::kA, .port = 9093, .refresh_interval = 1h}};
  auto m =
      std::make_unique<Manager>(blocks, rec.onChange(), Manager::Options{.resolver = &resolver});
  m->start();
  REQUIRE(waitFor([&] { return rec.lastIs(0, {"10.0.0.1:9093"}); }));
  const auto t0 = std::chrono::steady_clock::now();
  m->stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(resolver.calls == 1);
  m.reset();  // the destructor's stop() after stop() is harmless
  CHECK(rec.count() == 2);
}
