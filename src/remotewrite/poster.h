// Poster: the seam between an endpoint's sender lanes and the network. Each lane owns one and
// calls post() from its worker thread only. Tests use the production poster against real
// fault-injecting HTTP servers; the factory is where a test could wrap or count connections.
//
// httpPosterFactory() makes the production implementation: one keep-alive cpp-httplib client with
// TCP_NODELAY, connect/read/write time-outs = remote_timeout, basic or bearer auth, TLS, the
// user's `headers`, and the headers Prometheus's remote-write client sends: Content-Encoding:
// snappy, Content-Type: application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0 and a
// User-Agent (promha/<version>).
// Thread-safety: post() from one thread at a time; cancel() from any thread, concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "notify/target.h"

namespace promha::remotewrite {

struct PostResult {
  int status = 0;           // HTTP status; 0 when there was no response (connect error, time-out)
  std::string error;        // transport error, or the start of a non-2xx response body
  std::string retry_after;  // the Retry-After header of the response, if any
  bool ok() const { return status >= 200 && status < 300; }
};

class Poster {
 public:
  virtual ~Poster() = default;
  // POSTs one snappy-compressed WriteRequest; never throws.
  virtual PostResult post(std::string_view body) = 0;
  // Aborts a post() in flight on another thread (it then returns status 0); used by stop().
  virtual void cancel() {}
};

// What a poster needs: URL, time-out, auth and TLS (in a notify::Target, whose queue fields are
// unused here) and the extra headers.
struct PosterConfig {
  notify::Target http;
  std::map<std::string, std::string> headers;
  bool operator==(const PosterConfig&) const = default;
};

using PosterFactory = std::function<std::unique_ptr<Poster>(const PosterConfig&)>;

// The production factory. A URL that does not parse (validation rejects those) gives a poster
// whose every post() fails with status 400, i.e. permanently.
PosterFactory httpPosterFactory(std::string user_agent);

}  // namespace promha::remotewrite
