// Alertmanager API codec. See codec.h for the contract; the comments here cite the Go code paths
// (Alertmanager 0.25 built with Go 1.19, go-openapi runtime/strfmt/validate) being matched.
#include "alert/codec.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <limits>

namespace promha::alert {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr int kMaxNestingDepth = 10000;  // encoding/json's maxNestingDepth

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One UTF-8 rune at s[i] with Go's utf8.DecodeRune rules; returns its width, or 0 when invalid
// (Go then yields RuneError with width 1).
size_t utf8Rune(std::string_view s, size_t i, uint32_t& r) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const size_t n = s.size() - i;
  const unsigned c = p[0];
  if (c < 0x80) {
    r = c;
    return 1;
  }
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xbf) {
    return k < n && p[k] >= lo && p[k] <= hi;
  };
  if (c < 0xc2) return 0;
  if (c < 0xe0) {
    if (!cont(1)) return 0;
    r = ((c & 0x1f) << 6) | (p[1] & 0x3f);
    return 2;
  }
  if (c < 0xf0) {
    const unsigned lo = c == 0xe0 ? 0xa0 : 0x80;
    const unsigned hi = c == 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return 0;
    r = ((c & 0x0f) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3f);
    return 3;
  }
  if (c < 0xf5) {
    const unsigned lo = c == 0xf0 ? 0x90 : 0x80;
    const unsigned hi = c == 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return 0;
    r = ((c & 0x07) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3f);
    return 4;
  }
  return 0;
}

// A JSON string as Go's encoding/json writes it: \n \r \t short forms, other control characters
// as \u00XX, U+2028/2029 escaped, invalid UTF-8 as \ufffd, and with `html` (json.Marshal; not the
// go-openapi producer, which turns it off) `< > &` as \u003c \u003e \u0026.
// Bytes that need a look: 1 = always (control, quote, backslash, non-ASCII), 2 = HTML only.
constexpr std::array<uint8_t, 256> kJsonSpecial = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) t[static_cast<size_t>(c)] = 1;
    if (c == '<' || c == '>' || c == '&') t[static_cast<size_t>(c)] = 2;
  }
  return t;
}();

void appendJsonString(std::string& out, std::string_view s, bool html) {
  out += '"';
  size_t start = 0;
  auto flush = [&](size_t i) { out.append(s.data() + start, i - start); };
  const uint8_t mask = html ? 3 : 1;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((kJsonSpecial[b] & mask) == 0) {
      ++i;
      continue;
    }
    if (b < 0x80) {
      flush(i);
      switch (b) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += "\\u00";
          out += kHex[b >> 4];
          out += kHex[b & 15];
      }
      start = ++i;
      continue;
    }
    uint32_t r = 0;
    const size_t w = utf8Rune(s, i, r);
    if (w == 0) {
      flush(i);
      out += "\\ufffd";
      start = ++i;
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      flush(i);
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
      start = i + w;
    }
    i += w;
  }
  flush(s.size());
  out += '"';
}

// strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
bool goIsPrint(uint32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7f;
  const uint32_t mask = U_GET_GC_MASK(static_cast<UChar32>(r));
  return (mask & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK | U_GC_P_MASK | U_GC_S_MASK)) != 0;
}

// strconv.Quote (what fmt's %q prints for a string).
std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r = 0;
    const size_t w = utf8Rune(s, i, r);
    if (w == 0) {
      const auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (goIsPrint(r)) {
      out.append(s.data() + i, w);
    } else {
      switch (r) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r < 0x20 || r == 0x7f) {
            out += "\\x";
            out += kHex[r >> 4];
            out += kHex[r & 15];
          } else {
            const int digits = r < 0x10000 ? 4 : 8;
            out += r < 0x10000 ? "\\u" : "\\U";
            for (int k = digits - 1; k >= 0; --k) out += kHex[(r >> (4 * k)) & 15];
          }
      }
    }
    i += w;
  }
  out += '"';
  return out;
}

// Go's time.quote (used in time.ParseError): ASCII printable as is, `"` and `\` escaped, every
// byte of anything else as \xHH.
std::string timeQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 || c < 0x20) {
      uint32_t r = 0;
      size_t w = utf8Rune(s, i, r);
      if (w == 0) w = 1;
      for (size_t j = 0; j < w; ++j) {
        const auto b = static_cast<unsigned char>(s[i + j]);
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
      i += w;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
    ++i;
  }
  out += '"';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go's time.Parse (Go 1.19), for the layout elements strfmt and time.RFC3339 use.

enum class Std {
  kEnd,
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kFrac0,
  kFrac9,
  kTzColon,
  kTz
};

struct Chunk {
  std::string_view prefix;
  Std std = Std::kEnd;
  std::string_view stdstr;
  std::string_view suffix;
  int digits = 0;
};

// time.nextStdChunk restricted to 2006 01 02 15 04 05 .000 .999 Z07:00 Z0700.
Chunk nextChunk(std::string_view layout) {
  for (size_t i = 0; i < layout.size(); ++i) {
    const std::string_view rest = layout.substr(i);
    auto make = [&](Std std, size_t len, int digits = 0) {
      return Chunk{layout.substr(0, i), std, rest.substr(0, len), rest.substr(len), digits};
    };
    if (rest.starts_with("2006")) return make(Std::kYear, 4);
    if (rest.starts_with("01")) return make(Std::kMonth, 2);
    if (rest.starts_with("02")) return make(Std::kDay, 2);
    if (rest.starts_with("15")) return make(Std::kHour, 2);
    if (rest.starts_with("04")) return make(Std::kMinute, 2);
    if (rest.starts_with("05")) return make(Std::kSecond, 2);
    if (rest.starts_with("Z07:00")) return make(Std::kTzColon, 6);
    if (rest.starts_with("Z0700")) return make(Std::kTz, 5);
    if ((rest[0] == '.' || rest[0] == ',') && rest.size() > 1 &&
        (rest[1] == '0' || rest[1] == '9')) {
      size_t j = 1;
      while (j < rest.size() && rest[j] == rest[1]) ++j;
      if (j >= rest.size() || !isDigit(rest[j])) {
        return make(rest[1] == '0' ? Std::kFrac0 : Std::kFrac9, j, static_cast<int>(j - 1));
      }
    }
  }
  return Chunk{layout, Std::kEnd, {}, {}, 0};
}

// time.getnum: one or two digits (exactly two when fixed).
bool getnum(std::string_view& s, bool fixed, int& v) {
  if (s.empty() || !isDigit(s[0])) return false;
  if (s.size() < 2 || !isDigit(s[1])) {
    if (fixed) return false;
    v = s[0] - '0';
    s.remove_prefix(1);
    return true;
  }
  v = (s[0] - '0') * 10 + (s[1] - '0');
  s.remove_prefix(2);
  return true;
}

// time.atoi: optional sign, then only digits (at least zero of them).
bool goAtoi(std::string_view s, int64_t& v) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int64_t x = 0;
  for (const char c : s) {
    if (!isDigit(c) || x > (std::numeric_limits<int64_t>::max() - 9) / 10) return false;
    x = x * 10 + (c - '0');
  }
  v = neg ? -x : x;
  return true;
}

