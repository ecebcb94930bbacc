// alert_path_bench: figures for promha's alert path, end to end on loopback. Prints one
// `key=value` line per figure; it never passes or fails on speed (see bench/alert_path/run.sh).
//
// In this process: 3 fast Alertmanager sinks (cpp-httplib servers on 127.0.0.1:0 that answer 200
// and count alerts by counting `"labels":` in each body, which promha's v2 encoder writes once per
// alert) and the load generators. promha itself runs as a child process (fork/exec, killed by PID
// when a phase ends, and by the kernel via PR_SET_PDEATHSIG should this process die first), a
// fresh one per phase so that one phase's backlog or high-water mark does not leak into the next:
//   throughput  several keep-alive clients POST batches of distinct alerts for a fixed time;
//               accepted rate at the clients, delivered rate at each sink, backlog at the end.
//   latency     one client at a fixed alert rate, paced by the clock; ingest p50/p99/max.
//   memory      the sinks hold every request; N distinct alerts queued per Alertmanager; RSS.
//   alertmanager  (with --alertmanager-url) the throughput load against a real Alertmanager.
//
// Each sent alert carries a `bench_seq` label with a run-wide unique number, patched into a
// pre-encoded body (alert::encode) so that the load generator spends its CPU on HTTP, not JSON.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alert/alert.h"
#include "alert/codec.h"
#include "core/labels.h"

namespace {

namespace alert = promha::alert;
namespace core = promha::core;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::string promha = "build-release/src/cli/promha";
  std::string phases = "throughput,latency,memory";
  int sinks = 3;
  double duration_s = 10;
  int threads = 4;
  size_t batch = 256;
  size_t queue_capacity = 1'000'000;  // throughput phase: large enough for 10 s of load
  double latency_rate = 1000;         // alerts/s
  size_t latency_batch = 10;
  double latency_duration_s = 10;
  size_t memory_alerts = 10'000;  // queued per Alertmanager
  std::string alertmanager_url;   // "http://127.0.0.1:PORT"; empty: skip that phase
  pid_t alertmanager_pid = 0;
  int alertmanager_threads = 4;
};

// ---------------------------------------------------------------------------------------------
// Output

void figure(const std::string& key, double v, int precision = 0) {
  std::printf("%s=%.*f\n", key.c_str(), precision, v);
  std::fflush(stdout);
}
void figure(const std::string& key, const std::string& v) {
  std::printf("%s=%s\n", key.c_str(), v.c_str());
  std::fflush(stdout);
}
void note(const std::string& s) { std::fprintf(stderr, "alert_path_bench: %s\n", s.c_str()); }

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------------------------------------
// /proc

struct ProcMem {
  double rss_mib = 0;
  double hwm_mib = 0;
};

