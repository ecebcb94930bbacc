#include "config/config.h"

#include <doctest/doctest.h>

#include <sstream>

#include "config/ha_check.h"
#include "config/pipeline.h"

namespace {

using namespace promha;
using namespace std::chrono_literals;

std::optional<config::Config> load(const std::string& yaml, core::Diagnostics& diag,
                                   config::LoadOptions opts = {}) {
  return config::loadString(yaml, opts, diag);
}

core::Labels L(const char* text) {
  auto ls = core::parseLabelSet(text);
  REQUIRE(ls.ok());
  return *ls;
}

TEST_CASE("an empty config is the default config") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load("", diag);
  REQUIRE(cfg);
  CHECK(cfg->format == config::Format::kPromha);
  CHECK(cfg->alerting.alertmanagers.empty());
  CHECK(cfg->global.metric_name_validation_scheme == core::NameScheme::kUtf8);
  CHECK_FALSE(cfg->ha.has_value());
}

TEST_CASE("defaults are data and YAML overlays them") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
alerting:
  alertmanagers:
    - static_configs: [{targets: ['am-0:9093']}]
    - timeout: 3s
      queue: {capacity: 5}
      retry: {max_backoff: 1m}
      dns_sd_configs: [{names: [am.example]}]
      file_sd_configs: [{files: [ams/*.yml]}]
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  const auto& a0 = cfg->alerting.alertmanagers[0];
  CHECK(a0.timeout == config::kDefaultAlertmanagerConfig.timeout);
  CHECK(a0.timeout == 10s);
  CHECK(a0.scheme == config::Scheme::kHttp);
  CHECK(a0.path_prefix == "/");
  CHECK(a0.api_version == config::ApiVersion::kV2);
  CHECK(a0.queue.capacity == 10000);
  CHECK(a0.queue.max_batch_size == 256);
  CHECK(a0.queue.connections == 2);
  CHECK(a0.retry.min_backoff == 100ms);
  CHECK(a0.retry.max_backoff == 10s);
  CHECK(a0.follow_redirects);
  CHECK(a0.enable_http2);
  CHECK(a0.static_configs[0].targets == std::vector<std::string>{"am-0:9093"});
  const auto& a1 = cfg->alerting.alertmanagers[1];
  CHECK(a1.timeout == 3s);
  CHECK(a1.queue.capacity == 5);
  CHECK(a1.queue.max_batch_size == 256);  // the untouched sibling keeps its default
  CHECK(a1.retry.min_backoff == 100ms);
  CHECK(a1.retry.max_backoff == 1min);
  CHECK(a1.dns_sd_configs[0].type == config::DnsType::kSrv);
  CHECK(a1.dns_sd_configs[0].refresh_interval == 30s);
  CHECK(a1.file_sd_configs[0].refresh_interval == 5min);
}

TEST_CASE("every key is decoded") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
global:
  external_labels: {cluster: eu-1, replica: A}
  metric_name_validation_scheme: legacy
alerting:
  alert_relabel_configs:
    - {action: labeldrop, regex: replica}
  alertmanagers:
    - scheme: https
      path_prefix: /am
      api_version: v1
      basic_auth: {username: u, password: hunter2}
      tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, server_name: am,
                   insecure_skip_verify: true}
      follow_redirects: false
      enable_http2: false
      relabel_configs: [{source_labels: [__address__], target_label: __alerts_path__,
                         replacement: /x}]
      alert_relabel_configs: [{action: drop, source_labels: [severity], regex: info}]
      dns_sd_configs: [{names: [am.local], type: A, port: 9093, refresh_interval: 1m}]
      static_configs: [{targets: [a:1], labels: {zone: z1}}]
    - authorization: {credentials: tok}
ha:
  replica_label: prometheus_replica
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  CHECK(cfg->global.external_labels == L(R"({cluster="eu-1", replica="A"})"));
  CHECK(cfg->global.metric_name_validation_scheme == core::NameScheme::kLegacy);
  REQUIRE(cfg->alerting.alert_relabel_configs.size() == 1);
  CHECK(cfg->alerting.alert_relabel_configs[0].scheme == core::NameScheme::kLegacy);
  const auto& am = cfg->alerting.alertmanagers[0];
  CHECK(am.scheme == config::Scheme::kHttps);
  CHECK(am.path_prefix == "/am");
  CHECK(am.api_version == config::ApiVersion::kV1);
  REQUIRE(am.basic_auth);
  CHECK(am.basic_auth->username == "u");
  CHECK(am.basic_auth->password.reveal() == "hunter2");
  CHECK(am.tls_config.ca_file == "ca.pem");
  CHECK(am.tls_config.server_name == "am");
  CHECK(am.tls_config.insecure_skip_verify);
  CHECK_FALSE(am.follow_redirects);
  CHECK_FALSE(am.enable_http2);
  CHECK(am.relabel_configs.size() == 1);
  CHECK(am.alert_relabel_configs.size() == 1);
  CHECK(am.dns_sd_configs[0].type == config::DnsType::kA);
  CHECK(am.dns_sd_configs[0].port == 9093);
  CHECK(am.dns_sd_configs[0].refresh_interval == 1min);
  CHECK(am.static_configs[0].labels == L(R"({zone="z1"})"));
  const auto& am1 = cfg->alerting.alertmanagers[1];
  REQUIRE(am1.authorization);
  CHECK(am1.authorization->type == "Bearer");
  CHECK(am1.authorization->credentials.reveal() == "tok");
  REQUIRE(cfg->ha);
  CHECK(cfg->ha->replica_label == "prometheus_replica");
}

TEST_CASE("errors name file, line, column and key path; all of them at once") {
  struct Row {
    const char* name;
    const char* yaml;
    std::vector<std::string> errors;
  };
  const Row rows[] = {
      {"unknown top-level key",
       "globl: {}\n",
       {"promha.yml:1:1: unknown key 'globl' (allowed: global, alerting, ha, watch, "
        "remote_write)"}},
      {"root not a mapping", "- a\n", {"promha.yml:1:1: must be a mapping"}},
      {"root a scalar", "just text\n", {"promha.yml:1:1: must be a mapping"}},
      {"unknown global key",
       "global:\n  scrape_interval: 1m\n",
       {"promha.yml:2:3: global: unknown key 'scrape_interval' (allowed: external_labels, "
        "metric_name_validation_scheme)"}},
      {"bad validation scheme",
       "global:\n  metric_name_validation_scheme: ascii\n",
       {"promha.yml:2:34: global.metric_name_validation_scheme: unknown value \"ascii\" (allowed: "
        "utf8, legacy)"}},
      {"legacy external label name",
       "global:\n  metric_name_validation_scheme: legacy\n  "
       "external_labels: {a.b: x}\n",
       {"promha.yml:3:21: global.external_labels: \"a.b\" is not a valid label name"}},
      {"external labels not a map",
       "global:\n  external_labels: [a]\n",
       {"promha.yml:2:20: global.external_labels: must be a mapping of label names to values"}},
      {"duplicate key",
       "alerting: {}\nalerting: {}\n",
       {"promha.yml:2:1: duplicate key 'alerting' (first at line 1)"}},
      {"alertmanagers not a list",
       "alerting:\n  alertmanagers: {}\n",
       {"promha.yml:2:18: alerting.alertmanagers: must be a list"}},
      {"unknown alertmanager key",
       "alerting:\n  alertmanagers:\n    - proxy_url: http://p\n",
       {"promha.yml:3:7: alerting.alertmanagers[0]: unknown key 'proxy_url' (allowed: "
        "static_configs, dns_sd_configs, file_sd_configs, relabel_configs, "
        "alert_relabel_configs, scheme, path_prefix, timeout, api_version, basic_auth, "
        "authorization, tls_config, follow_redirects, enable_http2, queue, retry)"}},
      {"bad scheme",
       "alerting:\n  alertmanagers:\n    - scheme: ftp\n",
       {"promha.yml:3:15: alerting.alertmanagers[0].scheme: unknown value \"ftp\" (allowed: http, "
        "https)"}},
      {"bad api version",
       "alerting:\n  alertmanagers:\n    - api_version: v3\n",
       {"promha.yml:3:20: alerting.alertmanagers[0].api_version: unknown value \"v3\" (allowed: "
        "v2, v1)"}},
      {"bad duration",
       "alerting:\n  alertmanagers:\n    - timeout: 10\n",
       {"promha.yml:3:16: alerting.alertmanagers[0].timeout: not a valid duration string: \"10\""}},
      {"duration not a scalar",
       "alerting:\n  alertmanagers:\n    - timeout: [1s]\n",
       {"promha.yml:3:16: alerting.alertmanagers[0].timeout: must be a duration such as 30s or "
        "1h30m"}},
      {"zero timeout",
       "alerting:\n  alertmanagers:\n    - timeout: 0s\n",
       {"promha.yml:3:16: alerting.alertmanagers[0].timeout: must be positive"}},
      {"bad bool",
       "alerting:\n  alertmanagers:\n    - follow_redirects: yes please\n",
       {"promha.yml:3:25: alerting.alertmanagers[0].follow_redirects: must be true or false"}},
      {"bad uint",
       "alerting:\n  alertmanagers:\n    - queue: {capacity: -1}\n",
       {"promha.yml:3:25: alerting.alertmanagers[0].queue.capacity: must be a non-negative "
        "integer below 2^64, got '-1'"}},
      {"zero queue",
       "alerting:\n  alertmanagers:\n    - queue: {capacity: 0, max_batch_size: 0}\n",
       {"promha.yml:3:25: alerting.alertmanagers[0].queue.capacity: must be positive",
        "promha.yml:3:44: alerting.alertmanagers[0].queue.max_batch_size: must be positive"}},
      {"connections out of range",
       "alerting:\n  alertmanagers:\n    - queue: {connections: 0}\n    - queue: {connections: "
       "17}\n",
       {"promha.yml:3:28: alerting.alertmanagers[0].queue.connections: must be between 1 and 16",
        "promha.yml:4:28: alerting.alertmanagers[1].queue.connections: must be between 1 and 16"}},
      {"unknown queue key",
       "alerting:\n  alertmanagers:\n    - queue: {size: 1}\n",
       {"promha.yml:3:15: alerting.alertmanagers[0].queue: unknown key 'size' (allowed: capacity, "
        "max_batch_size, connections)"}},
      {"min above max backoff",
       "alerting:\n  alertmanagers:\n    - retry: {min_backoff: 1m, max_backoff: 1s}\n",
       {"promha.yml:3:14: alerting.alertmanagers[0].retry: min_backoff (1m) must not exceed "
        "max_backoff (1s)"}},
      {"zero backoff",
       "alerting:\n  alertmanagers:\n    - retry: {min_backoff: 0s}\n",
       {"promha.yml:3:28: alerting.alertmanagers[0].retry.min_backoff: must be positive"}},
      {"target with a path",
       "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['am:9093/x', '']\n",
       {"promha.yml:4:21: alerting.alertmanagers[0].static_configs[0].targets[0]: \"am:9093/x\" is "
        "not a valid hostname (use scheme and path_prefix for the URL parts)",
        "promha.yml:4:34: alerting.alertmanagers[0].static_configs[0].targets[1]: empty target"}},
      {"static labels",
       "alerting:\n  alertmanagers:\n    - static_configs: [{labels: {a: [1]}}]\n",
       {"promha.yml:3:37: alerting.alertmanagers[0].static_configs[0].labels.a: must be a string"}},
      {"unknown static key",
       "alerting:\n  alertmanagers:\n    - static_configs: [{target: [a]}]\n",
       {"promha.yml:3:25: alerting.alertmanagers[0].static_configs[0]: unknown key 'target' "
        "(allowed: targets, labels)"}},
      {"dns without names and port",
       "alerting:\n  alertmanagers:\n    - dns_sd_configs:\n        - type: AAAA\n",
       {"promha.yml:4:11: alerting.alertmanagers[0].dns_sd_configs[0]: DNS-SD config must contain "
        "at least one record name in 'names'",
        "promha.yml:4:11: alerting.alertmanagers[0].dns_sd_configs[0]: a port is required in "
        "DNS-SD configs for all record types except SRV"}},
      {"dns bad type",
       "alerting:\n  alertmanagers:\n    - dns_sd_configs: [{names: [a], type: MX}]\n",
       {"promha.yml:3:43: alerting.alertmanagers[0].dns_sd_configs[0].type: unknown value \"MX\" "
        "(allowed: SRV, A, AAAA)"}},
      {"dns port too big",
       "alerting:\n  alertmanagers:\n    - dns_sd_configs: [{names: [a], type: A, port: 70000}]\n",
       {"promha.yml:3:52: alerting.alertmanagers[0].dns_sd_configs[0].port: must be at most "
        "65535"}},
      {"file sd bad pattern",
       "alerting:\n  alertmanagers:\n    - file_sd_configs: [{files: [a/*/b.yml, c.txt]}]\n",
       {"promha.yml:3:34: alerting.alertmanagers[0].file_sd_configs[0].files[0]: path name "
        "\"a/*/b.yml\" is not valid for file discovery (a .json, .yml or .yaml file; '*' only in "
        "the last path element)",
        "promha.yml:3:45: alerting.alertmanagers[0].file_sd_configs[0].files[1]: path name "
        "\"c.txt\" is not valid for file discovery (a .json, .yml or .yaml file; '*' only in "
        "the last path element)"}},
      {"file sd without files",
       "alerting:\n  alertmanagers:\n    - file_sd_configs: [{}]\n",
       {"promha.yml:3:25: alerting.alertmanagers[0].file_sd_configs[0]: file service discovery "
        "config must contain at least one path name in 'files'"}},
      {"password and password_file",
       "alerting:\n  alertmanagers:\n    - basic_auth: {username: u, password: p, password_file: "
       "f}\n",
       {"promha.yml:3:19: alerting.alertmanagers[0].basic_auth: at most one of basic_auth password "
        "& password_file must be configured"}},
      {"username and username_file",
       "alerting:\n  alertmanagers:\n    - basic_auth: {username: u, username_file: f}\n",
       {"promha.yml:3:19: alerting.alertmanagers[0].basic_auth: at most one of basic_auth username "
        "& username_file must be configured"}},
      {"basic_auth and authorization",
       "alerting:\n  alertmanagers:\n    - basic_auth: {username: u}\n      authorization: "
       "{credentials: c, credentials_file: f}\n",
       {"promha.yml:4:22: alerting.alertmanagers[0].authorization: at most one of basic_auth and "
        "authorization must be configured",
        "promha.yml:4:22: alerting.alertmanagers[0].authorization: at most one of authorization "
        "credentials & credentials_file must be configured"}},
      {"authorization type basic",
       "alerting:\n  alertmanagers:\n    - authorization: {type: Basic}\n",
       {"promha.yml:3:29: alerting.alertmanagers[0].authorization.type: authorization type cannot "
        "be set to \"basic\", use \"basic_auth\" instead"}},
      {"unknown basic_auth key",
       "alerting:\n  alertmanagers:\n    - basic_auth: {user: u}\n",
       {"promha.yml:3:20: alerting.alertmanagers[0].basic_auth: unknown key 'user' (allowed: "
        "username, username_file, password, password_file)"}},
      {"cert without key",
       "alerting:\n  alertmanagers:\n    - tls_config: {cert_file: c.pem}\n    - tls_config: "
       "{key_file: k.pem}\n",
       {"promha.yml:3:19: alerting.alertmanagers[0].tls_config: client cert file \"c.pem\" "
        "specified without client key file",
        "promha.yml:4:19: alerting.alertmanagers[1].tls_config: client key file \"k.pem\" "
        "specified without client cert file"}},
      {"unknown tls key",
       "alerting:\n  alertmanagers:\n    - tls_config: {ca: x}\n",
       {"promha.yml:3:20: alerting.alertmanagers[0].tls_config: unknown key 'ca' (allowed: "
        "ca_file, cert_file, key_file, server_name, insecure_skip_verify)"}},
      {"bad relabel rule in a block",
       "alerting:\n  alertmanagers:\n    - alert_relabel_configs:\n        - action: hashmod\n"
       "          target_label: x\n",
       {"promha.yml:4:11: alerting.alertmanagers[0].alert_relabel_configs[0]: relabel "
        "configuration for hashmod requires non-zero modulus"}},
      {"legacy scheme applies to rules",
       "global: {metric_name_validation_scheme: legacy}\nalerting:\n  alert_relabel_configs:\n"
       "    - {target_label: a.b, replacement: x}\n",
       {"promha.yml:4:7: alerting.alert_relabel_configs[0]: \"a.b\" is invalid 'target_label' for "
        "replace action"}},
      {"unknown ha key",
       "ha: {replica: r}\n",
       {"promha.yml:1:6: ha: unknown key 'replica' (allowed: replica_label, replicas, "
        "failover_timeout, interval, timeout, "
        "failure_threshold, buffer_duration, buffer_max_bytes, split_brain_alert)"}},
      {"bad replica label",
       "ha: {replica_label: ''}\n",
       {"promha.yml:1:21: ha.replica_label: \"\" is not a valid label name"}},
      {"syntax error", "alerting: [\n", {"promha.yml:2:1: end of sequence flow not found"}},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      core::Diagnostics diag("promha.yml");
      auto cfg = load(r.yaml, diag);
      CHECK_FALSE(cfg.has_value());
      std::string got, want;
      for (const auto& e : diag.errors()) got += e.str() + "\n";
      for (const auto& e : r.errors) want += e + "\n";
      CHECK(got == want);
    }
  }
}

