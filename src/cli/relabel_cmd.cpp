#include "cli/relabel_cmd.h"

#include <fstream>
#include <istream>
#include <iterator>
#include <ostream>
#include <sstream>

#include "cli/flags.h"
#include "cli/source.h"
#include "dryrun/format.h"
#include "dryrun/input.h"

namespace promha::cli {
namespace {

constexpr const char* kDescription =
    "Dry-run alert relabeling: apply relabel rules to label sets and print the result.\n"
    "With --config.file, the alert pipeline of one Alertmanager block runs in Prometheus's order:\n"
    "external labels (unless the alert has the label), alerting.alert_relabel_configs, then the\n"
    "block's own alert_relabel_configs.\n\n"
    "Exit codes: 0 ok, 2 bad flags, rules or input (errors as file:line:col: message).\n\n"
    "Examples:\n"
    "  promha relabel --rules rules.yml --labels '{alertname=\"X\",replica=\"A\"}' --trace\n"
    "  promha relabel --config.file prometheus.yml --alertmanager 0 --input alerts.json "
    "--output json";

int usageError(Streams& io, const FlagSet& fs, const std::string& msg) {
  io.err << fs.command() << ": error: " << msg << "\n";
  return kExitUsage;
}

}  // namespace

int relabelCommand(const Args& args, Streams& io) {
  RuleSource src;
  std::string alertmanager, input, output = "text", scheme;
  std::vector<std::string> labels;
  bool show_trace = false;
  FlagSet fs("promha relabel", "", kDescription);
  fs.string("rules", &src.rules_file, "A YAML list of relabel configs.", "FILE");
  fs.string("config.file", &src.config_file, "A promha config or a Prometheus prometheus.yml.",
            "FILE");
  fs.string("alertmanager", &alertmanager,
            "With --config.file: the alerting.alertmanagers block (0-based) whose\n"
            "alert_relabel_configs apply (default: 0 when all blocks relabel alike).",
            "N");
  fs.strings("labels", &labels, "A label set in PromQL syntax: '{alertname=\"X\",replica=\"A\"}'.",
             "LABELS");
  fs.string("input", &input,
            "JSON lines of label objects or alerts, or an Alertmanager alert array\n"
            "as Prometheus POSTs it ('-' = stdin).",
            "FILE");
  fs.string("output", &output, "text or json (one JSON line per input, in input order).", "FORMAT");
  fs.boolean("trace", &show_trace, "Show every rule that changed something, before and after.");
  fs.string("name-validation-scheme", &scheme,
            "utf8 or legacy label-name rules (default: the config's, else utf8).", "SCHEME");
  if (auto st = fs.parse(args); !st) return usageError(io, fs, st.error().message);
  if (fs.helpRequested()) {
    io.out << fs.usage();
    return kExitOk;
  }
  if (!fs.positional().empty()) {
    return usageError(io, fs, "unexpected argument '" + fs.positional()[0] + "'");
  }
  if (src.rules_file.empty() == src.config_file.empty()) {
    return usageError(io, fs, "give exactly one of --rules or --config.file");
  }
  if (fs.isSet("name-validation-scheme")) {
    src.scheme = parseScheme(scheme);
    if (!src.scheme) {
      return usageError(io, fs,
                        "--name-validation-scheme must be utf8 or legacy, got '" + scheme + "'");
    }
  }
  if (!alertmanager.empty()) {
    if (src.config_file.empty()) return usageError(io, fs, "--alertmanager needs --config.file");
    size_t pos = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(alertmanager, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (pos == 0 || pos != alertmanager.size() || alertmanager[0] == '-') {
      return usageError(
          io, fs, "--alertmanager expects a block index (0, 1, ...), got '" + alertmanager + "'");
    }
    src.alertmanager = n;
  }
  if (output != "text" && output != "json") {
    return usageError(io, fs, "--output must be text or json, got '" + output + "'");
  }
  if (labels.empty() && input.empty()) {
    return usageError(io, fs, "no input: give --labels or --input");
  }

  core::Diagnostics diag(src.rules_file.empty() ? src.config_file : src.rules_file);
  auto loaded = loadPipeline(src, diag);
  if (!loaded) {
    io.err << diag.str();
    return kExitUsage;
  }
  std::vector<core::Labels> inputs;
  for (const auto& text : labels) {
    auto ls = dryrun::parseLabelsFlag(text, loaded->scheme);
    if (!ls) {
      io.err << ls.error().str() << "\n";
      return kExitUsage;
    }
    inputs.push_back(std::move(*ls));
  }
  if (!input.empty()) {
    std::string text;
    std::string name = input;
    if (input == "-") {
      name = "<stdin>";
      text.assign(std::istreambuf_iterator<char>(io.in), std::istreambuf_iterator<char>());
    } else {
      std::ifstream f(input, std::ios::binary);
      if (!f) {
        io.err << input << ": cannot open file\n";
        return kExitUsage;
      }
      std::stringstream ss;
      ss << f.rdbuf();
      text = ss.str();
    }
    auto parsed = dryrun::parseJsonInput(text, name, loaded->scheme);
    if (!parsed) {
      io.err << parsed.error().str() << "\n";
      return kExitUsage;
    }
    for (auto& ls : *parsed) inputs.push_back(std::move(ls));
  }

  const config::Pipeline& p = loaded->pipeline;
  for (size_t n = 0; n < inputs.size(); ++n) {
    const config::PipelineTrace t = config::trace(p, inputs[n]);
    if (output == "json") {
      io.out << dryrun::dumpJson(dryrun::resultJson(p, t, show_trace)) << "\n";
      continue;
    }
    if (show_trace && n > 0) io.out << "\n";
    io.out << dryrun::resultText(p, t, show_trace);
  }
  return kExitOk;
}

}  // namespace promha::cli
