// Alertmanager API codec: parity with the captured Alertmanager 0.25 answers, decoding of the
// captured Prometheus 2.42 bodies, encoding, escaping, fingerprints, times, bounds and garbage.
#include "alert/codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using promha::alert::Alert;
using promha::alert::ApiVersion;
using promha::alert::decode;
using promha::alert::DecodeLimits;
using promha::alert::DecodeResult;
using promha::alert::encode;
using promha::alert::fingerprint;
using promha::alert::formatTime;
using promha::alert::parseTime;
using promha::core::Label;
using promha::core::Labels;

namespace {

// Fixtures are copied under tests/data so CI does not depend on ../shared.
const fs::path kFixtures = fs::path(PROMHA_SOURCE_DIR) / "tests" / "data" / "fixtures";

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct HttpMessage {
  std::string first_line;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

HttpMessage parseHttp(const std::string& text) {
  HttpMessage m;
  const size_t end = text.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  m.body = text.substr(end + 4);
  std::istringstream head(text.substr(0, end));
  std::string line;
  std::getline(head, line);
  m.first_line = line.substr(0, line.find('\r'));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    m.headers[name] = line.substr(colon + 2);
  }
  return m;
}

int64_t ns(const char* rfc3339) {
  int64_t v = 0;
  REQUIRE_MESSAGE(parseTime(rfc3339, v), rfc3339);
  return v;
}

// The Date of the captured responses: what "now" was for Alertmanager.
const int64_t kCaptureNow = 1795842211LL * 1000000000LL;  // 2026-11-28T05:03:31Z

std::vector<std::string> alertnames(const std::vector<Alert>& alerts) {
  std::vector<std::string> out;
  for (const Alert& a : alerts) out.emplace_back(a.labels.get("alertname"));
  std::sort(out.begin(), out.end());
  return out;
}

DecodeResult v2(std::string_view body, std::string_view ct = "application/json",
                const DecodeLimits& limits = {}) {
  return decode(ApiVersion::kV2, body, ct, kCaptureNow, limits);
}
DecodeResult v1(std::string_view body, const DecodeLimits& limits = {}) {
  return decode(ApiVersion::kV1, body, "application/json", kCaptureNow, limits);
}

std::string v2Parse(const std::string& reason) {
  nlohmann::ordered_json j = {
      {"code", 400}, {"message", "parsing alerts body from \"\" failed, because " + reason}};
  return j.dump();
}

}  // namespace

TEST_CASE("every captured Alertmanager 0.25 POST answer is reproduced") {
  const fs::path dir = kFixtures / "alertmanager-0.25" / "single";
  const auto stored_json = nlohmann::json::parse(readFile(dir / "stored-alertnames.json"));
  std::multiset<std::string> stored;
  for (const auto& n : stored_json["stored_alertnames_v2"]) stored.insert(n.get<std::string>());

  std::vector<fs::path> requests;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".request.txt") &&
        (name.starts_with("v1-post") || name.starts_with("v2-post"))) {
      requests.push_back(e.path());
    }
  }
  std::sort(requests.begin(), requests.end());
  CHECK(requests.size() == 29);  // 23 v2 + 6 v1 POSTs in index.tsv

  for (const fs::path& req_path : requests) {
    const std::string stem = req_path.filename().string().substr(
        0, req_path.filename().string().size() - std::string(".request.txt").size());
    SUBCASE(stem.c_str()) {
      const HttpMessage req = parseHttp(readFile(req_path));
      const HttpMessage resp = parseHttp(readFile(dir / (stem + ".response.txt")));
      const ApiVersion v =
          req.first_line.find("/api/v2/") != std::string::npos ? ApiVersion::kV2 : ApiVersion::kV1;
      const std::string ct =
          req.headers.count("content-type") ? req.headers.at("content-type") : "";
      const DecodeResult r = decode(v, req.body, ct, kCaptureNow);

      const int want_status = std::stoi(resp.first_line.substr(9, 3));
      CHECK(r.status == want_status);
      CHECK(r.body == resp.body);  // exact: none of these messages carries a Go offset
      const std::string want_ct =
          resp.headers.count("content-type") ? resp.headers.at("content-type") : "";
      CHECK(r.content_type == want_ct);

      // Which alerts were accepted: those of this request whose alertname Alertmanager stored.
      std::vector<std::string> want_names;
      const auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (!j.is_discarded() && j.is_array()) {
        for (const auto& a : j) {
          if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object()) continue;
          const auto& l = a["labels"];
          if (!l.contains("alertname") || !l["alertname"].is_string()) continue;
          const std::string n = l["alertname"].get<std::string>();
          if (stored.count(n)) want_names.push_back(n);
        }
      }
      std::sort(want_names.begin(), want_names.end());
      CHECK(alertnames(r.alerts) == want_names);
      if (r.status == 200) CHECK(r.invalid == 0);
    }
  }
}