TEST_CASE("the name validation scheme can be overridden by the caller") {
  core::Diagnostics diag("promha.yml");
  config::LoadOptions opts;
  opts.scheme = core::NameScheme::kLegacy;
  auto cfg = load("global:\n  external_labels: {a.b: x}\n", diag, opts);
  CHECK_FALSE(cfg);
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0].message == "global.external_labels: \"a.b\" is not a valid label name");
}

TEST_CASE("prometheus.yml mode reads only the alerting parts") {
  const char* prom = R"(
global:
  scrape_interval: 5s
  external_labels: {replica: A, cluster: demo}
rule_files: [rules.yml]
alerting:
  alert_relabel_configs:
    - {action: labeldrop, regex: replica}
  alertmanagers:
    - api_version: v2
      kubernetes_sd_configs: [{role: pod}]
      alert_relabel_configs: [{action: drop, source_labels: [severity], regex: info}]
scrape_configs:
  - job_name: x
remote_write:
  - url: http://x
)";
  SUBCASE("auto-detected") {
    core::Diagnostics diag("prometheus.yml");
    auto cfg = load(prom, diag);
    REQUIRE_MESSAGE(cfg, diag.str());
    CHECK(cfg->format == config::Format::kPrometheus);
    CHECK(cfg->global.external_labels == L(R"({cluster="demo", replica="A"})"));
    CHECK(cfg->alerting.alert_relabel_configs.size() == 1);
    REQUIRE(cfg->alerting.alertmanagers.size() == 1);
    CHECK(cfg->alerting.alertmanagers[0].alert_relabel_configs.size() == 1);
    CHECK(cfg->alerting.alertmanagers[0].api_version == config::ApiVersion::kV2);
  }
  SUBCASE("forced promha format rejects Prometheus keys") {
    core::Diagnostics diag("prometheus.yml");
    config::LoadOptions opts;
    opts.format = config::Format::kPromha;
    CHECK_FALSE(load(prom, diag, opts));
    CHECK(diag.errors().size() >= 4);
  }
  SUBCASE("errors in the parts read are still reported") {
    core::Diagnostics diag("prometheus.yml");
    auto cfg = load("rule_files: []\nalerting:\n  alert_relabel_configs: [{action: nope}]\n", diag);
    CHECK_FALSE(cfg);
    REQUIRE(diag.errors().size() == 1);
    CHECK(diag.errors()[0].str() ==
          "prometheus.yml:3:36: alerting.alert_relabel_configs[0].action: unknown relabel action "
          "\"nope\"");
  }
  SUBCASE("detection keys") {
    for (const char* key : {"scrape_configs", "rule_files", "scrape_config_files", "remote_read",
                            "storage", "tracing"}) {
      CAPTURE(key);
      CHECK(config::looksLikePrometheusConfig(YAML::Load(std::string(key) + ": {}")));
    }
    CHECK_FALSE(config::looksLikePrometheusConfig(YAML::Load("alerting: {}")));
  }
}

