#include "web/html.h"

#include "web/web_assets.h"

#ifndef PROMHA_VERSION
#define PROMHA_VERSION "dev"
#endif

namespace promha::web {
namespace {

const Asset* find(std::string_view name) {
  for (const auto& a : assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fill(std::string_view tmpl, const Values& values) {
  std::string out;
  out.reserve(tmpl.size());
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find("{{", pos);
    const size_t close = open == std::string_view::npos ? open : tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(pos, open - pos));
    const std::string_view name = tmpl.substr(open + 2, close - open - 2);
    if (const auto it = values.find(name); it != values.end()) out += it->second;
    pos = close + 2;
  }
  if (pos < tmpl.size()) out.append(tmpl.substr(pos));
  return out;
}

std::string_view asset(std::string_view name) {
  const Asset* a = find(name);
  return a ? a->data : std::string_view();
}

std::string assetUrl(std::string_view name) {
  const Asset* a = find(name);
  return "/static/" + std::string(name) + (a ? "?v=" + std::string(a->hash) : "");
}

std::map<std::string, StaticFile> staticFiles() {
  std::map<std::string, StaticFile> out;
  for (const auto& a : assets()) {
    if (a.name.ends_with(".html")) continue;  // templates, rendered by the pages
    const std::string path = "/static/" + std::string(a.name);
    out[path] = StaticFile{path, a.content_type, a.data};
  }
  return out;
}

std::string layout(Page page, std::string_view title, std::string_view main,
                   std::string_view script, std::string_view head) {
  const auto current = [page](Page p) {
    return std::string(p == page ? " aria-current=\"page\"" : "");
  };
  Values v{{"title", escape(title)},
           {"css", escape(assetUrl("style.css"))},
           {"head", std::string(head)},
           {"current_status", current(Page::kStatus)},
           {"current_relabel", current(Page::kRelabel)},
           {"current_config", current(Page::kConfig)},
           {"main", std::string(main)},
           {"version", escape(PROMHA_VERSION)},
           {"scripts", script.empty()
                           ? std::string()
                           : "<script src=\"" + escape(assetUrl(script)) + "\" defer></script>"}};
  return fill(asset("layout.html"), v);
}

}  // namespace promha::web