// time.parseNanoseconds; value[0] is '.' or ','; nbytes includes it.
bool parseNanos(std::string_view value, size_t nbytes, int64_t& ns, const char*& range) {
  if (value[0] != '.' && value[0] != ',') return false;
  if (nbytes > 10) nbytes = 10;
  if (!goAtoi(value.substr(1, nbytes - 1), ns)) return false;
  if (ns < 0) {
    range = "fractional second";
    return true;
  }
  for (size_t i = 0; i < 10 - nbytes; ++i) ns *= 10;
  return true;
}

// time.skip
bool skipPrefix(std::string_view& value, std::string_view prefix) {
  auto cutspace = [](std::string_view& s) {
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  };
  while (!prefix.empty()) {
    if (prefix[0] == ' ') {
      if (!value.empty() && value[0] != ' ') return false;
      cutspace(prefix);
      cutspace(value);
      continue;
    }
    if (value.empty() || value[0] != prefix[0]) return false;
    prefix.remove_prefix(1);
    value.remove_prefix(1);
  }
  return true;
}

bool isLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }
int daysIn(int month, int64_t year) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && isLeap(year)) return 29;
  return kDays[static_cast<size_t>(month - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Seconds and nanoseconds to int64 ns, clamped (Go times span far more than int64 ns).
int64_t toNanos(int64_t secs, int64_t nsec) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t out = 0;
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &out)) return secs < 0 ? kMin : kMax;
  if (__builtin_add_overflow(out, nsec, &out)) return kMax;
  return out;
}

// Go's time.Parse(layout, value) in UTC, with Go's error text.
bool goParse(std::string_view layout, std::string_view value, int64_t& out_ns, std::string* err) {
  const std::string_view alayout = layout;
  const std::string_view avalue = value;
  int64_t year = 0;
  int month = -1, day = -1, hour = 0, min = 0, sec = 0, zone_offset = 0;
  int64_t nsec = 0;
  auto parseError = [&](std::string_view layout_elem, std::string_view value_elem) {
    if (err) {
      *err = "parsing time " + timeQuote(avalue) + " as " + timeQuote(alayout) + ": cannot parse " +
             timeQuote(value_elem) + " as " + timeQuote(layout_elem);
    }
    return false;
  };
  auto messageError = [&](const std::string& message) {
    if (err) *err = "parsing time " + timeQuote(avalue) + message;
    return false;
  };
  for (;;) {
    const Chunk c = nextChunk(layout);
    if (!skipPrefix(value, c.prefix)) return parseError(c.prefix, value);
    if (c.std == Std::kEnd) {
      if (!value.empty()) return messageError(": extra text: " + timeQuote(value));
      break;
    }
    layout = c.suffix;
    const std::string_view hold = value;
    bool bad = false;
    const char* range = nullptr;
    switch (c.std) {
      case Std::kYear: {
        if (value.size() < 4 || !isDigit(value[0])) {
          bad = true;
          break;
        }
        bad = !goAtoi(value.substr(0, 4), year);
        value.remove_prefix(4);
        break;
      }
      case Std::kMonth:
        bad = !getnum(value, true, month);
        if (!bad && (month <= 0 || month > 12)) range = "month";
        break;
      case Std::kDay:
        bad = !getnum(value, true, day);
        break;
      case Std::kHour:
        bad = !getnum(value, false, hour);
        if (!bad && hour >= 24) range = "hour";
        break;
      case Std::kMinute:
        bad = !getnum(value, true, min);
        if (!bad && min >= 60) range = "minute";
        break;
      case Std::kSecond: {
        bad = !getnum(value, true, sec);
        if (bad) break;
        if (sec >= 60) {
          range = "second";
          break;
        }
        // A fraction the layout does not spell out is accepted after the seconds.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && isDigit(value[1])) {
          const Std next = nextChunk(layout).std;
          if (next == Std::kFrac0 || next == Std::kFrac9) break;
          size_t n = 2;
          while (n < value.size() && isDigit(value[n])) ++n;
          bad = !parseNanos(value, n, nsec, range);
          value.remove_prefix(n);
        }
        break;
      }
      case Std::kFrac0: {
        const size_t nd = 1 + static_cast<size_t>(c.digits);
        if (value.size() < nd) {
          bad = true;
          break;
        }
        bad = !parseNanos(value, nd, nsec, range);
        value.remove_prefix(nd);
        break;
      }
      case Std::kFrac9: {
        if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !isDigit(value[1])) break;
        size_t i = 0;
        while (i + 1 < value.size() && isDigit(value[i + 1])) ++i;
        bad = !parseNanos(value, 1 + i, nsec, range);
        value.remove_prefix(1 + i);
        break;
      }
      case Std::kTzColon:
      case Std::kTz: {
        if (!value.empty() && value[0] == 'Z') {
          value.remove_prefix(1);
          zone_offset = 0;
          break;
        }
        std::string_view hh, mm;
        char sign = 0;
        if (c.std == Std::kTzColon) {
          if (value.size() < 6 || value[3] != ':') {
            bad = true;
            break;
          }
          sign = value[0];
          hh = value.substr(1, 2);
          mm = value.substr(4, 2);
          value.remove_prefix(6);
        } else {
          if (value.size() < 5) {
            bad = true;
            break;
          }
          sign = value[0];
          hh = value.substr(1, 2);
          mm = value.substr(3, 2);
          value.remove_prefix(5);
        }
        int h = 0, m = 0;
        if (!getnum(hh, true, h) || !getnum(mm, true, m) || (sign != '+' && sign != '-')) {
          bad = true;
          break;
        }
        zone_offset = (h * 60 + m) * 60 * (sign == '-' ? -1 : 1);
        break;
      }
      case Std::kEnd:
        break;
    }
    if (range != nullptr) return messageError(std::string(": ") + range + " out of range");
    if (bad) return parseError(c.stdstr, hold);
  }
  if (day < 1 || month < 1 || day > daysIn(month, year)) return messageError(": day out of range");
  const int64_t secs =
      daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - zone_offset;
  out_ns = toNanos(secs, nsec);
  return true;
}

constexpr std::string_view kRfc3339 = "2006-01-02T15:04:05Z07:00";

