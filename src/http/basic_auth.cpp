#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace promha::http {
namespace {

// exporter-toolkit's hash of "fakepassword": unknown users cost a bcrypt too.
constexpr const char* kFakeHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Strict standard base64 with padding, as Go's base64.StdEncoding.
std::optional<std::string> decodeBase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool pad_ok = c == '=' && i + 2 >= in.size() && (i + 1 == in.size() || in[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad_ok) return std::nullopt;
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t len = static_cast<size_t>(n);
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parseBasicAuth(std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() < kPrefix.size() || !equalsIgnoreCase(header.substr(0, 6), kPrefix)) {
    return std::nullopt;
  }
  auto decoded = decodeBase64(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool isBcryptHash(std::string_view h) {
  // $2b$10$ + 22 characters of salt + 31 of digest.
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : h.substr(7)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

BasicAuth::BasicAuth() : data_(std::make_unique<crypt_data>()) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("no random bytes for the basic auth cache key");
  }
}

BasicAuth::~BasicAuth() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(data_.get(), sizeof(crypt_data));
}

std::string BasicAuth::cacheKey(std::string_view user, std::string_view hash,
                                std::string_view password) const {
  // Length-prefixed fields, so that no two (user, hash, password) triples share an input.
  std::string msg;
  for (std::string_view part : {user, hash, password}) {
    const uint64_t n = part.size();
    msg.append(reinterpret_cast<const char*>(&n), sizeof(n));
    msg.append(part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &mac_len);
  OPENSSL_cleanse(msg.data(), msg.size());
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool BasicAuth::verify(const std::string& hash, const std::string& password) {
  std::lock_guard lock(bcrypt_mu_);
  ++bcrypt_calls_;
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data_.get(), sizeof(crypt_data));
  // A password with a NUL byte cannot be a bcrypt password: crypt_rn would see a prefix of it.
  const bool ok = out != nullptr && password.find('\0') == std::string::npos &&
                  std::strlen(out) == hash.size() &&
                  CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data_.get(), sizeof(crypt_data));
  return ok;
}

uint64_t BasicAuth::bcryptCalls() const {
  std::lock_guard lock(bcrypt_mu_);
  return bcrypt_calls_;
}

bool BasicAuth::check(const std::map<std::string, config::Secret>& users,
                      std::string_view authorization) {
  auto creds = parseBasicAuth(authorization);
  if (!creds) return false;
  auto& [user, password] = *creds;
  const auto it = users.find(user);
  const bool known = it != users.end();
  const std::string hash = known ? it->second.reveal() : kFakeHash;
  const std::string key = cacheKey(user, hash, password);
  {
    std::lock_guard lock(cache_mu_);
    if (const auto c = cache_.find(key); c != cache_.end()) {
      OPENSSL_cleanse(password.data(), password.size());
      return known && c->second;
    }
  }
  const bool ok = verify(hash, password) && known;
  OPENSSL_cleanse(password.data(), password.size());
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kCacheSize) cache_.erase(cache_.begin());  // any entry, as exporter-toolkit
  cache_.emplace(key, ok);
  return ok;
}

}  // namespace promha::http
