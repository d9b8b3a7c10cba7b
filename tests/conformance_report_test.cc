// Reports (JSON, JUnit), target files, suite loading and the `conform` command's exit codes.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/conform_command.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target_file.h"
#include "harness/report/junit_writer.h"
#include "harness/report/results_json.h"
#include "nlohmann/json.hpp"
#include "tests/source_dir.h"

namespace smtpgate::conformance {
namespace {

using report::JUnitXml;
using report::ResultsJsonText;
using report::XmlEscape;
using ::testing::HasSubstr;

std::string TestData() { return SourceDir() + "/tests/testdata/conformance"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name()))
      .string();
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

RunResults SampleResults() {
  RunResults results;
  results.smtpgate_version = "0.1.0";
  results.target = "embedded (profile secure)";
  results.profile = "secure";
  results.started = "2024-05-01T12:00:00Z";
  results.duration = std::chrono::milliseconds(42);
  TestResult pass;
  pass.id = "relay/a";
  pass.area = "relay";
  pass.name = "a";
  pass.title = "A";
  pass.severity = Severity::kCritical;
  pass.tags = {"relay"};
  pass.exchange = {{ExchangeEntry::Direction::kEvent, "connect", 0},
                   {ExchangeEntry::Direction::kServer, "220 hi\\r\\n", 3},
                   {ExchangeEntry::Direction::kClient, "EHLO x\\r\\n", 4}};
  pass.findings = {{Verdict::kPass, Evidence::kReplySequence, "2 replies as expected"}};
  pass.Decide();
  TestResult fail = pass;
  fail.id = "relay/b";
  fail.name = "b";
  fail.findings = {{Verdict::kFail, Evidence::kOracle, "relayed <a&b> \"quoted\"\x01"}};
  fail.Decide();
  TestResult warn = pass;
  warn.id = "harvest/c";
  warn.area = "harvest";
  warn.name = "c";
  warn.severity = Severity::kLow;
  warn.findings = {{Verdict::kWarn, Evidence::kReplySequence, "differs"}};
  warn.Decide();
  TestResult skip = warn;
  skip.id = "tls/d";
  skip.area = "tls";
  skip.name = "d";
  skip.findings = {{Verdict::kSkip, Evidence::kHarness, "requires starttls: no"}};
  skip.Decide();
  TestResult error = skip;
  error.id = "tls/e";
  error.name = "e";
  error.findings = {{Verdict::kError, Evidence::kHarness, "TLS handshake failed"}};
  error.Decide();
  results.tests = {pass, fail, warn, skip, error};
  return results;
}

TEST(Verdicts, DecideTakesTheWorstAndJoinsItsReasons) {
  TestResult t;
  t.findings = {{Verdict::kPass, Evidence::kOracle, "ok"},
                {Verdict::kWarn, Evidence::kOracle, "hmm"},
                {Verdict::kFail, Evidence::kReplySequence, "bad"},
                {Verdict::kFail, Evidence::kLiveness, "dead"}};
  t.Decide();
  EXPECT_EQ(t.verdict, Verdict::kFail);
  EXPECT_EQ(t.reason, "bad; dead");
  EXPECT_EQ(t.evidence, (std::vector<std::string>{"reply sequence", "liveness"}));
}

TEST(ResultsJson, ShapeAndRoundTrip) {
  const RunResults results = SampleResults();
  const nlohmann::json parsed = nlohmann::json::parse(ResultsJsonText(results), nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["schema_version"], 2);
  EXPECT_EQ(parsed["smtpgate_version"], "0.1.0");
  EXPECT_EQ(parsed["target"], "embedded (profile secure)");
  EXPECT_EQ(parsed["profile"], "secure");
  EXPECT_EQ(parsed["started"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(parsed["duration_ms"], 42);
  ASSERT_EQ(parsed["tests"].size(), 5u);
  const nlohmann::json& first = parsed["tests"][0];
  for (const char* key : {"id", "name", "title", "source", "tags", "severity", "verdict", "reason",
                          "evidence", "duration_ms", "exchange", "findings", "token", "area"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_EQ(first["verdict"], "PASS");
  EXPECT_EQ(first["severity"], "critical");
  EXPECT_EQ(first["exchange"][1]["dir"], "S");
  EXPECT_EQ(first["exchange"][1]["data"], "220 hi\\r\\n");
  EXPECT_EQ(first["exchange"][1]["elapsed_ms"], 3);
  EXPECT_EQ(first["exchange"][0]["dir"], "*");
  EXPECT_EQ(parsed["tests"][1]["reason"], "relayed <a&b> \"quoted\"\x01");
  EXPECT_EQ(parsed["tests"][1]["evidence"][0], "oracle");
  const nlohmann::json& summary = parsed["summary"];
  EXPECT_EQ(summary["total"], 5);
  EXPECT_EQ(summary["by_verdict"]["PASS"], 1);
  EXPECT_EQ(summary["by_verdict"]["FAIL"], 1);
  EXPECT_EQ(summary["by_verdict"]["WARN"], 1);
  EXPECT_EQ(summary["by_verdict"]["SKIP"], 1);
  EXPECT_EQ(summary["by_verdict"]["ERROR"], 1);
  EXPECT_EQ(summary["by_severity"]["critical"]["FAIL"], 1);
  EXPECT_EQ(summary["by_severity"]["low"]["WARN"], 1);
  EXPECT_EQ(summary["by_severity"]["info"]["PASS"], 0);
}

TEST(ResultsJson, InvalidUtf8NeverThrows) {
  RunResults results = SampleResults();
  results.tests[0].reason = "bad \xff\xfe utf-8";
  const std::string text = ResultsJsonText(results);
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());
}

TEST(JUnit, CountsSuitesAndEscaping) {
  const std::string xml = JUnitXml(SampleResults(), /*strict=*/false);
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"smtpgate conform embedded (profile secure)\" "
                             "tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"relay\" tests=\"2\" failures=\"1\" errors=\"0\" "
                             "skipped=\"0\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"tls\" tests=\"2\" failures=\"0\" errors=\"1\" "
                             "skipped=\"1\""));
  EXPECT_EQ(Count(xml, "<testsuite "), 3u);
  EXPECT_EQ(Count(xml, "<testcase "), 5u);
  EXPECT_THAT(xml, HasSubstr("<failure message=\"critical: relayed &lt;a&amp;b&gt; "
                             "&quot;quoted&quot;\\x01\" type=\"FAIL\">"));
  EXPECT_THAT(xml, HasSubstr("S: 220 hi\\r\\n (3 ms)"));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"requires starttls: no\"/>"));
  EXPECT_THAT(xml, HasSubstr("<error message=\"low: TLS handshake failed\" type=\"ERROR\">"));
  EXPECT_THAT(xml, HasSubstr("<system-out>WARN low: differs"));
  const std::string strict = JUnitXml(SampleResults(), /*strict=*/true);
  EXPECT_THAT(strict, HasSubstr("failures=\"2\""));
  EXPECT_THAT(strict, HasSubstr("type=\"WARN\""));
}