TEST_CASE("secrets never print") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
alerting:
  alertmanagers:
    - basic_auth: {username: u, password: hunter2}
    - authorization: {credentials: s3cr3t-token}
)",
                  diag);
  REQUIRE(cfg);
  const std::string yaml = config::toYaml(*cfg);
  CHECK(yaml.find("hunter2") == std::string::npos);
  CHECK(yaml.find("s3cr3t") == std::string::npos);
  CHECK(yaml.find("password: <secret>") != std::string::npos);
  CHECK(yaml.find("credentials: <secret>") != std::string::npos);
  std::ostringstream os;
  os << cfg->alerting.alertmanagers[0].basic_auth->password;
  CHECK(os.str() == "<secret>");
  CHECK(config::Secret().str().empty());
}

TEST_CASE("toYaml round-trips") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
global: {external_labels: {cluster: eu}}
alerting:
  alert_relabel_configs: [{action: labeldrop, regex: replica}]
  alertmanagers:
    - static_configs: [{targets: [a:9093], labels: {az: a}}]
      dns_sd_configs: [{names: [_am._tcp.x], refresh_interval: 1m}]
      file_sd_configs: [{files: [x.yml]}]
      relabel_configs: [{source_labels: [__address__], regex: '(.*):.*', target_label: host,
                         replacement: '$1', separator: ','}]
      timeout: 1m30s