TEST_CASE("partial 400s count the invalid alerts and keep the valid ones") {
  const fs::path dir = kFixtures / "alertmanager-0.25" / "single";
  const HttpMessage two = parseHttp(readFile(dir / "v2-post-two-invalid.request.txt"));
  const DecodeResult r = v2(two.body);
  CHECK(r.status == 400);
  CHECK(r.invalid == 2);
  CHECK(r.alerts.empty());

  const HttpMessage mixed =
      parseHttp(readFile(dir / "v2-post-mixed-endsAt-before-startsAt.request.txt"));
  const DecodeResult m = v2(mixed.body);
  CHECK(m.invalid == 1);
  REQUIRE(m.alerts.size() == 2);
  CHECK(m.alerts[0].labels.get("alertname") == "FxMixedValid03A");
  CHECK(m.alerts[1].labels.get("alertname") == "FxMixedValid03B");
}

TEST_CASE("missing times stay 0 for Alertmanager to fill") {
  const fs::path dir = kFixtures / "alertmanager-0.25" / "single";
  const DecodeResult r =
      v2(parseHttp(readFile(dir / "v2-post-mixed-missing-startsAt-and-endsAt.request.txt")).body);
  REQUIRE(r.alerts.size() == 3);
  CHECK(r.alerts[1].labels.get("alertname") == "FxNoTimes");
  CHECK(r.alerts[1].starts_at_ns == 0);
  CHECK(r.alerts[1].ends_at_ns == 0);
  const DecodeResult s =
      v2(parseHttp(readFile(dir / "v2-post-mixed-missing-startsAt.request.txt")).body);
  REQUIRE(s.alerts.size() == 3);
  CHECK(s.alerts[1].starts_at_ns == 0);
  CHECK(s.alerts[1].ends_at_ns == ns("2026-11-28T05:13:31.239Z"));
}

