// `promha check-config FILE...`: loads and validates each config (promha config or
// prometheus.yml, auto-detected), reports every error with file:line:col and key path, and, when
// a replica label is named (ha.replica_label or --replica-label), checks that alerts from the two
// HA replicas collapse into one through every Alertmanager block's pipeline.
// Exit 0 when every file is valid, 1 otherwise, 2 on bad flags. Secrets print as <secret>.
// Thread-safety: stateless.
#pragma once

#include "cli/command.h"

namespace promha::cli {

int checkConfigCommand(const Args& args, Streams& io);

}  // namespace promha::cli
