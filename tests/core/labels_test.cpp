// Table-driven tests for core::Labels and the PromQL-style label-set parser.
#include "core/labels.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using promha::core::Label;
using promha::core::Labels;
using promha::core::NameScheme;
using promha::core::parseLabelSet;

namespace {

Labels make(std::vector<Label> v) { return Labels::fromUnsorted(std::move(v)); }

}  // namespace

TEST_CASE("labels: fromUnsorted sorts, drops empty values, last duplicate wins") {
  const Labels l = make({{"b", "2"}, {"a", "1"}, {"c", ""}, {"b", "3"}, {"d", "4"}});
  REQUIRE(l.size() == 3);
  CHECK(l[0] == Label{"a", "1"});
  CHECK(l[1] == Label{"b", "3"});
  CHECK(l[2] == Label{"d", "4"});
  CHECK(make({}).empty());
}

TEST_CASE("labels: set, erase and get") {
  struct Row {
    const char* name;
    std::vector<Label> start;
    const char* op;  // "set" or "erase"
    const char* key;
    const char* value;
    const char* want;
  };
  const Row rows[] = {
      {"set into empty", {}, "set", "a", "1", "{a=\"1\"}"},
      {"set keeps order at front", {{"b", "2"}}, "set", "a", "1", "{a=\"1\", b=\"2\"}"},
      {"set keeps order in middle",
       {{"a", "1"}, {"c", "3"}},
       "set",
       "b",
       "2",
       "{a=\"1\", b=\"2\", c=\"3\"}"},
      {"set at end", {{"a", "1"}}, "set", "z", "9", "{a=\"1\", z=\"9\"}"},
      {"set overwrites", {{"a", "1"}}, "set", "a", "2", "{a=\"2\"}"},
      {"set empty deletes", {{"a", "1"}, {"b", "2"}}, "set", "a", "", "{b=\"2\"}"},
      {"set empty on missing is a no-op", {{"a", "1"}}, "set", "x", "", "{a=\"1\"}"},
      {"erase middle",
       {{"a", "1"}, {"b", "2"}, {"c", "3"}},
       "erase",
       "b",
       "",
       "{a=\"1\", c=\"3\"}"},
      {"erase missing", {{"a", "1"}}, "erase", "b", "", "{a=\"1\"}"},
      {"erase last", {{"a", "1"}}, "erase", "a", "", "{}"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      Labels l = make(row.start);
      if (std::string(row.op) == "set") {
        l.set(row.key, row.value);
      } else {
        l.erase(row.key);
      }
      CHECK(l.toString() == row.want);
      CHECK(l.get(row.key) == (std::string(row.op) == "set" ? row.value : ""));
      CHECK(l.has(row.key) == (std::string(row.op) == "set" && *row.value != '\0'));
    }
  }
}

TEST_CASE("labels: spare entries are reused without changing the value semantics") {
  Labels big = make({{"a", "a-long-value-that-is-not-sso-1"},
                     {"b", "2"},
                     {"c", "3"},
                     {"d", "a-long-value-that-is-not-sso-4"}});
  Labels l = big;
  l.erase("a");
  l.erase("c");
  CHECK(l.toString() == "{b=\"2\", d=\"a-long-value-that-is-not-sso-4\"}");
  CHECK(l.size() == 2);
  CHECK_FALSE(l.has("a"));
  CHECK(l.get("c").empty());
  // Insert into the spare slots; a value that views another live label of the same set.
  l.set("c", l.get("d"));
  l.set("a", "x");
  CHECK(l.toString() ==
        "{a=\"x\", b=\"2\", c=\"a-long-value-that-is-not-sso-4\", "
        "d=\"a-long-value-that-is-not-sso-4\"}");
  // Copy-assign into a set with spares, smaller and larger.
  Labels small = make({{"z", "1"}});
  l = small;
  CHECK(l == small);
  CHECK(l.toString() == "{z=\"1\"}");
  l = big;
  CHECK(l == big);
  l.eraseIf([](const Label& x) { return x.name == "b" || x.name == "d"; });
  CHECK(l.toString() == "{a=\"a-long-value-that-is-not-sso-1\", c=\"3\"}");
  // Equality ignores spares; copies and moves carry only the live labels.
  CHECK(l == make({{"a", "a-long-value-that-is-not-sso-1"}, {"c", "3"}}));
  Labels copy(l);
  CHECK(copy == l);
  Labels moved(std::move(copy));
  CHECK(moved == l);
  Labels assigned;
  assigned = std::move(moved);
  CHECK(assigned == l);
  CHECK(assigned.items().size() == 2);
  l.clear();
  CHECK(l.empty());
  CHECK(l.toString() == "{}");
}

TEST_CASE("labels: lookups in large sets (binary search)") {
  std::vector<Label> v;
  for (int i = 0; i < 50; ++i) v.push_back({"n" + std::to_string(100 + i), std::to_string(i)});
  Labels l = make(v);
  for (int i = 0; i < 50; ++i) CHECK(l.get("n" + std::to_string(100 + i)) == std::to_string(i));
  CHECK_FALSE(l.has("n099"));
  CHECK_FALSE(l.has("n150"));
  CHECK_FALSE(l.has(""));
  l.set("n1255", "x");
  CHECK(l.get("n1255") == "x");
  CHECK(l[25].name == "n125");
  CHECK(l[26].name == "n1255");
  CHECK(l[27].name == "n126");
}

