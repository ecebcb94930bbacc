#include "cli/relabel_test_cmd.h"

#include <filesystem>
#include <optional>
#include <ostream>

#include "cli/flags.h"
#include "cli/source.h"
#include "core/yaml.h"
#include "dryrun/format.h"

namespace promha::cli {
namespace {

constexpr const char* kDescription =
    "Run unit tests for relabel rules. A test file:\n\n"
    "  rules_file: alert-relabel.yml   # or rules: [...] inline, or config_file: promha.yml\n"
    "  tests:\n"
    "    - name: replica label is dropped\n"
    "      input: '{alertname=\"X\", replica=\"A\"}'\n"
    "      output: '{alertname=\"X\"}'\n"
    "    - input: {alertname: Watchdog}\n"
    "      dropped: true\n"
    "  equal:\n"
    "    - name: HA pair collapses\n"
    "      inputs: ['{alertname=\"X\", replica=\"A\"}', '{alertname=\"X\", replica=\"B\"}']\n\n"
    "Paths are relative to the test file. Exit codes: 0 all pass, 1 a test failed, 2 invalid\n"
    "file or rules.";

struct Case {
  std::string label;  // "tests[1] \"name\" (file:12:5)"
  core::Labels input;
  std::optional<core::Labels> output;  // nullopt with dropped
};

struct EqualGroup {
  std::string label;
  std::vector<core::Labels> inputs;
};

struct TestFile {
  LoadedPipeline pipeline;
  std::vector<Case> cases;
  std::vector<EqualGroup> groups;
};

std::string where(const std::string& file, const std::string& path, const std::string& name,
                  const YAML::Node& n) {
  std::string out = path;
  if (!name.empty()) out += " " + core::quote(name);
  out += " (" + file + ":" + std::to_string(n.Mark().line + 1) + ":" +
         std::to_string(n.Mark().column + 1) + ")";
  return out;
}

// A label set as a PromQL string or a YAML map.
std::optional<core::Labels> labelsFrom(const YAML::Node& n, const std::string& path,
                                       core::NameScheme scheme, core::Diagnostics& diag) {
  std::vector<core::Label> items;
  if (n.IsScalar()) {
    auto ls = core::parseLabelSet(n.Scalar());
    if (!ls) {
      diag.add(n, path,
               "invalid label set at column " + std::to_string(ls.error().col) +
                   " of the value: " + ls.error().message);
      return std::nullopt;
    }
    items.assign(ls->begin(), ls->end());
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      auto name = core::getString(kv.first, path, diag);
      auto value = core::getString(kv.second, core::joinPath(path, name.value_or("")), diag);
      if (!name || !value) return std::nullopt;
      items.push_back({*name, *value});
    }
  } else {
    diag.add(n, path, "must be a label set: '{a=\"b\"}' or a mapping");
    return std::nullopt;
  }
  for (const auto& l : items) {
    if (!core::isValidLabelName(l.name, scheme)) {
      diag.add(n, path, core::quote(l.name) + " is not a valid label name");
      return std::nullopt;
    }
  }
  return core::Labels::fromUnsorted(std::move(items));
}

std::optional<TestFile> loadTestFile(const std::string& file, core::Diagnostics& diag) {
  auto root = core::loadYamlFile(file);
  if (!root) {
    diag.add(root.error());
    return std::nullopt;
  }
  const YAML::Node& r = *root;
  if (!core::checkKeys(r, "",
                       {"rules", "rules_file", "config_file", "alertmanager",
                        "name_validation_scheme", "tests", "equal"},
                       diag)) {
    return std::nullopt;
  }
  TestFile tf;
  RuleSource src;
  if (const auto n = r["name_validation_scheme"]) {
    auto s = core::getString(n, "name_validation_scheme", diag);
    if (s) {
      src.scheme = parseScheme(*s);
      if (!src.scheme) diag.add(n, "name_validation_scheme", "must be utf8 or legacy");
    }
  }
  const int sources = int(r["rules"].IsDefined()) + int(r["rules_file"].IsDefined()) +
                      int(r["config_file"].IsDefined());
  if (sources != 1) {
    diag.add(r, "", "exactly one of 'rules', 'rules_file' or 'config_file' is required");
    return std::nullopt;
  }
  const auto relative = [&](const std::string& p) {
    const std::filesystem::path path(p);
    if (path.is_absolute()) return p;
    return (std::filesystem::path(file).parent_path() / path).string();
  };
  if (r["alertmanager"].IsDefined()) {
    if (!r["config_file"].IsDefined()) {
      diag.add(r["alertmanager"], "alertmanager", "only allowed with 'config_file'");
    } else if (auto v = core::getUint(r["alertmanager"], "alertmanager", diag)) {
      src.alertmanager = static_cast<size_t>(*v);
    }
  }
  if (const auto n = r["rules"]) {
    tf.pipeline.scheme = src.scheme.value_or(core::NameScheme::kUtf8);
    auto rules = relabel::parseRules(n, "rules", tf.pipeline.scheme, diag);
    if (!n.IsSequence()) return std::nullopt;
    tf.pipeline.pipeline = config::rulesPipeline(std::move(rules));
  } else {
    const bool is_rules = r["rules_file"].IsDefined();
    const YAML::Node file_node = is_rules ? r["rules_file"] : r["config_file"];
    const char* key = is_rules ? "rules_file" : "config_file";
    auto p = core::getString(file_node, key, diag);
    if (!p) return std::nullopt;
    (is_rules ? src.rules_file : src.config_file) = relative(*p);
    core::Diagnostics inner(is_rules ? src.rules_file : src.config_file);
    auto loaded = loadPipeline(src, inner);
    if (!loaded) {
      diag.add(file_node, key, "cannot load " + core::quote(*p) + ":");
      for (const auto& e : inner.errors()) diag.add(e);
      return std::nullopt;
    }
    tf.pipeline = std::move(*loaded);
  }
  const core::NameScheme scheme = tf.pipeline.scheme;
  if (const auto tests = r["tests"]) {
    if (!tests.IsSequence()) {
      diag.add(tests, "tests", "must be a list of test cases");
    } else {
      for (size_t i = 0; i < tests.size(); ++i) {
        const YAML::Node t = tests[i];
        const std::string path = core::indexPath("tests", i);
        if (!core::checkKeys(t, path, {"name", "input", "output", "dropped"}, diag)) continue;
        std::string name;
        if (t["name"])
          name = core::getString(t["name"], core::joinPath(path, "name"), diag).value_or("");
        Case c;
        c.label = where(diag.file(), path, name, t);
        bool dropped = false;
        if (t["dropped"]) {
          dropped =
              core::getBool(t["dropped"], core::joinPath(path, "dropped"), diag).value_or(false);
        }
        if (!t["input"]) {
          diag.add(t, path, "'input' is required");
          continue;
        }
        auto in = labelsFrom(t["input"], core::joinPath(path, "input"), scheme, diag);
        if (dropped == t["output"].IsDefined()) {
          diag.add(t, path, "needs exactly one of 'output' or 'dropped: true'");
          continue;
        }
        if (!dropped) {
          auto out = labelsFrom(t["output"], core::joinPath(path, "output"), scheme, diag);
          if (!out) continue;
          c.output = std::move(*out);
        }
        if (!in) continue;
        c.input = std::move(*in);
        tf.cases.push_back(std::move(c));
      }
    }
  }
  if (const auto groups = r["equal"]) {
    if (!groups.IsSequence()) {
      diag.add(groups, "equal", "must be a list of groups");
    } else {
      for (size_t i = 0; i < groups.size(); ++i) {
        const YAML::Node g = groups[i];
        const std::string path = core::indexPath("equal", i);
        if (!core::checkKeys(g, path, {"name", "inputs"}, diag)) continue;
        std::string name;
        if (g["name"])
          name = core::getString(g["name"], core::joinPath(path, "name"), diag).value_or("");
        const YAML::Node inputs = g["inputs"];
        if (!inputs.IsDefined() || !inputs.IsSequence() || inputs.size() < 2) {
          diag.add(inputs.IsDefined() ? inputs : g, core::joinPath(path, "inputs"),
                   "must be a list of at least two label sets");
          continue;
        }
        EqualGroup eg;
        eg.label = where(diag.file(), path, name, g);
        for (size_t k = 0; k < inputs.size(); ++k) {
          if (auto ls = labelsFrom(inputs[k], core::indexPath(core::joinPath(path, "inputs"), k),
                                   scheme, diag)) {
            eg.inputs.push_back(std::move(*ls));
          }
        }
        tf.groups.push_back(std::move(eg));
      }
    }
  }
  if (!diag.ok()) return std::nullopt;
  if (tf.cases.empty() && tf.groups.empty()) {
    diag.add(r, "", "no tests: add 'tests' or 'equal'");
    return std::nullopt;
  }
  return tf;
}

// The outcome of one input: labels, or the rule that dropped it.
struct Outcome {
  std::optional<core::Labels> labels;
  size_t dropped_by = 0;
};

Outcome run(const config::Pipeline& p, const core::Labels& input, relabel::Scratch& scratch) {
  Outcome o;
  core::Labels ls = input;
  if (config::apply(p, ls, scratch, &o.dropped_by)) o.labels = std::move(ls);
  return o;
}

std::string show(const config::Pipeline& p, const Outcome& o) {
  return o.labels ? o.labels->toString() : "dropped by " + dryrun::describeRule(p, o.dropped_by);
}

// Returns the number of failures.
size_t runTests(const TestFile& tf, std::ostream& out) {
  const config::Pipeline& p = tf.pipeline.pipeline;
  relabel::Scratch scratch;
  size_t failed = 0;
  for (const auto& c : tf.cases) {
    const Outcome o = run(p, c.input, scratch);
    if (o.labels == c.output) continue;
    ++failed;
    out << "FAIL " << c.label << "\n"
        << "  input:    " << c.input.toString() << "\n"
        << "  expected: " << (c.output ? c.output->toString() : "dropped") << "\n"
        << "  got:      " << show(p, o) << "\n";
    if (o.labels && c.output) {
      out << "  diff (- expected, + got):\n";
      for (const auto& d : dryrun::diffLabels(*c.output, *o.labels)) out << "    " << d << "\n";
    }
  }
  for (const auto& g : tf.groups) {
    std::vector<Outcome> outs;
    for (const auto& in : g.inputs) outs.push_back(run(p, in, scratch));
    bool same = true;
    for (const auto& o : outs) same = same && o.labels == outs[0].labels;
    if (same) continue;
    ++failed;
    out << "FAIL " << g.label << ": the inputs do not produce identical results\n";
    for (size_t k = 0; k < outs.size(); ++k) {
      out << "  " << g.inputs[k].toString() << "\n    -> " << show(p, outs[k]) << "\n";
    }
    for (size_t k = 1; k < outs.size(); ++k) {
      if (outs[k].labels && outs[0].labels && !(outs[k].labels == outs[0].labels)) {
        out << "  diff (- inputs[0], + inputs[" << k << "]):\n";
        for (const auto& d : dryrun::diffLabels(*outs[0].labels, *outs[k].labels)) {
          out << "    " << d << "\n";
        }
      }
    }
  }
  return failed;
}

}  // namespace

