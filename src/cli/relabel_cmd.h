// `promha relabel`: dry-run alert relabeling. Rules from --rules (a YAML list of relabel configs)
// or --config.file (promha config or prometheus.yml: external labels, global then per-block
// alert_relabel_configs, as Prometheus applies them); label sets from --labels (repeatable) and
// --input FILE|- ; output as text (optionally with --trace) or JSON lines.
// Thread-safety: stateless.
#pragma once

#include "cli/command.h"

namespace promha::cli {

int relabelCommand(const Args& args, Streams& io);

}  // namespace promha::cli