ha: {}
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  const std::string yaml = config::toYaml(*cfg);
  core::Diagnostics diag2("dump.yml");
  auto again = load(yaml, diag2);
  REQUIRE_MESSAGE(again, (diag2.str() + yaml));
  CHECK(*again == *cfg);
}

TEST_CASE("the pipeline follows Prometheus's order") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
global: {external_labels: {cluster: eu, replica: A}}
alerting:
  alert_relabel_configs:
    - {action: labeldrop, regex: replica}
    - {source_labels: [cluster], target_label: region}
  alertmanagers:
    - alert_relabel_configs: [{action: drop, source_labels: [severity], regex: info}]
    - {}
)",
                  diag);
  REQUIRE(cfg);
  struct Row {
    const char* name;
    std::optional<size_t> block;
    const char* in;
    const char* out;  // nullptr: dropped
    size_t dropped_by;
  };
  const Row rows[] = {
      {"external labels added then relabeled", 0, R"({alertname="X"})",
       R"({alertname="X", cluster="eu", region="eu"})", 0},
      {"existing label wins over external", 0, R"({alertname="X", cluster="us"})",
       R"({alertname="X", cluster="us", region="us"})", 0},
      {"block rule runs after global", 0, R"({alertname="X", severity="info"})", nullptr, 2},
      {"other block lacks the drop", 1, R"({alertname="X", severity="info"})",
       R"({alertname="X", cluster="eu", region="eu", severity="info"})", 0},
      {"global stage only", std::nullopt, R"({alertname="X", severity="info", replica="B"})",
       R"({alertname="X", cluster="eu", region="eu", severity="info"})", 0},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      const config::Pipeline p = config::buildPipeline(*cfg, r.block);
      core::Labels ls = L(r.in);
      relabel::Scratch scratch;
      size_t dropped_by = 99;
      const bool kept = config::apply(p, ls, scratch, &dropped_by);
      if (r.out) {
        CHECK(kept);
        CHECK(ls == L(r.out));
      } else {
        CHECK_FALSE(kept);
        CHECK(dropped_by == r.dropped_by);
        CHECK(p.rule_paths[dropped_by] == "alerting.alertmanagers[0].alert_relabel_configs[0]");
      }
      const config::PipelineTrace t = config::trace(p, L(r.in));
      CHECK(t.relabel.result.has_value() == kept);
    }
  }
}

