// Discovery manager: runs the discoverers of every Alertmanager block (static, DNS, file) and
// tells the owner when a block's target groups change (Prometheus's discovery.Manager feeding
// notifier.Manager.ApplyConfig/sync, one "set" per alertmanagers[] block).
//
//   discovery::Manager m(blocks, [&](size_t block, std::vector<TargetGroup> groups) {
//     auto urls = discovery::resolve(groups, settings[block], &errors);  // then apply to senders
//   });
//   m.start();   // static groups are delivered before start() returns
//   ...
//   m.stop();    // idempotent; also done by the destructor
//
// Each DNS and file config has its own thread that refreshes it on its refresh_interval (and,
// for files, polls for modifications every file_poll_interval). A block's groups are the
// concatenation of its static, DNS and file groups in config order; onChange(block, groups) is
// called the first time a block is known and then only when its groups differ from the last
// delivery, never after stop() began. Calls are serialised (one at a time, in order).
// A reload builds a new Manager and stops the old one.
//
// Thread-safety: start/stop/groups/status may be called from any thread. onChange and onError
// run on discovery threads (and on the caller's thread inside start()); they must not call
// stop() nor destroy the Manager. stop() waits for a refresh already running (a DNS lookup is
// bounded by the resolver's timeout) but never for a pending one.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "discovery/dns.h"
#include "discovery/file.h"
#include "discovery/types.h"

namespace promha::discovery {

class Manager {
 public:
  using OnChange = std::function<void(size_t block, std::vector<TargetGroup> groups)>;
  // A failed DNS lookup or file read: "dns_sd_configs[0]: could not resolve ...".
  using OnError = std::function<void(size_t block, const std::string& message)>;

  struct Options {
    // Shared by the DNS discoverers; must be thread-safe and outlive the Manager. Null: a
    // LibresolvResolver using /etc/resolv.conf, owned by the Manager.
    Resolver* resolver = nullptr;
    Duration file_poll_interval = std::chrono::seconds(1);
    OnError on_error{};
  };

  struct DiscovererStatus {
    size_t block = 0;
    std::string config{};  // "dns_sd_configs[0]", "file_sd_configs[1]"
    uint64_t refreshes = 0;
    uint64_t failures = 0;     // failed lookups or file reads, in total
    std::string last_error{};  // of the last refresh
  };

  Manager(std::vector<DiscoveryConfig> blocks, OnChange on_change, Options options);
  Manager(std::vector<DiscoveryConfig> blocks, OnChange on_change)
      : Manager(std::move(blocks), std::move(on_change), Options{}) {}
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  void start();
  void stop();

  // The groups last delivered for `block` (empty before the first delivery).
  std::vector<TargetGroup> groups(size_t block) const;
  std::vector<DiscovererStatus> status() const;

 private:
  struct Block {
    std::vector<std::vector<TargetGroup>> slots{};  // [0] static, then DNS configs, then files
    std::optional<std::vector<TargetGroup>> delivered{};
  };
  struct Dns {
    size_t block, slot, index;
    std::unique_ptr<DnsDiscoverer> d{};
  };
  struct File {
    size_t block, slot, index;
    std::unique_ptr<FileDiscoverer> d{};
  };

  void publish(size_t block, size_t slot, std::vector<TargetGroup> groups);
  void runDns(Dns& dns);
  void runFile(File& file);
  void reportError(size_t block, const std::string& message);
  // Waits until `deadline` or stop(); true when stopping.
  bool waitUntil(std::chrono::steady_clock::time_point deadline);

  std::vector<DiscoveryConfig> configs_;
  OnChange on_change_;
  Options options_;
  std::unique_ptr<Resolver> own_resolver_;
  std::vector<Dns> dns_;
  std::vector<File> files_;

  std::mutex deliver_mu_;  // serialises onChange; taken before mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Block> blocks_;
  bool started_ = false;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::mutex lifecycle_mu_;  // start/stop against each other
};

}  // namespace promha::discovery
