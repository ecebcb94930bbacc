#include "discovery/alertmanagers.h"

#include <unordered_set>

#include "relabel/relabel.h"

namespace promha::discovery {
namespace {

// core::Error with only a message (and a file): no positions.
inline core::Error errorOf(std::string message, std::string file = {}) {
  return core::Error{std::move(message), std::move(file), 0, 0};
}

// Go's path.Clean for the rooted paths built here: collapse "//", drop ".", resolve "..".
std::string cleanRooted(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    const std::string_view seg = p.substr(i, j - i);
    if (seg.empty() || seg == ".") {
      // skip
    } else if (seg == "..") {
      if (!parts.empty()) parts.pop_back();  // ".." at the root stays at the root
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto s : parts) {
    out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

enum class Mode { kHost, kPath };

// Go's url.shouldEscape for the two modes url.URL.String() uses here.
bool shouldEscape(unsigned char c, Mode mode) {
  // RFC 3986 sub-delims plus ':' and '[' ']' for host:port, and '<' '>' '"' that Go lets through.
  static constexpr std::string_view kHostAllowed = "!$&'()*+,;=:[]<>\"";
  static constexpr std::string_view kUnreserved = "-_.~";
  static constexpr std::string_view kReserved = "$&+,/:;=?@";
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return false;
  const char ch = static_cast<char>(c);
  if (mode == Mode::kHost && kHostAllowed.find(ch) != std::string_view::npos) return false;
  if (kUnreserved.find(ch) != std::string_view::npos) return false;
  // The path keeps every reserved character but '?'; the host escapes the rest of them.
  if (kReserved.find(ch) != std::string_view::npos) return mode == Mode::kHost || c == '?';
  return true;
}

std::string escape(std::string_view s, Mode mode) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (shouldEscape(c, mode)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

// url.URL{Scheme, Host, Path}.String() for a non-empty scheme and host.
std::string buildUrl(std::string_view scheme, std::string_view host, std::string_view path) {
  std::string url(scheme);
  url += "://";
  url += escape(host, Mode::kHost);
  const std::string p = escape(path, Mode::kPath);
  if (!p.empty() && p[0] != '/') url += '/';
  url += p;
  return url;
}

}  // namespace

bool splitHostPort(std::string_view hp, std::string* host, std::string* port) {
  const size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;  // missing port
  size_t j = 0, k = 0;
  std::string_view h;
  if (!hp.empty() && hp[0] == '[') {
    const size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;  // missing ']'
    if (end + 1 == hp.size()) return false;           // "[::1]": no port after ']'
    if (end + 1 != i) return false;                   // ']' not followed by the last ':'
    h = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    h = hp.substr(0, i);
    if (h.find(':') != std::string_view::npos) return false;  // too many colons
  }
  if (hp.substr(j).find('[') != std::string_view::npos) return false;
  if (hp.substr(k).find(']') != std::string_view::npos) return false;
  if (host) *host = std::string(h);
  if (port) *port = std::string(hp.substr(i + 1));
  return true;
}

UrlSettings urlSettingsOf(const config::AlertmanagerConfig& am) {
  UrlSettings s;
  s.scheme = am.scheme == config::Scheme::kHttps ? "https" : "http";
  s.path_prefix = am.path_prefix;
  s.api_version =
      am.api_version == config::ApiVersion::kV1 ? alert::ApiVersion::kV1 : alert::ApiVersion::kV2;
  s.relabel_configs = am.relabel_configs;
  return s;
}

std::string alertsPath(std::string_view path_prefix, alert::ApiVersion v) {
  std::string joined = "/";
  joined += path_prefix;
  joined += v == alert::ApiVersion::kV1 ? "/api/v1/alerts" : "/api/v2/alerts";
  return cleanRooted(joined);
}

namespace {

core::Result<std::vector<AlertmanagerUrl>> fromGroupImpl(const TargetGroup& group,
                                                         std::string_view config_scheme,
                                                         const std::string& path,
                                                         const std::vector<relabel::Rule>& rules,
                                                         relabel::Scratch& scratch,
                                                         std::vector<core::Labels>* dropped) {
  std::vector<AlertmanagerUrl> out;
  out.reserve(group.targets.size());
  for (const core::Labels& target : group.targets) {
    core::Labels ls = target;
    // The configured scheme and path override the target's own, as in Prometheus; the group's
    // labels only fill in names the target does not carry.
    ls.set(kSchemeLabel, config_scheme);
    ls.set(kAlertsPathLabel, path);
    for (const core::Label& l : group.labels) {
      if (!target.has(l.name)) ls.set(l.name, l.value);
    }
    const core::Labels pre = dropped ? ls : core::Labels{};
    if (!relabel::process(rules, ls, scratch)) {
      if (dropped) dropped->push_back(pre);
      continue;
    }

    std::string addr(ls.get(kAddressLabel));
    const std::string scheme(ls.get(kSchemeLabel));
    if (addr.empty()) {
      return errorOf("target " + ls.toString() + " has no " + std::string(kAddressLabel));
    }
    // Prometheus 2.x addPort: add a port only where splitting fails for the lack of one.
    if (!splitHostPort(addr) && splitHostPort(addr + ":1234")) {
      if (scheme == "http" || scheme.empty()) {
        addr += ":80";
      } else if (scheme == "https") {
        addr += ":443";
      } else {
        return errorOf("invalid scheme: " + core::quote(scheme));
      }
      ls.set(kAddressLabel, addr);
    }
    // config.CheckTargetAddress.
    if (addr.find('/') != std::string::npos) {
      return errorOf(core::quote(addr) + " is not a valid hostname");
    }
    if (scheme != "http" && scheme != "https") {
      return errorOf("invalid scheme: " + core::quote(scheme) +
                     " (Alertmanagers are reached over http or https)");
    }
    ls.eraseIf([](const core::Label& l) { return l.name.starts_with(kMetaLabelPrefix); });
    AlertmanagerUrl am;
    am.url = buildUrl(scheme, addr, ls.get(kAlertsPathLabel));
    am.labels = std::move(ls);
    out.push_back(std::move(am));
  }
  return out;
}

std::vector<AlertmanagerUrl> resolveImpl(const std::vector<TargetGroup>& groups,
                                         std::string_view scheme, std::string_view path_prefix,
                                         alert::ApiVersion api_version,
                                         const std::vector<relabel::Rule>& rules,
                                         std::vector<core::Error>* errors) {
  std::vector<AlertmanagerUrl> out;
  std::unordered_set<std::string> seen;
  const std::string path = alertsPath(path_prefix, api_version);
  relabel::Scratch scratch;
  for (const TargetGroup& g : groups) {
    auto r = fromGroupImpl(g, scheme, path, rules, scratch, nullptr);
    if (!r) {
      if (errors) {
        core::Error e = r.error();
        e.message = "target group " + core::quote(g.source) + ": " + e.message;
        errors->push_back(std::move(e));
      }
      continue;
    }
    for (AlertmanagerUrl& am : *r) {
      if (seen.insert(am.url).second) out.push_back(std::move(am));
    }
  }
  return out;
}

}  // namespace

core::Result<std::vector<AlertmanagerUrl>> fromGroup(const TargetGroup& group,
                                                     const UrlSettings& settings,
                                                     std::vector<core::Labels>* dropped) {
  relabel::Scratch scratch;
  return fromGroupImpl(group, settings.scheme,
                       alertsPath(settings.path_prefix, settings.api_version),
                       settings.relabel_configs, scratch, dropped);
}

std::vector<AlertmanagerUrl> resolve(const std::vector<TargetGroup>& groups,
                                     const UrlSettings& settings,
                                     std::vector<core::Error>* errors) {
  return resolveImpl(groups, settings.scheme, settings.path_prefix, settings.api_version,
                     settings.relabel_configs, errors);
}

std::vector<AlertmanagerUrl> resolve(const std::vector<TargetGroup>& groups,
                                     std::string_view scheme, std::string_view path_prefix,
                                     alert::ApiVersion api_version,
                                     const std::vector<relabel::Rule>& relabel_configs,
                                     std::vector<core::Error>* errors) {
  return resolveImpl(groups, scheme, path_prefix, api_version, relabel_configs, errors);
}

}  // namespace promha::discovery
