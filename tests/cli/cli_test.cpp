// In-process tests of the promha subcommands: each runs with string streams and its exit code,
// stdout and stderr are checked.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/check_config_cmd.h"
#include "cli/command.h"
#include "cli/relabel_cmd.h"
#include "cli/relabel_test_cmd.h"
#include "cli/version_cmd.h"

namespace {

using namespace promha;
namespace fs = std::filesystem;

const std::string kConf = PROMHA_SOURCE_DIR "/conf";

int notImplemented(const cli::Args&, cli::Streams& io) {
  io.err << "not yet implemented\n";
  return cli::kExitUsage;
}

// The same table as main.cpp.
constexpr cli::Command kCommands[] = {
    {"run", "Run the sidecar.", notImplemented},
    {"relabel", "Dry-run alert relabel rules on label sets.", cli::relabelCommand},
    {"relabel test", "Run unit tests for relabel rules.", cli::relabelTestCommand},
    {"check-config", "Check configuration files.", cli::checkConfigCommand},
    {"version", "Print version information.", cli::versionCommand},
};

struct Run {
  int code = -1;
  std::string out, err;
};

Run promha(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  cli::Streams io{in, out, err};
  Run r;
  r.code = cli::dispatch(kCommands, args, io);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A scratch directory for test files, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("promha-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("dispatch") {
  struct Row {
    const char* name;
    std::vector<std::string> args;
    int code;
    const char* out_part;
    const char* err_part;
  };
  const Row rows[] = {
      {"no arguments", {}, 2, "", "usage: promha <command>"},
      {"top-level help", {"--help"}, 0, "relabel test  Run unit tests", ""},
      {"help word", {"help"}, 0, "check-config", ""},
      {"help for a command", {"help", "relabel", "test"}, 0, "usage: promha relabel test", ""},
      {"help for an unknown command",
       {"help", "frobnicate"},
       2,
       "",
       "unknown command \"frobnicate\""},
      {"unknown command",
       {"frobnicate"},
       2,
       "",
       "promha: error: unknown command \"frobnicate\", try --help"},
      {"longest match wins", {"relabel", "test", "--help"}, 0, "usage: promha relabel test", ""},
      {"relabel alone", {"relabel", "--help"}, 0, "usage: promha relabel [<flags>]", ""},
      {"version flag", {"--version"}, 0, "promha, version ", ""},
      {"version command", {"version"}, 0, "promha, version " PROMHA_VERSION, ""},
      {"version rejects arguments", {"version", "x"}, 2, "", "unexpected argument 'x'"},
      {"version rejects flags", {"version", "--x"}, 2, "", "unknown flag --x"},
      {"run placeholder", {"run"}, 2, "", "not yet implemented"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      const Run got = promha(r.args);
      CHECK(got.code == r.code);
      CHECK_MESSAGE(contains(got.out, r.out_part), got.out);
      CHECK_MESSAGE(contains(got.err, r.err_part), got.err);
    }
  }
}

TEST_CASE("relabel: flag and usage errors exit 2") {
  TempDir tmp;
  const std::string rules = tmp.write("rules.yml", "- {action: labeldrop, regex: replica}\n");
  struct Row {
    const char* name;
    std::vector<std::string> args;
    const char* err;
  };
  const Row rows[] = {
      {"unknown flag",
       {"--rulez", rules},
       "promha relabel: error: unknown flag --rulez, try --help\n"},
      {"short flag",
       {"-r", rules},
       "promha relabel: error: unknown short flag '-r' (flags are --long)\n"},
      {"missing value", {"--rules"}, "promha relabel: error: flag --rules needs a value\n"},
      {"repeated single flag",
       {"--rules", rules, "--rules=x", "--labels", "{}"},
       "promha relabel: error: flag --rules given more than once\n"},
      {"bool with bad value",
       {"--trace=maybe"},
       "promha relabel: error: flag --trace expects true or false, got 'maybe'\n"},
      {"negated bool with value",
       {"--no-trace=true"},
       "promha relabel: error: flag --no-trace takes no value\n"},
      {"negated non-bool",
       {"--no-rules"},
       "promha relabel: error: unknown flag --no-rules, try --help\n"},
      {"no rules",
       {"--labels", "{}"},
       "promha relabel: error: give exactly one of --rules or --config.file\n"},
      {"both sources",
       {"--rules", rules, "--config.file", rules, "--labels", "{}"},
       "promha relabel: error: give exactly one of --rules or --config.file\n"},
      {"bad scheme",
       {"--rules", rules, "--name-validation-scheme=ascii", "--labels", "{}"},
       "promha relabel: error: --name-validation-scheme must be utf8 or legacy, got 'ascii'\n"},
      {"alertmanager without config",
       {"--rules", rules, "--alertmanager=0", "--labels", "{}"},
       "promha relabel: error: --alertmanager needs --config.file\n"},
      {"alertmanager not a number",
       {"--config.file", rules, "--alertmanager=x", "--labels", "{}"},
       "promha relabel: error: --alertmanager expects a block index (0, 1, ...), got 'x'\n"},
      {"alertmanager negative",
       {"--config.file", rules, "--alertmanager=-1", "--labels", "{}"},
       "promha relabel: error: --alertmanager expects a block index (0, 1, ...), got '-1'\n"},
      {"bad output",
       {"--rules", rules, "--output=yaml", "--labels", "{}"},
       "promha relabel: error: --output must be text or json, got 'yaml'\n"},
      {"no input",
       {"--rules", rules},
       "promha relabel: error: no input: give --labels or --input\n"},
      {"positional",
       {"--rules", rules, "extra"},
       "promha relabel: error: unexpected argument 'extra'\n"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::vector<std::string> args{"relabel"};
      args.insert(args.end(), r.args.begin(), r.args.end());
      const Run got = promha(args);
      CHECK(got.code == 2);
      CHECK(got.err == r.err);
      CHECK(got.out.empty());
    }
  }
}

TEST_CASE("relabel: bad rules and input exit 2 with file:line:col") {
  TempDir tmp;
  const std::string rules = tmp.write("rules.yml", "- {action: labeldrop, regex: replica}\n");
  const std::string bad_rules =
      tmp.write("bad.yml", "- action: keep\n  regex: '('\n- action: hashmod\n  target_label: x\n");
  const std::string map_rules = tmp.write("map.yml", "alerting: {}\n");
  const std::string bad_config =
      tmp.write("promha.yml", "alerting:\n  alertmanagers:\n    - timeout: 0s\n");
  const std::string two_blocks = tmp.write(
      "two.yml",
      "alerting:\n  alertmanagers:\n    - alert_relabel_configs: [{action: drop, regex: x, "
      "source_labels: [a]}]\n    - {}\n");
  const std::string jsonl = tmp.write("in.jsonl", "{\"a\":\"1\"}\n\n{\"a\": 1}\n");
  const std::string broken = tmp.write("broken.jsonl", "{\"a\":\"1\"}\n  {\"a\" \"1\"}\n");
  const std::string array = tmp.write("arr.json", "\n[{\"labels\":{\"a\":\"1\"}}, 7]");
  const std::string bad_array = tmp.write("badarr.json", "[\n {\"labels\":{\"a\":\"1\"}},\n ]");
  struct Row {
    const char* name;
    std::vector<std::string> args;
    std::string err;
  };
  const Row rows[] = {
      {"missing rules file",
       {"--rules", tmp.path("nope.yml"), "--labels", "{}"},
       tmp.path("nope.yml") + ": cannot open file\n"},
      {"invalid rules, all errors",
       {"--rules", bad_rules, "--labels", "{}"},
       bad_rules + ":2:10: [0].regex: error parsing regexp: "},
      {"rules file is a mapping",
       {"--rules", map_rules, "--labels", "{}"},
       map_rules + ":1:1: must be a list of relabel configs\n" + map_rules +
           ": (--rules takes a YAML list of relabel configs; use --config.file for a promha "
           "config or prometheus.yml)\n"},
      {"invalid config",
       {"--config.file", bad_config, "--labels", "{}"},
       bad_config + ":3:16: alerting.alertmanagers[0].timeout: must be positive\n"},
      {"alertmanager out of range",
       {"--config.file", two_blocks, "--alertmanager", "2", "--labels", "{}"},
       two_blocks + ": --alertmanager 2: the config has 2 alertmanagers blocks (0-based index)\n"},
      {"ambiguous blocks",
       {"--config.file", two_blocks, "--labels", "{}"},
       two_blocks + ": the config has 2 alertmanagers blocks with different "
                    "alert_relabel_configs; pick one with --alertmanager N (0-based)\n"},
      {"bad --labels", {"--rules", rules, "--labels", "{a=}"}, "--labels:1:4: "},
      {"legacy-invalid label",
       {"--rules", rules, "--name-validation-scheme", "legacy", "--labels", "{\"a.b\"=\"x\"}"},
       "--labels: \"a.b\" is not a valid label name\n"},
      {"missing input file",
       {"--rules", rules, "--input", tmp.path("nope.json")},
       tmp.path("nope.json") + ": cannot open file\n"},
      {"non-string value",
       {"--rules", rules, "--input", jsonl},
       jsonl + ":3:1: label \"a\": value must be a string, got number\n"},
      {"broken JSON line", {"--rules", rules, "--input", broken}, broken + ":2:10: invalid JSON: "},
      {"array element not an object",
       {"--rules", rules, "--input", array},
       array + ":2:1: [1]: expected a JSON object of labels or an alert, got number\n"},
      {"broken array",
       {"--rules", rules, "--input", bad_array},
       bad_array + ":3:2: invalid JSON: "},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::vector<std::string> args{"relabel"};
      args.insert(args.end(), r.args.begin(), r.args.end());
      const Run got = promha(args);
      CHECK(got.code == 2);
      CHECK_MESSAGE(got.err.starts_with(r.err), got.err);
      CHECK(got.out.empty());
    }
  }
}

TEST_CASE("relabel: every rule error is reported") {
  TempDir tmp;
  const std::string bad = tmp.write(
      "bad.yml",
      "- {action: keep, regex: '('}\n- {action: hashmod, target_label: x}\n- {action: x}\n");
  const Run got = promha({"relabel", "--rules", bad, "--labels", "{}"});
  CHECK(got.code == 2);
  CHECK(contains(got.err, bad + ":1:25: [0].regex: "));
  CHECK(contains(got.err,
                 bad + ":2:3: [1]: relabel configuration for hashmod requires non-zero modulus\n"));
  CHECK_MESSAGE(contains(got.err, bad + ":3:12: [2].action: unknown relabel action \"x\"\n"),
                got.err);
}

TEST_CASE("relabel: results") {
  TempDir tmp;
  const std::string rules = kConf + "/alert-relabel.yml";
  const std::string prom = tmp.write("prometheus.yml", R"(global:
  scrape_interval: 5s
  external_labels: {replica: A, cluster: demo}
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:29093']}]
    - alert_relabel_configs:
        - {source_labels: [severity], regex: info, action: drop}
rule_files: [rules.yml]
)");
  const std::string posted = tmp.write(
      "posted.json",
      R"([{"annotations":{"summary":"x"},"endsAt":"2026-11-28T05:05:41.243Z","labels":{"alertname":"A1","severity":"info"}},)"
      R"({"labels":{"alertname":"A2","replica":"B"}}])");
  struct Row {
    const char* name;
    std::vector<std::string> args;
    std::string stdin_text;
    std::string out;
  };
  const Row rows[] = {
      {"text",
       {"--rules", rules, "--labels", R"({alertname="X",replica="A",severity="Crit"})"},
       "",
       "{alertname=\"X\", severity=\"critical\"}\n"},
      {"flag=value form and several --labels",
       {"--rules=" + rules, "--labels={alertname=\"X\"}", "--labels", "{alertname=\"Watchdog\"}"},
       "",
       "{alertname=\"X\"}\ndropped by rules[1] (line 4): {action: drop, source_labels: "
       "[alertname], "
       "regex: \"Watchdog\"}\n"},
      {"trace",
       {"--rules", rules, "--trace", "--labels", R"({alertname="X",replica="A",severity="crit"})"},
       "",
       "input:  {alertname=\"X\", replica=\"A\", severity=\"crit\"}\n"
       "  rules[0] (line 2): {action: labeldrop, regex: \"replica\"}\n"
       "    - replica=\"A\"\n"
       "  rules[2] (line 7): {action: replace, source_labels: [severity], regex: "
       "\"(?i)crit(ical)?\", target_label: \"severity\", replacement: \"critical\"}\n"
       "    - severity=\"crit\"\n"
       "    + severity=\"critical\"\n"
       "result: {alertname=\"X\""
       ", severity=\"critical\"}\n"},
      {"json",
       {"--rules", rules, "--output", "json", "--labels", "{alertname=\"X\",replica=\"A\"}",
        "--labels", "{alertname=\"Watchdog\"}"},
       "",
       "{\"labels\":{\"alertname\":\"X\"}}\n{\"dropped\":true,\"rule\":1}\n"},
      {"json trace",
       {"--rules", rules, "--output=json", "--trace", "--labels", "{replica=\"A\"}"},
       "",
       "{\"labels\":{},\"steps\":[{\"step\":\"rules[0]\",\"rule\":0,\"before\":{\"replica\":\"A\"},"
       "\"after\":{}}]}\n"},
      {"stdin JSON lines",
       {"--rules", rules, "--input", "-"},
       "{\"alertname\":\"X\",\"replica\":\"B\"}\n\n{\"labels\":{\"alertname\":\"Y\"}}\n",
       "{alertname=\"X\"}\n{alertname=\"Y\"}\n"},
      {"prometheus.yml, block 0: external labels then global rules",
       {"--config.file", prom, "--alertmanager", "0", "--input", posted},
       "",
       "{alertname=\"A1\", cluster=\"demo\", severity=\"info\"}\n{alertname=\"A2\", "
       "cluster=\"demo\"}\n"},
      {"prometheus.yml, block 1 drops info",
       {"--config.file", prom, "--alertmanager=1", "--input", posted, "--output", "json"},
       "",
       "{\"dropped\":true,\"rule\":1}\n{\"labels\":{\"alertname\":\"A2\",\"cluster\":\"demo\"}}\n"},
      {"prometheus.yml trace shows external labels",
       {"--config.file", prom, "--alertmanager=1", "--trace", "--labels", "{alertname=\"Z\"}"},
       "",
       "input:  {alertname=\"Z\"}\n  external_labels:\n    + cluster=\"demo\"\n    + "
       "replica=\"A\"\n"
       "  alerting.alert_relabel_configs[0] (line 6): {action: labeldrop, regex: \"replica\"}\n"
       "    - replica=\"A\"\nresult: {alertname=\"Z\", cluster=\"demo\"}\n"},
      {"promha config with one block picks it",
       {"--config.file", kConf + "/promha.yml", "--labels", "{alertname=\"X\",replica=\"A\"}"},
       "",
       "{alertname=\"X\", cluster=\"demo\"}\n"},
      {"utf8 label names",
       {"--rules", rules, "--labels", "{\"service.name\"=\"api\"}", "--output", "json"},
       "",
       "{\"labels\":{\"service.name\":\"api\"}}\n"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::vector<std::string> args{"relabel"};
      args.insert(args.end(), r.args.begin(), r.args.end());
      const Run got = promha(args, r.stdin_text);
      CHECK_MESSAGE(got.code == 0, got.err);
      CHECK(got.out == r.out);
      CHECK(got.err.empty());
    }
  }
}

TEST_CASE("relabel test: the example in conf/ passes") {
  const Run got = promha({"relabel", "test", kConf + "/relabel-test.yml"});
  CHECK_MESSAGE(got.code == 0, (got.out + got.err));
  CHECK(got.out == kConf + "/relabel-test.yml: 4 passed, 0 failed\n");
  CHECK(got.err.empty());
}

TEST_CASE("relabel test: failures print a diff and exit 1") {
  TempDir tmp;
  const std::string file = tmp.write("t.yml", R"(rules:
  - {source_labels: [severity], target_label: sev}
  - {action: drop, source_labels: [alertname], regex: Watchdog}
tests:
  - name: wrong output
    input: '{alertname="X", severity="page"}'
    output: '{alertname="X", severity="page", sev="crit"}'
  - name: expected drop
    input: {alertname: X}
    dropped: true
  - name: unexpected drop
    input: {alertname: Watchdog}
    output: {alertname: Watchdog}
  - input: {alertname: Y}
    output: {alertname: Y}
equal:
  - name: replicas
    inputs: ['{alertname="X", replica="A"}', '{alertname="X", replica="B"}']
)");
  const Run got = promha({"relabel", "test", file});
  CHECK(got.code == 1);
  CHECK(got.err.empty());
  CHECK(got.out ==
        "FAIL tests[0] \"wrong output\" (" + file +
            ":5:5)\n"
            "  input:    {alertname=\"X\", severity=\"page\"}\n"
            "  expected: {alertname=\"X\", sev=\"crit\", severity=\"page\"}\n"
            "  got:      {alertname=\"X\", sev=\"page\", severity=\"page\"}\n"
            "  diff (- expected, + got):\n"
            "    - sev=\"crit\"\n"
            "    + sev=\"page\"\n"
            "FAIL tests[1] \"expected drop\" (" +
            file +
            ":8:5)\n"
            "  input:    {alertname=\"X\"}\n"
            "  expected: dropped\n"
            "  got:      {alertname=\"X\"}\n"
            "FAIL tests[2] \"unexpected drop\" (" +
            file +
            ":11:5)\n"
            "  input:    {alertname=\"Watchdog\"}\n"
            "  expected: {alertname=\"Watchdog\"}\n"
            "  got:      dropped by rules[1] (line 3): {action: drop, source_labels: [alertname], "
            "regex: \"Watchdog\"}\n"
            "FAIL equal[0] \"replicas\" (" +
            file +
            ":17:5): the inputs do not produce identical results\n"
            "  {alertname=\"X\", replica=\"A\"}\n    -> {alertname=\"X\", replica=\"A\"}\n"
            "  {alertname=\"X\", replica=\"B\"}\n    -> {alertname=\"X\", replica=\"B\"}\n"
            "  diff (- inputs[0], + inputs[1]):\n    - replica=\"A\"\n    + replica=\"B\"\n" +
            file + ": 1 passed, 4 failed\n");
}

TEST_CASE("relabel test: invalid files exit 2 with file:line:col") {
  TempDir tmp;
  tmp.write("rules.yml", "- {action: labeldrop, regex: replica}\n");
  tmp.write("badrules.yml", "- {action: frob}\n");
  tmp.write("promha.yml", "alerting:\n  alertmanagers: [{}]\n");
  struct Row {
    const char* name;
    const char* yaml;
    std::vector<std::string> errors;  // each prefixed with the test file's path
  };
  const Row rows[] = {
      {"unknown key",
       "rules_file: rules.yml\ntests: []\ncases: []\n",
       {":3:1: unknown key 'cases' (allowed: rules, rules_file, config_file, alertmanager, "
        "name_validation_scheme, tests, equal)"}},
      {"not a mapping", "- a\n", {":1:1: must be a mapping"}},
      {"no rule source",
       "tests: []\n",
       {":1:1: exactly one of 'rules', 'rules_file' or 'config_file' is required"}},
      {"two rule sources",
       "rules: []\nrules_file: rules.yml\n",
       {":1:1: exactly one of 'rules', 'rules_file' or 'config_file' is required"}},
      {"alertmanager without config",
       "rules_file: rules.yml\nalertmanager: 0\ntests: [{input: "
       "'{}', output: '{}'}]\n",
       {":2:15: alertmanager: only allowed with 'config_file'"}},
      {"alertmanager out of range",
       "config_file: promha.yml\nalertmanager: 3\n",
       {":1:14: config_file: cannot load \"promha.yml\":",
        "promha.yml: --alertmanager 3: the config has 1 alertmanagers blocks (0-based index)"}},
      {"bad scheme",
       "rules_file: rules.yml\nname_validation_scheme: x\ntests: [{input: '{}', "
       "output: '{}'}]\n",
       {":2:25: name_validation_scheme: must be utf8 or legacy"}},
      {"invalid inline rules",
       "rules: [{action: frob}]\ntests: []\n",
       {":1:18: rules[0].action: unknown relabel action \"frob\""}},
      {"invalid rules file",
       "rules_file: badrules.yml\ntests: []\n",
       {":1:13: rules_file: cannot load \"badrules.yml\":",
        "badrules.yml:1:12: [0].action: unknown relabel action \"frob\""}},
      {"missing rules file",
       "rules_file: nope.yml\n",
       {":1:13: rules_file: cannot load \"nope.yml\":", "nope.yml: cannot open file"}},
      {"tests not a list", "rules: []\ntests: {}\n", {":2:8: tests: must be a list of test cases"}},
      {"case without input",
       "rules: []\ntests:\n  - output: '{}'\n",
       {":3:5: tests[0]: 'input' is required"}},
      {"case with output and dropped",
       "rules: []\ntests:\n  - {input: '{}', output: '{}', dropped: true}\n",
       {":3:5: tests[0]: needs exactly one of 'output' or 'dropped: true'"}},
      {"case with neither",
       "rules: []\ntests:\n  - {input: '{}'}\n",
       {":3:5: tests[0]: needs exactly one of 'output' or 'dropped: true'"}},
      {"unknown case key",
       "rules: []\ntests:\n  - {input: '{}', ouput: '{}'}\n",
       {":3:19: tests[0]: unknown key 'ouput' (allowed: name, input, output, dropped)",
        ":3:5: tests[0]: needs exactly one of 'output' or 'dropped: true'"}},
      {"bad label set",
       "rules: []\ntests:\n  - {input: '{a=\"b\"', output: '{}'}\n",
       {":3:13: tests[0].input: invalid label set at column 7 of the value: "}},
      {"label set as a list",
       "rules: []\ntests:\n  - {input: [a], output: '{}'}\n",
       {":3:13: tests[0].input: must be a label set: '{a=\"b\"}' or a mapping"}},
      {"legacy-invalid name",
       "rules: []\nname_validation_scheme: legacy\ntests:\n  - {input: {a.b: x}, output: '{}'}\n",
       {":4:13: tests[0].input: \"a.b\" is not a valid label name"}},
      {"equal not a list", "rules: []\nequal: {}\n", {":2:8: equal: must be a list of groups"}},
      {"equal with one input",
       "rules: []\nequal:\n  - inputs: ['{}']\n",
       {":3:13: equal[0].inputs: must be a list of at least two label sets"}},
      {"equal without inputs",
       "rules: []\nequal:\n  - name: x\n",
       {":3:5: equal[0].inputs: must be a list of at least two label sets"}},
      {"no tests", "rules: []\n", {":1:1: no tests: add 'tests' or 'equal'"}},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      const std::string file = tmp.write("t.yml", r.yaml);
      const Run got = promha({"relabel", "test", file});
      CHECK(got.code == 2);
      CHECK(got.out == file + ": INVALID\n");
      std::vector<std::string> lines;
      std::istringstream es(got.err);
      for (std::string l; std::getline(es, l);) lines.push_back(l);
      REQUIRE_MESSAGE(lines.size() == r.errors.size(), got.err);
      for (size_t i = 0; i < lines.size(); ++i) {
        // The first error belongs to the test file; nested ones name their own file.
        const std::string want =
            r.errors[i].starts_with(":") ? file + r.errors[i] : tmp.path(r.errors[i]);
        CHECK_MESSAGE(lines[i].starts_with(want), lines[i]);
      }
    }
  }
  SUBCASE("no file given") {
    const Run got = promha({"relabel", "test"});
    CHECK(got.code == 2);
    CHECK(got.err == "promha relabel test: error: no test file given\n");
  }
  SUBCASE("invalid file wins over a failing one") {
    const std::string bad = tmp.write("bad.yml", "rules: []\n");
    const std::string failing =
        tmp.write("fail.yml", "rules: []\ntests: [{input: '{a=\"1\"}', dropped: true}]\n");
    const Run got = promha({"relabel", "test", failing, bad});
    CHECK(got.code == 2);
    CHECK(contains(got.out, failing + ": 0 passed, 1 failed\n"));
  }
}

