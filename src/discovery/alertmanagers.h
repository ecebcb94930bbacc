// Alertmanager URLs from discovered target groups: Prometheus's notifier.AlertmanagerFromGroup
// (2.x, with the default-port inference) and alertmanagerSet.sync (dedup by URL).
//
// For each target of each group, the label set is built in Prometheus's order:
//   1. the target's own labels (__address__, __meta_*),
//   2. __scheme__ = the block's `scheme` and __alerts_path__ = path.Join("/", path_prefix,
//      "/api/<v1|v2>/alerts"), overriding the target's own,
//   3. the group's labels for names the target does not have;
// then the block's `relabel_configs` run; a dropped set is skipped. An __address__ without a
// port gets the scheme's (80 for http, 443 for https), __meta_* labels are removed, and the URL
// is `scheme://address/alerts_path` with Go's net/url escaping.
//
//   std::vector<core::Error> errors;
//   auto ams = discovery::resolve(groups, "http", "", alert::ApiVersion::kV2, rules, &errors);
//
// As in Prometheus, a bad target (an address with a '/', a scheme that needs a default port but
// is neither http nor https) makes its whole group fail: the group is skipped and reported.
// promha additionally refuses, with an error, an empty __address__ and a scheme other than http
// or https (Prometheus would build URLs its client then cannot use).
// Pure. Thread-safety: free functions on values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alert/codec.h"
#include "config/config.h"
#include "core/labels.h"
#include "core/result.h"
#include "discovery/types.h"
#include "relabel/rule.h"

namespace promha::discovery {

struct AlertmanagerUrl {
  std::string url{};      // "http://am1:9093/api/v2/alerts"
  core::Labels labels{};  // after relabeling: __address__ with port, __scheme__, __alerts_path__
  bool operator==(const AlertmanagerUrl&) const = default;
};

// How a block turns targets into URLs (the block's scheme, path_prefix, api_version and
// relabel_configs).
struct UrlSettings {
  std::string scheme = "http";
  std::string path_prefix{};
  alert::ApiVersion api_version = alert::ApiVersion::kV2;
  std::vector<relabel::Rule> relabel_configs{};
};

// A block's scheme, path_prefix, api_version and relabel_configs.
UrlSettings urlSettingsOf(const config::AlertmanagerConfig& am);

// path.Join("/", prefix, "/api/v2/alerts"), Go's path cleaning included.
std::string alertsPath(std::string_view path_prefix, alert::ApiVersion v);

// One group (AlertmanagerFromGroup). `dropped` (optional) receives the pre-relabel label sets
// of the targets that relabeling dropped. Error: the first bad target; nothing is returned then.
core::Result<std::vector<AlertmanagerUrl>> fromGroup(const TargetGroup& group,
                                                     const UrlSettings& settings,
                                                     std::vector<core::Labels>* dropped = nullptr);

// Every group, deduplicated by URL (first occurrence wins, order kept). Groups that fail are
// skipped and their errors ("target group <source>: <message>") appended to `errors`.
std::vector<AlertmanagerUrl> resolve(const std::vector<TargetGroup>& groups,
                                     const UrlSettings& settings,
                                     std::vector<core::Error>* errors = nullptr);
std::vector<AlertmanagerUrl> resolve(const std::vector<TargetGroup>& groups,
                                     std::string_view scheme, std::string_view path_prefix,
                                     alert::ApiVersion api_version,
                                     const std::vector<relabel::Rule>& relabel_configs,
                                     std::vector<core::Error>* errors = nullptr);

// Go's net.SplitHostPort: "host:port", "[v6]:port"; false for a missing port, too many
// colons, or misplaced brackets. The port may be empty ("host:") and is not checked.
bool splitHostPort(std::string_view hostport, std::string* host = nullptr,
                   std::string* port = nullptr);

}  // namespace promha::discovery