TEST_CASE("HA collapse check") {
  struct Row {
    const char* name;
    const char* yaml;
    size_t problems;
    const char* explanation_part;
  };
  const Row rows[] = {
      {"labeldrop collapses",
       "alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: "
       "replica}]\n  alertmanagers: [{}]\n",
       0, ""},
      {"no rules keep replica", "alerting:\n  alertmanagers: [{}, {}]\n", 2,
       "differ in \"replica\""},
      {"copied replica label",
       "alerting:\n  alert_relabel_configs:\n    - {source_labels: "
       "[replica], target_label: src}\n    - {action: labeldrop, regex: "
       "replica}\n",
       1, "regex: src"},
      {"block-only drop",
       "alerting:\n  alertmanagers:\n    - alert_relabel_configs: [{action: "
       "labeldrop, regex: replica}]\n    - {}\n",
       1, "labeldrop"},
      {"one replica dropped",
       "alerting:\n  alert_relabel_configs: [{action: drop, source_labels: "
       "[replica], regex: A}, {action: labeldrop, regex: replica}]\n",
       1, "dropped"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      core::Diagnostics diag("promha.yml");
      auto cfg = load(r.yaml, diag);
      REQUIRE_MESSAGE(cfg, diag.str());
      const config::HaReport rep = config::checkHa(*cfg, "replica");
      REQUIRE(rep.problems.size() == r.problems);
      if (r.problems > 0) {
        CHECK(rep.problems[0].explanation.find(r.explanation_part) != std::string::npos);
      }
    }
  }
  SUBCASE("everything dropped is inconclusive") {
    core::Diagnostics diag("promha.yml");
    auto cfg = load(
        "alerting:\n  alert_relabel_configs: [{action: drop, regex: .*, source_labels: "
        "[alertname]}]\n",
        diag);
    REQUIRE(cfg);
    const config::HaReport rep = config::checkHa(*cfg, "replica");
    CHECK(rep.ok());
    CHECK(rep.inconclusive == std::vector<std::string>{"alerting"});
  }
}

