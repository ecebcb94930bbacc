// Table-driven tests for the relabel engine beyond the shared corpus: every action, every
// config error, case mapping, hashmod values and trace steps.
#include "relabel/relabel.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/labels.h"
#include "relabel/rule.h"

using promha::core::Labels;
using promha::core::NameScheme;
namespace relabel = promha::relabel;

namespace {

Labels ls(const std::string& text) {
  auto r = promha::core::parseLabelSet(text);
  REQUIRE_MESSAGE(r.ok(), text, ": ", (r.ok() ? "" : r.error().str()));
  return *r;
}

std::vector<relabel::Rule> rulesOk(const std::string& yaml,
                                   NameScheme scheme = NameScheme::kLegacy) {
  auto r = relabel::parseRulesText(yaml, "rules.yml", scheme);
  REQUIRE_MESSAGE(r.ok(), yaml, ": ", (r.ok() ? "" : r.error().str()));
  return *r;
}

// "dropped" or the resulting label set in toString() form.
std::string run(const std::string& yaml, const std::string& input,
                NameScheme scheme = NameScheme::kLegacy) {
  const auto rules = rulesOk(yaml, scheme);
  Labels l = ls(input);
  relabel::Scratch scratch;
  return relabel::process(rules, l, scratch) ? l.toString() : "dropped";
}

}  // namespace

