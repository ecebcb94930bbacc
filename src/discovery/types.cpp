#include "discovery/types.h"

namespace promha::discovery {

DiscoveryConfig discoveryConfigOf(const config::AlertmanagerConfig& am) {
  return DiscoveryConfig{am.static_configs, am.dns_sd_configs, am.file_sd_configs};
}

TargetGroup toTargetGroup(const StaticConfig& c, size_t index) {
  // Prometheus's StaticProvider names the groups by their index.
  TargetGroup g;
  g.source = std::to_string(index);
  g.labels = c.labels;
  g.targets.reserve(c.targets.size());
  for (const auto& t : c.targets) {
    core::Labels ls;
    ls.set(kAddressLabel, t);
    g.targets.push_back(std::move(ls));
  }
  return g;
}

}  // namespace promha::discovery