ProcMem readMem(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  ProcMem m;
  std::string line;
  while (std::getline(f, line)) {
    auto kib = [&](std::string_view key) -> std::optional<double> {
      if (!line.starts_with(key)) return std::nullopt;
      return std::strtod(line.c_str() + key.size(), nullptr) / 1024.0;
    };
    if (auto v = kib("VmRSS:")) m.rss_mib = *v;
    if (auto v = kib("VmHWM:")) m.hwm_mib = *v;
  }
  return m;
}

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t rp = s.rfind(')');
  if (rp == std::string::npos) return 0;
  std::istringstream in(s.substr(rp + 2));
  std::string field;
  double ut = 0, st = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // fields 14 and 15 (1-based) are utime, stime
    if (i == 14) ut = std::strtod(field.c_str(), nullptr);
    if (i == 15) st = std::strtod(field.c_str(), nullptr);
  }
  return (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time of this process (load generator and sinks), in seconds.
double selfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// ---------------------------------------------------------------------------------------------
// Sinks

size_t countAlerts(std::string_view body) {
  static constexpr std::string_view kNeedle = "\"labels\":";
  size_t n = 0;
  for (size_t pos = body.find(kNeedle); pos != std::string_view::npos;
       pos = body.find(kNeedle, pos + kNeedle.size())) {
    ++n;
  }
  return n;
}

// A fast Alertmanager stand-in. stall() makes every request wait until release().
class Sink {
 public:
  Sink() {
    srv_.set_tcp_nodelay(true);
    // Like Go's net/http (Alertmanager), do not close a keep-alive connection after N requests
    // (cpp-httplib's default is 5).
    srv_.set_keep_alive_max_count(1'000'000);
    srv_.Post("/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !stalled_; });
      }
      alerts_.fetch_add(countAlerts(req.body), std::memory_order_relaxed);
      requests_.fetch_add(1, std::memory_order_relaxed);
      res.status = 200;
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) thread_ = std::thread([this] { srv_.listen_after_bind(); });
  }
  ~Sink() {
    release();
    srv_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  int port() const { return port_; }
  uint64_t alerts() const { return alerts_.load(std::memory_order_relaxed); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  void reset() {
    alerts_ = 0;
    requests_ = 0;
  }
  void stall() {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stalled_ = false;
    }
    cv_.notify_all();
  }

 private:
  httplib::Server srv_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<uint64_t> alerts_{0};
  std::atomic<uint64_t> requests_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
};

// ---------------------------------------------------------------------------------------------
// The promha child process

std::atomic<pid_t> g_child{0};

void onSignal(int sig) {
  const pid_t p = g_child.load();
  if (p > 0) kill(p, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

class Promha {
 public:
  // Starts `binary run` with `config` and waits until /-/ready answers 200 (bounded).
  Promha(const std::string& binary, const std::string& config, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const std::string config_file = (dir / "promha.yml").string();
    log_file_ = (dir / "promha.log").string();
    std::ofstream(config_file) << config;
    std::vector<std::string> args = {binary,
                                     "run",
                                     "--config.file=" + config_file,
                                     "--web.listen-address=127.0.0.1:0",
                                     "--log.level=info",
                                     "--shutdown.drain-timeout=0s"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_file_);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    if (pid_ < 0) throw std::runtime_error("fork failed");
    g_child = pid_;
    port_ = waitForPort();
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("promha did not start; log:\n" + readLog());
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_tcp_nodelay(true);
    client_->set_keep_alive(true);
    client_->set_read_timeout(10, 0);
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      auto res = client_->Get("/-/ready");
      if (res && res->status == 200) return;
      std::this_thread::sleep_for(20ms);
    }
    stop();
    throw std::runtime_error("promha never became ready; log:\n" + readLog());
  }
  ~Promha() { stop(); }
  Promha(const Promha&) = delete;
  Promha& operator=(const Promha&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }

  std::string metrics() {
    auto res = client_->Get("/metrics");
    return res && res->status == 200 ? res->body : std::string();
  }

  // SIGTERM, then SIGKILL if it has not exited within 3 s. Idempotent.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + 3s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    g_child = 0;
    pid_ = 0;
  }

 private:
  std::string readLog() const {
    std::ifstream f(log_file_);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  // The log line `msg=Listening ... port=N` names the port bound for 127.0.0.1:0.
  int waitForPort() const {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      const std::string log = readLog();
      const size_t at = log.find("Listening");
      if (at != std::string::npos) {
        const size_t p = log.find("port=", at);
        const size_t eol = log.find('\n', at);
        if (p != std::string::npos && p < eol) {
          size_t i = p + 5;
          if (i < log.size() && log[i] == '"') ++i;
          return std::atoi(log.c_str() + i);
        }
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) return -1;
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  pid_t pid_ = 0;
  int port_ = 0;
  std::string log_file_;
  std::unique_ptr<httplib::Client> client_;
};

std::string promhaConfig(const std::vector<std::unique_ptr<Sink>>& sinks, size_t capacity) {
  std::ostringstream c;
  c << "global:\n  external_labels: {cluster: bench}\n"
    << "alerting:\n  alert_relabel_configs:\n    - {action: labeldrop, regex: replica}\n"
    << "  alertmanagers:\n    - static_configs:\n        - targets: [";
  for (size_t i = 0; i < sinks.size(); ++i) {
    c << (i ? ", " : "") << "'127.0.0.1:" << sinks[i]->port() << "'";
  }
  c << "]\n      timeout: 60s\n"
    << "      queue: {capacity: " << capacity << ", max_batch_size: 256}\n"
    << "      retry: {min_backoff: 100ms, max_backoff: 1s}\n";
  return c.str();
}

// Sum of every series of `name` whose label text contains `filter` (all series when empty).
double metricSum(const std::string& text, std::string_view name, std::string_view filter = {}) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name)) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    if (!filter.empty() && line.find(filter) == std::string::npos) continue;
    const size_t sp = line.rfind(' ');
    sum += std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return sum;
}

