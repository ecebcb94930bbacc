#include "web/pages.h"

#include <algorithm>

#include "core/yaml.h"
#include "relabel/rule.h"
#include "web/html.h"

namespace promha::web {
namespace {

using ojson = nlohmann::ordered_json;

// JSON inside <script type="application/json">: no "</script>" or "<!--" can appear.
std::string scriptJson(const ojson& j) {
  const std::string s = j.dump(-1, ' ', false, ojson::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string targetsOf(const config::AlertmanagerConfig& am) {
  std::vector<std::string> targets;
  for (const auto& sc : am.static_configs) {
    targets.insert(targets.end(), sc.targets.begin(), sc.targets.end());
  }
  if (targets.empty()) {
    if (!am.dns_sd_configs.empty()) return "DNS discovery";
    if (!am.file_sd_configs.empty()) return "file discovery";
    return "no targets";
  }
  std::string out;
  for (size_t i = 0; i < targets.size() && i < 3; ++i) out += (i ? ", " : "") + targets[i];
  if (targets.size() > 3) out += " +" + std::to_string(targets.size() - 3);
  return out;
}

// As relabel.js's ruleListHtml.
std::string ruleListHtml(size_t i, const std::string& name, const std::string& yaml) {
  const std::string id = "rules-" + std::to_string(i);
  const auto lines = static_cast<size_t>(std::count(yaml.begin(), yaml.end(), '\n'));
  const size_t rows = std::clamp<size_t>(lines + 1, 8, 24);
  return "<div class=\"field rule-list\" data-name=\"" + escape(name) + "\"><label for=\"" + id +
         "\"><code>" + escape(name) + "</code></label><textarea id=\"" + id + "\" name=\"" + id +
         "\" rows=\"" + std::to_string(rows) +
         "\" spellcheck=\"false\" autocomplete=\"off\" aria-describedby=\"" + id + "-error\">" +
         escape(yaml) + "</textarea><div class=\"error\" id=\"" + id + "-error\"></div></div>";
}

}  // namespace

ojson relabelPipelines(const config::Config* cfg) {
  ojson out = ojson::array();
  if (cfg != nullptr) {
    const std::string ext = cfg->global.external_labels.empty()
                                ? std::string()
                                : cfg->global.external_labels.toString();
    const ojson global = {{"name", "alerting.alert_relabel_configs"},
                          {"yaml", relabel::rulesToYaml(cfg->alerting.alert_relabel_configs)}};
    const auto& ams = cfg->alerting.alertmanagers;
    for (size_t i = 0; i < ams.size(); ++i) {
      const std::string path = core::indexPath("alerting.alertmanagers", i);
      out.push_back({{"id", "am-" + std::to_string(i)},
                     {"title", path + " (" + targetsOf(ams[i]) + "): global, then its own rules"},
                     {"externalLabels", ext},
                     {"lists",
                      {global,
                       {{"name", path + ".alert_relabel_configs"},
                        {"yaml", relabel::rulesToYaml(ams[i].alert_relabel_configs)}}}}});
    }
    out.push_back({{"id", "global"},
                   {"title", "alerting.alert_relabel_configs only"},
                   {"externalLabels", ext},
                   {"lists", {global}}});
  }
  out.push_back({{"id", "rules"},
                 {"title", "Rules of your own (as promha relabel --rules)"},
                 {"externalLabels", ""},
                 {"lists", {{{"name", "rules"}, {"yaml", ""}}}}});
  return out;
}

std::string renderRelabelPage(const config::Config* cfg) {
  const ojson pipelines = relabelPipelines(cfg);
  std::string options, lists;
  for (size_t i = 0; i < pipelines.size(); ++i) {
    const auto& p = pipelines[i];
    options += "<option value=\"" + escape(p["id"].get<std::string>()) + "\"" +
               (i == 0 ? " selected" : "") + ">" + escape(p["title"].get<std::string>()) +
               "</option>";
  }
  const auto& first = pipelines[0];
  for (size_t i = 0; i < first["lists"].size(); ++i) {
    const auto& l = first["lists"][i];
    lists += ruleListHtml(i, l["name"].get<std::string>(), l["yaml"].get<std::string>());
  }
  const std::string replica = cfg && cfg->ha ? cfg->ha->replica_label : "replica";
  ojson prefill;
  prefill["pipelines"] = pipelines;
  prefill["replicaLabel"] = replica;
  const Values v{{"pipeline_options", options},
                 {"rule_lists", lists},
                 {"external_labels", escape(first["externalLabels"].get<std::string>())},
                 {"replica_label", escape(replica)},
                 {"prefill", scriptJson(prefill)}};
  return layout(Page::kRelabel, "Relabel debugger", fill(asset("relabel.html"), v), "relabel.js");
}

std::string renderConfigPage(const nlohmann::json& status, const config::Config* cfg) {
  std::string file, reload = "No configuration loaded yet.";
  if (status.is_object() && status.contains("config") && status["config"].is_object()) {
    const auto& c = status["config"];
    file = c.value("file", "");
    if (c.value("lastReloadSuccessful", false)) {
      reload = "Last reload <span class=\"state state-ok\">successful</span> at <time>" +
               escape(c.value("lastReloadSuccessTime", "")) + "</time>.";
    } else {
      reload =
          "Last reload <span class=\"state state-bad\">failed</span>; the configuration "
          "below is still the one running.</p><pre class=\"error-text\">" +
          escape(c.value("lastReloadError", "")) + "</pre><p>";
    }
  }
  const Values v{{"file", escape(file)},
                 {"reload", reload},
                 {"yaml", escape(cfg ? config::toYaml(*cfg) : std::string())}};
  return layout(Page::kConfig, "Configuration", fill(asset("config.html"), v), "");
}

}  // namespace promha::web
