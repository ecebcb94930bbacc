#include "core/labels.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>

namespace promha::core {

bool isValidLegacyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < n + 1) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid, as in Go's utf8.ValidString.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

bool isValidLabelName(std::string_view name, NameScheme scheme) {
  if (scheme == NameScheme::kLegacy) return isValidLegacyName(name);
  return !name.empty() && isValidUtf8(name);
}

void appendUtf8(std::string& out, uint32_t cp) {
  char buf[U8_MAX_LENGTH];
  int32_t n = 0;
  U8_APPEND_UNSAFE(buf, n, static_cast<UChar32>(cp));
  out.append(buf, static_cast<size_t>(n));
}

std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  const bool utf8 = isValidUtf8(s);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

Labels& Labels::operator=(const Labels& o) {
  if (this == &o) return *this;
  const size_t n = o.size_;
  const size_t reuse = std::min(n, labels_.size());
  for (size_t i = 0; i < reuse; ++i) {
    labels_[i].name.assign(o.labels_[i].name);
    labels_[i].value.assign(o.labels_[i].value);
  }
  if (n > reuse)
    labels_.insert(labels_.end(), o.labels_.begin() + static_cast<std::ptrdiff_t>(reuse),
                   o.labels_.begin() + static_cast<std::ptrdiff_t>(n));
  size_ = n;
  return *this;
}

Labels Labels::fromUnsorted(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  Labels out;
  out.labels_.reserve(labels.size());
  for (auto& l : labels) {
    if (!out.labels_.empty() && out.labels_.back().name == l.name) {
      out.labels_.back().value = std::move(l.value);
    } else {
      out.labels_.push_back(std::move(l));
    }
  }
  std::erase_if(out.labels_, [](const Label& l) { return l.value.empty(); });
  out.size_ = out.labels_.size();
  return out;
}

namespace {
// name < key, deciding on the first byte when it can: label names in one set rarely share it,
// and this keeps most comparisons out of memcmp.
inline bool nameLess(const std::string& name, std::string_view key) {
  if (!name.empty() && !key.empty() && name[0] != key[0]) {
    return static_cast<unsigned char>(name[0]) < static_cast<unsigned char>(key[0]);
  }
  return std::string_view(name) < key;
}
}  // namespace

size_t Labels::lowerBound(std::string_view name) const {
  size_t lo = 0, n = size_;
  while (n > 0) {
    const size_t half = n / 2;
    if (nameLess(labels_[lo + half].name, name)) {
      lo += half + 1;
      n -= half + 1;
    } else {
      n = half;
    }
  }
  return lo;
}

const Label* Labels::find(std::string_view name) const {
  const size_t i = lowerBound(name);
  if (i < size_ && labels_[i].name == name) return &labels_[i];
  return nullptr;
}

std::string_view Labels::get(std::string_view name) const {
  const Label* l = find(name);
  return l ? std::string_view(l->value) : std::string_view();
}

void Labels::set(std::string_view name, std::string_view value) {
  const size_t i = lowerBound(name);
  const bool exists = i < size_ && labels_[i].name == name;
  const auto at = labels_.begin() + static_cast<std::ptrdiff_t>(i);
  const auto live_end = labels_.begin() + static_cast<std::ptrdiff_t>(size_);
  if (value.empty()) {
    if (exists) {
      // Move the erased entry into the spare area instead of destroying its strings.
      Label spare = std::move(*at);
      std::move(at + 1, live_end, at);
      *(live_end - 1) = std::move(spare);
      --size_;
    }
    return;
  }
  if (exists) {
    labels_[i].value.assign(value);
    return;
  }
  if (size_ == labels_.size()) {
    labels_.insert(at, Label{std::string(name), std::string(value)});
  } else {
    // Fill the first spare entry (reusing its buffers), then rotate it into place. Copy first:
    // `name` or `value` may view a live label, whose short-string buffer a rotation would move.
    labels_[size_].name.assign(name);
    labels_[size_].value.assign(value);
    Label fresh = std::move(labels_[size_]);
    std::move_backward(at, live_end, live_end + 1);
    *at = std::move(fresh);
  }
  ++size_;
}

void Labels::erase(std::string_view name) { set(name, {}); }

void Labels::appendSorted(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  if (size_ == labels_.size()) {
    labels_.push_back(Label{std::string(name), std::string(value)});
  } else {
    labels_[size_].name.assign(name);
    labels_[size_].value.assign(value);
  }
  ++size_;
}