TEST_CASE("conf/promha.yml loads cleanly") {
  core::Diagnostics diag(PROMHA_SOURCE_DIR "/conf/promha.yml");
  auto cfg = config::loadFile(PROMHA_SOURCE_DIR "/conf/promha.yml", {}, diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  CHECK(cfg->format == config::Format::kPromha);
  CHECK_FALSE(cfg->alerting.alertmanagers.empty());
  REQUIRE(cfg->ha);
  CHECK(config::checkHa(*cfg, cfg->ha->replica_label).ok());
}

TEST_CASE("a missing file is one error") {
  core::Diagnostics diag("nope.yml");
  CHECK_FALSE(config::loadFile("/nonexistent/nope.yml", {}, diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0].str() == "/nonexistent/nope.yml: cannot open file");
}

}  // namespace

TEST_CASE("watch: defaults, every key, round trip and secrets") {
  core::Diagnostics diag("promha.yml");
  auto none = load("", diag);
  REQUIRE(none);
  CHECK(none->watch == config::kDefaultWatchConfig);
  CHECK(none->watch.interval == 5s);
  CHECK(none->watch.timeout == 2s);
  CHECK(none->watch.failure_threshold == 3);
  CHECK(none->watch.peer_down.enabled);
  CHECK(none->watch.peer_down.for_ == 1min);
  CHECK(none->watch.deadman.alertname.empty());
  CHECK_FALSE(none->watch.divergence.alert.enabled);
  CHECK(none->watch.divergence.for_ == 3min);
  CHECK(none->watch.alertmanager_cluster.enabled);

  auto cfg = load(R"(
watch:
  interval: 10s
  timeout: 3s
  failure_threshold: 2
  peers:
    - name: B
      url: https://prometheus-b:9090/prom
      promha_url: http://prometheus-b:9095
      basic_auth: {username: u, password: hunter2}
      tls_config: {insecure_skip_verify: true}
  local: {name: A, url: http://localhost:9090}
  peer_down_alert:
    for: 30s
    resend_interval: 20s
    labels: {severity: page, team: sre}
    annotations: {runbook_url: 'https://runbooks/{{ $labels.peer }}'}
  deadman: {alertname: Watchdog, timeout: 2m, alert: {labels: {severity: warning}}}
  divergence: {for: 1m, alert: {enabled: true}}
  alertmanager_cluster: {enabled: false, settling_timeout: 1m, alert: {for: 0s}}
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  const auto& w = cfg->watch;
  CHECK(w.interval == 10s);
  CHECK(w.timeout == 3s);
  CHECK(w.failure_threshold == 2);
  REQUIRE(w.peers.size() == 1);
  CHECK(w.peers[0].name == "B");
  CHECK(w.peers[0].url == "https://prometheus-b:9090/prom");
  CHECK(w.peers[0].promha_url == "http://prometheus-b:9095");
  CHECK(w.peers[0].basic_auth->password.reveal() == "hunter2");
  CHECK(w.peers[0].tls_config.insecure_skip_verify);
  REQUIRE(w.local);
  CHECK(w.local->name == "A");
  CHECK(w.peer_down.for_ == 30s);
  CHECK(w.peer_down.resend_interval == 20s);
  CHECK(w.peer_down.labels == L("{severity=\"page\", team=\"sre\"}"));
  CHECK(w.peer_down.annotations.get("runbook_url") == "https://runbooks/{{ $labels.peer }}");
  CHECK(w.deadman.alertname == "Watchdog");
  CHECK(w.deadman.timeout == 2min);
  CHECK(w.deadman.alert.labels == L("{severity=\"warning\"}"));
  CHECK(w.divergence.for_ == 1min);
  CHECK(w.divergence.alert.enabled);
  CHECK_FALSE(w.alertmanager_cluster.enabled);
  CHECK(w.alertmanager_cluster.settling_timeout == 1min);
  CHECK(w.alertmanager_cluster.alert.for_ == 0s);

  const std::string yaml = config::toYaml(*cfg);
  CHECK(yaml.find("hunter2") == std::string::npos);
  core::Diagnostics diag2("dump.yml");
  auto again = load(yaml, diag2);
  REQUIRE_MESSAGE(again, (diag2.str() + yaml));
  REQUIRE(again->watch.peers.size() == 1);
  CHECK(again->watch.peers[0].basic_auth->password.reveal() == "<secret>");
  again->watch.peers[0].basic_auth = cfg->watch.peers[0].basic_auth;  // secrets do not round-trip
  CHECK(again->watch == cfg->watch);
}

TEST_CASE("watch: errors say where and why") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(watch:
  interval: 1s
  timeout: 2s
  failure_threshold: 0
  peers:
    - url: prometheus-b:9090
    - name: X
      url: http://b:9090
      promha_url: ftp://b
    - name: X
      url: http://c:9090
      authorization: {type: basic}
  peer_down_alert: {resend_interval: 0s}
  divergence: {colour: red}
)",
                  diag);
  CHECK_FALSE(cfg);
  const std::string got = diag.str();
  for (const char* want : {
           "promha.yml:3:12: watch.timeout: (2s) must not exceed watch.interval (1s)",
           "promha.yml:4:22: watch.failure_threshold: must be positive",
           "promha.yml:6:12: watch.peers[0].url: \"prometheus-b:9090\" is not an http:// or "
           "https:// URL with a host",
           "promha.yml:9:19: watch.peers[1].promha_url: \"ftp://b\" is not an http:// or https:// "
           "URL with a host",
           "promha.yml:10:13: watch.peers[2].name: duplicate peer name \"X\"",
           "watch.peers[2].authorization.type: authorization type cannot be set to \"basic\"",
           "promha.yml:13:38: watch.peer_down_alert.resend_interval: must be positive",
           "promha.yml:14:16: watch.divergence: unknown key 'colour' (allowed: for, alert)",
       }) {
    CHECK_MESSAGE(got.find(want) != std::string::npos, got);
  }
}

