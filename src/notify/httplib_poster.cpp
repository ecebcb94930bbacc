// Production HttpPoster over cpp-httplib (Debian 12: 0.11, built with OpenSSL support).
#include "core/labels.h"
#include "notify/http_client.h"
#include "notify/poster.h"

namespace promha::notify {
namespace {

class HttplibPoster final : public HttpPoster, public HttpGetter {
 public:
  HttplibPoster(const Target& t, const UrlParts& url) : http_(t, url) {
    headers_ = {{"User-Agent", "promha"}};
  }

  GetResult get(const std::string& path) override {
    if (auto err = http_.prepare(); !err.empty()) return GetResult{0, {}, err};
    std::string full = http_.url().path;
    while (!full.empty() && full.back() == '/') full.pop_back();
    full += path;
    httplib::Result res = http_.client().Get(full, headers_);
    if (!res) {
      http_.reset();
      return GetResult{0, {}, httplib::to_string(res.error())};
    }
    GetResult out{res->status, std::move(res->body), {}};
    if (out.status < 200 || out.status >= 300) out.error = "HTTP " + std::to_string(out.status);
    return out;
  }

  PostResult post(const std::string& body) override {
    if (auto err = http_.prepare(); !err.empty()) return PostResult{0, err};
    httplib::Result res = http_.client().Post(http_.url().path, headers_, body, "application/json");
    if (!res) {
      http_.reset();
      return PostResult{0, httplib::to_string(res.error())};
    }
    PostResult out{res->status, {}};
    if (!out.ok()) out.error = statusError(*res);
    return out;
  }

  void cancel() override { http_.cancel(); }

 private:
  HttpClient http_;
  httplib::Headers headers_;
};

class InvalidPoster final : public HttpPoster {
 public:
  explicit InvalidPoster(std::string error) : error_(std::move(error)) {}
  PostResult post(const std::string&) override { return PostResult{400, error_}; }

 private:
  std::string error_;
};

}  // namespace

namespace {
// The client, as the interface `I` (HttpPoster or HttpGetter); an error for a bad URL.
template <typename I>
core::Result<std::unique_ptr<I>> makeClient(const Target& target, const char* what) {
  auto url = splitUrl(target.url);
  if (!url) {
    core::Error e;
    e.message = std::string("invalid ") + what + " " + core::quote(target.url);
    return e;
  }
  std::unique_ptr<I> c = std::make_unique<HttplibPoster>(target, *url);
  return c;
}
}  // namespace

core::Result<std::unique_ptr<HttpPoster>> makeHttplibPoster(const Target& target) {
  return makeClient<HttpPoster>(target, "Alertmanager URL");
}

core::Result<std::unique_ptr<HttpGetter>> makeHttplibGetter(const Target& target) {
  return makeClient<HttpGetter>(target, "URL");
}

PosterFactory httplibPosterFactory() {
  return [](const Target& t) -> std::unique_ptr<HttpPoster> {
    auto p = makeHttplibPoster(t);
    if (!p.ok()) return std::make_unique<InvalidPoster>(p.error().message);
    return std::move(p).value();
  };
}

}  // namespace promha::notify
