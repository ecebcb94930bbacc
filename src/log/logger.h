// Logger: leveled, structured logs in logfmt (default) or JSON, like Prometheus's go-kit/slog
// output: `ts=2026-11-28T05:01:41.243Z level=info msg="..." key=value`.
//
//   Logger log(std::cerr, Logger::parseLevel("info").value(), Logger::Format::kLogfmt);
//   log.info("Loaded config", {{"file", path}, {"alertmanagers", "3"}});
//
// Thread-safety: all methods may be called from any thread; each line is written atomically.
#pragma once

#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace promha::log {

using Field = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
  enum class Format { kLogfmt, kJson };

  Logger(std::ostream& out, Level level, Format format)
      : out_(out), level_(level), format_(format) {}

  static core::Result<Level> parseLevel(std::string_view s);
  static core::Result<Format> parseFormat(std::string_view s);

  void debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
    write(Level::kDebug, msg, fields);
  }
  void info(std::string_view msg, std::initializer_list<Field> fields = {}) {
    write(Level::kInfo, msg, fields);
  }
  void warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
    write(Level::kWarn, msg, fields);
  }
  void error(std::string_view msg, std::initializer_list<Field> fields = {}) {
    write(Level::kError, msg, fields);
  }
  bool enabled(Level l) const { return l >= level_; }
  void write(Level level, std::string_view msg, std::initializer_list<Field> fields);

 private:
  std::ostream& out_;
  Level level_;
  Format format_;
  std::mutex mu_;
};

}  // namespace promha::log