// --- ha: ---------------------------------------------------------------------------------------

TEST_CASE("ha: remote-write election keys, defaults and round trip") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
ha: {}
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  REQUIRE(cfg->ha);
  CHECK(*cfg->ha == config::kDefaultHaConfig);
  CHECK(cfg->ha->replicas.empty());
  CHECK(cfg->ha->failover_timeout == 10s);
  CHECK(cfg->ha->buffer_duration == 2min);
  CHECK(cfg->ha->buffer_max_bytes == 64u << 20);

  cfg = load(R"(
watch:
  peers:
    - {name: A, url: "http://prometheus-a:9090", promha_url: "http://prometheus-a:9095"}
    - {name: B, url: "http://prometheus-b:9090", promha_url: "http://prometheus-b:9095"}
ha:
  replicas: [A, B]
  failover_timeout: 5s
  interval: 500ms
  timeout: 400ms
  failure_threshold: 2
  buffer_duration: 1m
  buffer_max_bytes: 1000000
  split_brain_alert: {for: 0s, labels: {team: sre}}
)",
             diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  CHECK(cfg->ha->replicas == std::vector<std::string>{"A", "B"});
  CHECK(cfg->ha->failover_timeout == 5s);
  CHECK(cfg->ha->interval == 500ms);
  CHECK(cfg->ha->timeout == 400ms);
  CHECK(cfg->ha->failure_threshold == 2);
  CHECK(cfg->ha->buffer_duration == 1min);
  CHECK(cfg->ha->buffer_max_bytes == 1000000);
  CHECK(cfg->ha->split_brain_alert.for_ == 0s);
  auto again = load(config::toYaml(*cfg), diag);
  REQUIRE_MESSAGE(again, diag.str());
  CHECK(*again->ha == *cfg->ha);
}

TEST_CASE("ha: errors say where and why") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(watch:
  peers:
    - {name: B, url: "http://prometheus-b:9090"}
ha:
  replicas: [A, B, B, ""]
  failover_timeout: 1s
  interval: 1s
  timeout: 2s
  failure_threshold: 0
)",
                  diag);
  CHECK_FALSE(cfg);
  const std::string got = diag.str();
  for (const char* want : {
           "ha.replicas[0]: replica \"A\" is not named in watch.peers or watch.local",
           "ha.replicas[1]: watch.peers entry \"B\" needs a promha_url",
           "ha.replicas[2]: duplicate replica \"B\"",
           "ha.replicas[3]: must not be empty",
           "ha.timeout: (2s) must not exceed ha.interval (1s)",
           "ha.failover_timeout: (1s) must be at least twice ha.interval (1s)",
           "ha.failure_threshold: must be positive",
       }) {
    CHECK_MESSAGE(got.find(want) != std::string::npos, got);
  }
}

// --- remote_write: -----------------------------------------------------------------------------

