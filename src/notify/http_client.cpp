#include "notify/http_client.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

namespace promha::notify {
namespace {

constexpr size_t kMaxErrorBody = 256;

// Resolves `host` to a numeric address (httplib's address map wants a numeric host).
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

std::string serverNameOf(const Target& t, const UrlParts& url) {
  return t.tls.server_name.empty() || t.tls.server_name == url.host ? std::string()
                                                                    : t.tls.server_name;
}

httplib::Client makeClient(const Target& t, const UrlParts& url, const std::string& server_name) {
  UrlParts connect = url;
  if (!server_name.empty()) connect.host = server_name;
  if (url.scheme == "https" && !t.tls.cert_file.empty()) {
    return httplib::Client(connect.schemeHostPort(), t.tls.cert_file, t.tls.key_file);
  }
  return httplib::Client(connect.schemeHostPort());
}

}  // namespace

HttpClient::HttpClient(const Target& t, const UrlParts& url)
    : url_(url), server_name_(serverNameOf(t, url)), client_(makeClient(t, url, server_name_)) {
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

std::string HttpClient::prepare() {
  if (server_name_.empty() || resolved_) return {};
  const std::string ip = resolveNumeric(url_.host);
  if (ip.empty()) return "cannot resolve " + url_.host;
  client_.set_hostname_addr_map({{server_name_, ip}});
  resolved_ = true;
  return {};
}

std::string statusError(const httplib::Response& res) {
  std::string out = "HTTP " + std::to_string(res.status) + ": " +
                    res.body.substr(0, std::min(res.body.size(), kMaxErrorBody));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace promha::notify
