// URL construction from target groups, Prometheus's notifier.AlertmanagerFromGroup: one SUBCASE
// per row.
#include "discovery/alertmanagers.h"

#include <doctest/doctest.h>

#include "discovery/types.h"
#include "relabel/rule.h"

using promha::alert::ApiVersion;
using promha::core::Label;
using promha::core::Labels;
namespace discovery = promha::discovery;
using discovery::TargetGroup;

namespace {

Labels L(std::vector<Label> v) { return Labels::fromUnsorted(std::move(v)); }

TargetGroup group(std::string source, std::vector<std::string> addrs, Labels labels = {}) {
  TargetGroup g;
  g.source = std::move(source);
  for (auto& a : addrs) g.targets.push_back(L({{"__address__", a}}));
  g.labels = std::move(labels);
  return g;
}

std::vector<promha::relabel::Rule> rules(const std::string& yaml) {
  if (yaml.empty()) return {};
  auto r = promha::relabel::parseRulesText(yaml, "rules.yml", promha::core::NameScheme::kUtf8);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
  return *r;
}

struct Row {
  const char* name;
  std::vector<TargetGroup> groups{};
  std::string scheme = "http";
  std::string prefix{};
  ApiVersion api = ApiVersion::kV2;
  std::string relabel{};
  std::vector<std::string> want{};
  std::vector<std::string> want_errors{};  // substrings, one per failed group, in order
};

}  // namespace