TEST(JUnit, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b>&\"'\x01\t\n\x7f"), "a&lt;b&gt;&amp;&quot;&apos;\\x01\t\n\\x7f");
}

// Target files ---------------------------------------------------------------------------

TEST(TargetFile, TheExampleLoads) {
  const absl::StatusOr<TargetConfig> config =
      LoadTargetFile(SourceDir() + "/conformance/targets/smtpgate-serve.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 2525);
  EXPECT_EQ(config->tls, TlsMode::kStartTls);
  EXPECT_EQ(config->variables.at("local_domain"), "example.test");
  EXPECT_EQ(config->variables.at("relay_domain"), "remote.invalid");
  EXPECT_EQ(config->variables.at("authorized_user"), "relayer");
  EXPECT_EQ(config->variables.at("unauthorized_password"), "guest-pass");
  EXPECT_EQ(config->tarpit_seconds, 0);
  EXPECT_TRUE(config->oracle.start_sink);
  EXPECT_EQ(config->oracle.sink, "127.0.0.1:2526");
  EXPECT_FALSE(config->oracle.sees_local);
  EXPECT_EQ(config->oracle_wait.count(), 2000);
}

TEST(TargetFile, EverySection) {
  const absl::StatusOr<TargetConfig> config = ParseTargetFile(
      "host = \"::1\"\nport = 25\ntls = \"implicit\"\nlocal_domain = \"d.test\"\n"
      "local_user = \"u\"\ntarpit_seconds = 5\n"
      "[timeouts]\nreply_ms = 500\ngrace_ms = 0\noracle_wait_ms = 900\noracle_min_ms = 100\n"
      "[oracle]\nsink_record = \"/tmp/r.jsonl\"\noracle_sees_local = true\n"
      "[capabilities]\nchunking = false\nauth = true\n"
      "[variables]\nextra = \"x\"\n",
      "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls, TlsMode::kImplicit);
  EXPECT_EQ(config->variables.at("server_ip_literal"), "[::1]");
  EXPECT_EQ(config->variables.at("tarpit_seconds"), "5");
  EXPECT_EQ(config->variables.at("extra"), "x");
  EXPECT_EQ(config->variables.at("authorized_user"), "");  // no [accounts]
  EXPECT_EQ(config->reply_timeout.count(), 500);
  EXPECT_EQ(config->grace.count(), 0);
  EXPECT_EQ(config->oracle_wait.count(), 900);
  EXPECT_EQ(config->oracle_min_wait.count(), 100);
  EXPECT_EQ(config->oracle.sink_record, "/tmp/r.jsonl");
  EXPECT_TRUE(config->oracle.sees_local);
  EXPECT_EQ(config->capabilities.at("chunking"), false);
  EXPECT_EQ(config->capabilities.at("auth"), true);
}

TEST(TargetFile, ErrorsNameFileLineAndKey) {
  const std::string base = "port = 25\nlocal_domain = \"d\"\nlocal_user = \"u\"\n";
  auto error = [](const std::string& text) {
    const absl::StatusOr<TargetConfig> config = ParseTargetFile(text, "t.toml");
    EXPECT_FALSE(config.ok()) << text;
    return std::string(config.status().message());
  };
  EXPECT_THAT(error(base + "colour = \"red\"\n"),
              HasSubstr("t.toml:4:1: key 'colour': unknown key"));
  EXPECT_THAT(error("port = \"x\"\n"), HasSubstr("t.toml:1:8: key 'port': expected an integer"));
  EXPECT_THAT(error("port = 70000\n"),
              HasSubstr("t.toml:1:8: key 'port': out of range (1..65535)"));
  EXPECT_THAT(error(base + "tls = \"maybe\"\n"),
              HasSubstr("t.toml:4:7: key 'tls': expected \"none\", \"starttls\" or \"implicit\""));
  EXPECT_THAT(error("local_domain = \"d\"\nlocal_user = \"u\"\n"),
              HasSubstr("t.toml:1:1: key 'port': required key is missing"));
  EXPECT_THAT(error(base + "[timeouts]\nreply = 5\n"),
              HasSubstr("t.toml:5:1: key 'timeouts.reply': unknown key"));
  // The shared oracle wait's bounds: the lower one, when given, may not exceed the upper.
  EXPECT_THAT(error(base + "[timeouts]\noracle_min_ms = 5000\n"),
              HasSubstr("t.toml:5:17: key 'timeouts.oracle_min_ms': above oracle_wait_ms"));
  EXPECT_THAT(error(base + "[timeouts]\noracle_min_ms = 300\noracle_wait_ms = 200\n"),
              HasSubstr("t.toml:5:17: key 'timeouts.oracle_min_ms': above oracle_wait_ms"));
  // Only the upper bound given, below the default lower one: the lower one follows it.
  EXPECT_TRUE(ParseTargetFile(base + "[timeouts]\noracle_wait_ms = 100\n", "t.toml").ok());
  EXPECT_THAT(error(base + "[capabilities]\nmagic = true\n"),
              HasSubstr("t.toml:5:1: key 'capabilities.magic': unknown capability"));
  EXPECT_THAT(error(base + "[accounts.authorized]\nuser = 5\n"),
              HasSubstr("t.toml:5:8: key 'accounts.authorized.user': expected a string"));
  EXPECT_THAT(error(base + "port = 26\n"), HasSubstr("t.toml:4:"));  // TOML syntax error
  EXPECT_THAT(error(base + "[oracle]\nsink = \"127.0.0.1:1\"\nsink_record = \"x\"\n"),
              HasSubstr("key 'oracle.sink_record': choose one oracle"));
  EXPECT_TRUE(absl::IsNotFound(LoadTargetFile("/nonexistent.toml").status()));
}

// Suites ---------------------------------------------------------------------------------

TEST(Suite, LoadsIdsAreasAndDirectoryTags) {
  const Suite suite = LoadSuite({TestData()}, UsableNames(DemoVariables(2)));
  EXPECT_TRUE(suite.errors.empty());
  ASSERT_EQ(suite.entries.size(), 8u);
  EXPECT_EQ(suite.entries[0].id, "auth/ms02-011-guest-must-not-relay");
  EXPECT_EQ(suite.entries[0].area, "auth");
  EXPECT_TRUE(suite.entries[0].transcript.HasTag("auth"));
  EXPECT_TRUE(suite.entries[0].transcript.HasTag("ms02-011"));
  const Suite one = LoadSuite({TestData() + "/relay/kb304897-1-remote-to-remote.smtp"},
                              UsableNames(DemoVariables(2)));
  ASSERT_EQ(one.entries.size(), 1u);
  EXPECT_EQ(one.entries[0].id, "relay/kb304897-1-remote-to-remote");
  const Suite area = LoadSuite({TestData() + "/tarpit"}, UsableNames(DemoVariables(2)));
  ASSERT_EQ(area.entries.size(), 1u);
  EXPECT_EQ(area.entries[0].id, "tarpit/kb842851-tarpit");
}

TEST(Suite, DuplicateNamesAndMissingRootsAreErrors) {
  const Suite suite = LoadSuite({TestData() + "/relay", TestData() + "/relay/../relay", "/nope"},
                                UsableNames(DemoVariables(2)));
  ASSERT_EQ(suite.errors.size(), 2u);
  EXPECT_THAT(suite.errors[0], HasSubstr("/nope: no such suite directory"));
  EXPECT_THAT(suite.errors[1], HasSubstr("@name kb304897-1-remote-to-remote is already used by"));
}

TEST(Suite, TagSelection) {
  Transcript t;
  t.tags = {"relay", "kb304897"};
  EXPECT_TRUE(SelectedByTags(t, {}));
  EXPECT_TRUE(SelectedByTags(t, {"auth,relay"}));
  EXPECT_TRUE(SelectedByTags(t, {"auth", "kb304897"}));
  EXPECT_FALSE(SelectedByTags(t, {"auth"}));
  EXPECT_FALSE(SelectedByTags(t, {"relay,!kb304897"}));
  EXPECT_TRUE(SelectedByTags(t, {"!dos"}));
}

// The command ------------------------------------------------------------------------------

TEST(ConformCommand, ExitCodesAndReports) {
  ConformOptions options;
  options.embedded = true;
  options.suites = {TestData()};
  options.json_path = TempPath("conform.json");
  options.junit_path = TempPath("conform.xml");
  EXPECT_EQ(RunConform(options), kConformOk);  // the harvest WARN does not fail
  const nlohmann::json json = nlohmann::json::parse(ReadFile(options.json_path), nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_EQ(json["summary"]["total"], 8);
  EXPECT_EQ(json["summary"]["by_verdict"]["PASS"], 7);
  EXPECT_EQ(json["summary"]["by_verdict"]["WARN"], 1);
  EXPECT_EQ(json["profile"], "secure");
  const std::string xml = ReadFile(options.junit_path);
  EXPECT_THAT(xml, HasSubstr("tests=\"8\" failures=\"0\" errors=\"0\" skipped=\"0\""));
  EXPECT_EQ(Count(xml, "<testsuite "), 6u);

  options.strict = true;
  EXPECT_EQ(RunConform(options), kConformFailed);  // WARN counts with --strict
  options.strict = false;
  options.profile = "open-relay";
  EXPECT_EQ(RunConform(options), kConformFailed);
  const nlohmann::json open = nlohmann::json::parse(ReadFile(options.json_path), nullptr, false);
  EXPECT_EQ(open["summary"]["by_verdict"]["FAIL"], 2);
  EXPECT_THAT(ReadFile(options.junit_path), HasSubstr("failures=\"2\""));
  options.tags = {"relay"};
  EXPECT_EQ(RunConform(options), kConformFailed);
  options.tags = {"harvest"};
  options.profile = "secure";
  EXPECT_EQ(RunConform(options), kConformOk);
  std::remove(options.json_path.c_str());
  std::remove(options.junit_path.c_str());
}

TEST(ConformCommand, UsageAndInputErrorsExitTwo) {
  ConformOptions none;
  EXPECT_EQ(RunConform(none), kConformUsage);
  ConformOptions both;
  both.embedded = true;
  both.target = "127.0.0.1:2525";
  EXPECT_EQ(RunConform(both), kConformUsage);
  ConformOptions profile;
  profile.embedded = true;
  profile.profile = "leaky";
  profile.suites = {TestData()};
  EXPECT_EQ(RunConform(profile), kConformUsage);
  ConformOptions no_tests;
  no_tests.embedded = true;
  no_tests.suites = {TestData()};
  no_tests.tags = {"no-such-tag"};
  EXPECT_EQ(RunConform(no_tests), kConformUsage);
}

TEST(ConformCommand, BadTranscriptExitsTwoBeforeAnyConnection) {
  const std::filesystem::path dir = TempPath("bad-suite");
  std::filesystem::create_directories(dir / "relay");
  std::ofstream(dir / "relay" / "x.smtp")
      << "@name x\n@title X\n@source t\n@severity low\nS: 220\nC: RCPT TO:<${nope}>\n";
  ConformOptions options;
  options.target = "127.0.0.1:1";  // nothing listens: reaching it would give exit 3
  options.suites = {dir.string()};
  EXPECT_EQ(RunConform(options), kConformUsage);
  std::filesystem::remove_all(dir);
}

TEST(ConformCommand, UnreachableTargetExitsThree) {
  ConformOptions options;
  options.target = "127.0.0.1:1";
  options.suites = {TestData()};
  EXPECT_EQ(RunConform(options), kConformUnreachable);
}

}  // namespace
}  // namespace smtpgate::conformance
