#include "web/ui.h"

#include "alert/codec.h"
#include "web/html.h"
#include "web/pages.h"
#include "web/relabel_api.h"
#include "web/status_page.h"

namespace promha::web {
namespace {

using ojson = nlohmann::ordered_json;

http::Response html(std::string body) { return {200, std::move(body), "text/html; charset=utf-8"}; }

ojson orNull(const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); }

}  // namespace

Ui::Ui(UiDeps deps) : Ui(std::move(deps), Sampler::Options{}) {}

Ui::Ui(UiDeps deps, Sampler::Options opts) : deps_(std::move(deps)), sampler_(opts, deps_.sample) {}

Ui::~Ui() { stop(); }

void Ui::start() { sampler_.start(); }

void Ui::stop() { sampler_.stop(); }

void Ui::addRoutes(http::Handlers& h) {
  h.status_html = [this] {
    return renderStatusPage(nlohmann::ordered_json::parse(deps_.status_json(), nullptr, false));
  };
  h.gets["/relabel"] = [this] {
    const auto cfg = deps_.config();
    return html(renderRelabelPage(cfg.get()));
  };
  h.gets["/config"] = [this] {
    const auto cfg = deps_.config();
    return html(
        renderConfigPage(nlohmann::json::parse(deps_.status_json(), nullptr, false), cfg.get()));
  };
  for (const auto& entry : staticFiles()) {
    const StaticFile file = entry.second;  // clang 14 cannot capture a structured binding
    h.gets[entry.first] = [file] {
      return http::Response{200, std::string(file.data), std::string(file.content_type)};
    };
  }
  h.posts["/api/v1/relabel"] = [this](const http::Request& req) {
    const auto cfg = deps_.config();
    RelabelDefaults d;
    if (cfg) d.scheme = cfg->global.metric_name_validation_scheme;
    return handleRelabel(req.body, d);
  };
}

void Ui::annotateStatus(ojson& status) const {
  status["now"] = alert::formatTime(sampler_.nowNs());
  // The watch's probe of each Alertmanager's /api/v2/status, by URL.
  std::map<std::string, std::string> unreachable;  // url -> probe error
  if (status.contains("watch")) {
    const auto& cluster = status["watch"].value("alertmanagerCluster", ojson::object());
    for (const auto& a : cluster.value("alertmanagers", ojson::array())) {
      if (a.is_object() && !a.value("reachable", true)) {
        unreachable[a.value("url", "")] = a.value("lastError", "");
      }
    }
  }
  if (status.contains("alertmanagers") && status["alertmanagers"].is_array()) {
    for (auto& a : status["alertmanagers"]) {
      const std::string url = a.value("url", "");
      const int failures = a.value("consecutiveFailures", 0);
      std::string state = "up", reason;
      const auto probe = unreachable.find(url);
      if (failures >= kDownAfterFailures) {
        state = "down";
        reason = std::to_string(failures) + " attempts in a row failed";
      } else if (probe != unreachable.end()) {
        state = "down";
        reason = "unreachable" + (probe->second.empty() ? "" : ": " + probe->second);
      } else if (failures > 0) {
        state = "retrying";
        reason = std::to_string(failures) + (failures == 1 ? " attempt" : " attempts") +
                 " failed, backing off";
      }
      a["state"] = state;
      a["stateReason"] = reason;
      const History::Summary s = sampler_.summary(url);
      a["sendRate"] = orNull(s.send_rate);
      a["errorRate"] = orNull(s.error_rate);
      a["latencyP99Seconds"] = orNull(s.latency_p99);
    }
  }
  status["history"] = sampler_.historyJson();
}

}  // namespace promha::web