TEST_CASE("captured Prometheus 2.42 bodies decode field by field and re-encode byte for byte") {
  const fs::path dir = kFixtures / "prometheus-2.42";
  const struct {
    const char* name;
    size_t count;
  } files[] = {
      {"firing", 1}, {"batch", 4}, {"resolved", 1}, {"resend-firing", 1}, {"resend-batch", 3}};
  for (const auto& f : files) {
    for (const ApiVersion v : {ApiVersion::kV2, ApiVersion::kV1}) {
      const std::string file =
          std::string("alerts-") + (v == ApiVersion::kV2 ? "v2-" : "v1-") + f.name + ".json";
      SUBCASE(file.c_str()) {
        const std::string body = readFile(dir / file);
        const HttpMessage headers = parseHttp(
            readFile(dir / (file.substr(0, file.size() - 5) + ".headers.txt")) + "\r\n\r\n");
        CHECK(headers.headers.at("content-type") == "application/json");
        const DecodeResult r = decode(v, body, headers.headers.at("content-type"), kCaptureNow);
        CHECK(r.status == 200);
        CHECK(r.invalid == 0);
        REQUIRE(r.alerts.size() == f.count);

        // Every field against an independent parse (nlohmann) of the same body.
        const auto j = nlohmann::json::parse(body);
        for (size_t i = 0; i < f.count; ++i) {
          const Alert& a = r.alerts[i];
          const auto& ja = j[i];
          CHECK(a.labels.size() == ja["labels"].size());
          for (const auto& [k, val] : ja["labels"].items())
            CHECK(a.labels.get(k) == val.get<std::string>());
          CHECK(a.annotations.size() == ja["annotations"].size());
          for (const Label& l : a.annotations)
            CHECK(ja["annotations"][l.name].get<std::string>() == l.value);
          CHECK(a.generator_url == ja["generatorURL"].get<std::string>());
          CHECK(a.starts_at_ns == ns(ja["startsAt"].get<std::string>().c_str()));
          CHECK(a.ends_at_ns == ns(ja["endsAt"].get<std::string>().c_str()));
          CHECK(a.labels.get("cluster") == "demo");
          CHECK_FALSE(a.labels.has("replica"));
        }
        std::vector<const Alert*> ptrs;
        for (const Alert& a : r.alerts) ptrs.push_back(&a);
        CHECK(encode(v, ptrs) == body);
      }
    }
  }
}

TEST_CASE("the firing alert's exact values") {
  const DecodeResult r = v2(readFile(kFixtures / "prometheus-2.42" / "alerts-v2-firing.json"));
  REQUIRE(r.alerts.size() == 1);
  const Alert& a = r.alerts[0];
  CHECK(
      a.labels.toString() ==
      R"({alertname="FixtureFiring", cluster="demo", instance="db-1:9100", severity="page", team="sre-ünïcödé"})");
  REQUIRE(a.annotations.size() == 3);
  CHECK(a.annotations[0].name == "description");
  CHECK(a.annotations[0].value ==
        "Line one: instance=db-1:9100\nLine two: cluster=demo "
        "url=http://127.0.0.1:29090\n\"quoted\" & "
        "<html> \\ backslash\ttab");
  CHECK(a.annotations[1] == Label{"runbook_url", "https://runbooks.example/FixtureFiring"});
  CHECK(a.annotations[2] == Label{"summary", "Température élevée ✓ — 日本語 value=42.5"});
  CHECK(a.starts_at_ns == 1795842101243000000LL);
  CHECK(a.ends_at_ns == 1795842341243000000LL);
  CHECK(a.generator_url.ends_with("%29&g0.tab=1"));
  const DecodeResult r1 = v1(readFile(kFixtures / "prometheus-2.42" / "alerts-v1-firing.json"));
  REQUIRE(r1.alerts.size() == 1);
  CHECK(r1.alerts[0].starts_at_ns == 1795842101243166236LL);
  CHECK(r1.alerts[0].labels == a.labels);
  CHECK(r1.alerts[0].annotations == a.annotations);
}

TEST_CASE("fingerprints match the ones Alertmanager 0.25 reported") {
  const HttpMessage resp = parseHttp(
      readFile(kFixtures / "alertmanager-0.25" / "single" / "v2-get-alerts-after.response.txt"));
  const auto j = nlohmann::json::parse(resp.body);
  REQUIRE(j.size() >= 20);
  for (const auto& a : j) {
    std::vector<Label> ls;
    for (const auto& [k, v] : a["labels"].items()) ls.push_back({k, v.get<std::string>()});
    const std::string want = a["fingerprint"].get<std::string>();
    SUBCASE(want.c_str()) {
      char buf[17];
      snprintf(buf, sizeof buf, "%016llx",
               static_cast<unsigned long long>(fingerprint(Labels::fromUnsorted(ls))));
      CHECK(std::string(buf) == want);
    }
  }
  CHECK(fingerprint(Labels{}) == 14695981039346656037ULL);  // emptyLabelSignature
}