TEST_CASE("relabel: every action") {
  struct Row {
    const char* name;
    const char* rules;
    const char* input;
    const char* want;
  };
  const Row rows[] = {
      {"replace default copies source", "- {source_labels: [a], target_label: b}", "{a=\"1\"}",
       "{a=\"1\", b=\"1\"}"},
      {"replace with groups",
       "- {source_labels: [a], regex: '(.)(.)', target_label: b, replacement: '$2$1'}",
       "{a=\"xy\"}", "{a=\"xy\", b=\"yx\"}"},
      {"replace joins sources with separator",
       "- {source_labels: [a, missing, c], separator: ',', target_label: j}", "{a=\"1\", c=\"2\"}",
       "{a=\"1\", c=\"2\", j=\"1,,2\"}"},
      {"replace no match changes nothing", "- {source_labels: [a], regex: 'z', target_label: b}",
       "{a=\"1\"}", "{a=\"1\"}"},
      {"replace empty result deletes target", "- {source_labels: [nope], target_label: a}",
       "{a=\"1\", b=\"2\"}", "{b=\"2\"}"},
      {"replace constant without sources", "- {target_label: env, replacement: prod}", "{}",
       "{env=\"prod\"}"},
      {"replace templated target",
       "- {source_labels: [a], regex: '(.*)', target_label: 'l_$1', replacement: v}", "{a=\"x\"}",
       "{a=\"x\", l_x=\"v\"}"},
      {"replace invalid expanded target does nothing",
       "- {source_labels: [a], regex: '(.*)', target_label: '$1', replacement: v}", "{a=\"1x\"}",
       "{a=\"1x\"}"},
      {"replace empty replacement deletes expanded target",
       "- {source_labels: [a], regex: '(.*)', target_label: '$1', replacement: ''}",
       "{a=\"b\", b=\"2\"}", "{a=\"b\"}"},
      {"keep match", "- {source_labels: [a], regex: '1|2', action: keep}", "{a=\"2\"}",
       "{a=\"2\"}"},
      {"keep no match drops", "- {source_labels: [a], regex: '1|2', action: keep}", "{a=\"3\"}",
       "dropped"},
      {"keep missing label is empty", "- {source_labels: [x], regex: '', action: keep}",
       "{a=\"3\"}", "{a=\"3\"}"},
      {"drop match", "- {source_labels: [a], regex: '.*3', action: drop}", "{a=\"123\"}",
       "dropped"},
      {"drop no match keeps", "- {source_labels: [a], regex: '.*3', action: drop}", "{a=\"124\"}",
       "{a=\"124\"}"},
      {"keepequal equal", "- {source_labels: [a], target_label: b, action: keepequal}",
       "{a=\"1\", b=\"1\"}", "{a=\"1\", b=\"1\"}"},
      {"keepequal differ drops", "- {source_labels: [a], target_label: b, action: keepequal}",
       "{a=\"1\", b=\"2\"}", "dropped"},
      {"dropequal equal drops", "- {source_labels: [a], target_label: b, action: dropequal}",
       "{a=\"1\", b=\"1\"}", "dropped"},
      {"dropequal both missing drops", "- {source_labels: [x], target_label: y, action: dropequal}",
       "{a=\"1\"}", "dropped"},
      {"hashmod", "- {source_labels: [a], modulus: 1000, target_label: h, action: hashmod}",
       "{a=\"baz\"}", "{a=\"baz\", h=\"976\"}"},
      {"hashmod of empty",
       "- {source_labels: [x], modulus: 1000, target_label: h, action: hashmod}", "{a=\"baz\"}",
       "{a=\"baz\", h=\"958\"}"},
      {"labelmap", "- {action: labelmap, regex: 'tag_(.+)'}", "{tag_env=\"p\", x=\"1\"}",
       "{env=\"p\", tag_env=\"p\", x=\"1\"}"},
      {"labelmap overwrites existing", "- {action: labelmap, regex: 'tag_(.+)'}",
       "{env=\"old\", tag_env=\"new\"}", "{env=\"new\", tag_env=\"new\"}"},
      {"labelmap later name wins", "- {action: labelmap, regex: '(?:a|b)_(.+)'}",
       "{a_x=\"1\", b_x=\"2\"}", "{a_x=\"1\", b_x=\"2\", x=\"2\"}"},
      {"labelmap wrap-broken regex uses ReplaceAll",
       "- {action: labelmap, regex: 'a)|(b', replacement: 'X'}", "{ab=\"1\"}",
       "{XX=\"1\", ab=\"1\"}"},
      {"labeldrop literal", "- {action: labeldrop, regex: replica}", "{a=\"1\", replica=\"A\"}",
       "{a=\"1\"}"},
      {"labeldrop alternation", "- {action: labeldrop, regex: 'replica|b'}",
       "{a=\"1\", b=\"2\", replica=\"A\"}", "{a=\"1\"}"},
      {"labeldrop prefix", "- {action: labeldrop, regex: '__meta_.*'}",
       "{__meta_a=\"1\", __meta_b=\"2\", c=\"3\"}", "{c=\"3\"}"},
      {"labeldrop everything gives empty set", "- {action: labeldrop, regex: '.*'}", "{a=\"1\"}",
       "{}"},
      {"labelkeep", "- {action: labelkeep, regex: 'a|c'}", "{a=\"1\", b=\"2\", c=\"3\"}",
       "{a=\"1\", c=\"3\"}"},
      {"lowercase", "- {action: lowercase, source_labels: [a], target_label: b}", "{a=\"AbC\"}",
       "{a=\"AbC\", b=\"abc\"}"},
      {"uppercase", "- {action: uppercase, source_labels: [a], target_label: b}", "{a=\"AbC\"}",
       "{a=\"AbC\", b=\"ABC\"}"},
      {"lowercase empty deletes target",
       "- {action: lowercase, source_labels: [x], target_label: b}", "{b=\"1\"}", "{}"},
      {"action names are case-insensitive", "- {source_labels: [a], regex: '1', action: DROP}",
       "{a=\"1\"}", "dropped"},
      {"a drop stops later rules",
       "- {source_labels: [a], regex: '1', action: drop}\n- {target_label: b, replacement: x}",
       "{a=\"1\"}", "dropped"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { CHECK(run(row.rules, row.input) == row.want); }
  }
}

TEST_CASE("relabel: UTF-8 scheme allows any UTF-8 target") {
  CHECK(run("- {source_labels: [a], target_label: 'utf-8.label'}", "{a=\"1\"}",
            NameScheme::kUtf8) == "{a=\"1\", \"utf-8.label\"=\"1\"}");
  CHECK_FALSE(relabel::parseRulesText("- {source_labels: [a], target_label: 'utf-8.label'}",
                                      "r.yml", NameScheme::kLegacy)
                  .ok());
}

TEST_CASE("relabel: config errors") {
  struct Row {
    const char* name;
    std::string rules;
    const char* message;
  };
  const Row rows[] = {
      {"hashmod without modulus", "- {action: hashmod, source_labels: [a], target_label: h}",
       "relabel configuration for hashmod requires non-zero modulus"},
      {"replace without target", "- {source_labels: [a]}",
       "relabel configuration for replace action requires 'target_label' value"},
      {"empty object", "- {}",
       "relabel configuration for replace action requires 'target_label' value"},
      {"lowercase without target", "- {action: lowercase, source_labels: [a]}",
       "relabel configuration for lowercase action requires 'target_label' value"},
      {"keepequal without target", "- {action: keepequal, source_labels: [a]}",
       "relabel configuration for keepequal action requires 'target_label' value"},
      {"invalid replace target", "- {source_labels: [a], target_label: '0x'}",
       "\"0x\" is invalid 'target_label' for replace action"},
      {"invalid template target", "- {source_labels: [a], target_label: '$'}",
       "\"$\" is invalid 'target_label' for replace action"},
      {"templated hashmod target",
       "- {action: hashmod, source_labels: [a], modulus: 2, target_label: 'h$1'}",
       "\"h$1\" is invalid 'target_label' for hashmod action"},
      {"templated uppercase target",
       "- {action: uppercase, source_labels: [a], target_label: '${1}'}",
       "\"${1}\" is invalid 'target_label' for uppercase action"},
      {"replacement on lowercase",
       "- {action: lowercase, source_labels: [a], target_label: b, replacement: x}",
       "'replacement' can not be set for lowercase action"},
      {"invalid labelmap replacement", "- {action: labelmap, regex: '(.*)', replacement: 'l-$1'}",
       "\"l-$1\" is invalid 'replacement' for labelmap action"},
      {"regex on keepequal",
       "- {action: keepequal, source_labels: [a], target_label: b, regex: '(.*)'}",
       "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
      {"source labels on labeldrop", "- {action: labeldrop, regex: a, source_labels: []}",
       "labeldrop action requires only 'regex', and no other fields"},
      {"target on labelkeep", "- {action: labelkeep, regex: a, target_label: b}",
       "labelkeep action requires only 'regex', and no other fields"},
      {"unknown action", "- {action: frobnicate}", "unknown relabel action \"frobnicate\""},
      {"empty action", "- {action: ''}", "unknown relabel action \"\""},
      {"unknown key", "- {regexp: a}", "unknown key 'regexp'"},
      {"null rule", "- null", "empty or null relabeling rule"},
      {"invalid regex", "- {action: keep, regex: '(?<=a)b'}", "error parsing regexp"},
      {"empty source label", "- {source_labels: [''], target_label: b}",
       "\"\" is not a valid label name"},
      {"negative modulus", "- {action: hashmod, modulus: -1, target_label: h}",
       "must be a non-negative integer"},
      {"source labels not a list", "- {source_labels: a, target_label: b}",
       "must be a list of strings"},
      {"separator not a string", "- {separator: [a], target_label: b}", "must be a string"},
      {"not a list", "action: keep", "must be a list of relabel configs"},
      {"rule not a mapping", "- [a]", "must be a mapping"},
      {"yaml syntax error", "- {a: [", ""},
      {"deeply nested yaml", "- " + std::string(100, '[') + std::string(100, ']'),
       "YAML nesting deeper than"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      auto r = relabel::parseRulesText(row.rules, "rules.yml", NameScheme::kLegacy);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().file == "rules.yml");
      CHECK_MESSAGE(r.error().message.find(row.message) != std::string::npos, r.error().str());
    }
  }
}

TEST_CASE("relabel: errors carry line and column") {
  auto r =
      relabel::parseRulesText("- action: keep\n  regex: a\n- action: hashmod\n  target_label: h\n",
                              "r.yml", NameScheme::kLegacy);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().line == 3);
  CHECK(r.error().col == 3);
  CHECK(r.error().str().starts_with("r.yml:3:3: [1]: "));
}

