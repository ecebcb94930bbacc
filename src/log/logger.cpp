#include "log/logger.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "alert/codec.h"

namespace promha::log {
namespace {

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

// logfmt quotes a value when it is empty or has spaces, quotes, '=' or control characters.
void appendLogfmtValue(std::string& out, std::string_view v) {
  bool needs_quote = v.empty();
  for (const char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) needs_quote = true;
  }
  if (!needs_quote) {
    out.append(v);
    return;
  }
  out +=
      nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

core::Result<Logger::Level> Logger::parseLevel(std::string_view s) {
  for (int i = 0; i < 4; ++i) {
    if (kLevelNames[i] == s) return static_cast<Level>(i);
  }
  return core::Error{"invalid log level '" + std::string(s) + "' (want debug, info, warn, error)"};
}

core::Result<Logger::Format> Logger::parseFormat(std::string_view s) {
  if (s == "logfmt") return Format::kLogfmt;
  if (s == "json") return Format::kJson;
  return core::Error{"invalid log format '" + std::string(s) + "' (want logfmt or json)"};
}

void Logger::write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::string ts = alert::formatTime(ns, /*millis_only=*/true);
  const std::string_view lvl = kLevelNames[static_cast<int>(level)];
  std::string line;
  if (format_ == Format::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = lvl;
    j["msg"] = msg;
    for (const auto& [k, v] : fields) j[std::string(k)] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = "ts=" + ts + " level=" + std::string(lvl) + " msg=";
    appendLogfmtValue(line, msg);
    for (const auto& [k, v] : fields) {
      line += ' ';
      line.append(k);
      line += '=';
      appendLogfmtValue(line, v);
    }
  }
  line += '\n';
  std::lock_guard lock(mu_);
  out_ << line << std::flush;
}

}  // namespace promha::log
