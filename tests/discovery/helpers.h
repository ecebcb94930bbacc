// Test helpers for discovery: a temp dir, waiting for a condition with a deadline, and a real
// dnsmasq started on 127.0.0.1 with a port picked at run time and killed by PID (RAII).
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace promha::discovery::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "promha-disc-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes atomically (temp file + rename), as config management tools do: readers never see a
// half-written file.
inline void writeFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    REQUIRE(out.good());
    out << content;
  }
  std::filesystem::rename(tmp, path);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `pred` until it holds or `timeout` passes. The short pause only bounds CPU use: the
// outcome is decided by the condition, never by the pause.
inline bool waitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// A port free for both UDP and TCP on 127.0.0.1 right now (dnsmasq needs both).
inline uint16_t pickDnsPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(tcp >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(tcp, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(tcp);
      continue;
    }
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    const bool ok = udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (udp >= 0) ::close(udp);
    ::close(tcp);
    if (ok) return ntohs(a.sin_port);
  }
  FAIL("no free port for dnsmasq");
  return 0;
}

inline constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// dnsmasq in the foreground on 127.0.0.1:<port>, answering only from its command line (no
// resolv.conf, no /etc/hosts, no config file). Killed by PID in the destructor, whatever the
// test's outcome, and by the kernel (PR_SET_PDEATHSIG) should the test process die first.
class Dnsmasq {
 public:
  explicit Dnsmasq(const std::vector<std::string>& records, const std::string& log_path) {
    REQUIRE_MESSAGE(::access(kDnsmasq, X_OK) == 0,
                    "dnsmasq is required for the DNS tests: apt-get install dnsmasq");
    port_ = pickDnsPort();
    std::vector<std::string> args = {kDnsmasq,
                                     "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--pid-file",
                                     "--log-facility=-",
                                     "--cache-size=0"};
    args.insert(args.end(), records.begin(), records.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(log >= 0);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execv(kDnsmasq, argv.data());
      ::_exit(127);
    }
    ::close(log);
    REQUIRE(pid_ > 0);
    log_path_ = log_path;
  }
  ~Dnsmasq() { stop(); }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string nameserver() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return readFile(log_path_); }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // SIGTERM, then SIGKILL if it has not exited within 5 s; reaps it.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

}  // namespace promha::discovery::testing
