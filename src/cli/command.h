// The CLI's subcommand table and dispatcher. Each subcommand is a function from its arguments and
// three streams to an exit code, so tests call it in-process with string streams; main.cpp only
// holds the table and wires std::cin/cout/cerr.
//
// Exit codes follow Prometheus's tools: 0 ok, 1 a check or test failed, 2 usage or input error.
// Thread-safety: stateless functions; Streams are owned by the caller.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace promha::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

using Args = std::vector<std::string>;
using CommandFn = int (*)(const Args& args, Streams& io);

struct Command {
  std::string_view name;  // one or more words: "relabel test"
  std::string_view summary;
  CommandFn run;
};

// Runs the command whose name matches the leading words of `args` (the longest match wins),
// passing it the remaining arguments. Handles `--help`, `help [command]` and `--version`.
int dispatch(std::span<const Command> commands, const Args& args, Streams& io);

}  // namespace promha::cli
