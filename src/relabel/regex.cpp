#include "relabel/regex.h"

#include <re2/re2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>

#include "core/labels.h"

namespace promha::relabel {
namespace {

constexpr std::string_view kMeta = "\\.+*?()|[]{}^$";

bool hasMeta(std::string_view s) { return s.find_first_of(kMeta) != std::string_view::npos; }

bool isWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Go's regexp/syntax accepts a capture name made of word characters only.
bool isValidCaptureName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), isWordByte);
}

// Rewrites named groups to plain capturing groups and records their names by group index.
// Scans the pattern the way the parser does: escapes (including \Q...\E) and character classes
// cannot open groups. Anything malformed is left in place for RE2 to reject with its message.
core::Result<std::string> stripGroupNames(std::string_view p,
                                          std::vector<std::pair<std::string, int>>& names) {
  std::string out;
  out.reserve(p.size());
  int group = 0;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] == 'Q') {
        const size_t end = p.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop;
        continue;
      }
      out.append(p.substr(i, std::min<size_t>(2, p.size() - i)));
      i += 2;
      continue;
    }
    if (c == '[') {
      // Character class: copy through the closing ']' (a leading ']' or '^]' is literal).
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\') {
          j += 2;
          continue;
        }
        if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {
          const size_t close = p.find(":]", j + 2);
          if (close != std::string_view::npos) {
            j = close + 2;
            continue;
          }
        }
        ++j;
      }
      j = std::min(j + 1, p.size());
      out.append(p.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '(') {
      const std::string_view rest = p.substr(i);
      size_t name_start = 0;
      if (rest.starts_with("(?P<"))
        name_start = 4;
      else if (rest.starts_with("(?<") && !rest.starts_with("(?<=") && !rest.starts_with("(?<!"))
        name_start = 3;
      if (name_start > 0) {
        const size_t close = rest.find('>', name_start);
        if (close == std::string_view::npos) {
          return core::Error{"error parsing regexp: invalid named capture: `" + std::string(rest) +
                             "`"};
        }
        const std::string_view name = rest.substr(name_start, close - name_start);
        if (!isValidCaptureName(name)) {
          return core::Error{"error parsing regexp: invalid named capture: `" +
                             std::string(rest.substr(0, close + 1)) + "`"};
        }
        names.emplace_back(std::string(name), ++group);
        out += '(';
        i += close + 1;
        continue;
      }
      if (!rest.starts_with("(?")) ++group;
    }
    out += c;
    ++i;
  }
  return out;
}

// Go's extract(): parses "name", "{name}" after a '$'.
struct Ref {
  std::string_view name;
  int num = -1;
  size_t consumed = 0;
};

bool isLetterOrDigit(UChar32 c) {
  if (c < 0x80) return isWordByte(static_cast<char>(c)) && c != '_';
  const int8_t t = u_charType(c);
  return (t >= U_UPPERCASE_LETTER && t <= U_OTHER_LETTER) || t == U_DECIMAL_DIGIT_NUMBER;
}

bool extractRef(std::string_view s, Ref& ref) {
  if (s.empty()) return false;
  size_t i = 0;
  const bool brace = s[0] == '{';
  if (brace) i = 1;
  const size_t start = i;
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const auto len = static_cast<int32_t>(s.size());
  while (static_cast<int32_t>(i) < len) {
    int32_t k = static_cast<int32_t>(i);
    UChar32 c;
    U8_NEXT(bytes, k, len, c);
    if (c < 0 || (!isLetterOrDigit(c) && c != '_')) break;
    i = static_cast<size_t>(k);
  }
  if (i == start) return false;
  ref.name = s.substr(start, i - start);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return false;
    ++i;
  }
  int num = 0;
  for (const char c : ref.name) {
    if (c < '0' || c > '9' || num >= 100000000) {
      num = -1;
      break;
    }
    num = num * 10 + (c - '0');
  }
  if (ref.name[0] == '0' && ref.name.size() > 1) num = -1;
  ref.num = num;
  ref.consumed = i;
  return true;
}

}  // namespace

Regex::Regex() : pattern_("(.*)") {}