TEST_CASE("resolve: Alertmanager URLs from target groups") {
  const std::vector<Row> rows = {
      {.name = "no port: http gets 80",
       .groups = {group("0", {"am1"})},
       .want = {"http://am1:80/api/v2/alerts"}},
      {.name = "no port: https gets 443",
       .groups = {group("0", {"am1"})},
       .scheme = "https",
       .want = {"https://am1:443/api/v2/alerts"}},
      {.name = "explicit port kept",
       .groups = {group("0", {"am1:9093", "10.0.0.1:9094"})},
       .want = {"http://am1:9093/api/v2/alerts", "http://10.0.0.1:9094/api/v2/alerts"}},
      {.name = "bracketed IPv6 without port gets one",
       .groups = {group("0", {"[::1]", "[2001:db8::1]:9093"})},
       .want = {"http://[::1]:80/api/v2/alerts", "http://[2001:db8::1]:9093/api/v2/alerts"}},
      {.name = "bare IPv6 left alone, as Prometheus does",
       .groups = {group("0", {"::1"})},
       .want = {"http://::1/api/v2/alerts"}},
      {.name = "api v1",
       .groups = {group("0", {"am1:9093"})},
       .api = ApiVersion::kV1,
       .want = {"http://am1:9093/api/v1/alerts"}},
      {.name = "path_prefix with and without slashes",
       .groups = {group("0", {"am1:9093"})},
       .prefix = "alertmanager/",
       .want = {"http://am1:9093/alertmanager/api/v2/alerts"}},
      {.name = "path_prefix is cleaned like Go's path.Join",
       .groups = {group("0", {"am1:9093"})},
       .prefix = "//a/./b/../c/",
       .want = {"http://am1:9093/a/c/api/v2/alerts"}},
      {.name = "path_prefix cannot climb above the root",
       .groups = {group("0", {"am1:9093"})},
       .prefix = "../../x",
       .want = {"http://am1:9093/x/api/v2/alerts"}},
      {.name = "duplicates across groups collapse, first wins",
       .groups = {group("0", {"am1:9093", "am2:9093"}), group("1", {"am2:9093", "am3:9093"})},
       .want = {"http://am1:9093/api/v2/alerts", "http://am2:9093/api/v2/alerts",
                "http://am3:9093/api/v2/alerts"}},
      {.name = "am1 and am1:80 are the same URL",
       .groups = {group("0", {"am1", "am1:80"})},
       .want = {"http://am1:80/api/v2/alerts"}},
      {.name = "relabel drop skips a target",
       .groups = {group("0", {"am1:9093", "am2:9093"})},
       .relabel = "- source_labels: [__address__]\n  regex: am2:.*\n  action: drop\n",
       .want = {"http://am1:9093/api/v2/alerts"}},
      {.name = "relabel keep on a group label",
       .groups = {group("a", {"am1:9093"}, L({{"cluster", "eu"}})),
                  group("b", {"am2:9093"}, L({{"cluster", "us"}}))},
       .relabel = "- source_labels: [cluster]\n  regex: eu\n  action: keep\n",
       .want = {"http://am1:9093/api/v2/alerts"}},
      {.name = "relabel rewrites the address from a meta label",
       .groups = {group("0", {"10.1.2.3:9093"}, L({{"__meta_host", "am-x.example"}}))},
       .relabel = "- source_labels: [__meta_host]\n  target_label: __address__\n"
                  "  replacement: $1:9443\n",
       .want = {"http://am-x.example:9443/api/v2/alerts"}},
      {.name = "relabel switches to https: default port follows the new scheme",
       .groups = {group("0", {"am1"})},
       .relabel = "- target_label: __scheme__\n  replacement: https\n",
       .want = {"https://am1:443/api/v2/alerts"}},
      {.name = "relabel sets __alerts_path__, escaped as Go's url.URL does",
       .groups = {group("0", {"am1:9093"})},
       .relabel = "- target_label: __alerts_path__\n  replacement: /x y/100%/a?b\n",
       .want = {"http://am1:9093/x%20y/100%25/a%3Fb"}},
      {.name = "relabel sets a path without a leading slash",
       .groups = {group("0", {"am1:9093"})},
       .relabel = "- target_label: __alerts_path__\n  replacement: api/v2/alerts\n",
       .want = {"http://am1:9093/api/v2/alerts"}},
      {.name = "group __scheme__ overrides the block's scheme when the target has none",
       .groups = {group("0", {"am1"}, L({{"__scheme__", "https"}}))},
       .want = {"https://am1:443/api/v2/alerts"}},
      {.name = "empty group and no groups", .groups = {group("0", {})}, .want = {}},
      {.name = "address with a slash fails its group only",
       .groups = {group("bad", {"am1:9093", "am2/x"}), group("good", {"am3:9093"})},
       .want = {"http://am3:9093/api/v2/alerts"},
       .want_errors = {"target group \"bad\": \"am2/x:80\" is not a valid hostname"}},
      {.name = "unknown scheme without port: Prometheus's invalid scheme",
       .groups = {group("0", {"am1"})},
       .relabel = "- target_label: __scheme__\n  replacement: ftp\n",
       .want = {},
       .want_errors = {"invalid scheme: \"ftp\""}},
      {.name = "unknown scheme with a port: refused too",
       .groups = {group("0", {"am1:21"})},
       .relabel = "- target_label: __scheme__\n  replacement: ftp\n",
       .want = {},
       .want_errors = {"invalid scheme: \"ftp\""}},
      {.name = "relabel removing the address",
       .groups = {group("0", {"am1:9093"})},
       .relabel = "- regex: __address__\n  action: labeldrop\n",
       .want = {},
       .want_errors = {"has no __address__"}},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      std::vector<promha::core::Error> errors;
      const auto got = discovery::resolve(row.groups, row.scheme, row.prefix, row.api,
                                          rules(row.relabel), &errors);
      std::vector<std::string> urls;
      for (const auto& am : got) urls.push_back(am.url);
      CHECK(urls == row.want);
      REQUIRE(errors.size() == row.want_errors.size());
      for (size_t i = 0; i < errors.size(); ++i) {
        INFO(errors[i].str());
        CHECK(errors[i].str().find(row.want_errors[i]) != std::string::npos);
      }
    }
  }
}

TEST_CASE("resolve: labels after relabeling") {
  TargetGroup g;
  g.source = "_am._tcp.example";
  g.targets.push_back(L({{"__address__", "am1"},
                         {"__meta_dns_name", "_am._tcp.example"},
                         {"__scheme__", "https"},  // overridden by the block's scheme
                         {"zone", "a"}}));
  g.labels = L({{"zone", "group"}, {"team", "sre"}});
  discovery::UrlSettings s;
  s.path_prefix = "/p";
  std::vector<Labels> dropped;
  auto r = discovery::fromGroup(g, s, &dropped);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].url == "http://am1:80/p/api/v2/alerts");
  // Meta labels are gone, the target's zone wins over the group's, the group's team fills in.
  CHECK((*r)[0].labels == L({{"__address__", "am1:80"},
                             {"__alerts_path__", "/p/api/v2/alerts"},
                             {"__scheme__", "http"},
                             {"team", "sre"},
                             {"zone", "a"}}));
  CHECK(dropped.empty());

  s.relabel_configs = rules("- action: drop\n  source_labels: [team]\n  regex: sre\n");
  auto d = discovery::fromGroup(g, s, &dropped);
  REQUIRE(d.ok());
  CHECK(d->empty());
  REQUIRE(dropped.size() == 1);
  // The pre-relabel set, as Prometheus keeps it for its dropped Alertmanagers.
  CHECK(dropped[0].get("__meta_dns_name") == "_am._tcp.example");
  CHECK(dropped[0].get("__address__") == "am1");
}