TEST_CASE("v2 decode errors") {
  const struct Row {
    const char* name;
    std::string body;
    const char* ct;
    int status;
    std::string want;
  } rows[] = {
      {"garbage char", "[x]", "application/json", 400,
       v2Parse("invalid character 'x' looking for beginning of value at byte offset 1")},
      {"missing colon", R"([{"labels" 1}])", "application/json", 400,
       v2Parse("invalid character '1' after object key at byte offset 11")},
      {"missing comma", R"([{"labels":{} "a":1}])", "application/json", 400,
       v2Parse("invalid character '\"' after object key:value pair at byte offset 14")},
      {"bad key", R"([{1:2}])", "application/json", 400,
       v2Parse(
           "invalid character '1' looking for beginning of object key string at byte offset 2")},
      {"after element", "[{} {}]", "application/json", 400,
       v2Parse("invalid character '{' after array element at byte offset 4")},
      {"bad escape", R"([{"a\q":1}])", "application/json", 400,
       v2Parse("invalid character 'q' in string escape code at byte offset 5")},
      {"bad hex", R"([{"\u12x4":1}])", "application/json", 400,
       v2Parse("invalid character 'x' in \\u hexadecimal character escape at byte offset 7")},
      {"control char", "[\"a\nb\"]", "application/json", 400,
       v2Parse("invalid character '\\n' in string literal at byte offset 3")},
      {"bad literal", "[nul]", "application/json", 400,
       v2Parse("invalid character ']' in literal null (expecting 'l') at byte offset 4")},
      {"bad number", "[-x]", "application/json", 400,
       v2Parse("invalid character 'x' in numeric literal at byte offset 2")},
      {"bad fraction", "[1.e]", "application/json", 400,
       v2Parse("invalid character 'e' after decimal point in numeric literal at byte offset 3")},
      {"bad exponent", "[1e+]", "application/json", 400,
       v2Parse("invalid character ']' in exponent of numeric literal at byte offset 4")},
      {"leading zero", "[01]", "application/json", 400,
       v2Parse("invalid character '1' after array element at byte offset 2")},
      {"truncated", R"([{"labels":{"a":"b)", "application/json", 400, v2Parse("unexpected EOF")},
      {"number top", "5", "application/json", 400,
       v2Parse("json: cannot unmarshal number into Go value of type models.PostableAlerts")},
      {"string element", R"(["x"])", "application/json", 400,
       v2Parse("json: cannot unmarshal string into Go value of type struct { Annotations "
               "models.LabelSet "
               "\"json:\\\"annotations,omitempty\\\"\"; EndsAt strfmt.DateTime "
               "\"json:\\\"endsAt,omitempty\\\"\"; "
               "StartsAt strfmt.DateTime \"json:\\\"startsAt,omitempty\\\"\" }")},
      {"labels not a map", R"([{"labels":"x"}])", "application/json", 400,
       v2Parse("json: cannot unmarshal string into Go struct field Alert.labels of type "
               "models.LabelSet")},
      {"annotation value", R"([{"labels":{"a":"b"},"annotations":{"x":[]}}])", "application/json",
       400,
       v2Parse("json: cannot unmarshal array into Go struct field .annotations of type string")},
      {"time beats earlier type error", R"([{"labels":5,"startsAt":"no"}])", "application/json",
       400,
       v2Parse("parsing time \"no\" as \"2006-01-02 15:04:05\": cannot parse \"no\" as \"2006\"")},
      {"numeric startsAt", R"([{"labels":{"a":"b"},"startsAt":1}])", "application/json", 400,
       v2Parse("json: cannot unmarshal number into Go value of type string")},
      {"month range", R"([{"labels":{"a":"b"},"startsAt":"2026-13-01 00:00:00"}])",
       "application/json", 400,
       v2Parse("parsing time \"2026-13-01 00:00:00\": month out of range")},
      {"day range", R"([{"labels":{"a":"b"},"startsAt":"2026-02-30 00:00:00"}])",
       "application/json", 400, v2Parse("parsing time \"2026-02-30 00:00:00\": day out of range")},
      {"extra text", R"([{"labels":{"a":"b"},"startsAt":"2026-02-03 00:00:00x"}])",
       "application/json", 400,
       v2Parse("parsing time \"2026-02-03 00:00:00x\": extra text: \"x\"")},
      {"labels null is required", R"([{"labels":null}])", "application/json", 422,
       R"({"code":602,"message":"0.labels in body is required"})"},
      {"url before labels", R"([{"generatorURL":"/a b%zz"}])", "application/json", 422,
       R"({"code":601,"message":"0.generatorURL in body must be of type uri: \"/a b%zz\""})"},
      {"relative url", R"([{"labels":{"a":"b"},"generatorURL":"graph?x"}])", "application/json",
       422, R"({"code":601,"message":"0.generatorURL in body must be of type uri: \"graph?x\""})"},
      {"bad port", R"([{"labels":{"a":"b"},"generatorURL":"http://h:x/"}])", "application/json",
       422,
       R"({"code":601,"message":"0.generatorURL in body must be of type uri: \"http://h:x/\""})"},
      {"whitespace body", " \n", "application/json", 422,
       R"({"code":602,"message":"alerts in body is required"})"},
      {"whitespace is a body for the type check", " ", "text/plain", 415,
       R"({"code":415,"message":"unsupported media type \"text/plain\", only [application/json] are allowed"})"},
      {"empty body any type", "", "text/plain", 422,
       R"({"code":602,"message":"alerts in body is required"})"},
      {"bad media type", "[]", "application/", 400,
       R"({"code":400,"message":"parsing Content-Type header from \"application/\" failed, because mime: expected token after slash"})"},
      {"bad media param", "[]", "application/json; x", 400,
       R"({"code":400,"message":"parsing Content-Type header from \"application/json; x\" failed, because mime: invalid media parameter"})"},
      {"upper-case type", "[]", "Application/JSON; charset=UTF-8", 200, ""},
      {"trailing semicolon", "[]", "application/json;", 200, ""},
      {"json subtype", "[]", "application/problem+json", 415,
       R"({"code":415,"message":"unsupported media type \"application/problem+json\", only [application/json] are allowed"})"},
      {"null element", "[null]", "application/json", 400, v2Parse("alert 0 is null")},
      {"trailing garbage ignored", "[] trailing", "application/json", 200, ""},
      {"html in messages escaped", R"([{"labels":{"<a>":"b"}}])", "application/json", 400,
       "\"invalid label set: invalid name \\\"<a>\\\"\"\n"},
      {"empty label name", R"([{"labels":{"":"b"}}])", "application/json", 400,
       "\"invalid label set: invalid name \\\"\\\"\"\n"},
      {"future start without end", R"([{"labels":{"a":"b"},"startsAt":"2027-01-01T00:00:00Z"}])",
       "application/json", 400, "\"start time must be before end time\"\n"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const DecodeResult r = v2(row.body, row.ct);
      CHECK(r.status == row.status);
      CHECK(r.body == row.want);
      if (r.status != 200 && r.status != 400) CHECK(r.alerts.empty());
    }
  }
}