core::Result<Regex> Regex::compile(std::string_view pattern) {
  Regex r;
  r.pattern_ = std::string(pattern);
  auto stripped = stripGroupNames(pattern, r.names_);
  if (!stripped) return stripped.error();
  const std::string wrapped = "^(?s:" + *stripped + ")$";
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(8 << 20);
  auto re = std::make_shared<const re2::RE2>(wrapped, opts);
  if (!re->ok()) {
    return core::Error{"error parsing regexp: " + re->error()};
  }
  r.groups_ = re->NumberOfCapturingGroups();
  r.re_ = std::move(re);
  r.classify();
  return r;
}

namespace {

// Whether the pattern is one capturing group spanning all of it: "(...)" whose first '('
// closes at the last character. Escapes and character classes cannot close it; anything
// unusual (\Q...\E) answers no, which only costs speed.
bool isWholeGroup(std::string_view p) {
  if (p.size() < 2 || p[0] != '(' || p[1] == '?' || p.back() != ')') return false;
  int depth = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] == 'Q') return false;
      ++i;
    } else if (c == '[') {
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\')
          ++j;
        else if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {
          const size_t close = p.find(":]", j + 2);
          if (close == std::string_view::npos) return false;
          j = close + 1;
        }
        ++j;
      }
      if (j >= p.size()) return false;
      i = j;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) return i == p.size() - 1;
      if (depth < 0) return false;
    }
  }
  return false;
}

}  // namespace

void Regex::classify() {
  const std::string_view p = pattern_;
  kind_ = Kind::kEngine;
  whole_group_ = groups_ == 1 && names_.empty() && isWholeGroup(p);
  if (!names_.empty() || !core::isValidUtf8(p)) return;
  if (p == "(.*)") {
    kind_ = Kind::kAnyCapture;
  } else if (p == ".*") {
    kind_ = Kind::kAny;
  } else if (!hasMeta(p)) {
    kind_ = Kind::kLiteral;
    literal_ = pattern_;
    literals_ = {literal_};
  } else if (p.size() > 4 && (p.ends_with("(.*)") || p.ends_with("(.+)")) &&
             !hasMeta(p.substr(0, p.size() - 4))) {
    kind_ = p.ends_with("(.*)") ? Kind::kPrefixAny : Kind::kPrefixSome;
    literal_ = p.substr(0, p.size() - 4);
  } else if (p.size() > 4 && p.starts_with(".*") && p.ends_with(".*") &&
             !hasMeta(p.substr(2, p.size() - 4))) {
    kind_ = Kind::kContains;
    literal_ = p.substr(2, p.size() - 4);
  } else if (p.size() > 2 && p.ends_with(".*") && !hasMeta(p.substr(0, p.size() - 2))) {
    kind_ = Kind::kPrefix;
    literal_ = p.substr(0, p.size() - 2);
  } else if (p.size() > 2 && p.starts_with(".*") && !hasMeta(p.substr(2))) {
    kind_ = Kind::kSuffix;
    literal_ = p.substr(2);
  } else {
    // An alternation of literals: "critical|warning|info".
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const size_t bar = p.find('|', start);
      const std::string_view part =
          p.substr(start, bar == std::string_view::npos ? p.npos : bar - start);
      if (hasMeta(part)) return;
      parts.emplace_back(part);
      if (bar == std::string_view::npos) break;
      start = bar + 1;
    }
    std::sort(parts.begin(), parts.end());
    kind_ = Kind::kLiteralSet;
    literals_ = std::move(parts);
  }
}

bool Regex::engineMatches(std::string_view s) const { return re2::RE2::PartialMatch(s, *re_); }

bool Regex::engineMatch(std::string_view text, size_t start, Groups& groups) const {
  groups.resize(static_cast<size_t>(groups_) + 1);
  static_assert(sizeof(re2::StringPiece) == sizeof(std::string_view));
  // Most patterns have a handful of groups: keep the match vector on the stack.
  re2::StringPiece stack[16];
  std::vector<re2::StringPiece> heap;
  re2::StringPiece* pieces = stack;
  if (groups.size() > 16) {
    heap.resize(groups.size());
    pieces = heap.data();
  }
  if (!re_->Match(text, start, text.size(), re2::RE2::UNANCHORED, pieces,
                  static_cast<int>(groups.size()))) {
    return false;
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i] = pieces[i].data() == nullptr ? std::string_view()
                                            : std::string_view(pieces[i].data(), pieces[i].size());
  }
  return true;
}

