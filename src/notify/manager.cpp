#include "notify/manager.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace promha::notify {

Manager::Manager(PosterFactory poster_factory, const Clock& clock, metrics::Metrics* metrics,
                 uint64_t seed)
    : poster_factory_(std::move(poster_factory)), clock_(clock), metrics_(metrics), seed_(seed) {}

Manager::~Manager() { stop(); }

std::unique_ptr<Sender> Manager::makeSender(const Target& t) {
  metrics::AlertmanagerSeries series;
  if (metrics_ != nullptr) series = metrics_->acquireAlertmanager(t.url);
  const uint64_t seed = seed_ ^ std::hash<std::string>{}(t.url);
  std::vector<std::unique_ptr<HttpPoster>> posters;
  for (size_t i = 0; i < std::max<size_t>(1, t.connections); ++i) {
    posters.push_back(poster_factory_(t));
  }
  return std::make_unique<Sender>(t, std::move(posters), clock_,
                                  std::make_unique<SeededRandom>(seed), series);
}

void Manager::retire(std::vector<std::unique_ptr<Sender>> senders, bool discard) {
  for (auto& s : senders) {
    s->stop();
    if (discard) s->discardQueue();
    const std::string url = s->target().url;
    s.reset();  // before the release: the sender holds pointers to its series
    if (metrics_ != nullptr) metrics_->releaseAlertmanager(url);
  }
}

ApplyResult Manager::apply(const std::vector<std::vector<Target>>& blocks) {
  std::lock_guard<std::mutex> serial(apply_mu_);
  // Build the new map outside the lock: creating senders starts threads but does no I/O.
  std::map<Key, const Target*> wanted;
  for (size_t b = 0; b < blocks.size(); ++b) {
    for (const Target& t : blocks[b]) wanted.emplace(Key{b, t.url}, &t);
  }
  {
    // Senders to be replaced finish their POSTs in flight before their queues are handed over
    // (header comment). They keep serving send() meanwhile. Waiting needs no lock: apply_mu_
    // keeps senders_ as it is.
    std::vector<std::pair<Sender*, std::chrono::steady_clock::time_point>> handing_over;
    const auto now = std::chrono::steady_clock::now();
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (stopped_) return {};
    for (auto& [key, sender] : senders_) {
      auto w = wanted.find(key);
      if (w == wanted.end() || sender->target() == *w->second) continue;
      const auto bound =
          std::min<std::chrono::nanoseconds>(sender->target().timeout, kMaxHandOverWait);
      sender->beginHandOver();
      handing_over.emplace_back(
          sender.get(),
          now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(bound));
    }
    lock.unlock();
    for (auto [sender, deadline] : handing_over) sender->awaitHandOver(deadline);
  }
  ApplyResult result;
  std::map<Key, std::unique_ptr<Sender>> next;
  std::vector<std::unique_ptr<Sender>> removed;
  std::vector<std::pair<Sender*, Sender*>> replaced;  // old -> new, to carry the queue over
  std::vector<std::unique_ptr<Sender>> replaced_old;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    for (auto& [key, sender] : senders_) {
      auto w = wanted.find(key);
      if (w == wanted.end()) {
        removed.push_back(std::move(sender));
        ++result.removed;
      } else if (sender->target() == *w->second) {
        next.emplace(key, std::move(sender));
        ++result.kept;
      } else {
        replaced_old.push_back(std::move(sender));
        ++result.changed;
      }
    }
    for (const auto& [key, target] : wanted) {
      if (next.contains(key)) continue;
      auto s = makeSender(*target);
      for (auto& old : replaced_old) {
        if (old->target().url == key.second) replaced.emplace_back(old.get(), s.get());
      }
      next.emplace(key, std::move(s));
    }
    result.added = wanted.size() - result.kept - result.changed;
    senders_ = std::move(next);
    by_block_.assign(blocks.size(), {});
    for (auto& [key, sender] : senders_) by_block_[key.first].push_back(sender.get());
  }
  if (metrics_ != nullptr) {
    metrics_->alertmanagersDiscovered().Set(static_cast<double>(wanted.size()));
  }
  // Stop replaced senders and hand their queues to their successors (already serving sends, so
  // alerts that arrived meanwhile are newer and the inherited copies coalesce behind them).
  for (auto [old_sender, new_sender] : replaced) {
    old_sender->stop();
    new_sender->adopt(old_sender->takeQueue());
  }
  retire(std::move(replaced_old), /*discard=*/true);
  retire(std::move(removed), /*discard=*/true);
  return result;
}

size_t Manager::send(size_t block, std::vector<alert::Alert> alerts) {
  if (alerts.empty()) return 0;
  const int64_t now = clock_.systemNowNs();
  std::vector<Entry> entries;
  entries.reserve(alerts.size());
  for (alert::Alert& a : alerts) entries.push_back(makeEntry(std::move(a), now));
  return send(block, entries);
}

size_t Manager::send(size_t block, const std::vector<Entry>& entries) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (block >= by_block_.size()) return 0;
  for (Sender* s : by_block_[block]) s->enqueue(entries);
  return by_block_[block].size();
}

std::vector<TargetStatus> Manager::status() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<TargetStatus> out;
  out.reserve(senders_.size());
  for (const auto& [key, sender] : senders_) {
    out.push_back(TargetStatus{key.first, sender->target(), sender->status()});
  }
  return out;
}

size_t Manager::targetCount() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return senders_.size();
}

void Manager::stop(std::chrono::nanoseconds drain_timeout) {
  std::lock_guard<std::mutex> serial(apply_mu_);
  std::vector<std::unique_ptr<Sender>> all;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [key, sender] : senders_) all.push_back(std::move(sender));
    senders_.clear();
    by_block_.clear();
  }
  // Drain in parallel so that shutdown takes drain_timeout at most, not once per target.
  std::vector<std::thread> stoppers;
  stoppers.reserve(all.size());
  for (auto& s : all) {
    Sender* p = s.get();
    stoppers.emplace_back([p, drain_timeout] { p->stop(drain_timeout); });
  }
  for (auto& t : stoppers) t.join();
  retire(std::move(all), /*discard=*/true);
}

}  // namespace promha::notify
