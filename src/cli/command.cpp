#include "cli/command.h"

#include <ostream>

namespace promha::cli {
namespace {

size_t wordCount(std::string_view name) {
  size_t n = 1;
  for (char c : name) n += c == ' ';
  return n;
}

// Whether the first words of args[from...] spell `name`.
bool matches(std::string_view name, const Args& args, size_t from) {
  size_t i = from;
  while (!name.empty()) {
    const size_t sp = name.find(' ');
    const std::string_view word = name.substr(0, sp);
    if (i >= args.size() || args[i] != word) return false;
    ++i;
    name = sp == std::string_view::npos ? std::string_view() : name.substr(sp + 1);
  }
  return true;
}

void usage(std::span<const Command> commands, std::ostream& os) {
  os << "usage: promha <command> [<flags>] [<args> ...]\n\n"
        "promha: a sidecar that makes a Prometheus HA pair behave as one system.\n\n"
        "Commands:\n";
  size_t width = 0;
  for (const auto& c : commands) width = std::max(width, c.name.size());
  for (const auto& c : commands) {
    os << "  " << c.name << std::string(width - c.name.size() + 2, ' ') << c.summary << "\n";
  }
  os << "\nRun 'promha <command> --help' for the flags of a command.\n";
}

const Command* find(std::span<const Command> commands, const Args& args, size_t from) {
  const Command* best = nullptr;
  for (const auto& c : commands) {
    if (matches(c.name, args, from) && (!best || wordCount(c.name) > wordCount(best->name))) {
      best = &c;
    }
  }
  return best;
}

}  // namespace

int dispatch(std::span<const Command> commands, const Args& args, Streams& io) {
  if (args.empty()) {
    usage(commands, io.err);
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || (first == "help" && args.size() == 1)) {
    usage(commands, io.out);
    return kExitOk;
  }
  if (first == "help") {  // `promha help relabel test` == `promha relabel test --help`
    if (const Command* c = find(commands, args, 1)) return c->run({"--help"}, io);
    io.err << "promha: error: unknown command \"" << args[1] << "\", try --help\n";
    return kExitUsage;
  }
  if (first == "--version") {
    if (const Command* c = find(commands, {"version"}, 0)) return c->run({}, io);
  }
  const Command* c = find(commands, args, 0);
  if (!c) {
    io.err << "promha: error: unknown command \"" << first << "\", try --help\n";
    return kExitUsage;
  }
  return c->run(Args(args.begin() + static_cast<ptrdiff_t>(wordCount(c->name)), args.end()), io);
}

}  // namespace promha::cli