std::string sinkFilter(const Sink& s) { return ":" + std::to_string(s.port()) + "/"; }

// ---------------------------------------------------------------------------------------------
// Load

// A batch body encoded once by alert::encode; each request patches a unique number into every
// alert's `bench_seq` label.
class BodyTemplate {
 public:
  static constexpr size_t kSeqDigits = 12;

  explicit BodyTemplate(size_t batch) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    constexpr int64_t kMinute = 60LL * 1000 * 1000 * 1000;
    static const char* kNames[] = {"HighErrorRate", "InstanceDown", "DiskWillFillIn4Hours",
                                   "KubePodCrashLooping"};
    static const char* kSeverities[] = {"warning", "critical"};
    std::vector<alert::Alert> alerts(batch);
    for (size_t i = 0; i < batch; ++i) {
      alert::Alert& a = alerts[i];
      const std::string instance =
          "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":9100";
      a.labels = core::Labels::fromUnsorted({
          {"alertname", kNames[i % 4]},
          {"bench_seq", std::string(kSeqDigits, '~')},
          {"cluster", "eu-west-1"},
          {"instance", instance},
          {"job", "node-exporter"},
          {"namespace", "monitoring"},
          {"replica", "A"},
          {"severity", kSeverities[i % 2]},
      });
      a.annotations = {
          {"description", "Instance " + instance +
                              " of job node-exporter has been down for "
                              "more than 5 minutes; check the node and its network."},
          {"summary", "Instance " + instance + " down"},
      };
      a.starts_at_ns = now - kMinute;
      a.ends_at_ns = now + 60 * kMinute;
      a.generator_url =
          "http://prometheus-a.monitoring.svc:9090/graph?g0.expr=up%7Bjob%3D%22node-exporter%22"
          "%7D+%3D%3D+0&g0.tab=1";
    }
    std::vector<const alert::Alert*> ptrs;
    for (const auto& a : alerts) ptrs.push_back(&a);
    body_ = alert::encode(alert::ApiVersion::kV2, ptrs);
    const std::string placeholder(kSeqDigits, '~');
    for (size_t p = body_.find(placeholder); p != std::string::npos;
         p = body_.find(placeholder, p + kSeqDigits)) {
      offsets_.push_back(p);
    }
    if (offsets_.size() != batch) throw std::runtime_error("body template: placeholder count");
  }

  size_t batch() const { return offsets_.size(); }
  size_t bytes() const { return body_.size(); }

  // Writes the body for alerts first_seq .. first_seq + batch - 1 into `out`.
  void fill(uint64_t first_seq, std::string& out) const {
    out = body_;
    for (size_t i = 0; i < offsets_.size(); ++i) {
      uint64_t v = first_seq + i;
      for (size_t d = kSeqDigits; d-- > 0;) {
        out[offsets_[i] + d] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    }
  }

 private:
  std::string body_;
  std::vector<size_t> offsets_;
};

std::atomic<uint64_t> g_seq{0};  // run-wide: every alert ever sent is distinct

std::unique_ptr<httplib::Client> makeClient(const std::string& url) {
  auto c = std::make_unique<httplib::Client>(url);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(30, 0);
  c->set_write_timeout(30, 0);
  return c;
}

struct LoadResult {
  uint64_t accepted = 0;  // alerts in requests answered 200
  uint64_t requests = 0;
  uint64_t failed = 0;  // requests not answered 200
  double seconds = 0;
};