bool Regex::match(std::string_view s, Groups& groups) const {
  if (kind_ == Kind::kEngine && !whole_group_) return engineMatch(s, 0, groups);
  if (!matches(s)) return false;
  groups.resize(static_cast<size_t>(groups_) + 1);
  // A non-null view even for "": the group took part in the match.
  const std::string_view whole(s.data() ? s.data() : "", s.size());
  groups[0] = whole;
  if (kind_ == Kind::kAnyCapture || whole_group_) groups[1] = whole;
  if (kind_ == Kind::kPrefixAny || kind_ == Kind::kPrefixSome) {
    groups[1] = whole.substr(literal_.size());
  }
  return true;
}

bool Regex::match(std::string_view s, Groups& groups, MatchCache& cache) const {
  if (kind_ != Kind::kEngine || whole_group_ || s.size() > MatchCache::kMaxText) {
    return match(s, groups);
  }
  const char* base = s.data() ? s.data() : "";
  for (const auto& e : cache.entries_) {
    if (e.re.get() != re_.get() || std::string_view(e.text) != s) continue;
    if (!e.matched) return false;
    groups.resize(e.spans.size());
    for (size_t i = 0; i < e.spans.size(); ++i) {
      const auto [off, len] = e.spans[i];
      groups[i] =
          off < 0 ? std::string_view() : std::string_view(base + off, static_cast<size_t>(len));
    }
    return true;
  }
  const bool matched = engineMatch(s, 0, groups);
  MatchCache::Entry& e = cache.entries_[cache.next_];
  cache.next_ = (cache.next_ + 1) % MatchCache::kEntries;
  e.re = re_;
  e.text.assign(s);
  e.matched = matched;
  e.spans.clear();
  if (matched) {
    for (const auto& g : groups) {
      e.spans.emplace_back(g.data() ? static_cast<int>(g.data() - base) : -1,
                           static_cast<int>(g.size()));
    }
  }
  return matched;
}

void Regex::expand(std::string& out, std::string_view tmpl, std::string_view /*src*/,
                   const Groups& groups) const {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    Ref ref;
    if (!extractRef(tmpl, ref)) {
      out += '$';  // Not a reference: the '$' is kept as text.
      continue;
    }
    tmpl.remove_prefix(ref.consumed);
    if (ref.num >= 0) {
      if (static_cast<size_t>(ref.num) < groups.size())
        out.append(groups[static_cast<size_t>(ref.num)]);
      continue;
    }
    for (const auto& [name, index] : names_) {
      if (name == ref.name && static_cast<size_t>(index) < groups.size() &&
          groups[static_cast<size_t>(index)].data() != nullptr) {
        out.append(groups[static_cast<size_t>(index)]);
        break;
      }
    }
  }
  out.append(tmpl);
}

std::string Regex::replaceAll(std::string_view src, std::string_view tmpl) const {
  std::string out;
  Groups groups;
  replaceAll(out, src, tmpl, groups);
  return out;
}

void Regex::replaceAll(std::string& out, std::string_view src, std::string_view tmpl,
                       Groups& groups) const {
  if (kind_ != Kind::kEngine || whole_group_) {
    // Anchored and without top-level surprises: at most one match, covering all of src.
    if (!match(src, groups)) {
      out.append(src);
      return;
    }
    expand(out, tmpl, src, groups);
    return;
  }
  // Go's Regexp.replaceAll loop, including its rules for empty matches.
  size_t last_end = 0;
  size_t pos = 0;
  while (pos <= src.size()) {
    if (!engineMatch(src, pos, groups)) break;
    const size_t a0 = static_cast<size_t>(groups[0].data() - src.data());
    const size_t a1 = a0 + groups[0].size();
    out.append(src.substr(last_end, a0 - last_end));
    if (a1 > last_end || a0 == 0) expand(out, tmpl, src, groups);
    last_end = a1;
    size_t width = 1;
    if (pos < src.size()) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(src.data());
      int32_t k = static_cast<int32_t>(pos);
      UChar32 c;
      U8_NEXT(bytes, k, static_cast<int32_t>(src.size()), c);
      (void)c;
      width = static_cast<size_t>(k) - pos;
    }
    if (pos + width > a1)
      pos += width;
    else if (pos + 1 > a1)
      ++pos;
    else
      pos = a1;
  }
  out.append(src.substr(last_end));
}

}  // namespace promha::relabel