TEST_CASE("relabel: all errors are reported at once") {
  auto r = relabel::parseRulesText("- {action: nope}\n- {foo: 1}\n", "r.yml", NameScheme::kLegacy);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("unknown relabel action") != std::string::npos);
  CHECK(r.error().message.find("unknown key 'foo'") != std::string::npos);
}

TEST_CASE("relabel: Go strings.ToLower / ToUpper") {
  struct Row {
    const char* name;
    const char* in;
    const char* lower;
    const char* upper;
  };
  const Row rows[] = {
      {"ascii", "MiXeD-1", "mixed-1", "MIXED-1"},
      {"dotted capital I", "\xc4\xb0", "i", "\xc4\xb0"},  // İ
      {"sigma never final form", "\xce\xa3\xce\xa3", "\xcf\x83\xcf\x83", "\xce\xa3\xce\xa3"},
      {"titlecase dz", "\xc7\x85", "\xc7\x86", "\xc7\x84"},  // ǅ -> ǆ / Ǆ
      {"sharp s has no single-rune upper", "\xc3\x9f", "\xc3\x9f", "\xc3\x9f"},
      {"ff ligature stays", "\xef\xac\x80", "\xef\xac\x80", "\xef\xac\x80"},
      {"invalid byte becomes U+FFFD", "a\xff", "a\xef\xbf\xbd", "A\xef\xbf\xbd"},
      {"greek", "\xce\xb1\xce\x92", "\xce\xb1\xce\xb2", "\xce\x91\xce\x92"},  // αΒ
      {"empty", "", "", ""},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      std::string out;
      relabel::toLower(row.in, out);
      CHECK(out == row.lower);
      relabel::toUpper(row.in, out);
      CHECK(out == row.upper);
    }
  }
}

