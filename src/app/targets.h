// Turns an `alerting.alertmanagers[]` block plus one discovered URL into a notify::Target:
// API version, time-out, queue and retry settings, and credentials (read from
// password_file / credentials_file at (re)load time, as Prometheus does on each config load).
// Thread-safety: free functions.
#pragma once

#include <string>

#include "config/config.h"
#include "core/result.h"
#include "notify/target.h"
#include "remotewrite/forwarder.h"

namespace promha::app {

core::Result<notify::Target> makeTarget(const config::AlertmanagerConfig& am, std::string url);

// A Target for the watcher's probes of a peer: base URL, time-out and the peer's credentials.
core::Result<notify::Target> makePeerTarget(const config::PeerConfig& peer, std::string url,
                                            core::Duration timeout);

// The remote_write endpoints of a config, credentials read from their files; an error names the
// entry whose file cannot be read.
core::Result<std::vector<remotewrite::EndpointConfig>> remoteWriteEndpoints(
    const config::Config& cfg);

}  // namespace promha::app
