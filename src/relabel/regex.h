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

// The last few match results of engine regexes, keyed by regex and input text. Label values
// repeat (severity, namespace, job), and a hit skips RE2's submatch search. Lives in a
// relabel::Scratch; owned by one thread at a time. Each entry pins its compiled regex, so an
// entry can never be mistaken for one of a later regex that reuses the address.
class MatchCache {
 private:
  friend class Regex;
  struct Entry {
    std::shared_ptr<const re2::RE2> re;
    std::string text;
    bool matched = false;
    std::vector<std::pair<int, int>> spans;  // (offset, length); offset -1 = no participation
  };
  static constexpr size_t kEntries = 4;
  static constexpr size_t kMaxText = 256;  // longer inputs are rarely repeated; not cached
  Entry entries_[kEntries];
  size_t next_ = 0;
};

class Regex {
 public:
  // The default relabel regex "(.*)".
  Regex();
  static core::Result<Regex> compile(std::string_view pattern);

  const std::string& pattern() const { return pattern_; }
  // Whether the whole string matches (the pattern is anchored by the wrapping).
  bool matches(std::string_view s) const {
    return kind_ == Kind::kEngine ? engineMatches(s) : fastMatch(s);
  }
  // Like matches(), filling `groups` (resized to groupCount()+1) on success.
  bool match(std::string_view s, Groups& groups) const;
  // The same, answering repeated inputs from `cache`.
  bool match(std::string_view s, Groups& groups, MatchCache& cache) const;
  int groupCount() const { return groups_; }

  // Appends Go's Regexp.Expand(template) to `out`.
  void expand(std::string& out, std::string_view tmpl, std::string_view src,
              const Groups& groups) const;
  // Go's ReplaceAllString(src, tmpl).
  std::string replaceAll(std::string_view src, std::string_view tmpl) const;
  // The same, appending to `out` and reusing `groups` (no allocation once the buffers are warm).
  void replaceAll(std::string& out, std::string_view src, std::string_view tmpl,
                  Groups& groups) const;

  // The names this regex matches when it is a plain literal or an alternation of literals
  // ("a", "a|bc"), else empty: such a labeldrop/labelkeep is a lookup, not a scan.
  const std::vector<std::string>& literals() const { return literals_; }

  bool operator==(const Regex& o) const { return pattern_ == o.pattern_; }

 private:
  enum class Kind {
    kEngine,      // general case: RE2
    kLiteral,     // "abc"
    kLiteralSet,  // "a|bc|d"
    kAny,         // ".*"
    kAnyCapture,  // "(.*)": group 1 is the whole string
    kPrefix,      // "abc.*"
    kSuffix,      // ".*abc"
    kContains,    // ".*abc.*"
    kPrefixAny,   // "abc(.*)": group 1 is what follows the prefix
    kPrefixSome,  // "abc(.+)": the same, and something must follow
  };
  void classify();
  bool fastMatch(std::string_view s) const {
    switch (kind_) {
      case Kind::kAny:
      case Kind::kAnyCapture:
        return true;
      case Kind::kLiteral:
        return s == literal_;
      case Kind::kPrefix:
      case Kind::kPrefixAny:
        return s.starts_with(literal_);
      case Kind::kPrefixSome:
        return s.size() > literal_.size() && s.starts_with(literal_);
      case Kind::kSuffix:
        return s.ends_with(literal_);
      case Kind::kContains:
        return s.find(literal_) != std::string_view::npos;
      case Kind::kLiteralSet:
        for (const auto& l : literals_) {
          if (s == l) return true;
        }
        return false;
      case Kind::kEngine:
        break;
    }
    return false;
  }
  bool engineMatches(std::string_view s) const;
  bool engineMatch(std::string_view text, size_t start, Groups& groups) const;

  std::string pattern_;
  Kind kind_ = Kind::kAnyCapture;
  std::string literal_;
  std::vector<std::string> literals_;  // kLiteral: {literal_}; kLiteralSet: sorted
  // An engine pattern that is one capturing group around everything, "(a|b.*)": group 1 is the
  // whole match, so a match needs RE2's DFA only, never its submatch machinery.
  bool whole_group_ = false;
  int groups_ = 1;
  std::vector<std::pair<std::string, int>> names_;  // in group order; names may repeat
  std::shared_ptr<const re2::RE2> re_;              // shared by copies of the same compiled rule
};

}  // namespace promha::relabel