TEST_CASE("relabel: hashmod values (MD5, bytes 8..15 big-endian)") {
  struct Row {
    const char* name;
    std::string in;
    uint64_t mod;
    uint64_t want;
  };
  // Expected values from Python's hashlib.md5: int.from_bytes(d[8:], 'big') % mod.
  const Row rows[] = {
      {"baz", "baz", 1000, 976},
      {"empty", "", 1000, 958},
      {"55 bytes: one block", std::string(55, 'a'), 1000, 253},
      {"56 bytes: padding spills", std::string(56, 'a'), 1000, 64},
      {"63 bytes", std::string(63, 'a'), 1000, 749},
      {"64 bytes: exactly one block", std::string(64, 'a'), 1000, 863},
      {"65 bytes", std::string(65, 'a'), 1000, 813},
      {"200 bytes", std::string(200, 'x'), 1000, 456},
      {"address", "10.1.2.3:8080", 1000, 322},
      {"modulus 1", "anything", 1, 0},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { CHECK(relabel::hashMod(row.in, row.mod) == row.want); }
  }
}

TEST_CASE("relabel: trace records the rules that changed something") {
  const auto rules = rulesOk(
      "- {action: labeldrop, regex: replica}\n"             // 0: changes
      "- {source_labels: [x], regex: z, action: drop}\n"    // 1: no change
      "- {source_labels: [a], target_label: b}\n"           // 2: changes
      "- {source_labels: [a], regex: '1', action: drop}\n"  // 3: drops
      "- {target_label: never, replacement: x}\n");
  SUBCASE("dropped input") {
    const auto t = relabel::trace(rules, ls("{a=\"1\", replica=\"A\"}"));
    CHECK_FALSE(t.result.has_value());
    REQUIRE(t.steps.size() == 3);
    CHECK(t.steps[0].rule == 0);
    CHECK(t.steps[0].before == ls("{a=\"1\", replica=\"A\"}"));
    CHECK(t.steps[0].after == ls("{a=\"1\"}"));
    CHECK(t.steps[1].rule == 2);
    CHECK(t.steps[1].after == ls("{a=\"1\", b=\"1\"}"));
    CHECK(t.steps[2].rule == 3);
    CHECK(t.steps[2].dropped);
    CHECK(t.steps[2].after.empty());
  }
  SUBCASE("kept input agrees with process") {
    const Labels in = ls("{a=\"2\"}");
    const auto t = relabel::trace(rules, in);
    Labels out = in;
    REQUIRE(relabel::process(rules, out));
    REQUIRE(t.result.has_value());
    CHECK(*t.result == out);
    REQUIRE(t.steps.size() == 2);
    CHECK(t.steps[0].rule == 2);
    CHECK(t.steps[1].rule == 4);
    CHECK(t.steps[1].after == ls("{a=\"2\", b=\"2\", never=\"x\"}"));
  }
  SUBCASE("process reports the dropping rule") {
    Labels l = ls("{a=\"1\"}");
    relabel::Scratch s;
    size_t by = 99;
    CHECK_FALSE(relabel::process(rules, l, s, &by));
    CHECK(by == 3);
  }
}