TEST_CASE("v2 leniency that matches Go") {
  SUBCASE("case-insensitive keys, long s and Kelvin sign") {
    const DecodeResult r = v2(
        R"([{"LABELS":{"a":"b"},"Annotation\u017f":{"x":"y"},"STARTSAT":"2026-11-28T05:02:31Z"}])");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].labels.get("a") == "b");
    CHECK(r.alerts[0].annotations.size() == 1);
    CHECK(r.alerts[0].starts_at_ns == ns("2026-11-28T05:02:31Z"));
  }
  SUBCASE("invalid UTF-8 and lone surrogates become U+FFFD") {
    const DecodeResult r = v2("[{\"labels\":{\"a\":\"x\xff\\ud800y\\ud83d\\ude00\"}}]");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].labels.get("a") == "x\xef\xbf\xbd\xef\xbf\xbdy\xf0\x9f\x98\x80");
  }
  SUBCASE("repeated labels merge, last value wins, null value is empty") {
    const DecodeResult r = v2(R"([{"labels":{"a":"1","b":"2"},"labels":{"a":"3","b":null}}])");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].labels.toString() == R"({a="3"})");
  }
  SUBCASE("empty-valued bad names are dropped before validation") {
    const DecodeResult r = v2(R"([{"labels":{"a":"1","b-c":""}}])");
    CHECK(r.status == 200);
    CHECK(r.alerts.size() == 1);
  }
  SUBCASE("strfmt layouts") {
    const DecodeResult r = v2(
        R"([{"labels":{"a":"1"},"startsAt":"2026-11-28 05:02:31","endsAt":"2026-11-28T05:13Z"}])");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].starts_at_ns == ns("2026-11-28T05:02:31Z"));
    CHECK(r.alerts[0].ends_at_ns == ns("2026-11-28T05:13:00Z"));
  }
  SUBCASE("annotations keep empty values, sorted, last wins") {
    const DecodeResult r = v2(R"([{"labels":{"a":"1"},"annotations":{"z":"","b":"1","b":"2"}}])");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].annotations == std::vector<Label>{{"b", "2"}, {"z", ""}});
  }
}