// strfmt.ParseDateTime (go-openapi/strfmt 0.21, as vendored by Alertmanager 0.25): "" is the Unix
// epoch; otherwise the first of these layouts that parses, or the last layout's error.
bool parseDateTime(std::string_view s, int64_t& ns, std::string* err) {
  static constexpr std::array<std::string_view, 10> kLayouts = {
      "2006-01-02T15:04:05.000000Z07:00",
      "2006-01-02T15:04:05.000000Z0700",
      "2006-01-02T15:04:05.000Z07:00",
      "2006-01-02T15:04:05.000Z0700",
      kRfc3339,
      "2006-01-02T15:04:05.999999999Z07:00",
      "2006-01-02T15:04:05",
      "2006-01-02T15:04Z",
      "2006-01-02T15:04",
      "2006-01-02 15:04:05",
  };
  if (s.empty()) {
    ns = 0;
    return true;
  }
  // Fast path: every layout that accepts a string reads the same instant from it, and RFC 3339
  // (any fraction) covers what Prometheus sends.
  if (goParse(kRfc3339, s, ns, nullptr)) return true;
  for (size_t i = 0; i < kLayouts.size(); ++i) {
    if (goParse(kLayouts[i], s, ns, i + 1 == kLayouts.size() ? err : nullptr)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// mime.ParseMediaType (Go 1.19), for the Content-Type check go-openapi does.

bool isTSpecial(char c) {
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos;
}
bool isTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && !isTSpecial(c);
}
std::string_view trimLeftSpace(std::string_view s) {
  while (!s.empty() && (isSpace(s[0]) || s[0] == '\v' || s[0] == '\f')) s.remove_prefix(1);
  return s;
}
std::string_view trimSpace(std::string_view s) {
  s = trimLeftSpace(s);
  while (!s.empty() && (isSpace(s.back()) || s.back() == '\v' || s.back() == '\f'))
    s.remove_suffix(1);
  return s;
}
void consumeToken(std::string_view v, std::string_view& token, std::string_view& rest) {
  size_t i = 0;
  while (i < v.size() && isTokenChar(v[i])) ++i;
  token = v.substr(0, i);
  rest = v.substr(i);
}
bool consumeValue(std::string_view v, std::string& value, std::string_view& rest) {
  value.clear();
  if (v.empty()) {
    rest = v;
    return true;
  }
  if (v[0] != '"') {
    std::string_view tok;
    consumeToken(v, tok, rest);
    value.assign(tok);
    return true;
  }
  for (size_t i = 1; i < v.size(); ++i) {
    const char r = v[i];
    if (r == '"') {
      rest = v.substr(i + 1);
      return true;
    }
    if (r == '\\' && i + 1 < v.size() && isTSpecial(v[i + 1])) {
      value += v[++i];
      continue;
    }
    if (r == '\r' || r == '\n') break;
    value += r;
  }
  value.clear();
  rest = v;
  return true;
}
// Returns "" when fine, else Go's error text; `media` gets the lower-cased media type.
std::string parseMediaType(std::string_view v, std::string& media) {
  const size_t semi = v.find(';');
  const std::string_view base = v.substr(0, semi);
  media.assign(trimSpace(base));
  for (char& c : media) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view typ, rest;
  consumeToken(media, typ, rest);
  if (typ.empty()) return "mime: no media type";
  if (!rest.empty()) {
    if (rest[0] != '/') return "mime: expected slash after first token";
    std::string_view sub;
    consumeToken(rest.substr(1), sub, rest);
    if (sub.empty()) return "mime: expected token after slash";
    if (!rest.empty()) return "mime: unexpected content after media subtype";
  }
  std::vector<std::string> keys;
  v = v.substr(base.size());
  std::string value;
  while (!v.empty()) {
    v = trimLeftSpace(v);
    if (v.empty()) break;
    // consumeMediaParam
    std::string_view r = trimLeftSpace(v);
    std::string key;
    bool ok = false;
    if (!r.empty() && r[0] == ';') {
      r = trimLeftSpace(r.substr(1));
      std::string_view param;
      consumeToken(r, param, r);
      key.assign(param);
      for (char& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      r = trimLeftSpace(r);
      if (!key.empty() && !r.empty() && r[0] == '=') {
        r = trimLeftSpace(r.substr(1));
        std::string_view rest2;
        consumeValue(r, value, rest2);
        if (!(value.empty() && rest2 == r)) {
          ok = true;
          r = rest2;
        }
      }
    }
    if (!ok) {
      if (trimSpace(v) == ";") break;  // a trailing semicolon is fine
      return "mime: invalid media parameter";
    }
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      return "mime: duplicate parameter name";
    }
    keys.push_back(key);
    v = r;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// url.ParseRequestURI (Go 1.19): strfmt's "uri" format check on generatorURL.

bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int unhex(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool isAlnum(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

enum class UrlMode { kPath, kHost, kZone, kUser };
bool shouldEscapeHost(char c) {
  if (isAlnum(c)) return false;
  if (std::string_view("!$&'()*+,;=:[]<>\"-_.~").find(c) != std::string_view::npos) return false;
  return true;
}
bool urlUnescapeOk(std::string_view s, UrlMode mode) {
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      if (mode == UrlMode::kHost && unhex(s[i + 1]) < 8 && s.substr(i, 3) != "%25") return false;
      if (mode == UrlMode::kZone) {
        const char v = static_cast<char>(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
        if (s.substr(i, 3) != "%25" && v != ' ' && shouldEscapeHost(v)) return false;
      }
      i += 3;
      continue;
    }
    if ((mode == UrlMode::kHost || mode == UrlMode::kZone) &&
        static_cast<unsigned char>(s[i]) < 0x80 && shouldEscapeHost(s[i])) {
      return false;
    }
    ++i;
  }
  return true;
}
bool validOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  return std::all_of(port.begin() + 1, port.end(), isDigit);
}
bool parseHostOk(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    const size_t i = host.rfind(']');
    if (i == std::string_view::npos) return false;
    if (!validOptionalPort(host.substr(i + 1))) return false;
    const size_t zone = host.substr(0, i).find("%25");
    if (zone != std::string_view::npos) {
      return urlUnescapeOk(host.substr(0, zone), UrlMode::kHost) &&
             urlUnescapeOk(host.substr(zone, i - zone), UrlMode::kZone) &&
             urlUnescapeOk(host.substr(i), UrlMode::kHost);
    }
  } else if (const size_t i = host.rfind(':'); i != std::string_view::npos) {
    if (!validOptionalPort(host.substr(i))) return false;
  }
  return urlUnescapeOk(host, UrlMode::kHost);
}
bool validUserinfo(std::string_view s) {
  for (const char c : s) {
    if (isAlnum(c)) continue;
    if (std::string_view("-._:~!$&'()*+,;=%@").find(c) == std::string_view::npos) return false;
  }
  return true;
}
bool isRequestUri(std::string_view raw) {
  for (const char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  if (raw.empty()) return false;
  if (raw == "*") return true;
  std::string_view scheme, rest = raw;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if (isDigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return false;  // "missing protocol scheme"
      scheme = raw.substr(0, i);
      rest = raw.substr(i + 1);
    }
    break;
  }
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    rest.remove_suffix(1);
  } else if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') return !scheme.empty();  // opaque, or "invalid URI"
  if (!scheme.empty() && rest.starts_with("//")) {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (const size_t i = authority.find('/'); i != std::string_view::npos) {
      rest = authority.substr(i);
      authority = authority.substr(0, i);
    }
    const size_t at = authority.rfind('@');
    if (at == std::string_view::npos) {
      if (!parseHostOk(authority)) return false;
    } else {
      if (!parseHostOk(authority.substr(at + 1))) return false;
      const std::string_view user = authority.substr(0, at);
      if (!validUserinfo(user)) return false;
      const size_t colon = user.find(':');
      if (!urlUnescapeOk(user.substr(0, colon), UrlMode::kUser)) return false;
      if (colon != std::string_view::npos &&
          !urlUnescapeOk(user.substr(colon + 1), UrlMode::kUser)) {
        return false;
      }
    }
  }
  return urlUnescapeOk(rest, UrlMode::kPath);
}

// ---------------------------------------------------------------------------------------------
// The scanner: Go 1.19 encoding/json syntax (json.Decoder reading one value), non-recursive.

enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull };

const char* kindName(Kind k) {
  switch (k) {
    case Kind::kObject:
      return "object";
    case Kind::kArray:
      return "array";
    case Kind::kString:
      return "string";
    case Kind::kNumber:
      return "number";
    case Kind::kBool:
      return "bool";
    case Kind::kNull:
      return "null";
  }
  return "";
}

enum class Failure { kNone, kSyntax, kEof, kLimit };

class Scanner {
 public:
  Scanner(std::string_view s, const DecodeLimits& limits) : s_(s), limits_(limits) {}

  Failure failure() const { return failure_; }
  const std::string& failureMessage() const { return message_; }
  size_t pos() const { return p_; }
  std::string_view slice(size_t from, size_t to) const { return s_.substr(from, to - from); }
  const DecodeLimits& limits() const { return limits_; }

  void ws() {
    while (p_ < s_.size() && isSpace(s_[p_])) ++p_;
  }
  bool atEnd() {
    ws();
    return p_ >= s_.size();
  }

  bool limitError(std::string message) {
    failure_ = Failure::kLimit;
    message_ = std::move(message);
    return false;
  }

  // Skips whitespace and classifies the value that starts there.
  bool peekValue(Kind& k) {
    ws();
    if (p_ >= s_.size()) return eof();
    switch (s_[p_]) {
      case '{':
        k = Kind::kObject;
        return true;
      case '[':
        k = Kind::kArray;
        return true;
      case '"':
        k = Kind::kString;
        return true;
      case 't':
      case 'f':
        k = Kind::kBool;
        return true;
      case 'n':
        k = Kind::kNull;
        return true;
      default:
        if (s_[p_] == '-' || isDigit(s_[p_])) {
          k = Kind::kNumber;
          return true;
        }
        return syntax(p_, "looking for beginning of value");
    }
  }

  // A string at p_ (the opening quote), decoded as Go does (invalid UTF-8 and lone surrogates
  // become U+FFFD) into *out unless out is null.
  bool string(std::string* out) {
    ++p_;
    const size_t start = p_;
    while (p_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        if (out) out->assign(s_.data() + start, p_ - start);
        ++p_;
        return checkSize(out);
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) break;
      ++p_;
    }
    if (out) out->assign(s_.data() + start, p_ - start);
    for (;;) {
      if (p_ >= s_.size()) return eof();
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        return checkSize(out);
      }
      if (c < 0x20) return syntax(p_, "in string literal");
      if (c == '\\') {
        if (p_ + 1 >= s_.size()) return eof();
        const char e = s_[p_ + 1];
        char plain = 0;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            plain = e;
            break;
          case 'b':
            plain = '\b';
            break;
          case 'f':
            plain = '\f';
            break;
          case 'n':
            plain = '\n';
            break;
          case 'r':
            plain = '\r';
            break;
          case 't':
            plain = '\t';
            break;
          case 'u': {
            uint32_t r = 0;
            if (!hex4(p_ + 2, r)) return false;
            p_ += 6;
            if (r >= 0xd800 && r < 0xe000) {
              uint32_t r2 = 0;
              if (r < 0xdc00 && p_ + 6 <= s_.size() && s_[p_] == '\\' && s_[p_ + 1] == 'u' &&
                  peekHex4(p_ + 2, r2) && r2 >= 0xdc00 && r2 < 0xe000) {
                r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
                p_ += 6;
              } else {
                r = 0xfffd;
              }
            }
            if (out) core::appendUtf8(*out, r);
            continue;
          }
          default:
            return syntax(p_ + 1, "in string escape code");
        }
        if (out) *out += plain;
        p_ += 2;
        continue;
      }
      if (c < 0x80) {
        if (out) *out += static_cast<char>(c);
        ++p_;
        continue;
      }
      uint32_t r = 0;
      const size_t w = utf8Rune(s_, p_, r);
      if (w == 0) {
        if (out) *out += "\xef\xbf\xbd";
        ++p_;
      } else {
        if (out) out->append(s_.data() + p_, w);
        p_ += w;
      }
    }
  }

  bool number() {
    if (s_[p_] == '-') {
      ++p_;
      if (p_ >= s_.size()) return eof();
      if (!isDigit(s_[p_])) return syntax(p_, "in numeric literal");
    }
    if (s_[p_] == '0') {
      ++p_;
    } else {
      while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
    }
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      if (p_ >= s_.size()) return eof();
      if (!isDigit(s_[p_])) return syntax(p_, "after decimal point in numeric literal");
      while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (p_ >= s_.size()) return eof();
      if (!isDigit(s_[p_])) return syntax(p_, "in exponent of numeric literal");
      while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
    }
    return true;
  }

  // true / false / null at p_; `value` gets true for "true".
  bool literal(bool* value = nullptr) {
    const char* lit = s_[p_] == 't' ? "true" : s_[p_] == 'f' ? "false" : "null";
    if (value) *value = s_[p_] == 't';
    ++p_;
    for (size_t k = 1; lit[k] != 0; ++k) {
      if (p_ >= s_.size()) return eof();
      if (s_[p_] != lit[k]) {
        return syntax(p_, std::string("in literal ") + lit + " (expecting '" + lit[k] + "')");
      }
      ++p_;
    }
    return true;
  }

  // Skips any value (after peekValue), validating it; iterative, depth-limited like Go.
  bool skip() {
    std::string stack;  // 'o' / 'a' per open container
    for (;;) {
      Kind k{};
      if (!peekValue(k)) return false;
      bool open = false;
      switch (k) {
        case Kind::kString:
          if (!string(nullptr)) return false;
          break;
        case Kind::kNumber:
          if (!number()) return false;
          break;
        case Kind::kBool:
        case Kind::kNull:
          if (!literal()) return false;
          break;
        case Kind::kObject:
        case Kind::kArray: {
          const char close = k == Kind::kObject ? '}' : ']';
          if (!enter()) return false;
          ws();
          if (p_ >= s_.size()) return eof();
          if (s_[p_] == close) {
            ++p_;
            leave();
            break;
          }
          stack += k == Kind::kObject ? 'o' : 'a';
          if (k == Kind::kObject && !memberKey(nullptr)) return false;
          open = true;
          break;
        }
      }
      if (open) continue;
      for (;;) {
        if (stack.empty()) return true;
        ws();
        if (p_ >= s_.size()) return eof();
        const char c = s_[p_];
        const bool obj = stack.back() == 'o';
        if (c == ',') {
          ++p_;
          if (obj) {
            ws();
            if (p_ >= s_.size()) return eof();
            if (!memberKey(nullptr)) return false;
          }
          break;
        }
        if (c == (obj ? '}' : ']')) {
          ++p_;
          leave();
          stack.pop_back();
          continue;
        }
        return syntax(p_, obj ? "after object key:value pair" : "after array element");
      }
    }
  }

  // Iterates an object at p_ ('{'); for each member calls f(key), which must consume the value.
  template <typename F>
  bool object(F&& f) {
    if (!enter()) return false;
    ws();
    if (p_ >= s_.size()) return eof();
    if (s_[p_] == '}') {
      ++p_;
      leave();
      return true;
    }
    std::string key;
    for (;;) {
      if (!memberKey(&key)) return false;
      if (!f(key)) return false;
      ws();
      if (p_ >= s_.size()) return eof();
      if (s_[p_] == ',') {
        ++p_;
        ws();
        if (p_ >= s_.size()) return eof();
        continue;
      }
      if (s_[p_] == '}') {
        ++p_;
        leave();
        return true;
      }
      return syntax(p_, "after object key:value pair");
    }
  }

  // Iterates an array at p_ ('['); f() must consume one element.
  template <typename F>
  bool array(F&& f) {
    if (!enter()) return false;
    ws();
    if (p_ >= s_.size()) return eof();
    if (s_[p_] == ']') {
      ++p_;
      leave();
      return true;
    }
    for (;;) {
      if (!f()) return false;
      ws();
      if (p_ >= s_.size()) return eof();
      if (s_[p_] == ',') {
        ++p_;
        continue;
      }
      if (s_[p_] == ']') {
        ++p_;
        leave();
        return true;
      }
      return syntax(p_, "after array element");
    }
  }

 private:
  bool eof() {
    failure_ = Failure::kEof;
    message_ = "unexpected EOF";
    return false;
  }
  // encoding/json's SyntaxError text, plus the offset (which Go keeps out of the text).
  bool syntax(size_t at, const std::string& context) {
    failure_ = Failure::kSyntax;
    const char c = s_[at];
    std::string qc;
    if (c == '\'') {
      qc = "'\\''";
    } else if (c == '"') {
      qc = "'\"'";
    } else {
      std::string one;
      core::appendUtf8(one, static_cast<unsigned char>(c));
      const std::string q = goQuote(one);
      qc = "'" + q.substr(1, q.size() - 2) + "'";
    }
    message_ = "invalid character " + qc + " " + context + " at byte offset " + std::to_string(at);
    return false;
  }
  bool enter() {
    if (++depth_ > kMaxNestingDepth) return syntax(p_, "exceeded max depth");
    ++p_;
    return true;
  }
  void leave() { --depth_; }
  bool memberKey(std::string* key) {
    if (s_[p_] != '"') return syntax(p_, "looking for beginning of object key string");
    if (!string(key)) return false;
    ws();
    if (p_ >= s_.size()) return eof();
    if (s_[p_] != ':') return syntax(p_, "after object key");
    ++p_;
    return true;
  }
  bool peekHex4(size_t at, uint32_t& r) const {
    if (at + 4 > s_.size()) return false;
    r = 0;
    for (size_t k = 0; k < 4; ++k) {
      if (!isHex(s_[at + k])) return false;
      r = r << 4 | static_cast<uint32_t>(unhex(s_[at + k]));
    }
    return true;
  }
  bool hex4(size_t at, uint32_t& r) {
    r = 0;
    for (size_t k = 0; k < 4; ++k) {
      if (at + k >= s_.size()) return eof();
      if (!isHex(s_[at + k])) return syntax(at + k, "in \\u hexadecimal character escape");
      r = r << 4 | static_cast<uint32_t>(unhex(s_[at + k]));
    }
    return true;
  }
  bool checkSize(const std::string* out) {
    if (out && out->size() > limits_.max_string_bytes) {
      return limitError("string longer than " + std::to_string(limits_.max_string_bytes) +
                        " bytes before byte offset " + std::to_string(p_));
    }
    return true;
  }

  std::string_view s_;
  const DecodeLimits& limits_;
  size_t p_ = 0;
  int depth_ = 0;
  Failure failure_ = Failure::kNone;
  std::string message_;
};

