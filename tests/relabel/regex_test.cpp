// Table-driven tests for relabel::Regex: anchoring and wrapping, Go Expand semantics, Go
// ReplaceAllString, named groups, and agreement of the literal fast paths with RE2.
#include "relabel/regex.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using promha::relabel::Groups;
using promha::relabel::Regex;

namespace {

Regex compileOk(const std::string& pattern) {
  auto r = Regex::compile(pattern);
  REQUIRE_MESSAGE(r.ok(), pattern, ": ", (r.ok() ? "" : r.error().message));
  return *r;
}

// The regex with its fast paths defeated: "(?:" + p + ")" has the same meaning, but the
// classifier sees metacharacters and sends it to RE2.
Regex engineOnly(const std::string& pattern) { return compileOk("(?:" + pattern + ")"); }

std::string expandWith(const std::string& pattern, const std::string& src,
                       const std::string& tmpl) {
  const Regex re = compileOk(pattern);
  Groups g;
  REQUIRE_MESSAGE(re.match(src, g), pattern, " should match ", src);
  std::string out;
  re.expand(out, tmpl, src, g);
  return out;
}

}  // namespace

TEST_CASE("regex: anchored matching with Prometheus 3.x wrapping") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* input;
    bool match;
    // Wrapping in (?:...) changes the meaning of wrap-broken patterns; compare those only as is.
    bool compare_engine = true;
  };
  const Row rows[] = {
      {"literal exact", "abc", "abc", true},
      {"literal is anchored at the end", "abc", "abcd", false},
      {"literal is anchored at the start", "abc", "xabc", false},
      {"empty regex matches only empty", "", "", true},
      {"empty regex rejects text", "", "a", false},
      {"default capture matches empty", "(.*)", "", true},
      {"dot-star", ".*", "anything", true},
      {"dot matches newline (?s)", "a.b", "a\nb", true},
      {"prefix", "abc.*", "abcdef", true},
      {"prefix miss", "abc.*", "abdef", false},
      {"suffix", ".*def", "abcdef", true},
      {"suffix miss", ".*def", "abcdeg", false},
      {"contains", ".*cd.*", "abcdef", true},
      {"contains miss", ".*cd.*", "abdcef", false},
      {"prefix capture any", "pre_(.*)", "pre_", true},
      {"prefix capture some needs a rest", "pre_(.+)", "pre_", false},
      {"prefix capture some", "pre_(.+)", "pre_x", true},
      {"alternation of literals", "critical|warning|info", "warning", true},
      {"alternation is anchored per branch", "critical|warning|info", "warnings", false},
      {"wrap-broken pattern left half", "a)|(b", "axyz", true, false},
      {"wrap-broken pattern right half", "a)|(b", "xyzb", true, false},
      {"wrap-broken pattern middle", "a)|(b", "xyz", false, false},
      {"close-open matches only empty", ")(", "", true, false},
      {"close-open rejects text", ")(", "a", false, false},
      {"user anchors are harmless", "^abc$", "abc", true},
      {"case-insensitive flag", "(?i)abc", "ABC", true},
      {"kelvin sign folds to k", "(?i)k", "\u212a", true},
      {"whole group", "(https?)", "https", true},
      {"whole group miss", "(https?)", "ftp", false},
      {"two groups are not one whole group", "(a)|(b)", "b", true},
      {"class with paren is not a group end", "([)]+)", ")))", true},
      {"unicode class", "\\pL+", "éa", true},
      {"ascii word class is ascii only", "\\w+", "é", false},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      const Regex re = compileOk(row.pattern);
      CHECK(re.matches(row.input) == row.match);
      Groups g;
      CHECK(re.match(row.input, g) == row.match);
      // The classified fast path and the RE2 engine agree.
      if (row.compare_engine) CHECK(engineOnly(row.pattern).matches(row.input) == row.match);
    }
  }
}