TEST_CASE("alertsPath and splitHostPort") {
  CHECK(discovery::alertsPath("", ApiVersion::kV2) == "/api/v2/alerts");
  CHECK(discovery::alertsPath("/", ApiVersion::kV1) == "/api/v1/alerts");
  CHECK(discovery::alertsPath("a//b", ApiVersion::kV2) == "/a/b/api/v2/alerts");

  struct HP {
    const char* in;
    bool ok;
    const char* host;
    const char* port;
  };
  const HP rows[] = {
      {"am1:9093", true, "am1", "9093"},
      {"[::1]:80", true, "::1", "80"},
      {"am1:", true, "am1", ""},
      {"am1", false, "", ""},
      {"::1", false, "", ""},
      {"[::1]", false, "", ""},
      {"[::1]x:80", false, "", ""},
      {"a[b]:80", false, "", ""},
      {"[a:b]:c:80", false, "", ""},
      {"", false, "", ""},
  };
  for (const HP& r : rows) {
    SUBCASE(r.in) {
      std::string h, p;
      CHECK(discovery::splitHostPort(r.in, &h, &p) == r.ok);
      if (r.ok) {
        CHECK(h == r.host);
        CHECK(p == r.port);
      }
    }
  }
}

TEST_CASE("types: static groups and the bridge from config::AlertmanagerConfig") {
  discovery::StaticConfig sc{{"am1:9093", "am2:9093"}, L({{"dc", "x"}})};
  const TargetGroup g = discovery::toTargetGroup(sc, 2);
  CHECK(g.source == "2");
  CHECK(g.labels == L({{"dc", "x"}}));
  REQUIRE(g.targets.size() == 2);
  CHECK(g.targets[1] == L({{"__address__", "am2:9093"}}));

  promha::config::AlertmanagerConfig am = promha::config::kDefaultAlertmanagerConfig;
  discovery::UrlSettings def = discovery::urlSettingsOf(am);
  CHECK(def.scheme == "http");
  CHECK(def.api_version == ApiVersion::kV2);
  CHECK(discovery::resolve({group("0", {"am1"})}, def)[0].url == "http://am1:80/api/v2/alerts");

  am.scheme = promha::config::Scheme::kHttps;
  am.api_version = promha::config::ApiVersion::kV1;
  am.path_prefix = "/am";
  am.relabel_configs = rules("- target_label: x\n  replacement: y\n");
  am.static_configs = {sc};
  am.dns_sd_configs = {{.names = {"_am._tcp.example"}}};
  const discovery::UrlSettings s = discovery::urlSettingsOf(am);
  CHECK(s.scheme == "https");
  CHECK(s.path_prefix == "/am");
  CHECK(s.api_version == ApiVersion::kV1);
  CHECK(s.relabel_configs.size() == 1);
  const auto urls = discovery::resolve({group("0", {"am1"})}, s);
  REQUIRE(urls.size() == 1);
  CHECK(urls[0].url == "https://am1:443/am/api/v1/alerts");
  CHECK(urls[0].labels.get("x") == "y");

  const discovery::DiscoveryConfig dc = discovery::discoveryConfigOf(am);
  CHECK(dc.static_configs == std::vector<discovery::StaticConfig>{sc});
  REQUIRE(dc.dns_sd_configs.size() == 1);
  CHECK(dc.dns_sd_configs[0].type == discovery::DnsType::kSrv);  // config's default
  CHECK(dc.dns_sd_configs[0].refresh_interval == std::chrono::seconds(30));
  CHECK(dc.file_sd_configs.empty());
}
