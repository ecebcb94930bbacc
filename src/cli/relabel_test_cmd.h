// `promha relabel test FILE...`: unit tests for relabel rules (Prometheus feature request #8606).
// A test file names the rules (inline `rules:`, `rules_file:`, or `config_file:` with an optional
// `alertmanager:` block index) and lists cases: `input` with the expected `output` or
// `dropped: true`, plus `equal:` groups of inputs that must produce identical results (the HA
// property: alerts from replica A and B collapse). See conf/relabel-test.yml.
//
// Prints a diff per failure; exit 0 all pass, 1 a test failed, 2 a file or its rules are invalid
// (errors as file:line:col: message on stderr).
// Thread-safety: stateless.
#pragma once

#include "cli/command.h"

namespace promha::cli {

int relabelTestCommand(const Args& args, Streams& io);

}  // namespace promha::cli