// Go's struct field matching: exact or case-insensitive (bytes.EqualFold; of the non-ASCII runes
// only U+017F 'ſ' and U+212A 'K' fold onto ASCII letters). `lower` is the lower-cased name.
bool keyIs(std::string_view key, std::string_view lower) {
  size_t j = 0;
  for (size_t i = 0; i < key.size();) {
    if (j >= lower.size()) return false;
    const auto c = static_cast<unsigned char>(key[i]);
    char folded = 0;
    if (c < 0x80) {
      folded = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      ++i;
    } else if (key.substr(i, 2) == "\xc5\xbf") {
      folded = 's';
      i += 2;
    } else if (key.substr(i, 3) == "\xe2\x84\xaa") {
      folded = 'k';
      i += 3;
    } else {
      return false;
    }
    if (folded != lower[j++]) return false;
  }
  return j == lower.size();
}

// The decoded form of one array element, before Alertmanager's validation.
struct RawAlert {
  bool null = false;
  bool labels_nil = true;
  std::vector<core::Label> labels;
  std::vector<core::Label> annotations;
  int64_t starts = 0;
  int64_t ends = 0;
  std::string url;
};

// Reads a JSON object of strings into `out` (null values read as ""). Values of another kind are
// skipped and reported through *type_err (the first only) as "... of type <value_type>".
bool readStringMap(Scanner& sc, std::vector<core::Label>& out, std::string* type_err,
                   const std::string& field_ctx, std::string_view value_type) {
  return sc.object([&](const std::string& key) {
    if (out.size() >= sc.limits().max_labels) {
      return sc.limitError("more than " + std::to_string(sc.limits().max_labels) +
                           " labels or annotations in one alert at byte offset " +
                           std::to_string(sc.pos()));
    }
    Kind k{};
    if (!sc.peekValue(k)) return false;
    if (k == Kind::kString) {
      out.push_back({key, {}});
      return sc.string(&out.back().value);
    }
    if (k == Kind::kNull) {
      out.push_back({key, {}});
      return sc.literal();
    }
    if (type_err->empty()) {
      *type_err = std::string("json: cannot unmarshal ") + kindName(k) + " into " + field_ctx +
                  " of type " + std::string(value_type);
    }
    return sc.skip();
  });
}

