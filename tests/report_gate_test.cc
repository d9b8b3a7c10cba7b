// The regression gate: the baseline file, the comparison, and what `smtpgate conform` and
// `smtpgate report` do with --baseline and --write-baseline (exit codes, files).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/conform_command.h"
#include "harness/report/baseline.h"
#include "harness/report/baseline_diff.h"
#include "harness/report/report_command.h"
#include "tests/report_test_support.h"

namespace smtpgate::report {
namespace {

using conformance::RunResults;
using conformance::TestResult;
using conformance::Verdict;
using ::testing::HasSubstr;

RunResults MakeRun(const std::map<std::string, Verdict>& verdicts) {
  RunResults run;
  for (const auto& [id, verdict] : verdicts) {
    TestResult test;
    test.id = id;
    test.verdict = verdict;
    test.reason = "why";
    run.tests.push_back(test);
  }
  return run;
}

std::map<std::string, Change> Changes(const GateResult& gate) {
  std::map<std::string, Change> changes;
  for (const GateEntry& entry : gate.entries) changes[entry.id] = entry.change;
  return changes;
}

TEST(Gate, ClassifiesEveryKindOfChange) {
  const Baseline baseline = BaselineFrom(MakeRun({{"pass-fail", Verdict::kPass},
                                                  {"skip-fail", Verdict::kSkip},
                                                  {"warn-fail", Verdict::kWarn},
                                                  {"pass-error", Verdict::kPass},
                                                  {"fail-pass", Verdict::kFail},
                                                  {"error-skip", Verdict::kError},
                                                  {"fail-error", Verdict::kFail},
                                                  {"fail-fail", Verdict::kFail},
                                                  {"pass-skip", Verdict::kPass},
                                                  {"pass-warn", Verdict::kPass},
                                                  {"pass-pass", Verdict::kPass},
                                                  {"gone", Verdict::kPass}}));
  const RunResults now = MakeRun({{"pass-fail", Verdict::kFail},
                                  {"skip-fail", Verdict::kFail},
                                  {"warn-fail", Verdict::kFail},
                                  {"pass-error", Verdict::kError},
                                  {"fail-pass", Verdict::kPass},
                                  {"error-skip", Verdict::kSkip},
                                  {"fail-error", Verdict::kError},
                                  {"fail-fail", Verdict::kFail},
                                  {"pass-skip", Verdict::kSkip},
                                  {"pass-warn", Verdict::kWarn},
                                  {"pass-pass", Verdict::kPass},
                                  {"new-fail", Verdict::kFail},
                                  {"new-pass", Verdict::kPass}});
  const GateResult gate = CompareWithBaseline(baseline, now, /*strict=*/false);
  EXPECT_EQ(Changes(gate), (std::map<std::string, Change>{{"pass-fail", Change::kRegressed},
                                                          {"skip-fail", Change::kRegressed},
                                                          {"warn-fail", Change::kRegressed},
                                                          {"pass-error", Change::kRegressed},
                                                          {"new-fail", Change::kRegressed},
                                                          {"fail-pass", Change::kImproved},
                                                          {"error-skip", Change::kImproved},
                                                          {"fail-error", Change::kChanged},
                                                          {"pass-skip", Change::kChanged},
                                                          {"pass-warn", Change::kChanged},
                                                          {"fail-fail", Change::kStillBad},
                                                          {"pass-pass", Change::kUnchanged},
                                                          {"new-pass", Change::kNew},
                                                          {"gone", Change::kMissing}}));
  EXPECT_FALSE(gate.Passed());
  EXPECT_EQ(gate.Count(Change::kRegressed), 5);
  // --strict: WARN is bad too.
  const GateResult strict = CompareWithBaseline(baseline, now, /*strict=*/true);
  EXPECT_EQ(Changes(strict)["pass-warn"], Change::kRegressed);
  EXPECT_EQ(Changes(strict)["warn-fail"], Change::kRegressed);  // suspected, then proven
  // Known failures, missing and new passing tests do not fail the gate.
  const GateResult calm =
      CompareWithBaseline(BaselineFrom(MakeRun({{"a", Verdict::kFail}, {"b", Verdict::kPass}})),
                          MakeRun({{"a", Verdict::kFail}, {"c", Verdict::kPass}}), false);
  EXPECT_TRUE(calm.Passed());
}

TEST(Gate, FormatNamesEachChangedTest) {
  const Baseline baseline = BaselineFrom(LoadResults("results-b.json"));
  const GateResult gate = CompareWithBaseline(baseline, LoadResults("results.json"), false);
  const std::string text =
      FormatGate(gate, "reports/baselines/b.json", baseline) + GateVerdict(gate);
  ExpectGolden("gate.txt", text);
  EXPECT_THAT(text, HasSubstr("  REGRESSED relay/kb304897-1-remote-to-remote: PASS -> FAIL  "
                              "[critical: relayed: "));
  EXPECT_THAT(text, HasSubstr("  REGRESSED data/data-dot-stuffing: (new test) -> ERROR"));
  EXPECT_THAT(text, HasSubstr("  MISSING   auth/auth-new-check: was PASS, not run\n"));
  EXPECT_THAT(text, HasSubstr("  CHANGED   tls/tls-starttls-twice: PASS -> SKIP"));
  EXPECT_THAT(text, HasSubstr("gate: FAIL (2 regressions)\n"));
}

TEST(Baseline, FileIsSortedOneTestALineAndRoundTrips) {
  const Baseline baseline = BaselineFrom(LoadResults("results.json"));
  const std::string text = BaselineText(baseline);
  ExpectGolden("baseline.json", text);
  EXPECT_THAT(text, HasSubstr("\n    \"auth/auth-bad-base64\": \"PASS\",\n    \"data/"));
  const absl::StatusOr<Baseline> parsed = ParseBaseline(text, "b.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->verdicts, baseline.verdicts);
  EXPECT_EQ(parsed->target, "embedded (profile open-relay)");
  // A results file serves as a baseline too.
  const absl::StatusOr<Baseline> from_results = ReadBaseline(ReportData("results.json"));
  ASSERT_TRUE(from_results.ok()) << from_results.status();
  EXPECT_EQ(from_results->verdicts, baseline.verdicts);
}

TEST(Baseline, ErrorsNameTheFile) {
  auto error = [](const std::string& text) {
    return std::string(ParseBaseline(text, "b.json").status().message());
  };
  EXPECT_THAT(error("{\"smtpgate_baseline\": 1, \"verdicts\": {\"a/b\": \"GOOD\"}}"),
              HasSubstr("b.json: verdicts.a/b: expected one of PASS, FAIL, WARN, SKIP, ERROR, got "
                        "\"GOOD\""));
  EXPECT_THAT(error("{\"verdicts\": {}}"), HasSubstr("b.json: smtpgate_baseline: missing"));
  EXPECT_THAT(error("{\"smtpgate_baseline\": 9, \"verdicts\": {}}"),
              HasSubstr("b.json: smtpgate_baseline 9 is not a format this smtpgate reads"));
  EXPECT_THAT(error("{\"smtpgate_baseline\": 1}"), HasSubstr("b.json: verdicts: expected"));
  EXPECT_THAT(error("{\"smtpgate_baseline\": 1,"), HasSubstr("b.json: not valid JSON at line 1"));
  EXPECT_THAT(error("{\"schema_version\": 2, \"tests\": 1}"), HasSubstr("b.json: "));
  EXPECT_TRUE(absl::IsNotFound(ReadBaseline("/nonexistent/b.json").status()));
}

// The commands, in-process, on the small suite in tests/testdata/conformance.
ConformOptions Embedded(const std::string& profile, const std::string& baseline) {
  ConformOptions options;
  options.embedded = true;
  options.profile = profile;
  options.suites = {SourceDir() + "/tests/testdata/conformance"};
  options.baseline_path = baseline;
  return options;
}

TEST(GateCommands, ConformWritesABaselineAndGatesOnIt) {
  const std::filesystem::path dir = TempDir("gate");
  const std::string baseline = (dir / "b.json").string();
  ConformOptions write = Embedded("secure", baseline);
  write.write_baseline = true;
  EXPECT_EQ(RunConform(write), kConformOk);
  const absl::StatusOr<Baseline> written = ReadBaseline(baseline);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->verdicts.size(), 8u);
  EXPECT_EQ(written->verdicts.at("relay/kb304897-1-remote-to-remote"), Verdict::kPass);
  EXPECT_EQ(written->target, "embedded (profile secure)");

  EXPECT_EQ(RunConform(Embedded("secure", baseline)), kConformOk);
  EXPECT_EQ(RunConform(Embedded("open-relay", baseline)), kConformFailed);  // regressions
  // The open relay recorded as the baseline: its FAILs are known, the gate passes...
  ConformOptions accept = Embedded("open-relay", baseline);
  accept.write_baseline = true;
  EXPECT_EQ(RunConform(accept), kConformOk);
  EXPECT_EQ(RunConform(Embedded("open-relay", baseline)), kConformOk);
  // ...and the secure server improves on it.
  EXPECT_EQ(RunConform(Embedded("secure", baseline)), kConformOk);
  std::filesystem::remove_all(dir);
}

TEST(GateCommands, BaselineProblemsExitTwoBeforeAnyTestRuns) {
  const std::filesystem::path dir = TempDir("gate-errors");
  ConformOptions missing;
  missing.target = "127.0.0.1:1";  // nothing listens: reaching it would give exit 3
  missing.suites = {SourceDir() + "/tests/testdata/conformance"};
  missing.baseline_path = (dir / "missing.json").string();
  EXPECT_EQ(RunConform(missing), kConformUsage);
  Spit((dir / "bad.json").string(), "{\"smtpgate_baseline\": 1, \"verdicts\": []}");
  missing.baseline_path = (dir / "bad.json").string();
  EXPECT_EQ(RunConform(missing), kConformUsage);
  ConformOptions no_path = Embedded("secure", "");
  no_path.write_baseline = true;
  EXPECT_EQ(RunConform(no_path), kConformUsage);
  ConformOptions unwritable = Embedded("secure", "");
  unwritable.html_path = (dir / "no-such-dir" / "r.html").string();
  EXPECT_EQ(RunConform(unwritable), kConformUsage);
  std::filesystem::remove_all(dir);
}

TEST(GateCommands, ReportConvertsAndGatesAfterTheFact) {
  const std::filesystem::path dir = TempDir("report");
  ReportCommandOptions options;
  options.inputs = {ReportData("results.json"), ReportData("results-b.json")};
  options.outputs.html_path = (dir / "r.html").string();
  options.outputs.sarif_path = (dir / "r.sarif").string();
  options.outputs.junit_path = (dir / "r.xml").string();
  EXPECT_EQ(RunReport(options), 0);
  EXPECT_EQ(Slurp(options.outputs.html_path), Slurp(ReportData("golden/combined.html")));
  EXPECT_EQ(Slurp(options.outputs.sarif_path), Slurp(ReportData("golden/combined.sarif")));
  EXPECT_EQ(Slurp(options.outputs.junit_path), Slurp(ReportData("golden/combined.junit.xml")));

  ReportCommandOptions gate;
  gate.inputs = {ReportData("results-b.json")};
  gate.outputs.baseline_path = (dir / "a.json").string();
  EXPECT_EQ(RunReport(gate), 2);  // no such baseline
  gate.outputs.write_baseline = true;
  EXPECT_EQ(RunReport(gate), 0);
  gate.outputs.write_baseline = false;
  gate.inputs = {ReportData("results.json")};
  EXPECT_EQ(RunReport(gate), 1);  // kb304897-1 PASS -> FAIL, a new ERROR
  gate.outputs.baseline_path = ReportData("results.json");
  gate.inputs = {ReportData("results-b.json")};
  EXPECT_EQ(RunReport(gate), 0);  // only improvements, changes and a new passing test
  std::filesystem::remove_all(dir);
}

TEST(GateCommands, ReportRefusesBadInputWithExitTwo) {
  const std::filesystem::path dir = TempDir("report-bad");
  Spit((dir / "bad.json").string(), "{\"schema_version\": 2, \"tests\": [}");
  ReportCommandOptions options;
  options.outputs.html_path = (dir / "r.html").string();
  EXPECT_EQ(RunReport(options), 2);  // no inputs
  options.inputs = {(dir / "bad.json").string()};
  EXPECT_EQ(RunReport(options), 2);
  options.inputs = {(dir / "missing.json").string()};
  EXPECT_EQ(RunReport(options), 2);
  EXPECT_FALSE(std::filesystem::exists(options.outputs.html_path));
  options.inputs = {ReportData("results.json")};
  options.outputs.html_path.clear();
  EXPECT_EQ(RunReport(options), 2);  // nothing to do
  options.inputs = {ReportData("results.json"), ReportData("results-b.json")};
  options.outputs.json_path = (dir / "r.json").string();
  EXPECT_EQ(RunReport(options), 2);  // --json takes one input
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace smtpgate::report
