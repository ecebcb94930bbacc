// Production HttpPoster over cpp-httplib (Debian 12: 0.11, built with OpenSSL support).
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "core/labels.h"
#include "notify/poster.h"

namespace promha::notify {
namespace {

constexpr size_t kMaxErrorBody = 256;

// Resolves `host` to a numeric address string (httplib's address map wants a numeric host).
std::string resolveNumeric(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return {};
  char buf[NI_MAXHOST];
  std::string out;
  if (getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) ==
      0) {
    out = buf;
  }
  freeaddrinfo(res);
  return out;
}

class HttplibPoster final : public HttpPoster, public HttpGetter {
 public:
  HttplibPoster(const Target& t, const UrlParts& url)
      : url_(url),
        server_name_(t.tls.server_name.empty() || t.tls.server_name == url.host
                         ? std::string()
                         : t.tls.server_name),
        client_(makeClient(t, url, server_name_)) {
    headers_ = {{"User-Agent", "promha"}};
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
    client_.set_connection_timeout(t.timeout);
    client_.set_read_timeout(t.timeout);
    client_.set_write_timeout(t.timeout);
    if (t.basic_auth) client_.set_basic_auth(t.basic_auth->username, t.basic_auth->password);
    if (t.bearer_token) client_.set_bearer_token_auth(*t.bearer_token);
    if (url.scheme == "https") {
      if (!t.tls.ca_file.empty()) client_.set_ca_cert_path(t.tls.ca_file);
      client_.enable_server_certificate_verification(!t.tls.insecure_skip_verify);
    }
  }

  // The client connects to `server_name` (httplib uses its host for SNI, certificate
  // verification and the Host header) while the address map points it at the URL's host.
  bool resolveServerName() {
    if (server_name_.empty() || resolved_) return true;
    const std::string ip = resolveNumeric(url_.host);
    if (ip.empty()) return false;
    client_.set_hostname_addr_map({{server_name_, ip}});
    resolved_ = true;
    return true;
  }

  GetResult get(const std::string& path) override {
    if (!resolveServerName()) return GetResult{0, {}, "cannot resolve " + url_.host};
    std::string full = url_.path;
    while (!full.empty() && full.back() == '/') full.pop_back();
    full += path;
    httplib::Result res = client_.Get(full, headers_);
    if (!res) {
      resolved_ = false;
      return GetResult{0, {}, httplib::to_string(res.error())};
    }
    GetResult out{res->status, std::move(res->body), {}};
    if (out.status < 200 || out.status >= 300) out.error = "HTTP " + std::to_string(out.status);
    return out;
  }

  PostResult post(const std::string& body) override {
    if (!resolveServerName()) return PostResult{0, "cannot resolve " + url_.host};
    httplib::Result res = client_.Post(url_.path, headers_, body, "application/json");
    if (!res) {
      resolved_ = false;
      return PostResult{0, httplib::to_string(res.error())};
    }
    PostResult out{res->status, {}};
    if (!out.ok()) {
      out.error = "HTTP " + std::to_string(res->status) + ": " +
                  res->body.substr(0, std::min(res->body.size(), kMaxErrorBody));
      while (!out.error.empty() && (out.error.back() == '\n' || out.error.back() == ' ')) {
        out.error.pop_back();
      }
    }
    return out;
  }

  void cancel() override { client_.stop(); }

 private:
  static httplib::Client makeClient(const Target& t, const UrlParts& url,
                                    const std::string& server_name) {
    UrlParts connect = url;
    if (!server_name.empty()) connect.host = server_name;
    if (url.scheme == "https" && !t.tls.cert_file.empty()) {
      return httplib::Client(connect.schemeHostPort(), t.tls.cert_file, t.tls.key_file);
    }
    return httplib::Client(connect.schemeHostPort());
  }

  UrlParts url_;
  std::string server_name_;
  bool resolved_ = false;
  httplib::Headers headers_;
  httplib::Client client_;
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