// Go map semantics for repeated keys (last wins), sorted by name.
void lastWins(std::vector<core::Label>& v) {
  // Prometheus sends maps sorted (Go's encoder sorts keys): nothing to do then.
  if (std::adjacent_find(v.begin(), v.end(), [](const core::Label& a, const core::Label& b) {
        return !(a.name < b.name);
      }) == v.end()) {
    return;
  }
  std::stable_sort(v.begin(), v.end(),
                   [](const core::Label& a, const core::Label& b) { return a.name < b.name; });
  size_t w = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i + 1 < v.size() && v[i + 1].name == v[i].name) continue;
    if (w != i) v[w] = std::move(v[i]);
    ++w;
  }
  v.resize(w);
}

// One element of the api/v2 body: PostableAlert.UnmarshalJSON decodes the object twice, first as
// {annotations, endsAt, startsAt} ("AO0"), then as Alert {generatorURL, labels} ("AO1"); within
// each, an Unmarshaler's error (the DateTime / URI fields) stops that pass at once, while type
// errors are remembered (the first) and reported at its end. AO0's error wins over AO1's.
bool decodeAlertV2(Scanner& sc, RawAlert& a, std::string& err) {
  std::string ao0_now, ao0_saved, ao1_now, ao1_saved, buf;
  const bool ok = sc.object([&](const std::string& key) {
    Kind k{};
    if (!sc.peekValue(k)) return false;
    const bool ao0 = ao0_now.empty();
    const bool ao1 = ao1_now.empty();
    if (ao0 && keyIs(key, "annotations")) {
      if (k == Kind::kNull) {
        a.annotations.clear();
        return sc.literal();
      }
      if (k == Kind::kObject) {
        return readStringMap(sc, a.annotations, &ao0_saved, "Go struct field .annotations",
                             "string");
      }
      if (ao0_saved.empty()) {
        ao0_saved = std::string("json: cannot unmarshal ") + kindName(k) +
                    " into Go struct field .annotations of type models.LabelSet";
      }
      return sc.skip();
    }
    const bool is_starts = keyIs(key, "startsat");
    if (ao0 && (is_starts || keyIs(key, "endsat"))) {
      if (k == Kind::kNull) return sc.literal();  // DateTime.UnmarshalJSON ignores null
      if (k != Kind::kString) {
        ao0_now =
            std::string("json: cannot unmarshal ") + kindName(k) + " into Go value of type string";
        return sc.skip();
      }
      if (!sc.string(&buf)) return false;
      int64_t ns = 0;
      if (!parseDateTime(buf, ns, &ao0_now)) return true;
      (is_starts ? a.starts : a.ends) = ns;
      return true;
    }
    if (ao1 && keyIs(key, "generatorurl")) {
      if (k == Kind::kNull) {
        a.url.clear();  // URI.UnmarshalJSON stores the "" it decoded null into
        return sc.literal();
      }
      if (k != Kind::kString) {
        ao1_now =
            std::string("json: cannot unmarshal ") + kindName(k) + " into Go value of type string";
        return sc.skip();
      }
      return sc.string(&a.url);
    }
    if (ao1 && keyIs(key, "labels")) {
      if (k == Kind::kNull) {
        a.labels.clear();
        a.labels_nil = true;
        return sc.literal();
      }
      if (k == Kind::kObject) {
        a.labels_nil = false;  // a repeated "labels" merges into the same map, as in Go
        return readStringMap(sc, a.labels, &ao1_saved, "Go struct field Alert.labels", "string");
      }
      if (ao1_saved.empty()) {
        ao1_saved = std::string("json: cannot unmarshal ") + kindName(k) +
                    " into Go struct field Alert.labels of type models.LabelSet";
      }
      return sc.skip();
    }
    return sc.skip();
  });
  if (!ok) return false;
  for (const std::string* e : {&ao0_now, &ao0_saved, &ao1_now, &ao1_saved}) {
    if (!e->empty()) {
      err = *e;
      break;
    }
  }
  return true;
}

