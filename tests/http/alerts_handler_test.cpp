// AlertsHandler: decode -> external labels -> global rules -> per-set rules -> sink, and the
// answers it gives; plus listen-address parsing.
#include "http/alerts_handler.h"

#include <doctest/doctest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "relabel/rule.h"

namespace http = promha::http;
namespace relabel = promha::relabel;
using promha::alert::Alert;
using promha::alert::ApiVersion;
using promha::core::NameScheme;

namespace {

struct RecordingSink : http::Sink {
  std::vector<std::pair<size_t, std::vector<Alert>>> calls;
  void send(size_t set, std::vector<Alert> alerts) override {
    calls.emplace_back(set, std::move(alerts));
  }
};

std::vector<relabel::Rule> rules(const std::string& yaml) {
  auto r = relabel::parseRulesText(yaml, "test.yml", NameScheme::kUtf8);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().str()));
  return *r;
}

}  // namespace

TEST_CASE("AlertsHandler applies Prometheus's pipeline order and enqueues per set") {
  prometheus::Registry reg;
  auto& fam = prometheus::BuildCounter().Name("c").Register(reg);
  auto& received = fam.Add({{"k", "received"}});
  auto& invalid = fam.Add({{"k", "invalid"}});
  auto& dropped = fam.Add({{"k", "dropped"}});
  RecordingSink sink;
  http::AlertsHandler h(sink, {&received, &invalid, &dropped});

  SUBCASE("not ready without a pipeline") {
    CHECK(h.handle(ApiVersion::kV2, "[]", "application/json").status == 503);
  }

  auto p = std::make_shared<http::Pipeline>();
  p->external_labels = *promha::core::parseLabelSet("{cluster=\"c1\", replica=\"A\"}");
  p->global_rules = rules("- {action: labeldrop, regex: replica}");
  p->set_rules = {{}, rules("- {action: drop, source_labels: [severity], regex: info}")};
  h.setPipeline(p);

  SUBCASE("external labels, global rules, per-set rules") {
    const auto r = h.handle(ApiVersion::kV2,
                            R"([{"labels":{"alertname":"A","severity":"info"}},
                                {"labels":{"alertname":"B","cluster":"own","replica":"B"}}])",
                            "application/json");
    CHECK(r.status == 200);
    REQUIRE(sink.calls.size() == 2);
    CHECK(sink.calls[0].first == 0);
    REQUIRE(sink.calls[0].second.size() == 2);
    // Missing external labels are added, present ones kept; replica dropped afterwards.
    CHECK(sink.calls[0].second[0].labels.toString() ==
          "{alertname=\"A\", cluster=\"c1\", severity=\"info\"}");
    CHECK(sink.calls[0].second[1].labels.toString() == "{alertname=\"B\", cluster=\"own\"}");
    CHECK(sink.calls[1].first == 1);
    REQUIRE(sink.calls[1].second.size() == 1);
    CHECK(sink.calls[1].second[0].labels.get("alertname") == "B");
    CHECK(received.Value() == 2);
    CHECK(dropped.Value() == 1);
    CHECK(invalid.Value() == 0);
  }
  SUBCASE("partially invalid request: valid alerts still enqueued, 400 answered") {
    const auto r = h.handle(ApiVersion::kV2, R"([{"labels":{}},{"labels":{"alertname":"ok"}}])",
                            "application/json");
    CHECK(r.status == 400);
    REQUIRE(!sink.calls.empty());
    CHECK(sink.calls[0].second.size() == 1);
    CHECK(invalid.Value() == 1);
    CHECK(received.Value() == 2);
  }
  SUBCASE("malformed body enqueues nothing") {
    CHECK(h.handle(ApiVersion::kV2, "[{", "application/json").status == 400);
    CHECK(h.handle(ApiVersion::kV2, "[]", "text/plain").status == 415);
    CHECK(sink.calls.empty());
  }
}

TEST_CASE("parseListenAddress") {
  struct Row {
    const char* in;
    bool ok;
    const char* host;
    int port;
  };
  const Row rows[] = {
      {":9095", true, "", 9095},
      {"127.0.0.1:0", true, "127.0.0.1", 0},
      {"[::1]:9095", true, "::1", 9095},
      {"localhost:80", true, "localhost", 80},
      {"9095", false, "", 0},
      {"host:99999", false, "", 0},
      {"host:x", false, "", 0},
  };
  for (const auto& row : rows) {
    SUBCASE(row.in) {
      const auto r = http::parseListenAddress(row.in);
      REQUIRE(r.ok() == row.ok);
      if (row.ok) {
        CHECK(r->first == row.host);
        CHECK(r->second == row.port);
      }
    }
  }
}
