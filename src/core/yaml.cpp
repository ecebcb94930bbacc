#include "core/yaml.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace promha::core {

void Diagnostics::add(const YAML::Node& at, std::string_view path, std::string_view message) {
  Error e;
  e.file = file_;
  if (at.IsDefined()) {
    const YAML::Mark m = at.Mark();
    if (m.line >= 0) {
      e.line = m.line + 1;
      e.col = m.column + 1;
    }
  }
  e.message = path.empty() ? std::string(message) : std::string(path) + ": " + std::string(message);
  errors_.push_back(std::move(e));
}

std::string Diagnostics::str() const {
  std::string out;
  for (const auto& e : errors_) out += e.str() + "\n";
  return out;
}

std::string joinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string indexPath(std::string_view parent, size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

namespace {
// yaml-cpp recurses per nesting level; bound it so hostile input cannot exhaust the stack.
constexpr int kMaxDepth = 64;

int depthOf(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_single = false, in_double = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_double) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_double = false;
      continue;
    }
    if (in_single) {
      if (c == '\'') in_single = false;
      continue;
    }
    if (c == '"')
      in_double = true;
    else if (c == '\'')
      in_single = true;
    else if (c == '[' || c == '{')
      max_depth = std::max(max_depth, ++depth);
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
    else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    }
  }
  return max_depth;
}
}  // namespace

Result<YAML::Node> parseYaml(const std::string& text, const std::string& file) {
  if (depthOf(text) > kMaxDepth) {
    return Error{"YAML nesting deeper than " + std::to_string(kMaxDepth) + " levels", file};
  }
  try {
    YAML::Node n = YAML::Load(text);
    return n;
  } catch (const YAML::Exception& e) {
    Error err{e.msg, file};
    if (e.mark.line >= 0) {
      err.line = e.mark.line + 1;
      err.col = e.mark.column + 1;
    }
    return err;
  } catch (const std::exception& e) {
    return Error{std::string("invalid YAML: ") + e.what(), file};
  }
}

Result<YAML::Node> loadYamlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open file", path};
  std::stringstream ss;
  ss << in.rdbuf();
  return parseYaml(ss.str(), path);
}

bool checkKeys(const YAML::Node& map, std::string_view path,
               std::initializer_list<std::string_view> allowed, Diagnostics& diag) {
  if (!map.IsMap()) {
    diag.add(map, path, "must be a mapping");
    return false;
  }
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      diag.add(kv.first, path, "keys must be strings");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      diag.add(kv.first, path, "unknown key '" + key + "' (allowed: " + list + ")");
    }
  }
  return true;
}

std::optional<std::string> getString(const YAML::Node& n, std::string_view path, Diagnostics& d) {
  if (n.IsNull()) return std::string();
  if (!n.IsScalar()) {
    d.add(n, path, "must be a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<uint64_t> getUint(const YAML::Node& n, std::string_view path, Diagnostics& d) {
  if (n.IsNull()) return uint64_t{0};
  if (!n.IsScalar()) {
    d.add(n, path, "must be a non-negative integer");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    d.add(n, path, "must be a non-negative integer below 2^64, got '" + s + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> getBool(const YAML::Node& n, std::string_view path, Diagnostics& d) {
  if (n.IsNull()) return false;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  d.add(n, path, "must be true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> getStringList(const YAML::Node& n, std::string_view path,
                                                      Diagnostics& d) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) {
    d.add(n, path, "must be a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    auto s = getString(n[i], indexPath(path, i), d);
    if (!s) {
      ok = false;
      continue;
    }
    out.push_back(std::move(*s));
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace promha::core