TEST_CASE("v1 decode semantics") {
  const struct Row {
    const char* name;
    std::string body;
    int status;
    std::string error;  // "" = success
    size_t accepted;
  } rows[] = {
      {"empty body", "", 400, "EOF", 0},
      {"null", "null", 200, "", 0},
      {"object", "{}", 400, "json: cannot unmarshal object into Go value of type []*types.Alert",
       0},
      {"bad annotation name fails all",
       R"([{"labels":{"a":"1"}},{"labels":{"a":"1"},"annotations":{"a-b":"x"}}])", 400,
       "\"a-b\" is not a valid label name", 0},
      {"empty-valued bad name still fails", R"([{"labels":{"a-b":""}}])", 400,
       "\"a-b\" is not a valid label name", 0},
      {"label value type", R"([{"labels":{"a":1}}])", 400,
       "json: cannot unmarshal number into Go struct field Alert.labels of type model.LabelValue",
       0},
      {"labels type", R"([{"labels":[]}])", 400,
       "json: cannot unmarshal array into Go struct field Alert.labels of type "
       "map[model.LabelName]model.LabelValue",
       0},
      {"url type", R"([{"labels":{"a":"1"},"generatorURL":1}])", 400,
       "json: cannot unmarshal number into Go struct field Alert.generatorURL of type string", 0},
      {"time", R"([{"labels":{"a":"1"},"startsAt":"yesterday"}])", 400,
       R"(parsing time "\"yesterday\"" as "\"2006-01-02T15:04:05Z07:00\"": cannot parse "yesterday\"" as "2006")",
       0},
      {"time beats saved error", R"([5,{"labels":{"a":"1"},"endsAt":3}])", 400,
       R"(parsing time "3" as "\"2006-01-02T15:04:05Z07:00\"": cannot parse "3" as "\"")", 0},
      {"element type", R"([5])", 400,
       "json: cannot unmarshal number into Go value of type types.Alert", 0},
      {"two invalid joined", R"([{"labels":{}},{"labels":{"a":"1"}},{"labels":{"b":""}}])", 400,
       "at least one label pair required; at least one label pair required", 1},
      {"unexpected EOF", "[", 400, "unexpected EOF", 0},
      {"syntax error", "[}", 400,
       "invalid character '}' looking for beginning of value at byte offset 1", 0},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const DecodeResult r = v1(row.body);
      CHECK(r.status == row.status);
      nlohmann::ordered_json want =
          row.error.empty()
              ? nlohmann::ordered_json{{"status", "success"}}
              : nlohmann::ordered_json{
                    {"status", "error"}, {"errorType", "bad_data"}, {"error", row.error}};
      CHECK(r.body == want.dump());
      CHECK(r.content_type == "application/json");
      CHECK(r.alerts.size() == row.accepted);
    }
  }
}