TEST_CASE("relabel test: config_file runs the Alertmanager block's pipeline") {
  TempDir tmp;
  tmp.write("promha.yml", R"(global: {external_labels: {cluster: eu}}
alerting:
  alert_relabel_configs: [{action: labeldrop, regex: replica}]
  alertmanagers:
    - {}
    - alert_relabel_configs: [{action: drop, source_labels: [severity], regex: info}]
)");
  const std::string file = tmp.write("t.yml", R"(config_file: promha.yml
alertmanager: 1
tests:
  - {input: '{alertname="X", replica="A"}', output: '{alertname="X", cluster="eu"}'}
  - {input: '{alertname="X", severity="info"}', dropped: true}
equal:
  - inputs: ['{alertname="X", replica="A"}', '{alertname="X", replica="B"}']
)");
  const Run got = promha({"relabel", "test", file});
  CHECK_MESSAGE(got.code == 0, (got.out + got.err));
  CHECK(got.out == file + ": 3 passed, 0 failed\n");
}

TEST_CASE("check-config") {
  TempDir tmp;
  const std::string good = kConf + "/promha.yml";
  const std::string bad = tmp.write("bad.yml", R"(global:
  external_labels: {cluster: eu}
  scrape_interval: 1m
alerting:
  alertmanagers:
    - timeout: 0s
      retry: {min_backoff: 1m, max_backoff: 1s}
      basic_auth: {username: u, password: hunter2, password_file: /p}
)");
  const std::string no_ha = tmp.write("noha.yml", R"(global: {external_labels: {cluster: eu}}
alerting:
  alertmanagers: [{static_configs: [{targets: ['am:9093']}]}]
ha: {replica_label: prometheus_replica}
)");
  const std::string secret = tmp.write("secret.yml", R"(alerting:
  alertmanagers:
    - basic_auth: {username: u, password: hunter2}
    - authorization: {credentials: s3cr3t}
)");
  const std::string prom = tmp.write("prometheus.yml", R"(global: {scrape_interval: 5s}
scrape_configs: []
alerting:
  alert_relabel_configs: [{action: labeldrop, regex: replica}]
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:9095']}]}]
)");
  struct Row {
    const char* name;
    std::vector<std::string> args;
    int code;
    std::string out;
    std::string err;
  };
  const Row rows[] = {
      {"the example config",
       {good},
       0,
       "Checking " + good +
           "\n  SUCCESS: promha config, 1 alertmanagers block, 1 global "
           "alert_relabel_configs\n  watch: 1 peer (B), Alertmanager cluster check on, deadman "
           "off\n  remote_write: 1 endpoint (storage)\n  HA: alerts differing only in "
           "\"replica\" collapse in every alertmanagers block\n",
       ""},
      {"every error at once",
       {bad},
       1,
       "Checking " + bad + "\n  FAILED: 4 errors\n",
       bad +
           ":3:3: global: unknown key 'scrape_interval' (allowed: external_labels, "
           "metric_name_validation_scheme)\n" +
           bad + ":6:16: alerting.alertmanagers[0].timeout: must be positive\n" + bad +
           ":8:19: alerting.alertmanagers[0].basic_auth: at most one of basic_auth password & "
           "password_file must be configured\n" +
           bad +
           ":7:14: alerting.alertmanagers[0].retry: min_backoff (1m) must not exceed "
           "max_backoff (1s)\n"},
      {"HA check fails with a fix",
       {no_ha},
       1,
       "Checking " + no_ha +
           "\n  SUCCESS: promha config, 1 alertmanagers block, 0 global "
           "alert_relabel_configs\n  watch: 0 peers, Alertmanager cluster check on, deadman "
           "off\n  FAILED: HA check\n",
       no_ha + ": alerting.alertmanagers[0]: HA check failed: alerts that differ only in "
               "\"prometheus_replica\" do not collapse:\n"
               "  {alertname=\"PromhaHACheck\", prometheus_replica=\"A\"} -> "
               "{alertname=\"PromhaHACheck\", cluster=\"eu\", prometheus_replica=\"A\"}\n"
               "  {alertname=\"PromhaHACheck\", prometheus_replica=\"B\"} -> "
               "{alertname=\"PromhaHACheck\", cluster=\"eu\", prometheus_replica=\"B\"}\n"
               "  after relabeling the alerts still differ in \"prometheus_replica\", so "
               "Alertmanager sees two alerts and notifies twice. Fix: drop that label, e.g. add "
               "to alerting.alert_relabel_configs:\n  - action: labeldrop\n    regex: "
               "prometheus_replica\n"},
      {"--replica-label overrides",
       {"--replica-label", "replica", no_ha},
       1,
       "",
       "differ only in \"replica\""},
      {"prometheus.yml",
       {"--replica-label=replica", prom},
       0,
       "Checking " + prom +
           "\n  SUCCESS: prometheus.yml (alerting part), 1 alertmanagers block, 1 "
           "global alert_relabel_configs\n  HA: alerts differing only in \"replica\" collapse in "
           "every alertmanagers block\n",
       ""},
      {"several files, one bad",
       {good, tmp.path("missing.yml")},
       1,
       "Checking " + tmp.path("missing.yml") + "\n  FAILED: 1 error\n",
       tmp.path("missing.yml") + ": cannot open file\n"},
      {"no file", {}, 2, "", "promha check-config: error: no config file given\n"},
      {"bad flag",
       {"--replica", "x", good},
       2,
       "",
       "promha check-config: error: unknown flag --replica, try --help\n"},
      {"bad replica label",
       {"--replica-label=", good},
       2,
       "",
       "promha check-config: error: --replica-label \"\" is not a valid label name\n"},
      {"help", {"--help"}, 0, "usage: promha check-config [<flags>] <file>...", ""},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::vector<std::string> args{"check-config"};
      args.insert(args.end(), r.args.begin(), r.args.end());
      const Run got = promha(args);
      CHECK(got.code == r.code);
      CHECK_MESSAGE(contains(got.out, r.out), got.out);
      if (r.code == 0) {
        CHECK(got.err.empty());
      } else {
        CHECK_MESSAGE(contains(got.err, r.err), got.err);
      }
    }
  }
  SUBCASE("--dump shows defaults and hides secrets") {
    const Run got = promha({"check-config", "--dump", secret});
    CHECK(got.code == 0);
    CHECK_FALSE(contains(got.out + got.err, "hunter2"));
    CHECK_FALSE(contains(got.out + got.err, "s3cr3t"));
    CHECK(contains(got.out, "password: <secret>"));
    CHECK(contains(got.out, "credentials: <secret>"));
    CHECK(contains(got.out, "timeout: 10s"));
    CHECK(contains(got.out, "capacity: 10000"));
  }
}

}  // namespace