TEST_CASE("labels: toString quoting") {
  struct Row {
    const char* name;
    std::vector<Label> labels;
    const char* want;
  };
  const Row rows[] = {
      {"empty", {}, "{}"},
      {"plain", {{"a", "b"}}, "{a=\"b\"}"},
      {"escapes in value", {{"a", "q\"b\\n\nt\t"}}, "{a=\"q\\\"b\\\\n\\nt\\t\"}"},
      {"utf-8 name is quoted", {{"utf-8.name", "v"}}, "{\"utf-8.name\"=\"v\"}"},
      {"control byte", {{"a", std::string("\x01", 1)}}, "{a=\"\\x01\"}"},
      {"invalid utf-8 escaped", {{"a", "\xff"}}, "{a=\"\\xff\"}"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { CHECK(make(row.labels).toString() == row.want); }
  }
}

TEST_CASE("labels: name validation per scheme") {
  struct Row {
    const char* name;
    const char* label;
    bool legacy;
    bool utf8;
  };
  const Row rows[] = {
      {"simple", "abc_1", true, true},
      {"leading underscore", "_x", true, true},
      {"leading digit", "1a", false, true},
      {"dot", "a.b", false, true},
      {"empty", "", false, false},
      {"unicode", "\xc3\xa9", false, true},
      {"invalid utf-8", "\xff", false, false},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      CHECK(promha::core::isValidLabelName(row.label, NameScheme::kLegacy) == row.legacy);
      CHECK(promha::core::isValidLabelName(row.label, NameScheme::kUtf8) == row.utf8);
    }
  }
}

TEST_CASE("parseLabelSet: accepted syntax") {
  struct Row {
    const char* name;
    const char* text;
    const char* want;
  };
  const Row rows[] = {
      {"braces", "{a=\"1\", b=\"2\"}", "{a=\"1\", b=\"2\"}"},
      {"no braces", "a=\"1\",b=\"2\"", "{a=\"1\", b=\"2\"}"},
      {"empty braces", "{}", "{}"},
      {"empty text", "", "{}"},
      {"trailing comma", "{a=\"1\",}", "{a=\"1\"}"},
      {"spaces", "  { a = \"1\" , b='2' }  ", "{a=\"1\", b=\"2\"}"},
      {"single quotes", "{a='it\\'s'}", "{a=\"it's\"}"},
      {"back quotes are raw", "{a=`x\\ny`}", "{a=\"x\\\\ny\"}"},
      {"quoted utf-8 name", "{\"utf-8.name\"=\"v\"}", "{\"utf-8.name\"=\"v\"}"},
      {"sorts", "{b=\"2\", a=\"1\"}", "{a=\"1\", b=\"2\"}"},
      {"empty value drops label", "{a=\"\", b=\"2\"}", "{b=\"2\"}"},
      {"escape n t", "{a=\"x\\ny\\tz\"}", "{a=\"x\\ny\\tz\"}"},
      {"escape hex", "{a=\"\\x41\"}", "{a=\"A\"}"},
      {"escape octal", "{a=\"\\101\"}", "{a=\"A\"}"},
      {"escape u", "{a=\"\\u00e9\"}", "{a=\"\xc3\xa9\"}"},
      {"escape U", "{a=\"\\U0001F600\"}", "{a=\"\xf0\x9f\x98\x80\"}"},
      {"escape a b f v backslash", "{a=\"\\a\\b\\f\\v\\\\\"}", "{a=\"\\x07\\x08\\x0c\\x0b\\\\\"}"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      auto r = parseLabelSet(row.text);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
      CHECK(r->toString() == row.want);
      // What toString() prints parses back to the same set.
      auto again = parseLabelSet(r->toString());
      REQUIRE(again.ok());
      CHECK(*again == *r);
    }
  }
}

TEST_CASE("parseLabelSet: errors and their columns") {
  struct Row {
    const char* name;
    const char* text;
    int col;
    const char* message;
  };
  const Row rows[] = {
      {"missing name", "{=\"1\"}", 2, "expected a label name"},
      {"name starts with digit", "{1a=\"1\"}", 2, "expected a label name"},
      {"missing equals", "{a \"1\"}", 4, "expected '=' after label name \"a\""},
      {"unquoted value", "{a=1}", 4, "expected a quoted label value for \"a\""},
      {"unterminated string", "{a=\"1}", 4, "unterminated quoted string"},
      {"newline in string", "{a=\"x\ny\"}", 6, "newline in quoted string"},
      {"unknown escape", "{a=\"\\q\"}", 5, "unknown escape sequence \\q"},
      {"wrong quote escape", "{a=\"\\'\"}", 5, "unknown escape sequence \\'"},
      {"bad hex digit", "{a=\"\\xZZ\"}", 7, "invalid hex digit in escape sequence"},
      {"bad octal", "{a=\"\\19\"}", 7, "invalid octal escape"},
      {"octal above 255", "{a=\"\\400\"}", 9, "octal escape value > 255"},
      {"surrogate code point", "{a=\"\\uD800\"}", 11,
       "escape sequence is an invalid Unicode code point"},
      {"code point too large", "{a=\"\\U00110000\"}", 15,
       "escape sequence is an invalid Unicode code point"},
      {"invalid utf-8 value", "{a=\"\\xff\"}", 4, "label value is not valid UTF-8"},
      {"empty quoted name", "{\"\"=\"1\"}", 2, "invalid label name \"\""},
      {"duplicate name", "{a=\"1\", a=\"2\"}", 9, "duplicate label name \"a\""},
      {"missing close brace", "{a=\"1\"", 7, "expected ',' or '}'"},
      {"junk between labels", "{a=\"1\" b=\"2\"}", 8, "expected ',' or '}'"},
      {"text after set", "{a=\"1\"} x", 9, "unexpected text after label set"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      auto r = parseLabelSet(row.text);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message == row.message);
      CHECK(r.error().line == 1);
      CHECK(r.error().col == row.col);
    }
  }
}
