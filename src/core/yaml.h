// YAML helpers shared by every config loader: positions, strict keys, typed scalars, and a
// Diagnostics list so that a loader reports all errors at once instead of the first only.
//
// yaml-cpp has no strict mode; loaders call checkKeys() on every map. Positions are 1-based.
// Messages read "file:line:col: path: message", Prometheus-style.
// Thread-safety: Diagnostics is a plain value owned by one loader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace promha::core {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}

  // Records an error at `at`'s position: "path: message" (path may be empty).
  void add(const YAML::Node& at, std::string_view path, std::string_view message);
  void add(Error e) { errors_.push_back(std::move(e)); }
  bool ok() const { return errors_.empty(); }
  const std::vector<Error>& errors() const { return errors_; }
  const std::string& file() const { return file_; }
  // All errors, one per line.
  std::string str() const;

 private:
  std::string file_;
  std::vector<Error> errors_;
};

// Joins a key path: join("alerting", "alertmanagers[0]") == "alerting.alertmanagers[0]".
std::string joinPath(std::string_view parent, std::string_view key);
std::string indexPath(std::string_view parent, size_t i);

// Parses YAML text, converting yaml-cpp's exceptions (syntax errors, too deep nesting).
Result<YAML::Node> parseYaml(const std::string& text, const std::string& file);
// Reads and parses a file.
Result<YAML::Node> loadYamlFile(const std::string& path);

// Reports every key of `map` that is not in `allowed`. Returns false if `map` is not a map.
bool checkKeys(const YAML::Node& map, std::string_view path,
               std::initializer_list<std::string_view> allowed, Diagnostics& diag);

// Typed scalar readers: each reports a type error and returns nullopt on bad input; a YAML null
// yields the zero value, as Go's yaml.v2 does.
std::optional<std::string> getString(const YAML::Node& n, std::string_view path, Diagnostics& d);
std::optional<uint64_t> getUint(const YAML::Node& n, std::string_view path, Diagnostics& d);
std::optional<bool> getBool(const YAML::Node& n, std::string_view path, Diagnostics& d);
std::optional<std::vector<std::string>> getStringList(const YAML::Node& n, std::string_view path,
                                                      Diagnostics& d);

}  // namespace promha::core
