#include "notify/target.h"

#include <charconv>

namespace promha::notify {

std::string UrlParts::schemeHostPort() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<UrlParts> splitUrl(std::string_view url) {
  UrlParts out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme == "http") {
    out.port = 80;
  } else if (out.scheme == "https") {
    out.port = 443;
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.path.empty() && out.path[0] == '?') out.path.insert(0, "/");
  // Userinfo in the URL is not supported: credentials belong in basic_auth.
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p <= 0 || p > 65535) {
      return std::nullopt;
    }
    out.port = p;
  }
  return out;
}

}  // namespace promha::notify
