// Result<T> and Error: errors as values for the pure core.
//
// Every fallible function in core, relabel, alert and config returns Result<T>. An Error carries
// a human message plus an optional source position (file, line, col; 1-based, 0 = unknown), and
// formats itself Prometheus-style: "promha.yml:14:7: alertmanagers[1]: 'timeout' must be positive".
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace promha::core {

struct Error {
  Error() = default;
  Error(std::string msg, std::string file_name = {}, int line_no = 0, int col_no = 0)  // NOLINT
      : message(std::move(msg)), file(std::move(file_name)), line(line_no), col(col_no) {}

  std::string message;
  std::string file;
  int line = 0;
  int col = 0;

  // "file:line:col: message", dropping the parts that are unknown.
  std::string str() const {
    std::string out;
    if (!file.empty()) out += file + ":";
    if (line > 0) {
      out += std::to_string(line) + ":";
      if (col > 0) out += std::to_string(col) + ":";
    }
    if (!out.empty()) out += " ";
    return out + message;
  }
  bool operator==(const Error&) const = default;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// For functions with nothing to return.
struct Ok {
  bool operator==(const Ok&) const = default;
};
using Status = Result<Ok>;

}  // namespace promha::core
