#include "cli/version_cmd.h"

#include <ostream>

#include "cli/flags.h"

// PROMHA_VERSION comes from meson (project version) for every target.
#ifndef PROMHA_VERSION
#define PROMHA_VERSION "unknown"
#endif

namespace promha::cli {

namespace {
#if defined(__clang__)
constexpr const char* kCompiler = "clang " __clang_version__;
#else
constexpr const char* kCompiler = "gcc " __VERSION__;
#endif
}  // namespace

std::string version() { return PROMHA_VERSION; }

int versionCommand(const Args& args, Streams& io) {
  FlagSet fs("promha version", "", "Print the version and build information.");
  if (auto code = parseOrExit(fs, args, io.out, io.err)) return *code;
  if (!fs.positional().empty()) {
    io.err << fs.command() << ": error: unexpected argument '" << fs.positional()[0] << "'\n";
    return kExitUsage;
  }
  io.out << "promha, version " << version() << "\n"
         << "  compiler:     " << kCompiler << "\n"
         << "  C++ standard: " << __cplusplus << "\n";
  return kExitOk;
}

}  // namespace promha::cli