// `threads` clients, each POSTing batches back to back until `duration` has passed.
LoadResult closedLoop(const std::string& url, int threads, size_t batch, double duration_s) {
  const BodyTemplate tmpl(batch);
  std::atomic<uint64_t> accepted{0}, requests{0}, failed{0};
  const auto t0 = Clock::now();
  const auto deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      auto cli = makeClient(url);
      std::string body;
      while (Clock::now() < deadline) {
        tmpl.fill(g_seq.fetch_add(tmpl.batch()), body);
        auto res = cli->Post("/api/v2/alerts", body, "application/json");
        requests.fetch_add(1, std::memory_order_relaxed);
        if (res && res->status == 200) {
          accepted.fetch_add(tmpl.batch(), std::memory_order_relaxed);
        } else {
          failed.fetch_add(1, std::memory_order_relaxed);
          if (!res) std::this_thread::sleep_for(10ms);  // no hot loop on a dead server
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  return LoadResult{accepted.load(), requests.load(), failed.load(), secondsSince(t0)};
}

// ---------------------------------------------------------------------------------------------
// Phases

using Sinks = std::vector<std::unique_ptr<Sink>>;

std::filesystem::path phaseDir(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("promha-bench-" + std::to_string(getpid())) /
         name;
}

// Returns the lowest per-sink delivered rate (alerts/s), for the ratio to Alertmanager.
double throughputPhase(const Options& o, Sinks& sinks) {
  Promha p(o.promha, promhaConfig(sinks, o.queue_capacity), phaseDir("throughput"));
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port());
  {  // warm up: connections, allocator, first batches
    closedLoop(url, o.threads, o.batch, 0.5);
    const auto deadline = Clock::now() + 10s;
    while (metricSum(p.metrics(), "promha_notifications_queue_length") > 0 &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
  }
  std::vector<uint64_t> before;
  for (auto& s : sinks) before.push_back(s->alerts());
  const double cpu0 = cpuSeconds(p.pid());
  const double self0 = selfCpuSeconds();
  const LoadResult r = closedLoop(url, o.threads, o.batch, o.duration_s);
  std::vector<uint64_t> after;
  for (auto& s : sinks) after.push_back(s->alerts());
  const double cpu1 = cpuSeconds(p.pid());
  const double self1 = selfCpuSeconds();
  const std::string m = p.metrics();
  const double backlog = metricSum(m, "promha_notifications_queue_length");

  figure("promha_accepted_alerts_per_s", static_cast<double>(r.accepted) / r.seconds);
  figure("promha_ingest_requests_failed", static_cast<double>(r.failed));
  double min_rate = 0;
  for (size_t i = 0; i < sinks.size(); ++i) {
    const double rate = static_cast<double>(after[i] - before[i]) / r.seconds;
    figure("promha_delivered_alerts_per_s_sink" + std::to_string(i + 1), rate);
    min_rate = i == 0 ? rate : std::min(min_rate, rate);
  }
  figure("promha_backlog_at_end_alerts", backlog);
  figure("promha_delivered_kept_up",
         backlog <= static_cast<double>(sinks.size() * 2 * o.batch) ? "yes" : "no");
  figure("promha_cpu_cores_used", (cpu1 - cpu0) / r.seconds, 2);
  // Ingest of one alert plus its share of the deliveries made meanwhile.
  figure("promha_cpu_us_per_accepted_alert",
         r.accepted ? (cpu1 - cpu0) * 1e6 / static_cast<double>(r.accepted) : 0, 2);
  figure("bench_cpu_cores_used", (self1 - self0) / r.seconds, 2);

  // Drain: every accepted alert must reach every sink exactly once (all are distinct).
  const auto t_drain = Clock::now();
  const auto deadline = t_drain + 30s;
  double drain_s = -1;
  while (Clock::now() < deadline) {
    if (metricSum(p.metrics(), "promha_notifications_queue_length") == 0) {
      drain_s = secondsSince(t_drain);
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(200ms);  // the last batch in flight
  figure("promha_drain_after_load_s", drain_s, 2);
  const std::string m2 = p.metrics();
  figure("promha_dropped_alerts", metricSum(m2, "promha_notifications_dropped_total"));
  bool all = true;
  const double sent = metricSum(m2, "promha_notifications_sent_total");
  for (auto& s : sinks) {
    const double got = metricSum(m2, "promha_notifications_sent_total", sinkFilter(*s));
    if (got != static_cast<double>(s->alerts())) all = false;
  }
  figure("promha_sinks_match_sent_total", all && sent > 0 ? "yes" : "no");
  return min_rate;
}

void latencyPhase(const Options& o, Sinks& sinks) {
  Promha p(o.promha, promhaConfig(sinks, 10'000), phaseDir("latency"));
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port());
  const BodyTemplate tmpl(o.latency_batch);
  auto cli = makeClient(url);
  std::string body;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(o.latency_batch) / o.latency_rate));
  const size_t warmup = 20;
  const size_t n = warmup + static_cast<size_t>(o.latency_duration_s * o.latency_rate /
                                                static_cast<double>(o.latency_batch));
  std::vector<double> ms;
  ms.reserve(n);
  size_t failed = 0, late = 0;
  const auto t0 = Clock::now();
  auto t_measure = t0;
  for (size_t i = 0; i < n; ++i) {
    const auto due = t0 + interval * static_cast<int64_t>(i);
    if (Clock::now() > due + interval) ++late;  // the previous request overran its slot
    std::this_thread::sleep_until(due);
    if (i == warmup) t_measure = Clock::now();
    tmpl.fill(g_seq.fetch_add(tmpl.batch()), body);
    const auto s = Clock::now();
    auto res = cli->Post("/api/v2/alerts", body, "application/json");
    const double took = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    if (!res || res->status != 200) ++failed;
    if (i >= warmup) ms.push_back(took);
  }
  const double achieved =
      static_cast<double>((n - warmup) * o.latency_batch) / secondsSince(t_measure);
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) {
    const size_t idx = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::min(ms.size() - 1, idx == 0 ? 0 : idx - 1)];
  };
  figure("ingest_rate_alerts_per_s", achieved);
  figure("ingest_latency_p50_ms", pct(0.50), 3);
  figure("ingest_latency_p99_ms", pct(0.99), 3);
  figure("ingest_latency_max_ms", ms.back(), 3);
  figure("ingest_latency_samples", static_cast<double>(ms.size()));
  figure("ingest_latency_failed", static_cast<double>(failed));
  figure("ingest_latency_late_requests", static_cast<double>(late));
}

void memoryPhase(const Options& o, Sinks& sinks) {
  for (auto& s : sinks) s->stall();
  struct Release {
    Sinks& s;
    ~Release() {
      for (auto& x : s) x->release();
    }
  } release{sinks};
  Promha p(o.promha, promhaConfig(sinks, o.memory_alerts), phaseDir("memory"));
  const ProcMem idle = readMem(p.pid());
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port());
  // One batch per Alertmanager is popped and held in flight by the stalled sink; the queue then
  // fills to its capacity (memory_alerts) with the rest.
  const size_t total = o.memory_alerts + o.batch;
  const BodyTemplate tmpl(o.batch);
  auto cli = makeClient(url);
  std::string body;
  size_t failed = 0;
  for (size_t sent = 0; sent < total; sent += tmpl.batch()) {
    tmpl.fill(g_seq.fetch_add(tmpl.batch()), body);
    auto res = cli->Post("/api/v2/alerts", body, "application/json");
    if (!res || res->status != 200) ++failed;
  }
  double queued = 0;
  const double want = static_cast<double>(sinks.size() * o.memory_alerts);
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    queued = metricSum(p.metrics(), "promha_notifications_queue_length");
    if (queued >= want) break;
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(200ms);
  const ProcMem full = readMem(p.pid());
  figure("rss_idle_mib", idle.rss_mib, 1);
  figure("rss_queued_alerts_per_alertmanager", queued / static_cast<double>(sinks.size()));
  figure("rss_10k_queued_mib", full.rss_mib, 1);
  figure("rss_10k_queued_hwm_mib", full.hwm_mib, 1);
  figure("rss_ingest_failed", static_cast<double>(failed));
}

