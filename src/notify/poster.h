// HttpPoster: the seam between a Sender and the network. A Sender owns one poster and calls
// post() from its single worker thread; tests substitute a fake that injects faults.
//
// makeHttplibPoster() is the production implementation: one keep-alive cpp-httplib client per
// Alertmanager with TCP_NODELAY (Debian's cpp-httplib 0.11 otherwise waits ~40 ms per request on
// delayed ACKs), connect/read/write time-outs = the target's timeout, basic or bearer auth, and TLS
// (ca/cert/key, server_name, insecure_skip_verify).
// Thread-safety: post() from one thread at a time; cancel() from any thread, concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "notify/target.h"

namespace promha::notify {

struct PostResult {
  int status = 0;     // HTTP status; 0 when there was no response (connect error, time-out)
  std::string error;  // transport error, or the start of a non-2xx response body

  bool ok() const { return status >= 200 && status < 300; }
  // Prometheus's notifier retries nothing; promha retries what may succeed later: no response
  // (connection refused or reset, time-out) and 5xx. Every other status (4xx: the Alertmanager
  // rejected the payload) is permanent.
  bool retryable() const { return status == 0 || status >= 500; }
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // POSTs a JSON body to the target URL and returns the outcome; never throws.
  virtual PostResult post(const std::string& body) = 0;
  // Aborts a post() in flight on another thread (it then returns status 0); used by stop().
  virtual void cancel() {}
};

struct GetResult {
  int status = 0;  // 0 when there was no response
  std::string body;
  std::string error;  // transport error, or "HTTP <status>" for a non-2xx answer
  bool ok() const { return status >= 200 && status < 300; }
};

// GETs paths under a base URL with a target's time-out, auth and TLS (the watcher's probes).
// Thread-safety: get() from one thread at a time; cancel() from any thread.
class HttpGetter {
 public:
  virtual ~HttpGetter() = default;
  // `path` is appended to the base URL's path ("/-/healthy" under "http://h:9090/prom").
  virtual GetResult get(const std::string& path) = 0;
  virtual void cancel() {}
};

using PosterFactory = std::function<std::unique_ptr<HttpPoster>(const Target&)>;

// Errors when the URL is not http(s)://host[:port]/path.
core::Result<std::unique_ptr<HttpPoster>> makeHttplibPoster(const Target& target);

// target.url is the base URL (scheme://host[:port][/prefix]).
core::Result<std::unique_ptr<HttpGetter>> makeHttplibGetter(const Target& target);

// A PosterFactory over makeHttplibPoster. For a target whose URL does not parse (config
// validation rejects those) it returns a poster whose every post() fails permanently.
PosterFactory httplibPosterFactory();

}  // namespace promha::notify