TEST_CASE("bounds") {
  DecodeLimits small;
  small.max_alerts = 2;
  small.max_labels = 2;
  small.max_string_bytes = 8;
  SUBCASE("too many alerts") {
    const DecodeResult r = v2(R"([{"labels":{"a":"1"}},{"labels":{"a":"1"}},{"labels":{"a":"1"}}])",
                              "application/json", small);
    CHECK(r.status == 413);
    CHECK(r.body == R"({"code":413,"message":"more than 2 alerts in one request"})");
    CHECK(r.alerts.empty());
  }
  SUBCASE("too many labels") {
    const DecodeResult r = v1(R"([{"labels":{"a":"1","b":"2","c":"3"}}])", small);
    CHECK(r.status == 413);
    CHECK(r.body.find("more than 2 labels or annotations") != std::string::npos);
  }
  SUBCASE("string too long") {
    const DecodeResult r = v2(R"([{"labels":{"a":"123456789"}}])", "application/json", small);
    CHECK(r.status == 413);
    CHECK(r.body.find("string longer than 8 bytes") != std::string::npos);
  }
  SUBCASE("deep nesting in an unknown field") {
    std::string deep =
        R"([{"labels":{"a":"1"},"x":)" + std::string(200000, '[') + std::string(200000, ']') + "}]";
    const DecodeResult r = v2(deep);
    CHECK(r.status == 400);
    CHECK(r.body == v2Parse("invalid character '[' exceeded max depth at byte offset 10023"));
  }
  SUBCASE("nesting just within Go's limit") {
    std::string ok =
        R"([{"labels":{"a":"1"},"x":)" + std::string(9998, '[') + std::string(9998, ']') + "}]";
    CHECK(v2(ok).status == 200);
  }
}

