// `promha run`: the sidecar. Prometheus-style flags, logfmt/JSON logs, SIGHUP reloads,
// SIGTERM/SIGINT stop accepting, drain the queues for up to --shutdown.drain-timeout, exit 0.
#pragma once

#include "cli/command.h"

namespace promha::cli {

int runCommand(const Args& args, Streams& io);

}  // namespace promha::cli
