// The report writers against golden files (tests/testdata/report/golden/), made from fixed
// results files (tests/testdata/report/results*.json), so timestamps and durations are the
// ones in the test data. Besides the goldens, the properties each format must have.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/report/exchange_text.h"
#include "harness/report/html_writer.h"
#include "harness/report/junit_writer.h"
#include "harness/report/results_json.h"
#include "harness/report/sarif_writer.h"
#include "nlohmann/json.hpp"
#include "tests/report_test_support.h"

namespace smtpgate::report {
namespace {

using conformance::RunResults;
using conformance::Severity;
using conformance::TestResult;
using conformance::Verdict;
using ::testing::HasSubstr;
using ::testing::Not;

const TestResult& Find(const RunResults& run, const std::string& id) {
  for (const TestResult& test : run.tests) {
    if (test.id == id) return test;
  }
  ADD_FAILURE() << "no test " << id;
  return run.tests.front();
}

TEST(ResultsJsonWriter, RewritesItsOwnOutputByteForByte) {
  // results.json is the JSON writer's golden: read, written again, identical.
  for (const char* name : {"results.json", "results-b.json"}) {
    const RunResults run = LoadResults(name);
    EXPECT_EQ(ResultsJsonText(run), Slurp(ReportData(name))) << name;
  }
}

TEST(ResultsJsonWriter, FindingsCarryTheOffendingStep) {
  const nlohmann::json doc = ResultsToJson(LoadResults("results.json"));
  EXPECT_EQ(doc["schema_version"], 2);
  bool seen = false;
  for (const nlohmann::json& test : doc["tests"]) {
    if (test["id"] != "limits/limits-odd-reason") continue;
    seen = true;
    EXPECT_EQ(test["findings"][0]["line"], nullptr);
    EXPECT_EQ(test["findings"][1]["line"], 4);
    EXPECT_EQ(test["findings"][1]["exchange_index"], 3);
  }
  EXPECT_TRUE(seen);
}

TEST(ExchangeText, MarksTheOffendingEntryAndClipsHugeData) {
  const RunResults run = LoadResults("results.json");
  const TestResult& odd = Find(run, "limits/limits-odd-reason");
  EXPECT_EQ(OffendingEntry(odd), 3);
  EXPECT_EQ(OffendingLine(odd), 4);
  EXPECT_THAT(ExchangeText(odd), HasSubstr("S: 550 <script>alert(\"x\")</script>\\r\\n (3 ms)   "
                                           "<-- here\n"));
  EXPECT_EQ(Occurrences(ExchangeText(odd), "<-- here"), 1u);
  EXPECT_EQ(OffendingEntry(Find(run, "auth/auth-bad-base64")), -1);    // PASS: nothing offends
  EXPECT_EQ(OffendingEntry(Find(run, "tls/tls-starttls-twice")), -1);  // SKIP, no exchange
  const std::string huge(kShownData + 10, 'x');
  EXPECT_EQ(ShownData(huge),
            std::string(kShownData, 'x') + "... (10 more characters in the results JSON)");
  EXPECT_EQ(ShownData("short"), "short");
}

TEST(JUnitWriter, Golden) {
  const RunResults run = LoadResults("results.json");
  const std::string xml = JUnitXml(run, /*strict=*/false);
  ExpectGolden("results.junit.xml", xml);
  EXPECT_THAT(xml, HasSubstr("tests=\"8\" failures=\"3\" errors=\"1\" skipped=\"1\""));
  EXPECT_EQ(Occurrences(xml, "<testsuite "), 7u);  // one per area
  EXPECT_THAT(xml, HasSubstr("transcript: conformance/limits/limits odd reason.smtp:4"));
  EXPECT_THAT(xml, Not(HasSubstr("<script>")));
  const std::string strict = JUnitXml(run, /*strict=*/true);
  EXPECT_THAT(strict, HasSubstr("tests=\"8\" failures=\"5\" errors=\"1\" skipped=\"1\""));
  EXPECT_EQ(Occurrences(strict, "type=\"WARN\""), 2u);
}

TEST(JUnitWriter, SeveralRunsNameTheirSuitesByTarget) {
  const std::string xml =
      JUnitXml(std::vector<RunResults>{LoadResults("results.json"), LoadResults("results-b.json")},
               /*strict=*/false);
  ExpectGolden("combined.junit.xml", xml);
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"embedded (profile open-relay): relay\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"127.0.0.1:2525 (conformance/targets/"
                             "smtpgate-serve.toml): auth\" tests=\"2\""));
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"smtpgate conform embedded (profile open-relay), "
                             "127.0.0.1:2525 (conformance/targets/smtpgate-serve.toml)\" "
                             "tests=\"16\""));
}