TEST_CASE("encode") {
  Alert a;
  a.labels =
      Labels::fromUnsorted({{"alertname", "A"}, {"z", "q\"\\\n\r\t\x01\x7f<>&\xe2\x80\xa8"}});
  a.annotations = {{"d", "x"}};
  a.starts_at_ns = ns("2026-11-28T05:01:41.243166236Z");
  a.ends_at_ns = 0;
  a.generator_url = "http://h/?a=1&b=2";
  SUBCASE("v2") {
    CHECK(
        encode(ApiVersion::kV2, {&a}) ==
        R"([{"annotations":{"d":"x"},"startsAt":"2026-11-28T05:01:41.243Z","generatorURL":"http://h/?a=1\u0026b=2",)"
        R"("labels":{"alertname":"A","z":"q\"\\\n\r\t\u0001)"
        "\x7f"
        R"(\u003c\u003e\u0026\u2028"}}])");
  }
  SUBCASE("v1") {
    CHECK(encode(ApiVersion::kV1, {&a}).starts_with(R"([{"labels":{"alertname":"A","z":)"));
    CHECK(
        encode(ApiVersion::kV1, {&a})
            .ends_with(
                R"(,"annotations":{"d":"x"},"startsAt":"2026-11-28T05:01:41.243166236Z","generatorURL":"http://h/?a=1\u0026b=2"}])"));
  }
  SUBCASE("minimal alert") {
    Alert m;
    m.labels = Labels::fromUnsorted({{"a", "1"}});
    CHECK(encode(ApiVersion::kV2, {&m}) == R"([{"labels":{"a":"1"}}])");
    CHECK(encode(ApiVersion::kV1, {&m}) == R"([{"labels":{"a":"1"},"annotations":{}}])");
    CHECK(encode(ApiVersion::kV2, {}) == "[]");
  }
  SUBCASE("invalid UTF-8 is written as U+FFFD") {
    Alert m;
    m.labels = Labels::fromUnsorted({{"a", "x\xff"}});
    CHECK(encode(ApiVersion::kV2, {&m}) == R"([{"labels":{"a":"x\ufffd"}}])");
  }
  SUBCASE("round trip keeps every byte of the strings") {
    for (const ApiVersion v : {ApiVersion::kV2, ApiVersion::kV1}) {
      const DecodeResult r = decode(v, encode(v, {&a}), "application/json", kCaptureNow);
      REQUIRE(r.alerts.size() == 1);
      CHECK(r.alerts[0].labels == a.labels);
      CHECK(r.alerts[0].annotations == a.annotations);
      CHECK(r.alerts[0].generator_url == a.generator_url);
      CHECK(nlohmann::json::parse(encode(v, {&a})).is_array());
    }
  }
}

TEST_CASE("formatTime and parseTime") {
  const struct Row {
    const char* in;
    int64_t ns;
    const char* nano;
    const char* millis;
  } rows[] = {
      {"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"},
      {"2026-11-28T05:01:41.243166236Z", 1795842101243166236LL, "2026-11-28T05:01:41.243166236Z",
       "2026-11-28T05:01:41.243Z"},
      {"2026-11-28T06:01:41.5+01:00", 1795842101500000000LL, "2026-11-28T05:01:41.5Z",
       "2026-11-28T05:01:41.500Z"},
      {"2026-11-28T04:31:41.0000000009-00:30", 1795842101000000000LL, "2026-11-28T05:01:41Z",
       "2026-11-28T05:01:41.000Z"},
      {"1969-12-31T23:59:59.999Z", -1000000LL, "1969-12-31T23:59:59.999Z",
       "1969-12-31T23:59:59.999Z"},
      {"2024-02-29T00:00:00Z", 1709164800000000000LL, "2024-02-29T00:00:00Z",
       "2024-02-29T00:00:00.000Z"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.in) {
      int64_t v = 1;
      REQUIRE(parseTime(row.in, v));
      CHECK(v == row.ns);
      CHECK(formatTime(v) == row.nano);
      CHECK(formatTime(v, true) == row.millis);
    }
  }
  for (const char* bad :
       {"", "2026-11-28", "2026-11-28T05:01:41", "2023-02-29T00:00:00Z", "2026-11-28T05:01:41+0100",
        "2026-11-28T24:00:00Z", "2026-11-28T05:01:41Zx"}) {
    SUBCASE((std::string("bad ") + bad).c_str()) {
      int64_t v = 0;
      CHECK_FALSE(parseTime(bad, v));
    }
  }
}

TEST_CASE("random garbage and mutated fixtures never crash") {
  std::mt19937_64 rng(42);
  const std::string seed = readFile(kFixtures / "prometheus-2.42" / "alerts-v2-batch.json");
  const std::string alphabet = "[]{}\":,\\u0123456789abcdefnulltruefalse \x80\xff-+.eE";
  size_t decoded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % (body.size() + 1);
      switch (rng() % 3) {
        case 0:
          body.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (pos < body.size()) body.erase(pos, 1);
          break;
        default:
          if (pos < body.size()) body[pos] = static_cast<char>(rng());
          break;
      }
    }
    if (i % 3 == 0) body.resize(rng() % (body.size() + 1));
    for (const ApiVersion v : {ApiVersion::kV2, ApiVersion::kV1}) {
      const DecodeResult r = decode(v, body, "application/json", kCaptureNow);
      CHECK((r.status == 200 || r.status == 400 || r.status == 422));
      for (const Alert& a : r.alerts) CHECK_FALSE(a.labels.empty());
      ++decoded;
    }
  }
  CHECK(decoded == 6000);
}
