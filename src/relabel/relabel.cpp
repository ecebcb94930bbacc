#include "relabel/relabel.h"

#include <openssl/evp.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace promha::relabel {
namespace {

template <typename Map>
void mapCase(std::string_view in, std::string& out, Map map) {
  out.clear();
  out.reserve(in.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(in.data());
  const auto len = static_cast<int32_t>(in.size());
  int32_t i = 0;
  while (i < len) {
    if (bytes[i] < 0x80) {
      out += static_cast<char>(map(static_cast<UChar32>(bytes[i])));
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(bytes, i, len, c);
    if (c < 0)
      c = 0xFFFD;  // Go decodes an invalid byte as utf8.RuneError.
    else
      c = map(c);
    char buf[4];
    int32_t n = 0;
    U8_APPEND_UNSAFE(buf, n, c);
    out.append(buf, static_cast<size_t>(n));
  }
}

// The value the rule works on: source label values joined with the separator.
std::string_view sourceValue(const Rule& r, const core::Labels& labels, std::string& buf) {
  if (r.source_labels.empty()) return {};
  if (r.source_labels.size() == 1) return labels.get(r.source_labels[0]);
  buf.clear();
  for (size_t i = 0; i < r.source_labels.size(); ++i) {
    if (i) buf += r.separator;
    buf += labels.get(r.source_labels[i]);
  }
  return buf;
}

// Applies one rule; returns false when it drops the set.
bool apply(const Rule& r, size_t index, core::Labels& labels, Scratch& s) {
  const std::string_view val = sourceValue(r, labels, s.val);
  switch (r.action) {
    case Action::kDrop:
      return !r.regex.matches(val);
    case Action::kKeep:
      return r.regex.matches(val);
    case Action::kDropEqual:
      return labels.get(r.target_label) != val;
    case Action::kKeepEqual:
      return labels.get(r.target_label) == val;
    case Action::kReplace: {
      if (!r.target_has_var && !r.replacement_has_var) {
        // Nothing to expand: a plain match (RE2's DFA, no submatches) decides. The target was
        // validated at load time.
        if (r.regex.matches(val)) labels.set(r.target_label, r.replacement);
        return true;
      }
      if (s.match_caches.size() <= index) s.match_caches.resize(index + 1);
      if (!r.regex.match(val, s.groups, s.match_caches[index])) return true;
      std::string_view target = r.target_label;
      if (r.target_has_var) {
        s.target.clear();
        r.regex.expand(s.target, r.target_label, val, s.groups);
        target = s.target;
      }
      // Since 2.50 an invalid expanded target does nothing at all. A plain target was
      // validated at load time.
      if (r.target_has_var && !core::isValidLabelName(target, r.scheme)) return true;
      std::string_view res = r.replacement;
      if (r.replacement_has_var) {
        s.result.clear();
        r.regex.expand(s.result, r.replacement, val, s.groups);
        res = s.result;
      }
      // `target` and `res` live in the rule or in scratch, never in `labels`. An empty `res`
      // deletes the expanded target (Prometheus 2.50+).
      labels.set(target, res);
      return true;
    }
    case Action::kLowercase:
      toLower(val, s.result);
      labels.set(r.target_label, s.result);
      return true;
    case Action::kUppercase:
      toUpper(val, s.result);
      labels.set(r.target_label, s.result);
      return true;
    case Action::kHashMod: {
      char buf[24];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, hashMod(val, r.modulus, s.md5));
      (void)ec;
      labels.set(r.target_label, std::string_view(buf, static_cast<size_t>(end - buf)));
      return true;
    }
    case Action::kLabelMap: {
      // Every label of the set as it was when the rule started, in name order; later wins.
      // s.mapped keeps its entries (and their buffers) across calls; n counts the used ones.
      size_t n = 0;
      for (const auto& l : labels) {
        if (!r.regex.matches(l.name)) continue;
        if (n == s.mapped.size()) s.mapped.emplace_back();
        core::Label& m = s.mapped[n++];
        m.name.clear();
        r.regex.replaceAll(m.name, l.name, r.replacement, s.groups);
        m.value.assign(l.value);
      }
      for (size_t i = 0; i < n; ++i) labels.set(s.mapped[i].name, s.mapped[i].value);
      return true;
    }
    case Action::kLabelDrop:
      if (const auto& names = r.regex.literals(); !names.empty()) {
        for (const auto& name : names) labels.erase(name);  // a lookup per name, no scan
        return true;
      }
      labels.eraseIf([&](const core::Label& l) { return r.regex.matches(l.name); });
      return true;
    case Action::kLabelKeep:
      labels.eraseIf([&](const core::Label& l) { return !r.regex.matches(l.name); });
      return true;
  }
  return true;
}

}  // namespace

void toLower(std::string_view in, std::string& out) {
  mapCase(in, out, [](UChar32 c) { return u_tolower(c); });
}

void toUpper(std::string_view in, std::string& out) {
  mapCase(in, out, [](UChar32 c) { return u_toupper(c); });
}

Md5::Md5() = default;

Md5::~Md5() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

void Md5::digest(std::string_view in, unsigned char out[16]) {
  unsigned int len = 0;
  if (!ctx_) {  // lazily: most rule lists have no hashmod
    md_ = EVP_MD_fetch(nullptr, "MD5", nullptr);
    ctx_ = EVP_MD_CTX_new();
  }
  // Cannot fail for MD5 with a valid context; an allocation failure in the constructor would
  // leave md_/ctx_ null, and then the one-shot digest is the fallback.
  if (md_ && ctx_ && EVP_DigestInit_ex2(ctx_, md_, nullptr) &&
      EVP_DigestUpdate(ctx_, in.data(), in.size()) && EVP_DigestFinal_ex(ctx_, out, &len)) {
    return;
  }
  EVP_Digest(in.data(), in.size(), out, &len, EVP_md5(), nullptr);
}

uint64_t hashMod(std::string_view val, uint64_t modulus, Md5& md5) {
  unsigned char digest[16];
  md5.digest(val, digest);
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | digest[i];
  return v % modulus;
}

uint64_t hashMod(std::string_view val, uint64_t modulus) {
  Md5 md5;
  return hashMod(val, modulus, md5);
}

bool process(const std::vector<Rule>& rules, core::Labels& labels, Scratch& scratch,
             size_t* dropped_by) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!apply(rules[i], i, labels, scratch)) {
      if (dropped_by) *dropped_by = i;
      return false;
    }
  }
  return true;
}

bool process(const std::vector<Rule>& rules, core::Labels& labels) {
  Scratch scratch;
  return process(rules, labels, scratch);
}

Trace trace(const std::vector<Rule>& rules, const core::Labels& input) {
  Trace t;
  Scratch scratch;
  core::Labels cur = input;
  for (size_t i = 0; i < rules.size(); ++i) {
    core::Labels before = cur;
    if (!apply(rules[i], i, cur, scratch)) {
      t.steps.push_back(Step{i, std::move(before), {}, true});
      return t;
    }
    if (!(before == cur)) t.steps.push_back(Step{i, std::move(before), cur, false});
  }
  t.result = std::move(cur);
  return t;
}

}  // namespace promha::relabel
