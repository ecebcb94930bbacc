#include "dryrun/input.h"

#include <nlohmann/json.hpp>

namespace promha::dryrun {
namespace {

using nlohmann::json;

core::Error errorAt(const std::string& source, int line, int col, std::string message) {
  core::Error e;
  e.file = source;
  e.line = line;
  e.col = col;
  e.message = std::move(message);
  return e;
}

// 1-based line and column of byte offset `off` in `text`.
std::pair<int, int> lineCol(std::string_view text, size_t off) {
  int line = 1, col = 1;
  for (size_t i = 0; i < off && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// A label object, or an alert whose "labels" is one. Returns "" or an error message.
std::string toLabels(const json& j, core::NameScheme scheme, core::Labels& out) {
  if (!j.is_object())
    return "expected a JSON object of labels or an alert, got " + std::string(j.type_name());
  const json* labels = &j;
  if (auto it = j.find("labels"); it != j.end() && it->is_object()) labels = &*it;
  std::vector<core::Label> items;
  for (const auto& [name, value] : labels->items()) {
    if (!value.is_string()) {
      return "label " + core::quote(name) + ": value must be a string, got " +
             std::string(value.type_name());
    }
    if (!core::isValidLabelName(name, scheme)) {
      return core::quote(name) + " is not a valid label name";
    }
    items.push_back({name, value.get<std::string>()});
  }
  out = core::Labels::fromUnsorted(std::move(items));
  return "";
}

}  // namespace

core::Result<core::Labels> parseLabelsFlag(std::string_view text, core::NameScheme scheme,
                                           const std::string& source) {
  auto ls = core::parseLabelSet(text);
  if (!ls) {
    core::Error e = ls.error();
    e.file = source;
    if (e.line == 0) e.line = 1;
    return e;
  }
  for (const auto& l : *ls) {
    if (!core::isValidLabelName(l.name, scheme)) {
      return errorAt(source, 0, 0, core::quote(l.name) + " is not a valid label name");
    }
  }
  return ls;
}

core::Result<std::vector<core::Labels>> parseJsonInput(std::string_view text,
                                                       const std::string& source,
                                                       core::NameScheme scheme) {
  std::vector<core::Labels> out;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return out;
  if (text[first] == '[') {  // one JSON array: what Prometheus POSTs
    json doc;
    try {
      doc = json::parse(text);
    } catch (const json::parse_error& e) {
      const auto [line, col] = lineCol(text, e.byte > 0 ? e.byte - 1 : 0);
      return errorAt(source, line, col, std::string("invalid JSON: ") + e.what());
    }
    const auto [line, col] = lineCol(text, first);
    for (size_t i = 0; i < doc.size(); ++i) {
      core::Labels ls;
      if (auto msg = toLabels(doc[i], scheme, ls); !msg.empty()) {
        // Appended in steps: GCC 12 at -O3 warns (-Wrestrict, falsely) on "[" + to_string(i).
        std::string where = "[";
        where += std::to_string(i);
        where += "]: ";
        return errorAt(source, line, col, where + msg);
      }
      out.push_back(std::move(ls));
    }
    return out;
  }
  // JSON lines: one object per non-blank line.
  int line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    ++line;
    pos = end + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j;
    try {
      j = json::parse(l);
    } catch (const json::parse_error& e) {
      return errorAt(source, line, static_cast<int>(e.byte > 0 ? e.byte : 1),
                     std::string("invalid JSON: ") + e.what());
    }
    core::Labels ls;
    if (auto msg = toLabels(j, scheme, ls); !msg.empty()) {
      return errorAt(source, line, static_cast<int>(l.find_first_not_of(" \t") + 1), msg);
    }
    out.push_back(std::move(ls));
  }
  return out;
}

}  // namespace promha::dryrun
