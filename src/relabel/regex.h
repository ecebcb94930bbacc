// Regex: a relabel regular expression with Prometheus 3.x semantics.
//
// Prometheus compiles "^(?s:" + re + ")$" with Go's RE2 engine; we build the same string and
// hand it to RE2, so odd patterns such as "a)|(b" behave exactly as in Prometheus. Named groups
// (`(?P<n>re)`, `(?<n>re)`, repeated names, all-digit names) are resolved by us because RE2
// rejects repeated names. Patterns that are plain literals, alternations of literals, or simple
// `.*` shapes never reach the regex engine at match time.
//
// expand() is Go's Regexp.Expand and replaceAll() Go's ReplaceAllString; RE2's own Rewrite has
// different rules ($1x, ${name}, missing groups), so both are implemented here.
// Thread-safety: immutable after compile(); match from any number of threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace re2 {
class RE2;
}

namespace promha::relabel {

// Capture groups of one match: [0] is the whole match; a group that did not take part in the
// match has data() == nullptr (it expands to "").
using Groups = std::vector<std::string_view>;

class Regex {
 public:
  // The default relabel regex "(.*)".
  Regex();
  static core::Result<Regex> compile(std::string_view pattern);

  const std::string& pattern() const { return pattern_; }
  // Whether the whole string matches (the pattern is anchored by the wrapping).
  bool matches(std::string_view s) const;
  // Like matches(), filling `groups` (resized to groupCount()+1) on success.
  bool match(std::string_view s, Groups& groups) const;
  int groupCount() const { return groups_; }

  // Appends Go's Regexp.Expand(template) to `out`.
  void expand(std::string& out, std::string_view tmpl, std::string_view src,
              const Groups& groups) const;
  // Go's ReplaceAllString(src, tmpl).
  std::string replaceAll(std::string_view src, std::string_view tmpl) const;

  bool operator==(const Regex& o) const { return pattern_ == o.pattern_; }

 private:
  enum class Kind {
    kEngine,       // general case: RE2
    kLiteral,      // "abc"
    kLiteralSet,   // "a|bc|d"
    kAny,          // ".*"
    kAnyCapture,   // "(.*)": group 1 is the whole string
    kPrefix,       // "abc.*"
    kSuffix,       // ".*abc"
    kContains,     // ".*abc.*"
  };
  void classify();
  bool fastMatch(std::string_view s) const;
  bool engineMatch(std::string_view text, size_t start, Groups& groups) const;

  std::string pattern_;
  Kind kind_ = Kind::kAnyCapture;
  std::string literal_;
  std::vector<std::string> literals_;  // sorted, for kLiteralSet
  int groups_ = 1;
  std::vector<std::pair<std::string, int>> names_;  // in group order; names may repeat
  std::shared_ptr<const re2::RE2> re_;  // shared by copies of the same compiled rule
};

}  // namespace promha::relabel
