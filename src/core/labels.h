// Labels: a sorted, duplicate-free set of name/value pairs, Prometheus's data model for alerts and
// series. An empty value means "no such label" (as in Prometheus), so set(name, "") deletes.
//
// Also here: label-name validation for the two Prometheus schemes (UTF-8, the 3.x default, and
// legacy `[a-zA-Z_][a-zA-Z0-9_]*`), the PromQL-style `{a="b"}` parser used by the CLI, and
// `toString()` in the same syntax.
// Thread-safety: plain values; a const Labels may be read from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace promha::core {

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
};

enum class NameScheme { kUtf8, kLegacy };

// Prometheus's IsValidLabelName for the given scheme.
bool isValidLabelName(std::string_view name, NameScheme scheme);
bool isValidLegacyName(std::string_view name);
bool isValidUtf8(std::string_view s);

// Go strconv.Quote-style double-quoted string (used in messages and label-set output).
std::string quote(std::string_view s);

class Labels {
 public:
  using const_iterator = std::vector<Label>::const_iterator;

  Labels() = default;
  // Sorts by name; drops empty values; for a repeated name the last one wins.
  static Labels fromUnsorted(std::vector<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const Label* find(std::string_view name) const;
  // Sets name=value, or deletes `name` when value is empty.
  void set(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  // Removes the labels for which pred(label) is true, in one pass.
  template <typename Pred>
  void eraseIf(Pred pred) {
    std::erase_if(labels_, pred);
  }
  void clear() { labels_.clear(); }
  void reserve(size_t n) { labels_.reserve(n); }

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const_iterator begin() const { return labels_.begin(); }
  const_iterator end() const { return labels_.end(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  const std::vector<Label>& items() const { return labels_; }

  // `{a="1", b="2"}`; names that are not legacy-valid are quoted, as Prometheus 3.x prints them.
  std::string toString() const;

  bool operator==(const Labels&) const = default;

 private:
  size_t lowerBound(std::string_view name) const;
  std::vector<Label> labels_;
};

// Parses a PromQL-style label set: `{a="b", c='d', "utf8.name"="e"}` (braces optional). Values use
// Go string escapes (double quotes), single quotes, or back-quotes (raw). Duplicate names are an
// error. Error column is 1-based within `text`.
Result<Labels> parseLabelSet(std::string_view text);

}  // namespace promha::core
