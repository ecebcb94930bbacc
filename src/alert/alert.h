// Alert: the value type that flows through promha's alert path, in Alertmanager's model
// (labels, annotations, startsAt, endsAt, generatorURL).
//
// Times are nanoseconds since the Unix epoch (UTC); 0 means "not set" (Alertmanager then fills
// them in on receipt). Labels never hold empty values; annotations may.
// Thread-safety: plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/labels.h"

namespace promha::alert {

struct Alert {
  core::Labels labels;
  std::vector<core::Label> annotations;  // sorted by name; empty values allowed
  int64_t starts_at_ns = 0;
  int64_t ends_at_ns = 0;
  std::string generator_url;

  bool operator==(const Alert&) const = default;
};

}  // namespace promha::alert
