// relabel_bench: times relabel::process() over a workload of label sets.
//
//   relabel_bench --rules FILE --labelsets FILE [--iterations N] [--rounds R]
//                 [--scheme utf8|legacy]
//
// --labelsets is a JSON array of {name: value} objects, as bench/relabel/gen.py writes them.
// Rules and label sets are parsed up front; the timed loop is what a sidecar does per alert or
// series: copy the input into a reused output Labels (copy-assignment, so the copy's cost is
// counted), then process() with a reused Scratch. One round = N passes over every label set;
// the figure printed as ns_per_labelset is the MEDIAN over R rounds (the best is printed too).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/labels.h"
#include "relabel/relabel.h"
#include "relabel/rule.h"

namespace {

using promha::core::Label;
using promha::core::Labels;
using promha::core::NameScheme;
namespace relabel = promha::relabel;

int usage(const char* msg) {
  std::fprintf(stderr,
               "relabel_bench: %s\nusage: relabel_bench --rules FILE --labelsets FILE "
               "[--iterations N] [--rounds R] [--scheme utf8|legacy]\n",
               msg);
  return 2;
}

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string rules_path, sets_path;
  long iterations = 20;
  long rounds = 7;
  NameScheme scheme = NameScheme::kUtf8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--rules") {
      rules_path = v;
    } else if (a == "--labelsets") {
      sets_path = v;
    } else if (a == "--iterations") {
      iterations = std::strtol(v.c_str(), nullptr, 10);
    } else if (a == "--rounds") {
      rounds = std::strtol(v.c_str(), nullptr, 10);
    } else if (a == "--scheme") {
      if (v != "utf8" && v != "legacy") return usage("--scheme must be utf8 or legacy");
      scheme = v == "legacy" ? NameScheme::kLegacy : NameScheme::kUtf8;
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (rules_path.empty() || sets_path.empty()) return usage("--rules and --labelsets are required");
  if (iterations <= 0 || rounds <= 0) return usage("--iterations and --rounds must be positive");

  std::string text;
  if (!readFile(rules_path, text)) return usage(("cannot read " + rules_path).c_str());
  auto rules = relabel::parseRulesText(text, rules_path, scheme);
  if (!rules) {
    std::fprintf(stderr, "%s\n", rules.error().str().c_str());
    return 2;
  }
  if (!readFile(sets_path, text)) return usage(("cannot read " + sets_path).c_str());
  std::vector<Labels> inputs;
  try {
    const auto doc = nlohmann::json::parse(text);
    inputs.reserve(doc.size());
    for (const auto& obj : doc) {
      std::vector<Label> v;
      for (const auto& [k, val] : obj.items()) v.push_back(Label{k, val.get<std::string>()});
      inputs.push_back(Labels::fromUnsorted(std::move(v)));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", sets_path.c_str(), e.what());
    return 2;
  }
  if (inputs.empty()) return usage("no label sets");

  relabel::Scratch scratch;
  Labels out;
  size_t kept = 0, dropped = 0, checksum = 0;
  for (const auto& in : inputs) {  // untimed warm-up pass, also the kept/dropped counts
    out = in;
    if (relabel::process(*rules, out, scratch)) {
      ++kept;
      checksum += out.size();
    } else {
      ++dropped;
    }
  }

  using Clock = std::chrono::steady_clock;
  std::vector<double> per_set;
  for (long r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    for (long it = 0; it < iterations; ++it) {
      for (const auto& in : inputs) {
        out = in;
        checksum += relabel::process(*rules, out, scratch) ? out.size() : 0;
      }
    }
    const std::chrono::duration<double, std::nano> ns = Clock::now() - start;
    per_set.push_back(ns.count() /
                      (static_cast<double>(iterations) * static_cast<double>(inputs.size())));
  }
  std::sort(per_set.begin(), per_set.end());
  const double median = per_set[per_set.size() / 2];

  std::printf("rules=%s labelsets=%s sets=%zu rules_count=%zu iterations=%ld rounds=%ld\n",
              rules_path.c_str(), sets_path.c_str(), inputs.size(), rules->size(), iterations,
              rounds);
  std::printf("kept=%zu dropped=%zu checksum=%zu\n", kept, dropped, checksum);
  std::printf("stat=median best_ns_per_labelset=%.1f\n", per_set.front());
  std::printf("ns_per_labelset=%.1f\n", median);
  return 0;
}
