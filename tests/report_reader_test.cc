// Reading results JSON back (`smtpgate report`): what is read, the old schema, and an error
// that names the file and the place for every kind of bad input.
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/report/results_json.h"
#include "harness/report/results_reader.h"
#include "nlohmann/json.hpp"
#include "tests/report_test_support.h"

namespace smtpgate::report {
namespace {

using conformance::RunResults;
using conformance::Verdict;
using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Sample() { return Json::parse(Slurp(ReportData("results.json"))); }

std::string ErrorOf(const Json& doc) {
  const absl::StatusOr<RunResults> results = ParseResultsJson(doc.dump(), "r.json");
  EXPECT_FALSE(results.ok()) << doc.dump().substr(0, 200);
  return std::string(results.status().message());
}

TEST(ResultsReader, ReadsEveryField) {
  const RunResults run = LoadResults("results.json");
  EXPECT_EQ(run.smtpgate_version, "0.1.0");
  EXPECT_EQ(run.target, "embedded (profile open-relay)");
  EXPECT_EQ(run.profile, "open-relay");
  EXPECT_EQ(run.started, "2024-05-01T12:00:00Z");
  EXPECT_EQ(run.duration.count(), 1234);
  ASSERT_EQ(run.tests.size(), 8u);
  EXPECT_EQ(run.CountByVerdict().at(Verdict::kFail), 3);
  const conformance::TestResult& odd = run.tests[4];
  EXPECT_EQ(odd.id, "limits/limits-odd-reason");
  EXPECT_EQ(odd.path, "conformance/limits/limits odd reason.smtp");
  EXPECT_EQ(odd.severity, conformance::Severity::kLow);
  EXPECT_EQ(odd.tags, (std::vector<std::string>{"limits", "escaping"}));
  EXPECT_EQ(odd.token, "sgtok-0000000c");
  EXPECT_EQ(odd.duration.count(), 7);
  ASSERT_EQ(odd.findings.size(), 2u);
  EXPECT_EQ(odd.findings[0].line, 0);  // null
  EXPECT_EQ(odd.findings[1].line, 4);
  EXPECT_EQ(odd.findings[1].exchange_index, 3);
  EXPECT_EQ(odd.findings[1].evidence, conformance::Evidence::kReplySequence);
  ASSERT_EQ(odd.exchange.size(), 4u);
  EXPECT_EQ(odd.exchange[2].direction, conformance::ExchangeEntry::Direction::kClient);
  EXPECT_EQ(odd.exchange[2].data, "MAIL FROM:<a&b@example.test>\\r\\n");
  EXPECT_EQ(odd.exchange[3].elapsed_ms, 3);
  EXPECT_EQ(run.tests[7].findings[0].exchange_index, -1);  // the SKIP's null
}

TEST(ResultsReader, ReadsSchemaVersionOne) {
  Json doc = Sample();
  doc["schema_version"] = 1;
  for (Json& test : doc["tests"]) {
    for (Json& finding : test["findings"]) {
      finding.erase("line");
      finding.erase("exchange_index");
    }
  }
  const absl::StatusOr<RunResults> run = ParseResultsJson(doc.dump(), "v1.json");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->tests.size(), 8u);
  EXPECT_EQ(run->tests[4].findings[1].line, 0);
  EXPECT_EQ(run->tests[4].findings[1].exchange_index, -1);
  // Written again, it is schema 2.
  EXPECT_EQ(ResultsToJson(*run)["schema_version"], 2);
}

TEST(ResultsReader, SyntaxErrorsNameFileLineAndColumn) {
  const absl::StatusOr<RunResults> run =
      ParseResultsJson("{\"schema_version\": 2,\n  \"tests\": [,]}", "bad.json");
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(run.status()));
  EXPECT_THAT(run.status().message(), HasSubstr("bad.json: not valid JSON at line 2, column 13"));
  EXPECT_THAT(ParseResultsJson("", "empty.json").status().message(),
              HasSubstr("empty.json: not valid JSON at line 1, column 1"));
  EXPECT_THAT(ParseResultsJson("[1, 2]", "a.json").status().message(),
              HasSubstr("a.json: expected a JSON object"));
}

TEST(ResultsReader, ShapeErrorsNameTheField) {
  const std::vector<std::pair<std::function<void(Json&)>, std::string>> cases = {
      {[](Json& d) { d.erase("schema_version"); },
       "r.json: schema_version: missing (is this an smtpgate results file?)"},
      {[](Json& d) { d["schema_version"] = 3; },
       "r.json: schema_version 3 is newer than this smtpgate reads (1..2)"},
      {[](Json& d) { d["schema_version"] = "2"; }, "r.json: schema_version: expected an integer"},
      {[](Json& d) { d.erase("target"); }, "r.json: target: missing"},
      {[](Json& d) { d["duration_ms"] = -1; }, "r.json: duration_ms: expected an integer >= 0"},
      {[](Json& d) { d["tests"] = Json::object(); }, "r.json: tests: expected an array"},
      {[](Json& d) { d["tests"][2] = 5; }, "r.json: tests[2]: expected an object"},
      {[](Json& d) { d["tests"][3]["verdict"] = "MAYBE"; },
       "r.json: tests[3].verdict: expected one of PASS, FAIL, WARN, SKIP, ERROR, got \"MAYBE\""},
      {[](Json& d) { d["tests"][1]["severity"] = "urgent"; },
       "r.json: tests[1].severity: expected one of critical, high, medium, low, info"},
      {[](Json& d) {
         d["tests"][0]["tags"] = Json::array({"a", 1});
       },
       "r.json: tests[0].tags: expected an array of strings"},
      {[](Json& d) { d["tests"][0]["id"] = ""; }, "r.json: tests[0].id: must not be empty"},
      {[](Json& d) { d["tests"][1]["id"] = d["tests"][0]["id"]; },
       "r.json: tests[1].id: \"auth/auth-bad-base64\" appears twice"},
      {[](Json& d) { d["tests"][4]["exchange"][1]["dir"] = "X"; },
       "r.json: tests[4].exchange[1].dir: expected one of C, S, *, got \"X\""},
      {[](Json& d) { d["tests"][4]["exchange"][0].erase("elapsed_ms"); },
       "r.json: tests[4].exchange[0].elapsed_ms: missing"},
      {[](Json& d) { d["tests"][4]["findings"][1]["evidence"] = "hunch"; },
       "r.json: tests[4].findings[1].evidence: expected one of reply sequence, oracle, liveness, "
       "process status, crash log, harness, got \"hunch\""},
      {[](Json& d) { d["tests"][4]["findings"][1]["exchange_index"] = 4; },
       "r.json: tests[4].findings[1].exchange_index: points past the exchange (4 entries)"},
      {[](Json& d) { d["tests"][4]["findings"][1]["line"] = 0; },
       "r.json: tests[4].findings[1].line: expected an integer >= 1"},
  };
  for (const auto& [mutate, expected] : cases) {
    Json doc = Sample();
    mutate(doc);
    EXPECT_THAT(ErrorOf(doc), HasSubstr(expected));
  }
}

TEST(ResultsReader, MissingFileIsNotFound) {
  const absl::StatusOr<RunResults> run = ReadResultsJson("/nonexistent/results.json");
  EXPECT_TRUE(absl::IsNotFound(run.status()));
  EXPECT_THAT(run.status().message(), HasSubstr("/nonexistent/results.json: no such file"));
}

}  // namespace
}  // namespace smtpgate::report
