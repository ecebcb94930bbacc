// HTML helpers of the web UI: escaping, `{{name}}` templates, and the layout every page shares
// (navigation, stylesheet, scripts), from the files of src/web/assets/ that the build embeds.
//
//   std::string main = web::fill(web::asset("status.html"), {{"summary", web::escape(s)}});
//   std::string page = web::layout(web::Page::kStatus, "Status", main, "status.js");
//
// Thread-safety: free functions on immutable data.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace promha::web {

// Escapes & < > " ' for text and attribute values.
std::string escape(std::string_view s);

// Replaces each `{{name}}` in `tmpl` by values.at(name), in one pass (inserted values are not
// scanned again). A name without a value is replaced by nothing.
using Values = std::map<std::string, std::string, std::less<>>;
std::string fill(std::string_view tmpl, const Values& values);

// An embedded file's content ("" when there is none of that name).
std::string_view asset(std::string_view name);
// Its URL under /static/, with the content hash as a query so browsers never use a stale copy
// after an upgrade: "/static/style.css?v=0123456789ab".
std::string assetUrl(std::string_view name);
// The files served under /static/ (stylesheets and scripts; not the page templates).
struct StaticFile {
  std::string path;  // "/static/style.css"
  std::string_view content_type;
  std::string_view data;
};
std::map<std::string, StaticFile> staticFiles();

enum class Page { kStatus, kRelabel, kConfig };
// A whole page: `main` (HTML) inside the shared layout, with `script` (an asset name, or empty)
// loaded at the end of the body and `head` (HTML) added to the head.
std::string layout(Page page, std::string_view title, std::string_view main,
                   std::string_view script, std::string_view head = {});

}  // namespace promha::web
