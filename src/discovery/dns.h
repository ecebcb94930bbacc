// DNS service discovery (Prometheus's discovery/dns): SRV, A and AAAA lookups turned into target
// groups, one group per name (source = the name), with Prometheus's meta labels:
//   __address__                    "target:port" (SRV, trailing dot removed) or "ip:port" (A/AAAA)
//   __meta_dns_name                the configured name
//   __meta_dns_srv_record_target   the SRV target as returned, with its trailing dot (SRV only)
//   __meta_dns_srv_record_port     the SRV port (SRV only)
//
// Resolver is the seam: LibresolvResolver asks the servers of /etc/resolv.conf (or one server
// given as "ip:port", which tests use to reach a local dnsmasq) through glibc's libresolv, with
// the search list applied as in Prometheus. Like Prometheus, a name that does not exist
// (NXDOMAIN) or has no records of the type yields an empty group; any other failure (timeout,
// SERVFAIL, REFUSED) is an error, and DnsDiscoverer then keeps that name's previous group.
//
//   LibresolvResolver resolver;                       // or ({.nameserver = "127.0.0.1:5353"})
//   DnsDiscoverer d(config, resolver);
//   std::vector<TargetGroup> groups = d.refresh();    // errors: d.stats().last_error
//
// Thread-safety: LibresolvResolver is safe to share (each lookup has its own resolver state).
// A DnsDiscoverer is used by one thread at a time; stats() may be read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "discovery/types.h"

namespace promha::discovery {

struct SrvRecord {
  std::string target{};  // as in the answer, with the trailing dot: "am1.example.com."
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
  bool operator==(const SrvRecord&) const = default;
};

// The answer records of the asked type (CNAMEs and other types are skipped).
struct DnsAnswer {
  std::vector<SrvRecord> srv{};          // SRV lookups
  std::vector<std::string> addresses{};  // A/AAAA lookups, textual ("10.0.0.1", "2001:db8::1")
  bool operator==(const DnsAnswer&) const = default;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // An empty answer for NXDOMAIN / no data; an error when no server gave a usable answer.
  virtual core::Result<DnsAnswer> lookup(const std::string& name, DnsType type) = 0;
};

struct ResolverOptions {
  // "ip:port" or "ip" (port 53) of the only server to ask, instead of /etc/resolv.conf's.
  // IPv4 only (libresolv's nsaddr_list).
  std::string nameserver{};
  // Apply resolv.conf's search list and ndots (res_nsearch), as Prometheus does. Off: the name
  // is asked as given (res_nquery).
  bool use_search_list = true;
  // Per-try timeout and tries; 0 keeps resolv.conf's (options timeout:/attempts:).
  int timeout_seconds = 0;
  int attempts = 0;
};

class LibresolvResolver final : public Resolver {
 public:
  // The system's resolver configuration (/etc/resolv.conf, re-read on every lookup).
  LibresolvResolver() = default;
  // Fails when options.nameserver is not "ipv4[:port]".
  static core::Result<std::unique_ptr<LibresolvResolver>> create(ResolverOptions options);
  core::Result<DnsAnswer> lookup(const std::string& name, DnsType type) override;

 private:
  ResolverOptions options_;
  uint32_t ns_addr_ = 0;  // network order; 0 = from resolv.conf
  uint16_t ns_port_ = 53;
};

// The group for one name's answer (pure). `port` is the config's port, used for A/AAAA.
TargetGroup dnsTargetGroup(const std::string& name, DnsType type, uint64_t port,
                           const DnsAnswer& answer);

class DnsDiscoverer {
 public:
  struct Stats {
    uint64_t refreshes = 0;
    uint64_t lookups = 0;      // prometheus_sd_dns_lookups_total
    uint64_t failures = 0;     // prometheus_sd_dns_lookup_failures_total
    std::string last_error{};  // "" after a refresh without failures
  };

  // `resolver` must outlive the discoverer.
  DnsDiscoverer(DnsSdConfig config, Resolver& resolver);

  // Looks every name up and returns one group per name that has ever resolved; a name whose
  // lookup failed keeps its previous group.
  std::vector<TargetGroup> refresh();
  Stats stats() const;
  const DnsSdConfig& config() const { return config_; }

 private:
  DnsSdConfig config_;
  Resolver& resolver_;
  std::map<std::string, TargetGroup> last_;  // name -> last good group
  mutable std::mutex stats_mu_;
  Stats stats_;
};

}  // namespace promha::discovery
