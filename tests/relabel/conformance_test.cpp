// Runs the shared relabel conformance corpus (tests/data/relabel/cases.json, outputs measured
// on real Prometheus code) through parseRules + process. promha follows Prometheus 3.x: a case's
// `prometheus3` field overrides the 2.42 result under the legacy name scheme, and cases marked
// `since: 3.x` also run under the UTF-8 scheme against `prometheus3_utf8`.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "relabel/relabel.h"
#include "relabel/rule.h"

using promha::core::Label;
using promha::core::Labels;
using promha::core::NameScheme;
namespace relabel = promha::relabel;

namespace {

nlohmann::json loadCases() {
  std::ifstream in(PROMHA_SOURCE_DIR "/tests/data/relabel/cases.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

Labels toLabels(const nlohmann::json& obj) {
  std::vector<Label> v;
  for (const auto& [k, val] : obj.items()) v.push_back(Label{k, val.get<std::string>()});
  return Labels::fromUnsorted(std::move(v));
}

struct Expect {
  bool error = false;
  bool dropped = false;
  Labels output;
};

Expect expectation(const nlohmann::json& c, const char* field) {
  Expect e;
  const nlohmann::json& src = field && c.contains(field) ? c[field] : c;
  if (src.value("error", false)) {
    e.error = true;
    return e;
  }
  if (src["output"].is_null()) {
    e.dropped = true;
  } else {
    e.output = toLabels(src["output"]);
  }
  return e;
}

// Runs one case under `scheme` and checks it against `want`.
void runCase(const nlohmann::json& c, NameScheme scheme, const Expect& want) {
  const std::string name = c["name"].get<std::string>();
  INFO("case ", name, " scheme ", scheme == NameScheme::kLegacy ? "legacy" : "utf8");
  // JSON is YAML: feed the rules through the same YAML loader users go through.
  auto rules = relabel::parseRulesText(c["config"].dump(), "cases.json", scheme);
  if (want.error) {
    CHECK_MESSAGE(!rules.ok(), "config should be rejected");
    return;
  }
  REQUIRE_MESSAGE(rules.ok(), (rules.ok() ? "" : rules.error().str()));
  Labels ls = c.contains("input") ? toLabels(c["input"]) : Labels();
  const bool kept = relabel::process(*rules, ls);
  if (want.dropped) {
    CHECK_MESSAGE(!kept, "expected drop, got ", ls.toString());
  } else {
    CHECK_MESSAGE(kept, "expected ", want.output.toString(), ", got dropped");
    if (kept) CHECK_EQ(ls.toString(), want.output.toString());
  }
}

}  // namespace

TEST_CASE("relabel conformance corpus (Prometheus 3.x, legacy scheme)") {
  const auto cases = loadCases();
  CHECK(cases.size() >= 200);
  for (const auto& c : cases) {
    runCase(c, NameScheme::kLegacy, expectation(c, "prometheus3"));
  }
}

TEST_CASE("relabel conformance corpus: since 3.x cases under the UTF-8 scheme") {
  int ran = 0;
  for (const auto& c : loadCases()) {
    if (c.value("since", "") != "3.x") continue;
    ++ran;
    runCase(c, NameScheme::kUtf8,
            expectation(c, c.contains("prometheus3_utf8") ? "prometheus3_utf8" : nullptr));
  }
  CHECK(ran == 4);
}