// One element of the api/v1 body: types.Alert (embedding model.Alert) decoded by encoding/json.
// LabelSet and time.Time are Unmarshalers, so their errors end decoding at once (`now_err`); plain
// type errors are remembered (`saved_err`, the first) and reported if nothing else fails.
bool decodeAlertV1(Scanner& sc, RawAlert& a, std::string& now_err, std::string& saved_err) {
  return sc.object([&](const std::string& key) {
    if (!now_err.empty()) return sc.skip();
    Kind k{};
    if (!sc.peekValue(k)) return false;
    const bool is_labels = keyIs(key, "labels");
    if (is_labels || keyIs(key, "annotations")) {
      const char* field = is_labels ? "labels" : "annotations";
      std::vector<core::Label>& dst = is_labels ? a.labels : a.annotations;
      if (k == Kind::kNull) {
        dst.clear();
        return sc.literal();
      }
      if (k != Kind::kObject) {
        now_err = std::string("json: cannot unmarshal ") + kindName(k) +
                  " into Go struct field Alert." + field +
                  " of type map[model.LabelName]model.LabelValue";
        return sc.skip();
      }
      // LabelSet.UnmarshalJSON: a fresh map, then every name must be valid.
      std::vector<core::Label> m;
      std::string inner;
      if (!readStringMap(sc, m, &inner, "", "")) return false;
      if (!inner.empty()) {
        // The inner "Go value of type model.LabelValue" error gets the outer field context.
        const size_t into = inner.find(" into ");
        now_err = inner.substr(0, into) + " into Go struct field Alert." + field +
                  " of type model.LabelValue";
        return true;
      }
      for (const core::Label& l : m) {
        if (!core::isValidLegacyName(l.name)) {
          now_err = goQuote(l.name) + " is not a valid label name";
          return true;
        }
      }
      dst = std::move(m);
      return true;
    }
    const bool is_starts = keyIs(key, "startsat");
    const bool is_ends = !is_starts && keyIs(key, "endsat");
    if (is_starts || is_ends || keyIs(key, "updatedat")) {
      if (k == Kind::kNull) return sc.literal();
      // time.Time.UnmarshalJSON parses the raw JSON text, quotes included.
      const size_t from = sc.pos();
      if (!sc.skip()) return false;
      int64_t ns = 0;
      if (!goParse("\"2006-01-02T15:04:05Z07:00\"", sc.slice(from, sc.pos()), ns, &now_err)) {
        return true;
      }
      if (is_starts) a.starts = ns;
      if (is_ends) a.ends = ns;
      return true;
    }
    const bool is_url = keyIs(key, "generatorurl");
    if (is_url || keyIs(key, "timeout")) {
      const Kind want = is_url ? Kind::kString : Kind::kBool;
      if (k == Kind::kNull) return sc.literal();
      if (k != want) {
        if (saved_err.empty()) {
          saved_err = std::string("json: cannot unmarshal ") + kindName(k) +
                      (is_url ? " into Go struct field Alert.generatorURL of type string"
                              : " into Go struct field Alert.Timeout of type bool");
        }
        return sc.skip();
      }
      return is_url ? sc.string(&a.url) : sc.literal();
    }
    return sc.skip();
  });
}

