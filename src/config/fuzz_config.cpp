// libFuzzer target for config loading: arbitrary bytes as a promha config and as a prometheus.yml.
// Loading must never crash or throw; a config that loads must validate, print (toYaml) and load
// again to an equal config (secrets print as "<secret>", so configs with secrets are compared
// after the reload of the printed form only).
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/yaml.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using promha::config::Format;
  for (Format f : {Format::kPromha, Format::kPrometheus, Format::kAuto}) {
    promha::core::Diagnostics diag("fuzz.yml");
    auto cfg = promha::config::loadString(text, {f, {}}, diag);
    if (!cfg) {
      check(!diag.ok());
      continue;
    }
    if (cfg->format != Format::kPromha) continue;
    const std::string printed = promha::config::toYaml(*cfg);
    promha::core::Diagnostics diag2("printed.yml");
    auto again = promha::config::loadString(printed, {Format::kPromha, {}}, diag2);
    check(again.has_value());
    const std::string printed2 = promha::config::toYaml(*again);
    check(printed2 == printed);  // printing is a fixed point
  }
  return 0;
}
