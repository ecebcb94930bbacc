// Test helper: the body of a captured HTTP response under ../shared/fixtures/alertmanager-0.25.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace promha::watch::testing {

inline std::string fixtureBody(const std::string& rel) {
  std::ifstream in(std::string(PROMHA_SHARED_DIR) + "/fixtures/alertmanager-0.25/" + rel);
  REQUIRE_MESSAGE(in, rel);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  const size_t crlf = s.find("\r\n\r\n");
  return crlf != std::string::npos ? s.substr(crlf + 4) : s.substr(s.find("\n\n") + 2);
}

}  // namespace promha::watch::testing
