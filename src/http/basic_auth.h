// BasicAuth: HTTP basic authentication against the bcrypt hashes of a web config's
// basic_auth_users, as exporter-toolkit's webHandler does it.
//
//   BasicAuth auth;
//   if (!auth.check(cfg.users, req.get_header_value("Authorization"))) { 401 + WWW-Authenticate }
//
// bcrypt is slow by design (about 50-100 ms at cost 10), and Prometheus sends its alerts every
// few seconds with the same credentials, so results are cached, success and failure alike as
// exporter-toolkit does, keyed by an HMAC-SHA256 (per-process random key) of user, stored hash
// and password: neither the password nor a fast unsalted hash of it is kept in memory, and a
// changed hash in the web config misses the cache. An unknown user is checked against a fixed
// hash so that the answer takes as long as for a known one (no user enumeration by timing). The
// bcrypt itself is libxcrypt's crypt_rn ($2a$, $2b$, $2y$), one at a time.
// Thread-safety: check() may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "config/config.h"

struct crypt_data;

namespace promha::http {

// "Basic base64(user:password)" -> (user, password), like Go's Request.BasicAuth.
std::optional<std::pair<std::string, std::string>> parseBasicAuth(std::string_view header);

// Whether `hash` looks like a bcrypt hash that crypt_rn can check: $2a$, $2b$ or $2y$, a cost of
// 04 to 31 and 53 characters of salt and digest.
bool isBcryptHash(std::string_view hash);

class BasicAuth {
 public:
  static constexpr size_t kCacheSize = 1024;

  BasicAuth();
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // True when the Authorization header value names one of `users` with its password.
  bool check(const std::map<std::string, config::Secret>& users, std::string_view authorization);

  // bcrypt verification, uncached (constant-time comparison of the result).
  bool verify(const std::string& hash, const std::string& password);

  uint64_t bcryptCalls() const;  // for tests and the benchmark

 private:
  std::string cacheKey(std::string_view user, std::string_view hash,
                       std::string_view password) const;

  std::array<unsigned char, 32> key_{};

  mutable std::mutex cache_mu_;
  std::unordered_map<std::string, bool> cache_;  // guarded by cache_mu_

  mutable std::mutex bcrypt_mu_;  // one bcrypt at a time: it is CPU-bound by design
  std::unique_ptr<crypt_data> data_;
  uint64_t bcrypt_calls_ = 0;  // guarded by bcrypt_mu_
};

}  // namespace promha::http
