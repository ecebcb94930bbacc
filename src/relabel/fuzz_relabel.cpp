// libFuzzer target for the relabel engine: rule YAML and a label set from one input.
//
// The input is split at the first "\n---labels---\n" (or at the first NUL byte): the part before
// is a YAML list of relabel configs, the part after a label set, either in PromQL syntax
// ({a="b"}) or, when that does not parse, as raw "name=value" lines (so non-UTF-8 bytes reach
// the engine). The rules are loaded under both name schemes; whatever loads is applied, and the
// result must be sorted, free of empty values and duplicates, and agree with trace().
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "relabel/relabel.h"
#include "relabel/rule.h"

namespace {

using promha::core::Label;
using promha::core::Labels;
using promha::core::NameScheme;
namespace relabel = promha::relabel;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

Labels rawLabels(std::string_view text) {
  std::vector<Label> v;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    v.push_back(Label{std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))});
  }
  return Labels::fromUnsorted(std::move(v));
}

void checkInvariants(const Labels& ls) {
  for (size_t i = 0; i < ls.size(); ++i) {
    check(!ls[i].value.empty());
    if (i > 0) check(ls[i - 1].name < ls[i].name);  // sorted and no duplicates
  }
}

void run(const std::vector<relabel::Rule>& rules, const Labels& input) {
  relabel::Scratch scratch;
  Labels out = input;
  size_t dropped_by = ~size_t{0};
  const bool kept = relabel::process(rules, out, scratch, &dropped_by);
  if (kept) checkInvariants(out);

  // A second run through the same (now warm) Scratch and a reused output gives the same answer.
  Labels again;
  again = input;
  check(relabel::process(rules, again, scratch) == kept);
  if (kept) check(again == out);

  const relabel::Trace t = relabel::trace(rules, input);
  check(t.result.has_value() == kept);
  if (kept) {
    check(*t.result == out);
  } else {
    check(!t.steps.empty() && t.steps.back().dropped && t.steps.back().rule == dropped_by);
  }
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const relabel::Step& s = t.steps[i];
    check(s.rule < rules.size());
    if (i > 0) check(t.steps[i - 1].rule < s.rule);
    if (!s.dropped) check(!(s.before == s.after));
  }
  (void)input.toString();
  if (kept) (void)out.toString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Bounded like every input promha reads (rule files are small); keeps each run fast.
  if (size > 64 * 1024) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSep = "\n---labels---\n";
  std::string_view yaml = in, labels_text;
  if (const size_t at = in.find(kSep); at != std::string_view::npos) {
    yaml = in.substr(0, at);
    labels_text = in.substr(at + kSep.size());
  } else if (const size_t nul = in.find('\0'); nul != std::string_view::npos) {
    yaml = in.substr(0, nul);
    labels_text = in.substr(nul + 1);
  }

  Labels input;
  if (auto parsed = promha::core::parseLabelSet(labels_text)) {
    input = std::move(*parsed);
    checkInvariants(input);
    // toString() output parses back to the same set.
    auto round = promha::core::parseLabelSet(input.toString());
    check(round.ok() && *round == input);
  } else {
    check(!parsed.error().message.empty());
    input = rawLabels(labels_text);
  }

  for (const NameScheme scheme : {NameScheme::kLegacy, NameScheme::kUtf8}) {
    auto rules = relabel::parseRulesText(std::string(yaml), "fuzz.yml", scheme);
    if (!rules) {
      check(!rules.error().message.empty());  // a clean error, never a crash
      continue;
    }
    for (const auto& r : *rules) check(relabel::validate(r).empty());
    run(*rules, input);
  }
  return 0;
}
