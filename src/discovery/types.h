// Service-discovery types for Alertmanager discovery, shaped like Prometheus's discovery
// packages. The per-block configs are the config module's structs (defaults as data, YAML
// loading and Prometheus's validation live there, one definition for both modules):
//
//   static_configs   -> config::StaticConfig   (discovery/targetgroup: a literal target group)
//   dns_sd_configs   -> config::DnsSdConfig    (discovery/dns)
//   file_sd_configs  -> config::FileSdConfig   (discovery/file)
//
// Every discoverer produces TargetGroups: a list of target label sets (each holding at least
// `__address__`) plus labels common to the group, identified by a `source` string that is
// unique within its discoverer. alertmanagers.h turns groups into Alertmanager URLs.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/duration.h"
#include "core/labels.h"

namespace promha::discovery {

using Duration = core::Duration;
using StaticConfig = config::StaticConfig;
using DnsType = config::DnsType;
using DnsSdConfig = config::DnsSdConfig;
using FileSdConfig = config::FileSdConfig;

// Label names set by discovery (Prometheus's model.AddressLabel etc.).
inline constexpr std::string_view kAddressLabel = "__address__";
inline constexpr std::string_view kSchemeLabel = "__scheme__";
inline constexpr std::string_view kAlertsPathLabel = "__alerts_path__";
inline constexpr std::string_view kMetaLabelPrefix = "__meta_";
inline constexpr std::string_view kDnsNameLabel = "__meta_dns_name";
inline constexpr std::string_view kDnsSrvTargetLabel = "__meta_dns_srv_record_target";
inline constexpr std::string_view kDnsSrvPortLabel = "__meta_dns_srv_record_port";
inline constexpr std::string_view kFilepathLabel = "__meta_filepath";

// One discovered group of targets (Prometheus's targetgroup.Group).
struct TargetGroup {
  std::string source{};                 // unique per discoverer: "0", "am.example.com", "f.yml:0"
  std::vector<core::Labels> targets{};  // each has __address__ (and __meta_* labels)
  core::Labels labels{};                // applied to every target that lacks the label
  bool operator==(const TargetGroup&) const = default;
};

// The discovery part of one `alertmanagers[]` block.
struct DiscoveryConfig {
  std::vector<StaticConfig> static_configs{};
  std::vector<DnsSdConfig> dns_sd_configs{};
  std::vector<FileSdConfig> file_sd_configs{};
  bool operator==(const DiscoveryConfig&) const = default;
};

DiscoveryConfig discoveryConfigOf(const config::AlertmanagerConfig& am);

// The target group of static_configs[index]: source "<index>", one target per address.
TargetGroup toTargetGroup(const StaticConfig& c, size_t index);

}  // namespace promha::discovery
