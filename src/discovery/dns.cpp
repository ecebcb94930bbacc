#include "discovery/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

namespace promha::discovery {
namespace {

// core::Error with only a message (and a file): no positions.
inline core::Error errorOf(std::string message, std::string file = {}) {
  return core::Error{std::move(message), std::move(file), 0, 0};
}

// Go's net.JoinHostPort.
std::string joinHostPort(std::string_view host, uint64_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  return out + ":" + std::to_string(port);
}

// Owns a res_state for the duration of one lookup: res_ninit reads resolv.conf afresh, so a
// changed resolv.conf takes effect on the next refresh, and threads never share state.
class ResState {
 public:
  ResState() { std::memset(&state_, 0, sizeof state_); }
  ~ResState() {
    if (initialised_) res_nclose(&state_);
  }
  ResState(const ResState&) = delete;
  ResState& operator=(const ResState&) = delete;
  bool init() {
    initialised_ = res_ninit(&state_) == 0;
    return initialised_;
  }
  res_state get() { return &state_; }

 private:
  struct __res_state state_;
  bool initialised_ = false;
};

std::string hErrnoText(int h, int err) {
  std::string what;
  switch (h) {
    case TRY_AGAIN:
      what = "no server gave a usable answer (timeout, refused connection or SERVFAIL)";
      break;
    case NO_RECOVERY:
      what = "non-recoverable server error (FORMERR, REFUSED or NOTIMP)";
      break;
    case NETDB_INTERNAL:
      what = "resolver internal error";
      break;
    default:
      what = "lookup failed (h_errno " + std::to_string(h) + ")";
      break;
  }
  if (err != 0) what += ": " + std::string(std::strerror(err));
  return what;
}

}  // namespace

core::Result<std::unique_ptr<LibresolvResolver>> LibresolvResolver::create(
    ResolverOptions options) {
  auto r = std::make_unique<LibresolvResolver>();
  if (!options.nameserver.empty()) {
    std::string_view ns = options.nameserver;
    std::string host(ns);
    uint16_t port = 53;
    if (const size_t colon = ns.rfind(':'); colon != std::string_view::npos) {
      host = std::string(ns.substr(0, colon));
      const std::string_view p = ns.substr(colon + 1);
      const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (ec != std::errc{} || end != p.data() + p.size() || port == 0) {
        return errorOf("nameserver " + core::quote(options.nameserver) + ": invalid port");
      }
    }
    in_addr addr{};
    if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
      return errorOf("nameserver " + core::quote(options.nameserver) +
                     ": expected an IPv4 address with an optional :port");
    }
    r->ns_addr_ = addr.s_addr;
    r->ns_port_ = port;
  }
  r->options_ = std::move(options);
  return r;
}