// types.Alert.Validate after Alertmanager filled the times and removed empty label values
// (api.insertAlerts). Returns "" and fills `out` when valid.
std::string validate(RawAlert& a, int64_t now_ns, const DecodeLimits& limits, Alert& out) {
  const int64_t starts = a.starts != 0 ? a.starts : (a.ends != 0 ? a.ends : now_ns);
  int64_t ends = a.ends;
  if (ends == 0 && __builtin_add_overflow(now_ns, limits.resolve_timeout_ns, &ends)) {
    ends = std::numeric_limits<int64_t>::max();
  }
  if (ends < starts) return "start time must be before end time";
  lastWins(a.labels);
  std::erase_if(a.labels, [](const core::Label& l) { return l.value.empty(); });
  for (const core::Label& l : a.labels) {
    // Go iterates the map in random order; we report the first invalid name in sorted order.
    if (!core::isValidLegacyName(l.name))
      return "invalid label set: invalid name " + goQuote(l.name);
  }
  if (a.labels.empty()) return "at least one label pair required";
  lastWins(a.annotations);
  for (const core::Label& l : a.annotations) {
    if (!core::isValidLegacyName(l.name))
      return "invalid annotations: invalid name " + goQuote(l.name);
  }
  out.labels = core::Labels::fromUnsorted(std::move(a.labels));
  out.annotations = std::move(a.annotations);
  out.starts_at_ns = a.starts;
  out.ends_at_ns = a.ends;
  out.generator_url = std::move(a.url);
  return "";
}

DecodeResult v2Error(int status, int code, std::string_view message) {
  DecodeResult r;
  r.status = status;
  r.content_type = "application/json";
  r.body = "{\"code\":" + std::to_string(code) + ",\"message\":";
  appendJsonString(r.body, message, true);  // go-openapi's ServeError uses json.Marshal
  r.body += '}';
  return r;
}

DecodeResult v1Error(int status, std::string_view message) {
  DecodeResult r;
  r.status = status;
  r.content_type = "application/json";
  r.body = R"({"status":"error","errorType":"bad_data","error":)";
  appendJsonString(r.body, message, true);
  r.body += '}';
  return r;
}

std::string parseFailure(std::string_view reason) {
  return "parsing alerts body from \"\" failed, because " + std::string(reason);
}

bool countAlert(Scanner& sc, size_t& n) {
  if (++n > sc.limits().max_alerts) {
    return sc.limitError("more than " + std::to_string(sc.limits().max_alerts) +
                         " alerts in one request");
  }
  return true;
}

// Validates every decoded alert: the valid ones go to r.alerts, the others are counted in
// r.invalid and their messages returned joined with "; ", as Alertmanager reports them.
std::string validateAll(std::vector<RawAlert>& raw, int64_t now_ns, const DecodeLimits& limits,
                        DecodeResult& r) {
  std::string joined;
  r.alerts.reserve(raw.size());
  for (RawAlert& a : raw) {
    Alert out;
    const std::string e = validate(a, now_ns, limits, out);
    if (e.empty()) {
      r.alerts.push_back(std::move(out));
      continue;
    }
    ++r.invalid;
    if (!joined.empty()) joined += "; ";
    joined += e;
  }
  return joined;
}

DecodeResult decodeV2(std::string_view body, std::string_view content_type, int64_t now_ns,
                      const DecodeLimits& limits) {
  // go-openapi checks the Content-Type only when the request has a body.
  if (!body.empty()) {
    std::string orig(trimSpace(content_type));
    std::string media;
    const std::string err = parseMediaType(orig.empty() ? "application/octet-stream" : orig, media);
    if (!err.empty()) {
      return v2Error(
          400, 400,
          "parsing Content-Type header from " + goQuote(orig) + " failed, because " + err);
    }
    if (media != "application/json") {
      return v2Error(
          415, 415,
          "unsupported media type " + goQuote(media) + ", only [application/json] are allowed");
    }
  }
  Scanner sc(body, limits);
  if (sc.atEnd()) return v2Error(422, 602, "alerts in body is required");  // json.Decoder: io.EOF

  std::vector<RawAlert> raw;
  std::string err;
  size_t count = 0;
  Kind top{};
  bool ok = sc.peekValue(top);
  if (ok && top == Kind::kArray) {
    ok = sc.array([&] {
      if (!countAlert(sc, count)) return false;
      Kind k{};
      if (!sc.peekValue(k)) return false;
      if (!err.empty()) return sc.skip();  // the first element error ends decoding
      if (k == Kind::kNull) {
        raw.emplace_back().null = true;
        return sc.literal();
      }
      if (k != Kind::kObject) {
        err = std::string("json: cannot unmarshal ") + kindName(k) +
              " into Go value of type struct { Annotations models.LabelSet "
              "\"json:\\\"annotations,omitempty\\\"\"; EndsAt strfmt.DateTime "
              "\"json:\\\"endsAt,omitempty\\\"\"; StartsAt strfmt.DateTime "
              "\"json:\\\"startsAt,omitempty\\\"\" }";
        return sc.skip();
      }
      return decodeAlertV2(sc, raw.emplace_back(), err);
    });
  } else if (ok && top == Kind::kNull) {
    ok = sc.literal();
  } else if (ok) {
    err = std::string("json: cannot unmarshal ") + kindName(top) +
          " into Go value of type models.PostableAlerts";
    ok = sc.skip();
  }
  if (!ok) {
    if (sc.failure() == Failure::kLimit) return v2Error(413, 413, sc.failureMessage());
    return v2Error(400, 400, parseFailure(sc.failureMessage()));
  }
  if (!err.empty()) return v2Error(400, 400, parseFailure(err));

  // Swagger validation of PostableAlerts: the first invalid alert, generatorURL before labels.
  for (size_t i = 0; i < raw.size(); ++i) {
    const RawAlert& a = raw[i];
    if (a.null) continue;
    if (!a.url.empty() && !isRequestUri(a.url)) {
      return v2Error(
          422, 601,
          std::to_string(i) + ".generatorURL in body must be of type uri: " + goQuote(a.url));
    }
    if (a.labels_nil) return v2Error(422, 602, std::to_string(i) + ".labels in body is required");
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].null) {
      // Alertmanager 0.25 dereferences the nil alert and the request dies without an answer.
      return v2Error(400, 400, parseFailure("alert " + std::to_string(i) + " is null"));
    }
  }

  DecodeResult r;
  const std::string joined = validateAll(raw, now_ns, limits, r);
  if (r.invalid > 0) {
    // The go-openapi JSON producer: json.Encoder with HTML escaping off, plus a newline.
    r.status = 400;
    r.content_type = "application/json";
    appendJsonString(r.body, joined, false);
    r.body += '\n';
  }
  return r;
}

