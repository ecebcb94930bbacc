// FlagSet: Prometheus-style (kingpin) long flags for one subcommand: `--config.file=FILE` or
// `--config.file FILE`, boolean `--trace` / `--no-trace` / `--trace=false`, repeatable flags,
// `--` to end flags, and `--help`. Anything else starting with `-` is an error.
//
//   FlagSet fs("promha relabel", "[flags]", "Dry-run relabel rules.");
//   fs.string("rules", &rules, "a YAML list of relabel configs", "FILE");
//   if (auto st = fs.parse(args); !st) { /* exit 2 with st.error().message */ }
//
// Thread-safety: a FlagSet belongs to one caller.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.h"

namespace promha::cli {

class FlagSet {
 public:
  FlagSet(std::string command, std::string args_usage, std::string description);

  void string(std::string name, std::string* dst, std::string help, std::string placeholder);
  // Repeatable; each use appends.
  void strings(std::string name, std::vector<std::string>* dst, std::string help,
               std::string placeholder);
  void boolean(std::string name, bool* dst, std::string help);

  core::Status parse(const std::vector<std::string>& args);
  bool helpRequested() const { return help_; }
  bool isSet(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string usage() const;
  const std::string& command() const { return command_; }

 private:
  enum class Kind { kString, kStrings, kBool };
  struct Flag {
    std::string name;
    Kind kind;
    void* dst;
    std::string help;
    std::string placeholder;
    bool set = false;
  };
  Flag* find(const std::string& name);

  std::string command_;
  std::string args_usage_;
  std::string description_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// Parses `args` into `fs`. Returns the exit code when the command should stop here: 2 after
// printing a usage error to `err`, 0 after printing --help to `out`; nullopt to go on.
std::optional<int> parseOrExit(FlagSet& fs, const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err);

}  // namespace promha::cli