TEST(SarifWriter, LevelsFromVerdictAndSeverity) {
  EXPECT_EQ(SarifLevel(Verdict::kFail, Severity::kCritical), "error");
  EXPECT_EQ(SarifLevel(Verdict::kFail, Severity::kHigh), "error");
  EXPECT_EQ(SarifLevel(Verdict::kFail, Severity::kMedium), "error");
  EXPECT_EQ(SarifLevel(Verdict::kFail, Severity::kLow), "warning");
  EXPECT_EQ(SarifLevel(Verdict::kFail, Severity::kInfo), "note");
  EXPECT_EQ(SarifLevel(Verdict::kWarn, Severity::kCritical), "warning");
  EXPECT_EQ(SarifLevel(Verdict::kWarn, Severity::kInfo), "note");
  EXPECT_EQ(SarifLevel(Verdict::kPass, Severity::kCritical), "none");
}

TEST(SarifWriter, Golden) {
  const RunResults run = LoadResults("results.json");
  const std::string text = SarifText({run});
  ExpectGolden("results.sarif", text);
  const nlohmann::json sarif = nlohmann::json::parse(text);
  EXPECT_EQ(sarif["version"], "2.1.0");
  ASSERT_EQ(sarif["runs"].size(), 1u);
  const nlohmann::json& out = sarif["runs"][0];
  const nlohmann::json& rules = out["tool"]["driver"]["rules"];
  EXPECT_EQ(rules.size(), run.tests.size());  // one rule per transcript
  std::map<std::string, std::string> levels;
  for (const nlohmann::json& result : out["results"]) {
    // ruleIndex points at the rule of ruleId; the location is the offending step's line.
    EXPECT_EQ(rules[result["ruleIndex"].get<size_t>()]["id"], result["ruleId"]);
    const std::string id = result["ruleId"];
    levels[id] = result["level"];
    const TestResult& test = Find(run, id);
    EXPECT_EQ(result["locations"][0]["physicalLocation"]["region"]["startLine"],
              OffendingLine(test) > 0 ? OffendingLine(test) : 1);
    EXPECT_EQ(result["properties"]["offendingExchangeIndex"], OffendingEntry(test));
    EXPECT_EQ(result["message"]["text"].get<std::string>().back(), '.');
  }
  // One result per FAIL and WARN, nothing for PASS, SKIP and ERROR.
  EXPECT_EQ(levels, (std::map<std::string, std::string>{
                        {"harvest/harvest-rcpt-valid-vs-unknown", "warning"},
                        {"limits/limits-info-note", "note"},
                        {"limits/limits-odd-reason", "warning"},
                        {"relay/kb304897-1-remote-to-remote", "error"},
                        {"tarpit/tarpit-authenticated-guest-relay-refusal-not-delayed", "error"}}));
  const nlohmann::json& invocation = out["invocations"][0];
  EXPECT_EQ(invocation["startTimeUtc"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(invocation["endTimeUtc"], "2024-05-01T12:00:01.234Z");
  ASSERT_EQ(invocation["toolExecutionNotifications"].size(), 1u);  // the ERROR
  EXPECT_EQ(invocation["toolExecutionNotifications"][0]["associatedRule"]["id"],
            "data/data-dot-stuffing");
  EXPECT_THAT(text, HasSubstr("\"uri\": \"conformance/limits/limits%20odd%20reason.smtp\""));
  EXPECT_EQ(rules[0]["shortDescription"]["text"], Find(run, rules[0]["id"]).title + ".");
  EXPECT_THAT(rules[0]["help"]["text"].get<std::string>(),
              HasSubstr("Source: " + Find(run, rules[0]["id"]).source));
  EXPECT_EQ(out["automationDetails"]["id"], "smtpgate/embedded-profile-open-relay/");
}

TEST(SarifWriter, OneRunPerResultsFileWithDistinctCategories) {
  const RunResults a = LoadResults("results.json");
  const std::string text = SarifText({a, LoadResults("results-b.json")});
  ExpectGolden("combined.sarif", text);
  const nlohmann::json sarif = nlohmann::json::parse(text);
  ASSERT_EQ(sarif["runs"].size(), 2u);
  EXPECT_EQ(sarif["runs"][1]["automationDetails"]["id"],
            "smtpgate/127-0-0-1-2525-conformance-targets-smtpgate-serve-toml/");
  const nlohmann::json twice = SarifLog({a, a});
  EXPECT_NE(twice["runs"][0]["automationDetails"]["id"],
            twice["runs"][1]["automationDetails"]["id"]);
}

TEST(HtmlWriter, Escape) {
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");  // valid UTF-8
  EXPECT_EQ(HtmlEscape("bad \xff\xc3 x\x01\x7f\t\n"), "bad \\xff\\xc3 x\\x01\\x7f\t\n");
  EXPECT_EQ(HtmlEscape("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(HtmlEscape("\xc0\xaf"), "\\xc0\\xaf");           // overlong
}

TEST(HtmlWriter, Golden) {
  const RunResults run = LoadResults("results.json");
  const std::string html = HtmlReport({run});
  ExpectGolden("results.html", html);
  // Self-contained: no URL to fetch anything from, and a policy that forbids it.
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  EXPECT_THAT(html, HasSubstr("default-src 'none'"));
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("550 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  // Counts as data attributes: the run row and the matrix's total row.
  EXPECT_THAT(html, HasSubstr("data-run=\"0\" data-verdict=\"FAIL\" data-count=\"3\""));
  EXPECT_THAT(html, HasSubstr("data-area=\"*\" data-verdict=\"all\" data-count=\"8\""));
  EXPECT_THAT(html, HasSubstr("data-area=\"limits\" data-verdict=\"FAIL\" data-count=\"1\""));
  // A detail (exchange) for every FAIL, WARN and ERROR, each with its offending step.
  EXPECT_EQ(Occurrences(html, "<tr class=\"detail\""), 6u);
  EXPECT_EQ(Occurrences(html, "data-offending=\"1\""), 6u);
  EXPECT_THAT(html, HasSubstr("<li class=\"e-S offending\" data-index=\"3\" "
                              "data-offending=\"1\"><span class=\"dir\">S</span> 550 &lt;script"));
  EXPECT_THAT(html, Not(HasSubstr("id=\"targets\"")));  // one run: no targets matrix
}

TEST(HtmlWriter, SeveralRunsGetATargetsByTestsMatrix) {
  const std::string html = HtmlReport({LoadResults("results.json"), LoadResults("results-b.json")});
  ExpectGolden("combined.html", html);
  EXPECT_THAT(html, HasSubstr("<section id=\"targets\">"));
  // 9 distinct tests; kb304897-1 differs (FAIL vs PASS), the new test is missing in run 0.
  EXPECT_EQ(Occurrences(html, "<tr class=\"cmp"), 9u);
  EXPECT_THAT(html, HasSubstr("<tr class=\"cmp differs\" data-id=\"relay/kb304897-1-remote-to-"
                              "remote\" data-severity=\"critical\" data-differs=\"1\">"));
  EXPECT_THAT(html, HasSubstr("<td class=\"cell v-none\" data-run=\"0\" data-verdict=\"\">"));
  EXPECT_THAT(html, HasSubstr("data-runs=\"2\" data-tests=\"16\""));
}

}  // namespace
}  // namespace smtpgate::report
