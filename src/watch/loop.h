// Loop: a thread that calls fn() at once and then every `interval` until stopped; used for the
// watch probes and the HA coordinator's probes.
// Thread-safety: stop() from any thread (idempotent; the destructor calls it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "notify/poster.h"

namespace promha::watch {

class Loop {
 public:
  // Calls fn() at once and then every `interval` until stopped. stop() cancels the HTTP clients
  // in `cancel` (repeatedly, until the thread has exited) so that a probe in flight ends at once.
  Loop(std::chrono::nanoseconds interval, std::function<void()> fn,
       std::vector<notify::HttpGetter*> cancel)
      : interval_(interval), fn_(std::move(fn)), cancel_(std::move(cancel)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Loop() { stop(); }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void stop() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    cv_.notify_all();
    while (!exited_) {
      lock.unlock();
      for (auto* g : cancel_) g->cancel();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return exited_; });
    }
    lock.unlock();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      fn_();
      lock.lock();
      cv_.wait_for(lock, interval_, [&] { return stop_; });
    }
    exited_ = true;
    cv_.notify_all();
  }

  const std::chrono::nanoseconds interval_;
  const std::function<void()> fn_;
  const std::vector<notify::HttpGetter*> cancel_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool exited_ = false;
  std::thread thread_;
};

}  // namespace promha::watch
