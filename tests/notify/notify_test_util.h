// Test doubles for the notify module: a fake clock, a scriptable fake HttpPoster that records what
// it was sent, and a condition wait with a deadline (never a sleep as synchronisation).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "alert/alert.h"
#include "notify/clock.h"
#include "notify/poster.h"

namespace promha::notify::testing {

inline constexpr int64_t kSecond = 1'000'000'000;
// 2026-01-01T00:00:00Z: a fixed "now" for alert validity.
inline constexpr int64_t kNow = 1'767'225'600 * kSecond;

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ns = kNow) : system_ns_(now_ns) {}
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(system_ns_.load()));
  }
  int64_t systemNowNs() const override { return system_ns_.load(); }
  void advance(int64_t ns) { system_ns_ += ns; }

 private:
  std::atomic<int64_t> system_ns_;
};

// Polls `pred` until it holds or `timeout` passes; returns pred's last value. Conditions are
// checked, not assumed after a fixed pause.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

inline alert::Alert makeAlert(const std::string& name, int64_t ends_at_ns = kNow + 3600 * kSecond,
                              const std::string& summary = "") {
  alert::Alert a;
  a.labels = core::Labels::fromUnsorted({{"alertname", name}, {"severity", "page"}});
  if (!summary.empty()) a.annotations = {{"summary", summary}};
  a.starts_at_ns = kNow - 60 * kSecond;
  a.ends_at_ns = ends_at_ns;
  a.generator_url = "http://prometheus:9090/graph";
  return a;
}

// One alert as the fake poster saw it in a JSON body.
struct Posted {
  std::string alertname;
  std::string summary;
  std::string ends_at;
};

inline std::vector<Posted> parseBody(const std::string& body) {
  std::vector<Posted> out;
  const auto j = nlohmann::json::parse(body);
  for (const auto& a : j) {
    Posted p;
    p.alertname = a.at("labels").value("alertname", "");
    if (a.contains("annotations")) p.summary = a.at("annotations").value("summary", "");
    p.ends_at = a.value("endsAt", "");
    out.push_back(std::move(p));
  }
  return out;
}

// A scriptable HttpPoster: answers from `script` in order, then `fallback`. With hold(), each
// post() waits until release() (or cancel()), so a test can act while a batch is in flight.
class FakePoster final : public HttpPoster {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<PostResult> script;
    PostResult fallback{200, {}};
    std::vector<std::vector<Posted>> posts;  // every body received, parsed
    bool held = false;
    int waiting = 0;   // posts currently blocked by hold()
    int releases = 0;  // posts allowed through while held
    bool cancelled = false;
    std::function<void()> on_post;  // runs at the start of each post (e.g. advance a clock)

    size_t postCount() {
      std::lock_guard<std::mutex> l(mu);
      return posts.size();
    }
    size_t alertCount() {
      std::lock_guard<std::mutex> l(mu);
      size_t n = 0;
      for (const auto& p : posts) n += p.size();
      return n;
    }
    int waitingCount() {
      std::lock_guard<std::mutex> l(mu);
      return waiting;
    }
    void release(int n = 1) {
      std::lock_guard<std::mutex> l(mu);
      releases += n;
      cv.notify_all();
    }
    void unhold() {
      std::lock_guard<std::mutex> l(mu);
      held = false;
      cv.notify_all();
    }
  };

  explicit FakePoster(std::shared_ptr<State> state) : s_(std::move(state)) {}

  PostResult post(const std::string& body) override {
    if (s_->on_post) s_->on_post();
    std::unique_lock<std::mutex> l(s_->mu);
    s_->posts.push_back(parseBody(body));
    if (s_->held) {
      ++s_->waiting;
      s_->cv.wait(l, [&] { return !s_->held || s_->releases > 0 || s_->cancelled; });
      --s_->waiting;
      if (s_->cancelled) {
        s_->cancelled = false;
        return PostResult{0, "Canceled"};
      }
      if (s_->releases > 0) --s_->releases;
    }
    if (!s_->script.empty()) {
      PostResult r = s_->script.front();
      s_->script.pop_front();
      return r;
    }
    return s_->fallback;
  }

  void cancel() override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->waiting > 0) s_->cancelled = true;
    s_->cv.notify_all();
  }

 private:
  std::shared_ptr<State> s_;
};

}  // namespace promha::notify::testing