core::Result<DnsAnswer> LibresolvResolver::lookup(const std::string& name, DnsType type) {
  const std::string what = "could not resolve " + core::quote(name) + " (" +
                           std::string(config::dnsTypeName(type)) + "): ";
  ResState rs;
  if (!rs.init()) return errorOf(what + "could not load resolv.conf");
  res_state st = rs.get();
  if (ns_addr_ != 0) {
    // glibc uses nsaddr_list[n] whenever its family is set (res_send.c get_nsaddr), so this
    // overrides an IPv6 server from resolv.conf too.
    st->nscount = 1;
    st->nsaddr_list[0] = sockaddr_in{};
    st->nsaddr_list[0].sin_family = AF_INET;
    st->nsaddr_list[0].sin_addr.s_addr = ns_addr_;
    st->nsaddr_list[0].sin_port = htons(ns_port_);
  }
  if (options_.timeout_seconds > 0) st->retrans = options_.timeout_seconds;
  if (options_.attempts > 0) st->retry = options_.attempts;

  const int qtype = type == DnsType::kSrv ? ns_t_srv : type == DnsType::kA ? ns_t_a : ns_t_aaaa;
  // The largest DNS message; libresolv retries over TCP itself when the UDP answer is truncated.
  std::vector<unsigned char> buf(65535);
  errno = 0;
  const int n =
      options_.use_search_list
          ? res_nsearch(st, name.c_str(), ns_c_in, qtype, buf.data(), static_cast<int>(buf.size()))
          : res_nquery(st, name.c_str(), ns_c_in, qtype, buf.data(), static_cast<int>(buf.size()));
  if (n < 0) {
    const int h = st->res_h_errno;
    const int err = errno;
    // NXDOMAIN for every candidate name, or the name exists without records of this type: a
    // valid, empty answer (Prometheus's lookupWithSearchPath outcomes 1 and 2).
    if (h == HOST_NOT_FOUND || h == NO_DATA) return DnsAnswer{};
    return errorOf(what + hErrnoText(h, err));
  }

  ns_msg msg;
  if (ns_initparse(buf.data(), n, &msg) < 0) return errorOf(what + "malformed DNS answer");
  DnsAnswer answer;
  const int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
      return errorOf(what + "malformed record " + std::to_string(i) + " in DNS answer");
    }
    if (ns_rr_class(rr) != ns_c_in) continue;
    const unsigned char* rdata = ns_rr_rdata(rr);
    const unsigned rdlen = ns_rr_rdlen(rr);
    const int rtype = ns_rr_type(rr);
    // Only the asked type: CNAMEs come along with A/AAAA answers and are skipped.
    if (rtype != qtype) continue;
    if (rtype == ns_t_srv) {
      if (rdlen < 7) return errorOf(what + "short SRV record");
      SrvRecord srv;
      srv.priority = static_cast<uint16_t>(ns_get16(rdata));
      srv.weight = static_cast<uint16_t>(ns_get16(rdata + 2));
      srv.port = static_cast<uint16_t>(ns_get16(rdata + 4));
      char host[NS_MAXDNAME];
      if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, host, sizeof host) < 0) {
        return errorOf(what + "malformed SRV target");
      }
      // dn_expand drops the root label's dot; Prometheus (miekg/dns) keeps it.
      srv.target = host;
      if (srv.target.empty() || srv.target.back() != '.') srv.target += '.';
      answer.srv.push_back(std::move(srv));
    } else {
      const int family = rtype == ns_t_a ? AF_INET : AF_INET6;
      const unsigned want = rtype == ns_t_a ? 4 : 16;
      if (rdlen != want) return errorOf(what + "malformed address record");
      char text[INET6_ADDRSTRLEN];
      if (!inet_ntop(family, rdata, text, sizeof text)) {
        return errorOf(what + "malformed address record");
      }
      answer.addresses.emplace_back(text);
    }
  }
  return answer;
}

TargetGroup dnsTargetGroup(const std::string& name, DnsType type, uint64_t port,
                           const DnsAnswer& answer) {
  TargetGroup g;
  g.source = name;
  if (type == DnsType::kSrv) {
    for (const SrvRecord& r : answer.srv) {
      std::string_view host = r.target;
      while (!host.empty() && host.back() == '.') host.remove_suffix(1);
      core::Labels ls;
      ls.set(kAddressLabel, joinHostPort(host, r.port));
      ls.set(kDnsNameLabel, name);
      ls.set(kDnsSrvTargetLabel, r.target);
      ls.set(kDnsSrvPortLabel, std::to_string(r.port));
      g.targets.push_back(std::move(ls));
    }
  } else {
    for (const std::string& a : answer.addresses) {
      core::Labels ls;
      ls.set(kAddressLabel, joinHostPort(a, port));
      ls.set(kDnsNameLabel, name);
      g.targets.push_back(std::move(ls));
    }
  }
  return g;
}

DnsDiscoverer::DnsDiscoverer(DnsSdConfig config, Resolver& resolver)
    : config_(std::move(config)), resolver_(resolver) {}

std::vector<TargetGroup> DnsDiscoverer::refresh() {
  std::string errors;
  uint64_t lookups = 0, failures = 0;
  std::set<std::string> done;
  for (const std::string& name : config_.names) {
    if (!done.insert(name).second) continue;
    ++lookups;
    auto r = resolver_.lookup(name, config_.type);
    if (!r) {
      // Prometheus sends nothing for a failed name, so the last good group stays in place.
      ++failures;
      if (!errors.empty()) errors += "; ";
      errors += r.error().str();
      continue;
    }
    last_[name] = dnsTargetGroup(name, config_.type, config_.port, *r);
  }
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.refreshes;
    stats_.lookups += lookups;
    stats_.failures += failures;
    stats_.last_error = std::move(errors);
  }
  std::vector<TargetGroup> out;
  done.clear();
  for (const std::string& name : config_.names) {
    if (!done.insert(name).second) continue;
    if (auto it = last_.find(name); it != last_.end()) out.push_back(it->second);
  }
  return out;
}

DnsDiscoverer::Stats DnsDiscoverer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace promha::discovery
