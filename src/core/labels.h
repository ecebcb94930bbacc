// Labels: a sorted, duplicate-free set of name/value pairs, Prometheus's data model for alerts and
// series. An empty value means "no such label" (as in Prometheus), so set(name, "") deletes.
//
// Also here: label-name validation for the two Prometheus schemes (UTF-8, the 3.x default, and
// legacy `[a-zA-Z_][a-zA-Z0-9_]*`), the PromQL-style `{a="b"}` parser used by the CLI, and
// `toString()` in the same syntax.
// Thread-safety: plain values; a const Labels may be read from any number of threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
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

// Appends code point `cp` (at most U+10FFFF) to `out` as UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

// Go strconv.Quote-style double-quoted string (used in messages and label-set output).
std::string quote(std::string_view s);

class Labels {
 public:
  using const_iterator = std::vector<Label>::const_iterator;

  Labels() = default;
  Labels(const Labels& o) : labels_(o.begin(), o.end()), size_(o.size_) {}
  Labels(Labels&& o) noexcept : labels_(std::move(o.labels_)), size_(o.size_) { o.size_ = 0; }
  // Reuses this set's strings (and their capacity) where it can: copying into a long-lived
  // Labels, as the relabel hot path does per alert or series, does not allocate once warm.
  Labels& operator=(const Labels& o);
  Labels& operator=(Labels&& o) noexcept {
    labels_ = std::move(o.labels_);
    size_ = o.size_;
    o.labels_.clear();
    o.size_ = 0;
    return *this;
  }
  // Sorts by name; drops empty values; for a repeated name the last one wins.
  static Labels fromUnsorted(std::vector<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const Label* find(std::string_view name) const;
  // Sets name=value, or deletes `name` when value is empty.
  void set(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  // Appends name=value where `name` sorts after every name in the set (the caller guarantees
  // it, e.g. a decoder of input it validated as sorted), reusing a spare entry's buffers. An
  // empty value is skipped, as set() would delete it.
  void appendSorted(std::string_view name, std::string_view value);
  // Removes the labels for which pred(label) is true, in one pass.
  template <typename Pred>
  void eraseIf(Pred pred) {
    // std::remove_if moves (never frees) the strings; the removed ones stay as spares.
    const auto live_end = labels_.begin() + static_cast<std::ptrdiff_t>(size_);
    size_ = static_cast<size_t>(std::remove_if(labels_.begin(), live_end, pred) - labels_.begin());
  }
  void clear() { size_ = 0; }
  void reserve(size_t n) { labels_.reserve(n); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return labels_.begin(); }
  const_iterator end() const { return labels_.begin() + static_cast<std::ptrdiff_t>(size_); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  std::span<const Label> items() const { return {labels_.data(), size_}; }

  // `{a="1", b="2"}`; names that are not legacy-valid are quoted, as Prometheus 3.x prints them.
  std::string toString() const;

  bool operator==(const Labels& o) const { return std::ranges::equal(items(), o.items()); }

 private:
  size_t lowerBound(std::string_view name) const;
  // labels_[0, size_) is the set; labels_[size_, end) are spare entries whose string buffers
  // are reused by set() and operator=, so steady-state relabeling does not allocate.
  std::vector<Label> labels_;
  size_t size_ = 0;
};

// Parses a PromQL-style label set: `{a="b", c='d', "utf8.name"="e"}` (braces optional). Values use
// Go string escapes (double quotes), single quotes, or back-quotes (raw). Duplicate names are an
// error. Error column is 1-based within `text`.
Result<Labels> parseLabelSet(std::string_view text);

}  // namespace promha::core
