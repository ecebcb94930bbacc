// HttpClient: a keep-alive cpp-httplib client (Debian 12: 0.11, with OpenSSL) set up from a
// Target: time-outs, basic auth or bearer token, TLS (CA, client certificate,
// insecure_skip_verify) and tls_config.server_name. Shared by the Alertmanager poster, the watch
// getters and the remote-write poster.
//
//   HttpClient c(target, url);
//   if (auto err = c.prepare(); !err.empty()) ...;   // before each request
//   httplib::Result r = c.client().Post(...);
//   if (!r) c.reset();                               // resolve server_name again next time
//
// Thread-safety: one request at a time; cancel() may be called from any thread.
#pragma once

#include <httplib.h>

#include <string>

#include "notify/target.h"

namespace promha::notify {

class HttpClient {
 public:
  HttpClient(const Target& t, const UrlParts& url);

  httplib::Client& client() { return client_; }
  const UrlParts& url() const { return url_; }

  // With tls_config.server_name the client talks to server_name (SNI, certificate check, Host)
  // while its address map points it at the URL's host, resolved here. Returns an error message,
  // empty when ready.
  std::string prepare();
  // After a transport error: resolve the host again before the next request.
  void reset() { resolved_ = false; }
  // Aborts a request in flight.
  void cancel() { client_.stop(); }

 private:
  UrlParts url_;
  std::string server_name_;
  bool resolved_ = false;
  httplib::Client client_;
};

// "HTTP <status>: <start of the body>", for a non-2xx answer.
std::string statusError(const httplib::Response& res);

}  // namespace promha::notify
