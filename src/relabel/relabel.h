// process(): applies relabel rules to a label set with Prometheus 3.x semantics
// (model/relabel.ProcessBuilder). Rules run in order; a drop stops processing.
//
//   relabel::Scratch scratch;              // reuse per thread: no allocation per rule
//   relabel::Labels ls = ...;
//   if (!relabel::process(rules, ls, scratch)) { /* dropped */ }
//
// trace() does the same and records every rule that changed something, for the dry-run CLI
// and the web debugger.
// Thread-safety: rules are read-only; a Scratch belongs to one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/labels.h"
#include "relabel/rule.h"

struct evp_md_st;
struct evp_md_ctx_st;

namespace promha::relabel {

// Reusable buffers so that steady-state relabeling does not allocate.
// OpenSSL MD5 state reused across hashmod rules: EVP_Digest would allocate a context and look the
// algorithm up on every call.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void digest(std::string_view in, unsigned char out[16]);

 private:
  evp_md_st* md_ = nullptr;
  evp_md_ctx_st* ctx_ = nullptr;
};

struct Scratch {
  Md5 md5;
  std::string val;
  std::string target;
  std::string result;
  Groups groups;
  std::vector<core::Label> mapped;
  std::vector<MatchCache> match_caches;  // one per rule index
};

// Applies `rules` to `labels` in place. Returns false when a rule dropped the set; then
// `dropped_by` (if given) receives the index of that rule.
bool process(const std::vector<Rule>& rules, core::Labels& labels, Scratch& scratch,
             size_t* dropped_by = nullptr);
bool process(const std::vector<Rule>& rules, core::Labels& labels);

struct Step {
  size_t rule = 0;  // index into the rules
  core::Labels before;
  core::Labels after;  // empty when dropped
  bool dropped = false;
  bool operator==(const Step&) const = default;
};

struct Trace {
  std::vector<Step> steps;             // only rules that changed something (or dropped)
  std::optional<core::Labels> result;  // nullopt when dropped
};

Trace trace(const std::vector<Rule>& rules, const core::Labels& input);

// Go's strings.ToLower / strings.ToUpper: per-rune simple case mapping; invalid UTF-8 bytes
// become U+FFFD.
void toLower(std::string_view in, std::string& out);
void toUpper(std::string_view in, std::string& out);

// Prometheus's hashmod: MD5 of `val`, bytes 8..15 as a big-endian uint64, modulo `modulus`.
uint64_t hashMod(std::string_view val, uint64_t modulus, Md5& md5);
uint64_t hashMod(std::string_view val, uint64_t modulus);

}  // namespace promha::relabel
