// `promha version` (and `promha --version`): Prometheus-style build information.
// Thread-safety: stateless.
#pragma once

#include <string>

#include "cli/command.h"

namespace promha::cli {

// The project version from meson (PROMHA_VERSION).
std::string version();
int versionCommand(const Args& args, Streams& io);

}  // namespace promha::cli