int relabelTestCommand(const Args& args, Streams& io) {
  FlagSet fs("promha relabel test", "<file>...", kDescription);
  if (auto code = parseOrExit(fs, args, io.out, io.err)) return *code;
  if (fs.positional().empty()) {
    io.err << fs.command() << ": error: no test file given\n";
    return kExitUsage;
  }
  bool invalid = false, failed = false;
  for (const auto& file : fs.positional()) {
    core::Diagnostics diag(file);
    std::optional<TestFile> tf;
    try {
      tf = loadTestFile(file, diag);
    } catch (const YAML::Exception& e) {  // a shape the loader did not guard against
      diag.add(core::Error{"unexpected YAML structure: " + e.msg, file, e.mark.line + 1,
                           e.mark.column + 1});
    }
    if (!tf) {
      io.err << diag.str();
      io.out << file << ": INVALID\n";
      invalid = true;
      continue;
    }
    const size_t total = tf->cases.size() + tf->groups.size();
    const size_t n_failed = runTests(*tf, io.out);
    io.out << file << ": " << (total - n_failed) << " passed, " << n_failed << " failed\n";
    failed = failed || n_failed > 0;
  }
  if (invalid) return kExitUsage;
  return failed ? kExitFailed : kExitOk;
}

}  // namespace promha::cli