TEST_CASE("regex: fast paths give the same groups as the engine") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* input;
  };
  const Row rows[] = {
      {"any capture", "(.*)", "value"},
      {"any capture empty", "(.*)", ""},
      {"prefix any", "__meta_kubernetes_pod_label_(.*)", "__meta_kubernetes_pod_label_app"},
      {"prefix some", "__meta_kubernetes_pod_label_(.+)", "__meta_kubernetes_pod_label_a"},
      {"literal", "replica", "replica"},
      {"literal set", "a|bb|ccc", "bb"},
      {"whole group", "(.+/.+)", "ns/app"},
      {"whole group with class", "([^;]+)", "x"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      const Regex fast = compileOk(row.pattern);
      const Regex slow = engineOnly(row.pattern);
      Groups gf, gs;
      REQUIRE(fast.match(row.input, gf));
      REQUIRE(slow.match(row.input, gs));
      REQUIRE(gf.size() == gs.size());
      for (size_t i = 0; i < gf.size(); ++i) {
        CAPTURE(i);
        CHECK(gf[i] == gs[i]);
        CHECK((gf[i].data() == nullptr) == (gs[i].data() == nullptr));
      }
      std::string of, os;
      fast.expand(of, "<$0|$1|${1}x>", row.input, gf);
      slow.expand(os, "<$0|$1|${1}x>", row.input, gs);
      CHECK(of == os);
    }
  }
}

TEST_CASE("regex: Go Regexp.Expand") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* input;
    const char* tmpl;
    const char* want;
  };
  const Row rows[] = {
      {"group number", "(a)(b)", "ab", "$2$1", "ba"},
      {"whole match", "(a)(b)", "ab", "[$0]", "[ab]"},
      {"braced number then text", "(a)(b)", "ab", "${1}x", "ax"},
      {"$1x names group 1x", "(a)(b)", "ab", "$1x", ""},
      {"$1_ names group 1_", "(a)", "a", "$1_", ""},
      {"$1 then dash", "(a)", "a", "$1-", "a-"},
      {"unicode letter extends the name", "(a)", "a", "$1\xc3\xa9", ""},
      {"double dollar", "(a)", "a", "$$1", "$1"},
      {"lone dollar at end", "(a)", "a", "x$", "x$"},
      {"dollar dash", "(a)", "a", "$-", "$-"},
      {"unclosed brace", "(a)", "a", "${1", "${1"},
      {"empty braces", "(a)", "a", "${}", "${}"},
      {"dollar space", "(a)", "a", "$ 1", "$ 1"},
      {"missing group number", "(a)", "a", "[$7]", "[]"},
      {"leading zero is a name", "(a)", "a", "[$01]", "[]"},
      {"named group P syntax", "(?P<n>a)b", "ab", "$n!", "a!"},
      {"named group angle syntax", "(?<n>a)b", "ab", "${n}!", "a!"},
      {"named group by number", "(?P<n>a)(b)", "ab", "$1$2", "ab"},
      {"unknown name", "(?P<n>a)", "a", "[$m]", "[]"},
      {"duplicate names use the first that matched", "(?P<n>x)|(?P<n>a)", "a", "$n", "a"},
      {"duplicate names first wins", "(?P<n>a)(?P<n>b)", "ab", "$n", "a"},
      {"all-digit group name", "(?P<1>a)(b)", "ab", "$1", "a"},
      {"non-participating group", "(a)|(b)", "b", "[$1][$2]", "[][b]"},
      {"default template", "(.*)", "val", "$1", "val"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { CHECK(expandWith(row.pattern, row.input, row.tmpl) == row.want); }
  }
}

