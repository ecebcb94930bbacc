// Ui: the web UI of `promha run`, on the routes of http::Handlers:
//   GET  /                  status page (status_page.h), live with JavaScript
//   GET  /relabel           relabel debugger (pages.h)      POST /api/v1/relabel (relabel_api.h)
//   GET  /config            the loaded config, secrets as <secret>
//   GET  /static/NAME       the CSS and JavaScript embedded from src/web/assets/
// It owns the Sampler whose history /api/v1/status carries (annotateStatus), with each
// Alertmanager's state, send rate and p99 latency.
//
//   web::Ui ui({.status_json = ..., .config = ..., .sample = ...});
//   ui.addRoutes(handlers); ui.start(); ...; ui.stop();
//   ui.annotateStatus(status);   // in the /api/v1/status handler
//
// Alertmanager state: "down" after kDownAfterFailures attempts in a row failed, or when the
// watch's cluster probe cannot reach it; "retrying" after fewer failed attempts in a row (the
// sender is backing off); "up" otherwise.
// Thread-safety: addRoutes/start/stop from the owner; handlers and annotateStatus from any thread.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/server.h"
#include "web/sampler.h"

namespace promha::web {

inline constexpr int kDownAfterFailures = 3;

struct UiDeps {
  std::function<std::string()> status_json;  // the /api/v1/status document (annotated)
  std::function<std::shared_ptr<const config::Config>()> config;  // null before the first load
  Sampler::SampleFn sample;
};

class Ui {
 public:
  explicit Ui(UiDeps deps);
  Ui(UiDeps deps, Sampler::Options opts);
  ~Ui();
  Ui(const Ui&) = delete;
  Ui& operator=(const Ui&) = delete;

  void addRoutes(http::Handlers& h);
  void start();
  void stop();  // idempotent

  // Adds "now", "history", and to each of status["alertmanagers"] "state", "stateReason",
  // "sendRate", "errorRate" and "latencyP99Seconds" (null when unknown). Reads
  // "consecutiveFailures" and the watch's cluster probes ("watch.alertmanagerCluster").
  void annotateStatus(nlohmann::ordered_json& status) const;

 private:
  UiDeps deps_;
  Sampler sampler_;
};

}  // namespace promha::web