TEST_CASE("relabel: a reused Scratch and output give the same results") {
  const auto rules = rulesOk(
      "- {action: labeldrop, regex: 'replica|prometheus_replica'}\n"
      "- {source_labels: [severity], regex: '(crit|warn|info)[a-z]*', target_label: priority, "
      "replacement: 'p_$1'}\n"
      "- {action: labelmap, regex: 'l_(.+)'}\n"
      "- {source_labels: [severity], regex: 'critical|warning|info', action: keep}\n");
  struct Row {
    const char* name;
    const char* input;
    const char* want;
  };
  const Row rows[] = {
      {"critical", "{severity=\"critical\", replica=\"A\", l_team=\"x\"}",
       "{l_team=\"x\", priority=\"p_crit\", severity=\"critical\", team=\"x\"}"},
      {"page is dropped", "{severity=\"page\", prometheus_replica=\"B\"}", "dropped"},
      {"info with many labels",
       "{a=\"1\", b=\"2\", c=\"3\", d=\"4\", e=\"5\", f=\"6\", g=\"7\", h=\"8\", i=\"9\", "
       "j=\"10\", "
       "k=\"11\", l=\"12\", m=\"13\", n=\"14\", o=\"15\", p=\"16\", q=\"17\", severity=\"info\"}",
       "{a=\"1\", b=\"2\", c=\"3\", d=\"4\", e=\"5\", f=\"6\", g=\"7\", h=\"8\", i=\"9\", "
       "j=\"10\", "
       "k=\"11\", l=\"12\", m=\"13\", n=\"14\", o=\"15\", p=\"16\", priority=\"p_info\", q=\"17\", "
       "severity=\"info\"}"},
      {"warning small", "{severity=\"warning\"}", "{priority=\"p_warn\", severity=\"warning\"}"},
  };
  relabel::Scratch scratch;
  Labels out;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& row : rows) {
      CAPTURE(pass);
      CAPTURE(row.name);
      out = ls(row.input);
      const bool kept = relabel::process(rules, out, scratch);
      CHECK((kept ? out.toString() : "dropped") == row.want);
    }
  }
}

TEST_CASE("relabel: rulesToYaml reads back to equal rules") {
  const std::string yaml = R"(- {action: labeldrop, regex: replica}
- source_labels: [a, "service.name"]
  separator: "|"
  regex: '(?i)x: "y"'
  target_label: "${1}_t"
  replacement: "#$1"
- {source_labels: [instance], modulus: 4, target_label: shard, action: hashmod}
- {action: keepequal, source_labels: [a], target_label: b}
- {source_labels: [x], regex: null, action: drop}
)";
  const auto rules = relabel::parseRulesText(yaml, "in.yml", NameScheme::kUtf8);
  REQUIRE_MESSAGE(rules.ok(), rules.error().str());
  const std::string out = relabel::rulesToYaml(*rules);
  const auto back = relabel::parseRulesText(out, "out.yml", NameScheme::kUtf8);
  REQUIRE_MESSAGE(back.ok(), out);
  CHECK(*back == *rules);
  CHECK(relabel::rulesToYaml({}) == "[]\n");
}
