// Target-group files: the JSON or YAML that file_sd_configs read (Prometheus's
// discovery/file readFile + targetgroup.Group's unmarshalers):
//
//   [{"targets": ["am1:9093", "am2:9093"], "labels": {"cluster": "eu"}}]
//
// Each target becomes {__address__: target}; the group gets `__meta_filepath` = the file's
// path and the source "<path>:<index>". YAML is strict (unknown keys are errors), JSON ignores
// unknown keys, as Go's encoding/json does. Errors carry file:line:col.
// Pure. Thread-safety: free functions on values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/result.h"
#include "discovery/types.h"

namespace promha::discovery {

enum class FileFormat { kJson, kYaml };

// By extension, case-insensitive: .json, .yml, .yaml; nullopt otherwise.
std::optional<FileFormat> fileFormatOf(std::string_view path);

// Parses the content of `path` (used for messages, the source and __meta_filepath).
core::Result<std::vector<TargetGroup>> parseTargetGroups(
    const std::string& text, const std::string& path, FileFormat format,
    core::NameScheme scheme = core::NameScheme::kUtf8);

}  // namespace promha::discovery
