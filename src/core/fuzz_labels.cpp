// libFuzzer target for the PromQL-style label-set parser (`promha relabel --labels`, the relabel
// test files, the web relabel debugger). Whatever parses must be a valid Labels value: sorted,
// unique names, and its printed form parses back to the same set.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/labels.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = promha::core::parseLabelSet(text);
  if (!parsed.ok()) {
    check(!parsed.error().message.empty());
    return 0;
  }
  const promha::core::Labels& ls = *parsed;
  for (size_t i = 1; i < ls.size(); ++i) check(ls[i - 1].name < ls[i].name);
  auto again = promha::core::parseLabelSet(ls.toString());
  check(again.ok() && *again == ls);
  return 0;
}
