// Where `promha relabel` and `promha relabel test` get their rules: a bare rule list (`--rules`),
// or a promha config / prometheus.yml (`--config.file`) from which the alert pipeline of one
// Alertmanager block is built (config::buildPipeline).
// Thread-safety: free functions on values.
#pragma once

#include <optional>
#include <string>

#include "config/pipeline.h"
#include "core/labels.h"
#include "core/yaml.h"

namespace promha::cli {

struct RuleSource {
  std::string rules_file;
  std::string config_file;
  std::optional<size_t> alertmanager;      // --alertmanager N
  std::optional<core::NameScheme> scheme;  // --name-validation-scheme
};

struct LoadedPipeline {
  config::Pipeline pipeline;
  core::NameScheme scheme = core::NameScheme::kUtf8;  // for validating input label names
  std::string description;  // "promha config promha.yml, alertmanagers[0]"
};

// Errors (every one, with file:line:col) go to `diag`.
std::optional<LoadedPipeline> loadPipeline(const RuleSource& src, core::Diagnostics& diag);

// Parses "legacy"/"utf8".
std::optional<core::NameScheme> parseScheme(std::string_view s);

}  // namespace promha::cli
