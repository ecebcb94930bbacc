#include "http/alerts_handler.h"

#include <prometheus/counter.h>

#include <chrono>

#include "relabel/relabel.h"

namespace promha::http {
namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void inc(prometheus::Counter* c, double v) {
  if (c && v > 0) c->Increment(v);
}

}  // namespace

std::vector<alert::Alert> relabelForSet(const std::vector<relabel::Rule>& rules,
                                        const std::vector<alert::Alert>& alerts, size_t& dropped) {
  std::vector<alert::Alert> out;
  out.reserve(alerts.size());
  relabel::Scratch scratch;
  for (const auto& a : alerts) {
    alert::Alert copy = a;
    if (relabel::process(rules, copy.labels, scratch)) {
      out.push_back(std::move(copy));
    } else {
      ++dropped;
    }
  }
  return out;
}

Response AlertsHandler::handle(alert::ApiVersion v, std::string_view body,
                               std::string_view content_type) {
  const std::shared_ptr<const Pipeline> p = pipeline_.load();
  if (!p) return Response{503, "promha is not ready: no configuration loaded\n", "text/plain"};
  alert::DecodeResult res = alert::decode(v, body, content_type, nowNs(), p->limits);
  inc(counters_.received, static_cast<double>(res.alerts.size() + res.invalid));
  inc(counters_.invalid, static_cast<double>(res.invalid));
  ingestWith(*p, std::move(res.alerts), true);
  return Response{res.status, std::move(res.body), std::move(res.content_type)};
}

void AlertsHandler::ingest(std::vector<alert::Alert> alerts, bool observe) {
  const std::shared_ptr<const Pipeline> p = pipeline_.load();
  if (p) ingestWith(*p, std::move(alerts), observe);
}

void AlertsHandler::ingestWith(const Pipeline& pl, std::vector<alert::Alert> received,
                               bool observe) {
  const Pipeline* p = &pl;
  // Prometheus's notifier: add missing external labels, then the global relabel rules, once.
  size_t dropped = 0;
  std::vector<alert::Alert> alerts;
  alerts.reserve(received.size());
  relabel::Scratch scratch;
  for (auto& a : received) {
    for (const auto& l : p->external_labels) {
      if (!a.labels.has(l.name)) a.labels.set(l.name, l.value);
    }
    if (relabel::process(p->global_rules, a.labels, scratch)) {
      alerts.push_back(std::move(a));
    } else {
      ++dropped;
    }
  }
  if (observe && observer_) observer_(alerts, nowNs());
  // Then each Alertmanager set's own rules (Prometheus 2.51+), and enqueue.
  const size_t sets = p->set_rules.size();
  for (size_t i = 0; i < sets && !alerts.empty(); ++i) {
    if (p->set_rules[i].empty()) {
      sink_.send(i, i + 1 == sets ? std::move(alerts) : alerts);
      continue;
    }
    std::vector<alert::Alert> mine = relabelForSet(p->set_rules[i], alerts, dropped);
    if (!mine.empty()) sink_.send(i, std::move(mine));
  }
  inc(counters_.relabel_dropped, static_cast<double>(dropped));
}

}  // namespace promha::http