std::string Labels::toString() const {
  std::string out = "{";
  bool first = true;
  for (const auto& l : *this) {
    if (!first) out += ", ";
    first = false;
    out += isValidLegacyName(l.name) ? l.name : quote(l.name);
    out += '=';
    out += quote(l.value);
  }
  out += '}';
  return out;
}

namespace {

class LabelSetParser {
 public:
  explicit LabelSetParser(std::string_view text) : s_(text) {}

  Result<Labels> parse() {
    skipSpace();
    bool braces = false;
    if (peek() == '{') {
      braces = true;
      ++pos_;
    }
    std::vector<Label> out;
    skipSpace();
    while (pos_ < s_.size() && !(braces && peek() == '}')) {
      const size_t name_pos = pos_;
      std::string name;
      if (peek() == '"' || peek() == '\'' || peek() == '`') {
        auto q = quoted();
        if (!q) return q.error();
        name = std::move(*q);
        if (!isValidUtf8(name) || name.empty())
          return err(name_pos, "invalid label name " + quote(name));
      } else {
        while (pos_ < s_.size() &&
               (isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
          name += s_[pos_++];
        }
        if (!isValidLegacyName(name)) return err(name_pos, "expected a label name");
      }
      skipSpace();
      if (peek() != '=') return err(pos_, "expected '=' after label name " + quote(name));
      ++pos_;
      skipSpace();
      if (peek() != '"' && peek() != '\'' && peek() != '`') {
        return err(pos_, "expected a quoted label value for " + quote(name));
      }
      const size_t value_pos = pos_;
      auto value = quoted();
      if (!value) return value.error();
      if (!isValidUtf8(*value)) return err(value_pos, "label value is not valid UTF-8");
      for (const auto& l : out) {
        if (l.name == name) return err(name_pos, "duplicate label name " + quote(name));
      }
      out.push_back(Label{std::move(name), std::move(*value)});
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        skipSpace();
        continue;
      }
      break;
    }
    if (braces) {
      if (peek() != '}') return err(pos_, "expected ',' or '}'");
      ++pos_;
    }
    skipSpace();
    if (pos_ != s_.size()) return err(pos_, "unexpected text after label set");
    return Labels::fromUnsorted(std::move(out));
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < s_.size() && isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  Error err(size_t at, std::string msg) const {
    return Error{std::move(msg), "", 1, static_cast<int>(at) + 1};
  }
  Result<uint32_t> hexDigits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const char c = peek();
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return err(pos_, "invalid hex digit in escape sequence");
      v = v * 16 + static_cast<uint32_t>(d);
      ++pos_;
    }
    return v;
  }
  Result<std::string> quoted() {
    const char q = s_[pos_];
    const size_t start = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) return err(start, "unterminated quoted string");
      const char c = s_[pos_++];
      if (c == q) return out;
      if (q == '`' || c != '\\') {
        if (q != '`' && c == '\n') return err(pos_ - 1, "newline in quoted string");
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return err(start, "unterminated quoted string");
      const char e = s_[pos_++];
      switch (e) {
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
        case '\'':
          if (e != q) return err(pos_ - 2, std::string("unknown escape sequence \\") + e);
          out += e;
          break;
        case 'x': {
          auto v = hexDigits(2);
          if (!v) return v.error();
          out += static_cast<char>(*v);
          break;
        }
        case 'u':
        case 'U': {
          auto v = hexDigits(e == 'u' ? 4 : 8);
          if (!v) return v.error();
          if (*v > 0x10FFFF || (*v >= 0xD800 && *v <= 0xDFFF)) {
            return err(pos_, "escape sequence is an invalid Unicode code point");
          }
          appendUtf8(out, *v);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2; ++i) {
              const char d = peek();
              if (d < '0' || d > '7') return err(pos_, "invalid octal escape");
              v = v * 8 + static_cast<uint32_t>(d - '0');
              ++pos_;
            }
            if (v > 255) return err(pos_, "octal escape value > 255");
            out += static_cast<char>(v);
            break;
          }
          return err(pos_ - 2, std::string("unknown escape sequence \\") + e);
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Labels> parseLabelSet(std::string_view text) { return LabelSetParser(text).parse(); }

}  // namespace promha::core