TEST_CASE("regex: Go ReplaceAllString (labelmap)") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* input;
    const char* tmpl;
    const char* want;
  };
  const Row rows[] = {
      {"anchored whole name", "tag_(.*)", "tag_env", "$1", "env"},
      {"anchored miss keeps input", "tag_(.*)", "other", "$1", "other"},
      {"empty result", "tag_(.*)", "tag_", "$1", ""},
      {"wrap-broken regex replaces each end", "a)|(b", "axb", "X", "XxX"},
      {"wrap-broken regex replaces the right end", "a)|(b", "xxb", "Y", "xxY"},
      {"wrap-broken regex replaces both ends", "a)|(b", "ab", "<$1>", "<><b>"},
      {"wrap-broken with no match", "a)|(b", "xyz", "Z", "xyz"},
      {"engine pattern anchored", "x(\\d)y", "x1y", "n$1", "n1"},
      {"prefix fast path", "__meta_(.+)", "__meta_pod", "m_$1", "m_pod"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      const Regex re = compileOk(row.pattern);
      CHECK(re.replaceAll(row.input, row.tmpl) == row.want);
      std::string out = "keep:";
      Groups g;
      re.replaceAll(out, row.input, row.tmpl, g);
      CHECK(out == std::string("keep:") + row.want);
    }
  }
}

TEST_CASE("regex: compile errors") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* message_part;
  };
  const Row rows[] = {
      {"lookbehind", "(?<=a)b", "error parsing regexp"},
      {"lookahead", "a(?=b)", "error parsing regexp"},
      {"backreference", "(a)\\1", "error parsing regexp"},
      {"repeat count above 1000", "a{1001}", "error parsing regexp"},
      {"unclosed group", "(a", "error parsing regexp"},
      {"unclosed class", "[a", "error parsing regexp"},
      {"invalid named capture", "(?P<a-b>x)", "invalid named capture"},
      {"unterminated named capture", "(?P<abc", "invalid named capture"},
      {"trailing backslash", "a\\", "error parsing regexp"},
      {"invalid utf-8 pattern", "\xff", "error parsing regexp"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      auto r = Regex::compile(row.pattern);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message.find(row.message_part) != std::string::npos);
    }
  }
}

TEST_CASE("regex: literals() exposes only literal shapes") {
  struct Row {
    const char* name;
    const char* pattern;
    std::vector<std::string> literals;
  };
  const Row rows[] = {
      {"plain literal", "replica", {"replica"}}, {"alternation sorted", "b|a|c", {"a", "b", "c"}},
      {"prefix is not a literal", "a.*", {}},    {"class is not a literal", "[ab]", {}},
      {"default is not a literal", "(.*)", {}},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { CHECK(compileOk(row.pattern).literals() == row.literals); }
  }
}

TEST_CASE("regex: MatchCache answers repeats exactly like the engine") {
  struct Row {
    const char* name;
    const char* pattern;
    const char* input;
  };
  const Row rows[] = {
      {"groups", "(crit|warn|info)[a-z]*", "critical"},
      {"no match", "(crit|warn|info)[a-z]*", "page"},
      {"non-participating group", "(a)|(b)", "b"},
      {"empty input", "(x?)(y*)", ""},
      {"named groups", "(?P<n>x)|(?P<n>a)", "a"},
  };
  promha::relabel::MatchCache cache;
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      const Regex re = compileOk(row.pattern);
      // A second regex through the same cache with the same input must not see the first's entry.
      const Regex other = compileOk("(?:other)(.*)");
      for (int pass = 0; pass < 3; ++pass) {
        CAPTURE(pass);
        const std::string copy = row.input;  // a different buffer each pass
        Groups want, got, got_other;
        const bool m = re.match(copy, want);
        CHECK(re.match(copy, got, cache) == m);
        CHECK_FALSE(other.match(copy, got_other, cache));
        if (!m) continue;
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
          CAPTURE(i);
          CHECK(got[i] == want[i]);
          CHECK((got[i].data() == nullptr) == (want[i].data() == nullptr));
        }
        std::string a, b;
        re.expand(a, "$0|$1|$2|$n", copy, want);
        re.expand(b, "$0|$1|$2|$n", copy, got);
        CHECK(a == b);
      }
    }
  }
}