double alertmanagerPhase(const Options& o) {
  // Warm-up as for promha, then the measured run.
  closedLoop(o.alertmanager_url, o.alertmanager_threads, o.batch, 0.5);
  const double cpu0 = o.alertmanager_pid > 0 ? cpuSeconds(o.alertmanager_pid) : 0;
  const LoadResult r =
      closedLoop(o.alertmanager_url, o.alertmanager_threads, o.batch, o.duration_s);
  const double rate = static_cast<double>(r.accepted) / r.seconds;
  figure("alertmanager_accepted_alerts_per_s", rate);
  figure("alertmanager_requests_failed", static_cast<double>(r.failed));
  if (o.alertmanager_pid > 0) {
    figure("alertmanager_cpu_cores_used", (cpuSeconds(o.alertmanager_pid) - cpu0) / r.seconds, 2);
    const ProcMem m = readMem(o.alertmanager_pid);
    figure("alertmanager_rss_mib", m.rss_mib, 1);
    figure("alertmanager_rss_hwm_mib", m.hwm_mib, 1);
  }
  return rate;
}

bool hasPhase(const Options& o, std::string_view name) {
  return ("," + o.phases + ",").find("," + std::string(name) + ",") != std::string::npos;
}

int usage() {
  std::cerr << "usage: alert_path_bench [--promha PATH] [--phases throughput,latency,memory]\n"
               "  [--sinks N] [--duration S] [--threads N] [--batch N] [--queue-capacity N]\n"
               "  [--latency-rate ALERTS_PER_S] [--latency-batch N] [--latency-duration S]\n"
               "  [--memory-alerts N] [--alertmanager-url URL --alertmanager-pid PID]\n"
               "  [--alertmanager-threads N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("PROMHA_BIN")) o.promha = env;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") return usage();
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    auto num = [&] { return std::strtod(v.c_str(), nullptr); };
    auto count = [&] { return static_cast<size_t>(std::strtoull(v.c_str(), nullptr, 10)); };
    if (a == "--promha")
      o.promha = v;
    else if (a == "--phases")
      o.phases = v;
    else if (a == "--duration")
      o.duration_s = num();
    else if (a == "--sinks")
      o.sinks = std::atoi(v.c_str());
    else if (a == "--threads")
      o.threads = std::atoi(v.c_str());
    else if (a == "--batch")
      o.batch = count();
    else if (a == "--queue-capacity")
      o.queue_capacity = count();
    else if (a == "--latency-rate")
      o.latency_rate = num();
    else if (a == "--latency-batch")
      o.latency_batch = count();
    else if (a == "--latency-duration")
      o.latency_duration_s = num();
    else if (a == "--memory-alerts")
      o.memory_alerts = count();
    else if (a == "--alertmanager-url")
      o.alertmanager_url = v;
    else if (a == "--alertmanager-pid")
      o.alertmanager_pid = std::atoi(v.c_str());
    else if (a == "--alertmanager-threads")
      o.alertmanager_threads = std::atoi(v.c_str());
    else
      return usage();
  }
  if (o.sinks < 1 || o.threads < 1 || o.batch < 1 || o.latency_batch < 1 || o.latency_rate <= 0 ||
      o.duration_s <= 0 || o.alertmanager_threads < 1) {
    return usage();
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);

  int rc = 0;
  try {
    Sinks sinks;
    for (int i = 0; i < o.sinks; ++i) {
      sinks.push_back(std::make_unique<Sink>());
      if (sinks.back()->port() <= 0) throw std::runtime_error("sink: cannot bind 127.0.0.1:0");
    }
    double delivered = 0;
    if (hasPhase(o, "throughput")) delivered = throughputPhase(o, sinks);
    if (hasPhase(o, "latency")) latencyPhase(o, sinks);
    if (hasPhase(o, "memory")) memoryPhase(o, sinks);
    if (!o.alertmanager_url.empty()) {
      const double am = alertmanagerPhase(o);
      if (delivered > 0 && am > 0) figure("ratio_vs_alertmanager", delivered / am, 2);
    }
  } catch (const std::exception& e) {
    note(e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(
      std::filesystem::temp_directory_path() / ("promha-bench-" + std::to_string(getpid())), ec);
  return rc;
}