TEST_CASE("remote_write: Prometheus's keys, defaults as data") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
remote_write:
  - url: http://vm:8428/api/v1/write
  - url: https://mimir.example/api/v1/push
    name: mimir
    remote_timeout: 10s
    headers: {X-Scope-OrgID: team-a}
    write_relabel_configs:
      - {action: labeldrop, regex: replica}
    basic_auth: {username: u, password_file: /etc/promha/pw}
    tls_config: {insecure_skip_verify: true}
    queue_config:
      capacity: 2500
      max_shards: 8
      min_shards: 2
      max_samples_per_send: 500
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 10s
      retry_on_http_429: true
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  REQUIRE(cfg->remote_write.size() == 2);
  const config::RemoteWriteConfig& d = cfg->remote_write[0];
  CHECK(d.url == "http://vm:8428/api/v1/write");
  CHECK(d.name.empty());
  CHECK(d.remote_timeout == 30s);
  CHECK(d.write_relabel_configs.empty());
  CHECK(d.queue_config == config::RemoteWriteQueueConfig{});
  CHECK(d.queue_config.capacity == 10000);
  CHECK(d.queue_config.max_shards == 4);
  CHECK(d.queue_config.max_samples_per_send == 2000);
  CHECK(d.queue_config.batch_send_deadline == 5s);
  CHECK(d.queue_config.min_backoff == 30ms);
  CHECK(d.queue_config.max_backoff == 5s);
  CHECK_FALSE(d.queue_config.retry_on_http_429);
  const config::RemoteWriteConfig& m = cfg->remote_write[1];
  CHECK(m.name == "mimir");
  CHECK(m.remote_timeout == 10s);
  CHECK(m.headers == std::map<std::string, std::string>{{"X-Scope-OrgID", "team-a"}});
  REQUIRE(m.write_relabel_configs.size() == 1);
  CHECK(m.write_relabel_configs[0].action == relabel::Action::kLabelDrop);
  REQUIRE(m.basic_auth);
  CHECK(m.basic_auth->password_file == "/etc/promha/pw");
  CHECK(m.tls_config.insecure_skip_verify);
  CHECK(m.queue_config.capacity == 2500);
  CHECK(m.queue_config.max_shards == 8);
  CHECK(m.queue_config.min_shards == 2);
  CHECK(m.queue_config.max_samples_per_send == 500);
  CHECK(m.queue_config.batch_send_deadline == 1s);
  CHECK(m.queue_config.min_backoff == 100ms);
  CHECK(m.queue_config.max_backoff == 10s);
  CHECK(m.queue_config.retry_on_http_429);

  // The dump loads back to the same config.
  const std::string yaml = config::toYaml(*cfg);
  core::Diagnostics diag2("dump.yml");
  auto again = load(yaml, diag2);
  REQUIRE_MESSAGE(again, (diag2.str() + yaml));
  CHECK(again->remote_write == cfg->remote_write);
  // Without remote_write, the dump has no such section.
  core::Diagnostics diag3("empty.yml");
  auto empty = load("", diag3);
  REQUIRE(empty);
  CHECK(config::toYaml(*empty).find("remote_write") == std::string::npos);
}

TEST_CASE("remote_write: secrets never print") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(
remote_write:
  - url: http://a/api/v1/write
    authorization: {credentials: s3cr3t-token}
  - url: http://b/api/v1/write
    basic_auth: {username: u, password: hunter2}
)",
                  diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  const std::string yaml = config::toYaml(*cfg);
  CHECK(yaml.find("s3cr3t") == std::string::npos);
  CHECK(yaml.find("hunter2") == std::string::npos);
  CHECK(yaml.find("credentials: <secret>") != std::string::npos);
}

TEST_CASE("remote_write: errors say where and why") {
  core::Diagnostics diag("promha.yml");
  auto cfg = load(R"(remote_write:
  - name: a
  - url: vm:8428/api/v1/write
    name: a
  - url: http://vm/api/v1/write
    remote_timeout: 0s
    headers: {Content-Type: text/plain, "bad header": x, X-Ok: "a\r\nInjected: 1"}
  - url: http://vm/api/v1/write
    headers: {authorization: Bearer x}
    basic_auth: {username: u, password: p}
    queue_config: {capacity: 0, max_shards: 0, max_samples_per_send: 0,
                   batch_send_deadline: 0s, min_backoff: 1s, max_backoff: 100ms}
  - url: http://vm2/api/v1/write
    send_exemplars: true
    queue_config: {max_shards: 1000, shards: 3}
)",
                  diag);
  CHECK_FALSE(cfg);
  const std::string got = diag.str();
  for (const char* want : {
           "promha.yml:2:5: remote_write[0].url: is required",
           "promha.yml:3:10: remote_write[1].url: \"vm:8428/api/v1/write\" is not an http:// or "
           "https:// URL with a host",
           "promha.yml:4:11: remote_write[1].name: duplicate remote write name \"a\" (also "
           "remote_write[0])",
           "promha.yml:6:21: remote_write[2].remote_timeout: must be positive",
           "remote_write[2].headers.Content-Type: Content-Type is a reserved header. It must not "
           "be changed",
           "remote_write[2].headers.bad header: \"bad header\" is not a valid HTTP header name",
           "remote_write[2].headers.X-Ok: header values must not contain CR, LF or NUL",
           "promha.yml:8:10: remote_write[3].url: duplicate URL \"http://vm/api/v1/write\" (also "
           "remote_write[2]); promha's queues and metrics are per URL",
           "remote_write[3].headers.authorization: authorization header must be changed via the "
           "basic_auth or authorization parameter",
           "remote_write[3].queue_config.capacity: must be positive",
           "remote_write[3].queue_config.max_shards: must be between 1 and 256",
           "remote_write[3].queue_config.max_samples_per_send: must be positive",
           "remote_write[3].queue_config.batch_send_deadline: must be positive",
           "remote_write[3].queue_config: min_backoff (1s) must not exceed max_backoff (100ms)",
           "promha.yml:14:5: remote_write[4]: unknown key 'send_exemplars' (allowed: url, name, "
           "write_relabel_configs, remote_timeout, headers, basic_auth, authorization, "
           "tls_config, queue_config)",
       }) {
    CHECK_MESSAGE(got.find(want) != std::string::npos, want << "\n---\n" << got);
  }
}

TEST_CASE("remote_write: a prometheus.yml is not read for it") {
  core::Diagnostics diag("prometheus.yml");
  auto cfg = load("scrape_configs: []\nremote_write: [{url: 'http://x/api/v1/write'}]\n", diag);
  REQUIRE_MESSAGE(cfg, diag.str());
  CHECK(cfg->format == config::Format::kPrometheus);
  CHECK(cfg->remote_write.empty());
}