DecodeResult decodeV1(std::string_view body, int64_t now_ns, const DecodeLimits& limits) {
  Scanner sc(body, limits);
  if (sc.atEnd()) return v1Error(400, "EOF");
  std::vector<RawAlert> raw;
  std::string now_err, saved_err;
  size_t count = 0;
  Kind top{};
  bool ok = sc.peekValue(top);
  if (ok && top == Kind::kArray) {
    ok = sc.array([&] {
      if (!countAlert(sc, count)) return false;
      Kind k{};
      if (!sc.peekValue(k)) return false;
      if (!now_err.empty()) return sc.skip();
      if (k == Kind::kNull) {
        raw.emplace_back().null = true;
        return sc.literal();
      }
      if (k != Kind::kObject) {
        if (saved_err.empty()) {
          saved_err = std::string("json: cannot unmarshal ") + kindName(k) +
                      " into Go value of type types.Alert";
        }
        return sc.skip();
      }
      return decodeAlertV1(sc, raw.emplace_back(), now_err, saved_err);
    });
  } else if (ok && top == Kind::kNull) {
    ok = sc.literal();
  } else if (ok) {
    saved_err = std::string("json: cannot unmarshal ") + kindName(top) +
                " into Go value of type []*types.Alert";
    ok = sc.skip();
  }
  if (!ok) {
    return v1Error(sc.failure() == Failure::kLimit ? 413 : 400, sc.failureMessage());
  }
  if (!now_err.empty()) return v1Error(400, now_err);
  if (!saved_err.empty()) return v1Error(400, saved_err);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].null) return v1Error(400, "alert " + std::to_string(i) + " is null");
  }
  DecodeResult r;
  const std::string joined = validateAll(raw, now_ns, limits, r);
  if (r.invalid > 0) {
    DecodeResult e = v1Error(400, joined);
    e.alerts = std::move(r.alerts);
    e.invalid = r.invalid;
    return e;
  }
  r.content_type = "application/json";
  r.body = R"({"status":"success"})";
  return r;
}

void appendMap(std::string& out, const core::Label* begin, const core::Label* end) {
  out += '{';
  for (const core::Label* l = begin; l != end; ++l) {
    if (l != begin) out += ',';
    appendJsonString(out, l->name, true);
    out += ':';
    appendJsonString(out, l->value, true);
  }
  out += '}';
}

void appendTime(std::string& out, const char* key, int64_t ns, bool millis, bool& first) {
  if (ns == 0) return;
  if (!first) out += ',';
  first = false;
  out += key;
  out += '"';
  out += formatTime(ns, millis);
  out += '"';
}

}  // namespace

DecodeResult decode(ApiVersion v, std::string_view body, std::string_view content_type,
                    int64_t now_ns, const DecodeLimits& limits) {
  return v == ApiVersion::kV2 ? decodeV2(body, content_type, now_ns, limits)
                              : decodeV1(body, now_ns, limits);
}

void appendEncoded(ApiVersion v, const Alert& alert, std::string& out) {
  const Alert* a = &alert;
  out += '{';
  const core::Label* ann = a->annotations.data();
  const core::Label* ann_end = ann + a->annotations.size();
  const core::Label* lab = a->labels.empty() ? nullptr : &*a->labels.begin();
  const core::Label* lab_end = lab + a->labels.size();
  bool first = true;
  if (v == ApiVersion::kV2) {
    // models.PostableAlert: {annotations,endsAt,startsAt} then {generatorURL,labels}.
    if (!a->annotations.empty()) {
      out += "\"annotations\":";
      appendMap(out, ann, ann_end);
      first = false;
    }
    appendTime(out, "\"endsAt\":", a->ends_at_ns, true, first);
    appendTime(out, "\"startsAt\":", a->starts_at_ns, true, first);
    // A URL that Alertmanager's v2 schema rejects (which v1 lets through) would fail the whole
    // batch with 422; it is only a link, so it is left out instead.
    if (!a->generator_url.empty() && isRequestUri(a->generator_url)) {
      if (!first) out += ',';
      first = false;
      out += "\"generatorURL\":";
      appendJsonString(out, a->generator_url, true);
    }
    if (!first) out += ',';
    out += "\"labels\":";
    appendMap(out, lab, lab_end);
  } else {
    // Prometheus's notifier.Alert: labels, annotations, startsAt, endsAt, generatorURL.
    out += "\"labels\":";
    appendMap(out, lab, lab_end);
    out += ",\"annotations\":";
    appendMap(out, ann, ann_end);
    first = false;
    appendTime(out, "\"startsAt\":", a->starts_at_ns, false, first);
    appendTime(out, "\"endsAt\":", a->ends_at_ns, false, first);
    if (!a->generator_url.empty()) {
      out += ",\"generatorURL\":";
      appendJsonString(out, a->generator_url, true);
    }
  }
  out += '}';
}

size_t encodedSizeHint(const Alert& a) {
  size_t n = 160 + a.generator_url.size();
  for (const core::Label& l : a.labels) n += l.name.size() + l.value.size() + 6;
  for (const core::Label& l : a.annotations) n += l.name.size() + l.value.size() + 6;
  return n + n / 8;
}

std::string encode(ApiVersion v, const std::vector<const Alert*>& alerts) {
  size_t estimate = 2;
  for (const Alert* a : alerts) estimate += encodedSizeHint(*a);
  std::string out;
  out.reserve(estimate);
  out += '[';
  for (size_t i = 0; i < alerts.size(); ++i) {
    if (i != 0) out += ',';
    appendEncoded(v, *alerts[i], out);
  }
  out += ']';
  return out;
}

uint64_t fingerprint(const core::Labels& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = kOffset;  // also the empty set's fingerprint (emptyLabelSignature)
  auto add = [&](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= kPrime;
    }
    h ^= 0xff;  // model.SeparatorByte
    h *= kPrime;
  };
  for (const core::Label& l : labels) {  // Labels are sorted by name, as the Go code sorts
    add(l.name);
    add(l.value);
  }
  return h;
}

std::string formatTime(int64_t ns, bool millis_only) {
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // H. Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);

  char buf[64];
  char* p = buf;
  auto put = [&](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(y, 4);
  *p++ = '-';
  put(m, 2);
  *p++ = '-';
  put(d, 2);
  *p++ = 'T';
  put(rem / 3600, 2);
  *p++ = ':';
  put(rem / 60 % 60, 2);
  *p++ = ':';
  put(rem % 60, 2);
  if (millis_only) {
    *p++ = '.';
    put(frac / 1000000, 3);
  } else if (frac != 0) {
    *p++ = '.';
    put(frac, 9);
    while (p[-1] == '0') --p;
  }
  *p++ = 'Z';
  return std::string(buf, static_cast<size_t>(p - buf));
}

bool parseTime(std::string_view s, int64_t& ns) { return goParse(kRfc3339, s, ns, nullptr); }

}  // namespace promha::alert
