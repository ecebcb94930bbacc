// promha's entry point: the table of subcommands. Each row is one subcommand; its logic lives in
// its own file pair and is tested in-process (tests/cli/).
#include <iostream>
#include <string>
#include <vector>

#include "cli/check_config_cmd.h"
#include "cli/command.h"
#include "cli/relabel_cmd.h"
#include "cli/relabel_test_cmd.h"
#include "cli/run_cmd.h"
#include "cli/version_cmd.h"

namespace {

constexpr promha::cli::Command kCommands[] = {
    {"run", "Run the sidecar.", promha::cli::runCommand},
    {"relabel", "Dry-run alert relabel rules on label sets.", promha::cli::relabelCommand},
    {"relabel test", "Run unit tests for relabel rules.", promha::cli::relabelTestCommand},
    {"check-config", "Check configuration files.", promha::cli::checkConfigCommand},
    {"version", "Print version information.", promha::cli::versionCommand},
};

}  // namespace

int main(int argc, char** argv) {
  promha::cli::Streams io{std::cin, std::cout, std::cerr};
  return promha::cli::dispatch(kCommands, promha::cli::Args(argv + 1, argv + argc), io);
}
