#include "discovery/file.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "discovery/targetgroup.h"

namespace promha::discovery {
namespace {

// core::Error with only a message (and a file): no positions.
inline core::Error errorOf(std::string message, std::string file = {}) {
  return core::Error{std::move(message), std::move(file), 0, 0};
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

FileDiscoverer::FileDiscoverer(FileSdConfig config) : config_(std::move(config)) {}

std::vector<std::string> FileDiscoverer::listFiles() const {
  // Go's filepath.Glob: sorted matches per pattern; a pattern without metacharacters matches
  // the file if it exists.
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& pattern : config_.files) {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string p = g.gl_pathv[i];
        if (seen.insert(p).second) out.push_back(std::move(p));
      }
    }
    ::globfree(&g);
  }
  return out;
}

FileDiscoverer::Signature FileDiscoverer::signatureOf(const struct stat& st) {
  Signature s;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = static_cast<int64_t>(st.st_size);
  s.ino = static_cast<uint64_t>(st.st_ino);
  s.dev = static_cast<uint64_t>(st.st_dev);
  return s;
}

FileDiscoverer::Signature FileDiscoverer::signatureOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Signature{};
  return signatureOf(st);
}

bool FileDiscoverer::changed() const {
  if (!refreshed_) return true;
  const std::vector<std::string> files = listFiles();
  if (files.size() != seen_.size()) return true;
  for (const std::string& f : files) {
    auto it = seen_.find(f);
    if (it == seen_.end() || !(it->second == signatureOf(f))) return true;
  }
  return false;
}

std::vector<TargetGroup> FileDiscoverer::refresh() {
  std::string errors;
  uint64_t read_errors = 0;
  std::map<std::string, Signature> seen;
  std::map<std::string, std::vector<TargetGroup>> groups;
  std::vector<std::string> files = listFiles();

  for (const std::string& path : files) {
    auto fail = [&](core::Error e) {
      ++read_errors;
      if (!errors.empty()) errors += "; ";
      if (e.file.empty()) e.file = path;
      errors += e.str();
      // Keep what the file held before (Prometheus: "Prevent deletion down below").
      if (auto it = last_.find(path); it != last_.end()) groups[path] = it->second;
    };
    const std::optional<FileFormat> fmt = fileFormatOf(path);
    if (!fmt) {
      seen[path] = signatureOf(path);
      fail(errorOf("unsupported file extension (want .json, .yml or .yaml)", path));
      continue;
    }
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) {
      seen[path] = signatureOf(path);
      fail(errorOf(std::string("cannot open: ") + std::strerror(errno), path));
      continue;
    }
    // The signature is taken before reading: a write racing with the read then shows up as a
    // change at the next poll instead of being missed.
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) {
      fail(errorOf(std::string("cannot stat: ") + std::strerror(errno), path));
      continue;
    }
    seen[path] = signatureOf(st);
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
      fail(errorOf("file larger than " + std::to_string(kMaxFileBytes) + " bytes", path));
      continue;
    }
    std::string text;
    char buf[65536];
    bool read_failed = false;
    for (;;) {
      const ssize_t n = ::read(fd.fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        read_failed = true;
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > kMaxFileBytes) break;
    }
    if (read_failed) {
      fail(errorOf(std::string("cannot read: ") + std::strerror(errno), path));
      continue;
    }
    if (text.size() > kMaxFileBytes) {
      fail(errorOf("file larger than " + std::to_string(kMaxFileBytes) + " bytes", path));
      continue;
    }
    auto parsed = parseTargetGroups(text, path, *fmt);
    if (!parsed) {
      fail(parsed.error());
      continue;
    }
    groups[path] = std::move(*parsed);
  }

  last_ = std::move(groups);
  seen_ = std::move(seen);
  refreshed_ = true;
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.refreshes;
    stats_.read_errors += read_errors;
    stats_.last_error = std::move(errors);
  }
  std::vector<TargetGroup> out;
  for (const std::string& path : files) {
    if (auto it = last_.find(path); it != last_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

FileDiscoverer::Stats FileDiscoverer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace promha::discovery
