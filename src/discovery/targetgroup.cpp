#include "discovery/targetgroup.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/yaml.h"

namespace promha::discovery {
namespace {

core::Error errorAt(const std::string& file, const YAML::Node& at, const std::string& path,
                    const std::string& message) {
  core::Diagnostics d(file);
  d.add(at, path, message);
  return d.errors().front();
}

// 1-based line and column of byte offset `pos` (0-based) in `text`.
void lineCol(const std::string& text, size_t pos, int& line, int& col) {
  line = 1;
  col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

// For the rare JSON text yaml-cpp does not read: the same tree, without positions.
YAML::Node toYaml(const nlohmann::json& j) {
  YAML::Node n;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return YAML::Node(YAML::NodeType::Null);
    case nlohmann::json::value_t::array:
      n = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& e : j) n.push_back(toYaml(e));
      return n;
    case nlohmann::json::value_t::object:
      n = YAML::Node(YAML::NodeType::Map);
      for (const auto& [k, v] : j.items()) n[k] = toYaml(v);
      return n;
    case nlohmann::json::value_t::string:
      n = YAML::Node(j.get<std::string>());
      n.SetTag("!");  // quoted, as yaml-cpp marks a quoted scalar
      return n;
    default:
      return YAML::Node(j.dump());
  }
}

// A JSON string (yaml-cpp tags quoted scalars "!"), or any YAML scalar.
bool isStringScalar(const YAML::Node& n, FileFormat f) {
  if (!n.IsScalar()) return false;
  return f == FileFormat::kYaml || n.Tag() == "!";
}

core::Result<std::vector<TargetGroup>> convert(const YAML::Node& root, const std::string& file,
                                               FileFormat fmt, core::NameScheme scheme) {
  std::vector<TargetGroup> out;
  if (!root.IsDefined() || root.IsNull()) {
    if (fmt == FileFormat::kJson)
      return errorAt(file, root, "", "expected a list of target groups");
    return out;  // an empty YAML file holds no groups
  }
  if (!root.IsSequence()) return errorAt(file, root, "", "expected a list of target groups");
  const std::string type_word = fmt == FileFormat::kJson ? "a string" : "a scalar";
  for (size_t i = 0; i < root.size(); ++i) {
    const YAML::Node item = root[i];
    const std::string ipath = core::indexPath("", i);
    if (item.IsNull()) return errorAt(file, item, ipath, "nil target group item found");
    if (!item.IsMap()) return errorAt(file, item, ipath, "expected a target group (a map)");
    TargetGroup g;
    g.source = file + ":" + std::to_string(i);
    for (const auto& kv : item) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const YAML::Node& val = kv.second;
      const std::string kpath = core::joinPath(ipath, key);
      if (key == "targets") {
        if (val.IsNull()) continue;
        if (!val.IsSequence()) return errorAt(file, val, kpath, "expected a list of targets");
        for (size_t t = 0; t < val.size(); ++t) {
          const YAML::Node tn = val[t];
          if (!isStringScalar(tn, fmt)) {
            return errorAt(file, tn, core::indexPath(kpath, t), "target must be " + type_word);
          }
          core::Labels ls;
          ls.set(kAddressLabel, tn.Scalar());
          g.targets.push_back(std::move(ls));
        }
      } else if (key == "labels") {
        if (val.IsNull()) continue;
        if (!val.IsMap()) return errorAt(file, val, kpath, "expected a map of labels");
        std::vector<core::Label> labels;
        for (const auto& lv : val) {
          if (!lv.first.IsScalar())
            return errorAt(file, lv.first, kpath, "label name must be a scalar");
          const std::string name = lv.first.Scalar();
          const std::string lpath = core::joinPath(kpath, name);
          if (!core::isValidLabelName(name, scheme)) {
            return errorAt(file, lv.first, lpath, core::quote(name) + " is not a valid label name");
          }
          if (!isStringScalar(lv.second, fmt)) {
            return errorAt(file, lv.second, lpath, "label value must be " + type_word);
          }
          if (!core::isValidUtf8(lv.second.Scalar())) {
            return errorAt(file, lv.second, lpath, "label value is not valid UTF-8");
          }
          labels.push_back(core::Label{name, lv.second.Scalar()});
        }
        g.labels = core::Labels::fromUnsorted(std::move(labels));
      } else if (fmt == FileFormat::kYaml) {
        // yaml.UnmarshalStrict in Prometheus; encoding/json ignores unknown fields.
        return errorAt(file, kv.first, kpath, "unknown key " + core::quote(key));
      }
    }
    g.labels.set(kFilepathLabel, file);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

std::optional<FileFormat> fileFormatOf(std::string_view path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string ext(path.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".json") return FileFormat::kJson;
  if (ext == ".yml" || ext == ".yaml") return FileFormat::kYaml;
  return std::nullopt;
}

core::Result<std::vector<TargetGroup>> parseTargetGroups(const std::string& text,
                                                         const std::string& path, FileFormat format,
                                                         core::NameScheme scheme) {
  if (format == FileFormat::kYaml) {
    auto node = core::parseYaml(text, path);
    if (!node) return node.error();
    return convert(*node, path, format, scheme);
  }
  // JSON: nlohmann decides what is valid JSON (yaml-cpp accepts more); yaml-cpp then gives
  // positions for the content checks.
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    core::Error err;
    err.file = path;
    lineCol(text, e.byte > 0 ? e.byte - 1 : 0, err.line, err.col);
    std::string msg = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (const size_t p = msg.find(": "); p != std::string::npos) msg = msg.substr(p + 2);
    err.message = "invalid JSON: " + msg;
    return err;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    root = toYaml(j);
  }
  return convert(root, path, format, scheme);
}

}  // namespace promha::discovery
