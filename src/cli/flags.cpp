#include "cli/flags.h"

#include <algorithm>
#include <optional>

namespace promha::cli {
namespace {

core::Error usageError(std::string message) {
  core::Error e;
  e.message = std::move(message);
  return e;
}

}  // namespace

FlagSet::FlagSet(std::string command, std::string args_usage, std::string description)
    : command_(std::move(command)),
      args_usage_(std::move(args_usage)),
      description_(std::move(description)) {}

void FlagSet::string(std::string name, std::string* dst, std::string help,
                     std::string placeholder) {
  flags_.push_back({std::move(name), Kind::kString, dst, std::move(help), std::move(placeholder)});
}

void FlagSet::strings(std::string name, std::vector<std::string>* dst, std::string help,
                      std::string placeholder) {
  flags_.push_back({std::move(name), Kind::kStrings, dst, std::move(help), std::move(placeholder)});
}

void FlagSet::boolean(std::string name, bool* dst, std::string help) {
  flags_.push_back({std::move(name), Kind::kBool, dst, std::move(help), ""});
}

FlagSet::Flag* FlagSet::find(const std::string& name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool FlagSet::isSet(const std::string& name) const {
  return std::any_of(flags_.begin(), flags_.end(),
                     [&](const Flag& f) { return f.name == name && f.set; });
}

core::Status FlagSet::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional_.insert(positional_.end(), args.begin() + static_cast<ptrdiff_t>(i) + 1,
                         args.end());
      break;
    }
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.size() < 2 || a[0] != '-' || a == "-") {  // "-" is stdin, a positional
      positional_.push_back(a);
      continue;
    }
    if (a[1] != '-') return usageError("unknown short flag '" + a + "' (flags are --long)");
    const size_t eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::optional<std::string> value;
    if (eq != std::string::npos) value = a.substr(eq + 1);
    Flag* f = find(name);
    bool negated = false;
    if (!f && name.starts_with("no-")) {
      f = find(name.substr(3));
      if (f && f->kind != Kind::kBool) f = nullptr;
      negated = f != nullptr;
    }
    if (!f) return usageError("unknown flag --" + name + ", try --help");
    if (f->kind == Kind::kBool) {
      bool v = !negated;
      if (value) {
        if (negated) return usageError("flag --" + name + " takes no value");
        if (*value == "true") {
          v = true;
        } else if (*value == "false") {
          v = false;
        } else {
          return usageError("flag --" + name + " expects true or false, got '" + *value + "'");
        }
      }
      *static_cast<bool*>(f->dst) = v;
      f->set = true;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) return usageError("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (f->kind == Kind::kString) {
      if (f->set) return usageError("flag --" + name + " given more than once");
      *static_cast<std::string*>(f->dst) = *value;
    } else {
      static_cast<std::vector<std::string>*>(f->dst)->push_back(*value);
    }
    f->set = true;
  }
  return core::Ok{};
}

std::string FlagSet::usage() const {
  std::string out = "usage: " + command_ + " [<flags>]";
  if (!args_usage_.empty()) out += " " + args_usage_;
  out += "\n\n" + description_ + "\n\nFlags:\n";
  std::vector<std::pair<std::string, std::string>> rows{{"--help", "Show this help."}};
  for (const auto& f : flags_) {
    std::string left = "--" + (f.kind == Kind::kBool ? "[no-]" + f.name : f.name);
    if (f.kind != Kind::kBool) left += "=" + f.placeholder;
    std::string help = f.help;
    if (f.kind == Kind::kStrings) help += " (repeatable)";
    rows.emplace_back(std::move(left), std::move(help));
  }
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& [left, help] : rows) {
    out += "  " + left + std::string(width - left.size() + 2, ' ');
    // Continuation lines of a multi-line help text stay aligned.
    for (char c : help) {
      out += c;
      if (c == '\n') out += std::string(width + 4, ' ');
    }
    out += "\n";
  }
  return out;
}

std::optional<int> parseOrExit(FlagSet& fs, const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err) {
  if (auto st = fs.parse(args); !st) {
    err << fs.command() << ": error: " << st.error().message << "\n";
    return 2;
  }
  if (fs.helpRequested()) {
    out << fs.usage();
    return 0;
  }
  return std::nullopt;
}

}  // namespace promha::cli
