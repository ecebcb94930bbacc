// File-based service discovery (Prometheus's discovery/file): JSON or YAML files of target
// groups (see targetgroup.h), named by paths whose last component may be a glob.
//
//   FileDiscoverer d(config);
//   std::vector<TargetGroup> groups = d.refresh();   // re-glob and read every file
//   if (d.changed()) groups = d.refresh();           // cheap: glob + stat, no reading
//
// Prometheus re-reads on inotify events and every refresh_interval; promha's manager polls
// changed() (mtime, size and inode of every matching file, and the set of matches) about once a
// second instead, which also catches edits that inotify misses on some filesystems, and does a
// full refresh() every refresh_interval.
// A file that cannot be read or parsed keeps its previous groups (as Prometheus does) and is
// reported: stats().read_errors counts, stats().last_error says "file:line:col: message". A file
// that no longer matches loses its groups.
// Thread-safety: one thread at a time calls refresh()/changed(); stats() from any thread.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "discovery/types.h"

namespace promha::discovery {

class FileDiscoverer {
 public:
  struct Stats {
    uint64_t refreshes = 0;
    uint64_t read_errors = 0;  // prometheus_sd_file_read_errors_total
    std::string last_error{};  // of the last refresh; "" when every file was read
  };

  // Files larger than this are refused, keeping their previous groups.
  static constexpr size_t kMaxFileBytes = 64 << 20;

  explicit FileDiscoverer(FileSdConfig config);

  std::vector<TargetGroup> refresh();
  // True when a file matching the patterns appeared, disappeared or was modified since the
  // last refresh() (or when refresh() never ran).
  bool changed() const;
  Stats stats() const;
  const FileSdConfig& config() const { return config_; }

 private:
  struct Signature {
    int64_t mtime_ns = 0;
    int64_t size = -1;
    uint64_t ino = 0;
    uint64_t dev = 0;
    bool operator==(const Signature&) const = default;
  };
  std::vector<std::string> listFiles() const;
  static Signature signatureOf(const std::string& path);
  static Signature signatureOf(const struct stat& st);

  FileSdConfig config_;
  bool refreshed_ = false;
  std::map<std::string, Signature> seen_;                 // path -> as last read
  std::map<std::string, std::vector<TargetGroup>> last_;  // path -> last good groups
  mutable std::mutex stats_mu_;
  Stats stats_;
};

}  // namespace promha::discovery
