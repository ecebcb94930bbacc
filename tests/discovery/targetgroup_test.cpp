// Target-group files (file_sd content): JSON and YAML, errors with file:line:col.
#include "discovery/targetgroup.h"

#include <doctest/doctest.h>

using promha::core::Label;
using promha::core::Labels;
namespace discovery = promha::discovery;
using discovery::FileFormat;

namespace {
Labels L(std::vector<Label> v) { return Labels::fromUnsorted(std::move(v)); }
}  // namespace

TEST_CASE("parseTargetGroups: valid files") {
  struct Row {
    const char* name;
    FileFormat fmt;
    std::string text;
    size_t groups;
    std::vector<std::string> addresses;  // of every group, in order
    Labels first_labels;                 // labels of group 0 (with __meta_filepath)
  };
  const std::string path = "/etc/am/t.any";
  const std::vector<Row> rows = {
      {"json",
       FileFormat::kJson,
       R"([{"targets": ["am1:9093", "am2:9093"], "labels": {"dc": "eu"}}, {"targets": ["am3"]}])",
       2,
       {"am1:9093", "am2:9093", "am3"},
       L({{"dc", "eu"}, {"__meta_filepath", path}})},
      {"json ignores unknown keys, as encoding/json",
       FileFormat::kJson,
       R"([{"targets": ["am1"], "extra": 1}])",
       1,
       {"am1"},
       L({{"__meta_filepath", path}})},
      {"json null labels and targets",
       FileFormat::kJson,
       R"([{"targets": null, "labels": null}])",
       1,
       {},
       L({{"__meta_filepath", path}})},
      {"json empty list", FileFormat::kJson, "[]", 0, {}, {}},
      {"yaml",
       FileFormat::kYaml,
       "- targets:\n    - am1:9093\n  labels:\n    dc: eu\n    rack: 7\n- targets: [am2]\n",
       2,
       {"am1:9093", "am2"},
       L({{"dc", "eu"}, {"rack", "7"}, {"__meta_filepath", path}})},
      {"yaml empty file", FileFormat::kYaml, "", 0, {}, {}},
      {"yaml utf-8 label name (Prometheus 3)",
       FileFormat::kYaml,
       "- targets: [am1]\n  labels: {\"d.c\": eu}\n",
       1,
       {"am1"},
       L({{"d.c", "eu"}, {"__meta_filepath", path}})},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      auto r = discovery::parseTargetGroups(row.text, path, row.fmt);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
      CHECK(r->size() == row.groups);
      std::vector<std::string> addrs;
      for (size_t i = 0; i < r->size(); ++i) {
        CHECK((*r)[i].source == path + ":" + std::to_string(i));
        for (const auto& t : (*r)[i].targets) addrs.emplace_back(t.get("__address__"));
      }
      CHECK(addrs == row.addresses);
      if (!r->empty()) CHECK((*r)[0].labels == row.first_labels);
    }
  }
}

TEST_CASE("parseTargetGroups: errors name file, line and column") {
  struct Row {
    const char* name;
    FileFormat fmt;
    std::string text;
    std::string want;  // the whole error string
  };
  const std::vector<Row> rows = {
      {"json syntax", FileFormat::kJson, "[\n  {\"targets\": [\"am1\",]}\n]",
       "f:2:22: invalid JSON: syntax error while parsing value - unexpected ']'; expected '[', "
       "'{', or a literal"},
      {"json empty", FileFormat::kJson, "",
       "f:1:1: invalid JSON: syntax error while parsing "
       "value - unexpected end of input; expected '[', '{', "
       "or a literal"},
      {"json not a list", FileFormat::kJson, "{\"targets\": []}",
       "f:1:1: expected a list of target groups"},
      {"json number target", FileFormat::kJson, "[{\"targets\": [\"am1\", 9093]}]",
       "f:1:22: [0].targets[1]: target must be a string"},
      {"json number label value", FileFormat::kJson, "[{\"labels\": {\"a\": 1}}]",
       "f:1:19: [0].labels.a: label value must be a string"},
      {"json null group", FileFormat::kJson, "[null]", "f:1:2: [0]: nil target group item found"},
      {"yaml syntax", FileFormat::kYaml, "- targets: [am1\n",
       "f:2:1: end of sequence flow not found"},
      {"yaml unknown key", FileFormat::kYaml, "- targets: [am1]\n  lables: {a: b}\n",
       "f:2:3: [0].lables: unknown key \"lables\""},
      {"yaml empty label name", FileFormat::kYaml, "- labels: {\"\": b}\n",
       "f:1:12: [0].labels.: \"\" is not a valid label name"},
      {"yaml targets not a list", FileFormat::kYaml, "- targets: am1\n",
       "f:1:12: [0].targets: expected a list of targets"},
      {"yaml target is a map", FileFormat::kYaml, "- targets:\n  - {a: b}\n",
       "f:2:5: [0].targets[0]: target must be a scalar"},
      {"yaml group is a string", FileFormat::kYaml, "- am1\n",
       "f:1:3: [0]: expected a target group (a map)"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      auto r = discovery::parseTargetGroups(row.text, "f", row.fmt);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().str() == row.want);
    }
  }
}

TEST_CASE("fileFormatOf") {
  CHECK(discovery::fileFormatOf("a/b.json") == FileFormat::kJson);
  CHECK(discovery::fileFormatOf("a/b.YML") == FileFormat::kYaml);
  CHECK(discovery::fileFormatOf("b.yaml") == FileFormat::kYaml);
  CHECK_FALSE(discovery::fileFormatOf("b.txt").has_value());
  CHECK_FALSE(discovery::fileFormatOf("a.json/b").has_value());
}
