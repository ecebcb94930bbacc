#include "discovery/manager.h"

namespace promha::discovery {

Manager::Manager(std::vector<DiscoveryConfig> blocks, OnChange on_change, Options options)
    : configs_(std::move(blocks)), on_change_(std::move(on_change)), options_(std::move(options)) {
  if (!options_.resolver) {
    own_resolver_ = std::make_unique<LibresolvResolver>();
    options_.resolver = own_resolver_.get();
  }
  blocks_.resize(configs_.size());
  for (size_t b = 0; b < configs_.size(); ++b) {
    const DiscoveryConfig& c = configs_[b];
    blocks_[b].slots.resize(1 + c.dns_sd_configs.size() + c.file_sd_configs.size());
    size_t slot = 1;
    for (size_t i = 0; i < c.dns_sd_configs.size(); ++i) {
      dns_.push_back(Dns{b, slot++, i,
                         std::make_unique<DnsDiscoverer>(c.dns_sd_configs[i], *options_.resolver)});
    }
    for (size_t i = 0; i < c.file_sd_configs.size(); ++i) {
      files_.push_back(File{b, slot++, i, std::make_unique<FileDiscoverer>(c.file_sd_configs[i])});
    }
  }
}

Manager::~Manager() { stop(); }

void Manager::start() {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  // Static targets need no thread: every block is delivered once with them right away, so a
  // block whose DNS or files are slow still starts with what the config says.
  for (size_t b = 0; b < configs_.size(); ++b) {
    std::vector<TargetGroup> groups;
    for (size_t i = 0; i < configs_[b].static_configs.size(); ++i) {
      groups.push_back(toTargetGroup(configs_[b].static_configs[i], i));
    }
    publish(b, 0, std::move(groups));
  }
  for (Dns& d : dns_) threads_.emplace_back([this, &d] { runDns(d); });
  for (File& f : files_) threads_.emplace_back([this, &f] { runFile(f); });
}

void Manager::stop() {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool Manager::waitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return stopping_; });
}

void Manager::publish(size_t block, size_t slot, std::vector<TargetGroup> groups) {
  std::lock_guard deliver(deliver_mu_);
  std::vector<TargetGroup> merged;
  {
    std::lock_guard lock(mu_);
    Block& b = blocks_[block];
    b.slots[slot] = std::move(groups);
    for (const auto& s : b.slots) merged.insert(merged.end(), s.begin(), s.end());
    // Stop wins: nothing is delivered once stop() began.
    if (stopping_) return;
    if (b.delivered && *b.delivered == merged) return;
    b.delivered = merged;
  }
  if (on_change_) on_change_(block, std::move(merged));
}

void Manager::reportError(size_t block, const std::string& message) {
  if (options_.on_error) options_.on_error(block, message);
}

void Manager::runDns(Dns& dns) {
  const Duration interval = dns.d->config().refresh_interval;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    std::vector<TargetGroup> groups = dns.d->refresh();
    const std::string err = dns.d->stats().last_error;
    if (!err.empty())
      reportError(dns.block, "dns_sd_configs[" + std::to_string(dns.index) + "]: " + err);
    publish(dns.block, dns.slot, std::move(groups));
    if (waitUntil(std::chrono::steady_clock::now() + interval)) return;
  }
}

void Manager::runFile(File& file) {
  using Clock = std::chrono::steady_clock;
  const Duration interval = file.d->config().refresh_interval;
  const Duration poll = options_.file_poll_interval;
  Clock::time_point next_full = Clock::now();
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // A full read every refresh_interval (as Prometheus's ticker), otherwise only when a
    // matching file appeared, vanished or was modified.
    if (Clock::now() >= next_full || file.d->changed()) {
      std::vector<TargetGroup> groups = file.d->refresh();
      const std::string err = file.d->stats().last_error;
      if (!err.empty()) {
        reportError(file.block, "file_sd_configs[" + std::to_string(file.index) + "]: " + err);
      }
      publish(file.block, file.slot, std::move(groups));
      next_full = Clock::now() + interval;
    }
    if (waitUntil(std::min(next_full, Clock::now() + poll))) return;
  }
}

std::vector<TargetGroup> Manager::groups(size_t block) const {
  std::lock_guard lock(mu_);
  if (block >= blocks_.size() || !blocks_[block].delivered) return {};
  return *blocks_[block].delivered;
}

std::vector<Manager::DiscovererStatus> Manager::status() const {
  std::vector<DiscovererStatus> out;
  for (const Dns& d : dns_) {
    const DnsDiscoverer::Stats s = d.d->stats();
    out.push_back(DiscovererStatus{d.block, "dns_sd_configs[" + std::to_string(d.index) + "]",
                                   s.refreshes, s.failures, s.last_error});
  }
  for (const File& f : files_) {
    const FileDiscoverer::Stats s = f.d->stats();
    out.push_back(DiscovererStatus{f.block, "file_sd_configs[" + std::to_string(f.index) + "]",
                                   s.refreshes, s.read_errors, s.last_error});
  }
  return out;
}

}  // namespace promha::discovery
