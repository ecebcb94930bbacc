// Production Poster over cpp-httplib (Debian 12: 0.11, with OpenSSL).
#include <algorithm>

#include "core/labels.h"
#include "notify/http_client.h"
#include "remotewrite/poster.h"

namespace promha::remotewrite {
namespace {

class HttpPoster final : public Poster {
 public:
  HttpPoster(const PosterConfig& cfg, const notify::UrlParts& url, const std::string& user_agent)
      : http_(cfg.http, url) {
    headers_ = {{"Content-Encoding", "snappy"},
                {"User-Agent", user_agent},
                {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
    for (const auto& [k, v] : cfg.headers) headers_.emplace(k, v);
    // Responses are tiny; do not ask for (or pay for) compressed ones.
    http_.client().set_decompress(false);
  }

  PostResult post(std::string_view body) override {
    if (auto err = http_.prepare(); !err.empty()) return PostResult{0, err, {}};
    // A content provider writes the body straight from the batch's buffer (the plain overload
    // would copy it into the request first).
    const char* data = body.data();
    const size_t size = body.size();
    httplib::Result res = http_.client().Post(
        http_.url().path, headers_, size,
        [data, size](size_t offset, size_t length, httplib::DataSink& sink) {
          return sink.write(data + offset, std::min(length, size - offset));
        },
        "application/x-protobuf");
    if (!res) {
      http_.reset();
      return PostResult{0, httplib::to_string(res.error()), {}};
    }
    PostResult out{res->status, {}, res->get_header_value("Retry-After")};
    if (!out.ok()) out.error = notify::statusError(*res);
    return out;
  }

  void cancel() override { http_.cancel(); }

 private:
  notify::HttpClient http_;
  httplib::Headers headers_;
};

class InvalidPoster final : public Poster {
 public:
  explicit InvalidPoster(std::string error) : error_(std::move(error)) {}
  PostResult post(std::string_view) override { return PostResult{400, error_, {}}; }

 private:
  std::string error_;
};

}  // namespace

PosterFactory httpPosterFactory(std::string user_agent) {
  return [user_agent](const PosterConfig& cfg) -> std::unique_ptr<Poster> {
    auto url = notify::splitUrl(cfg.http.url);
    if (!url) {
      return std::make_unique<InvalidPoster>("invalid remote write URL " +
                                             core::quote(cfg.http.url));
    }
    return std::make_unique<HttpPoster>(cfg, *url, user_agent);
  };
}

}  // namespace promha::remotewrite
