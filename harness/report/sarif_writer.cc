#include "harness/report/sarif_writer.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "harness/core/smtp_status.h"
#include "harness/report/exchange_text.h"
#include "harness/report/text_file.h"

namespace smtpgate::report {

using conformance::RunResults;
using conformance::Severity;
using conformance::TestResult;
using conformance::Verdict;
using Json = nlohmann::json;

namespace {

constexpr char kSchema[] = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr char kUriBase[] = "SRCROOT";

// GitHub's scale: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
std::string_view SecuritySeverity(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "3.0";
    case Severity::kInfo:
      return "";
  }
  return "";
}

// SARIF messages are sentences: they end with a period.
std::string Sentence(std::string text) {
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  if (text.empty()) return "(no text).";
  if (text.back() != '.' && text.back() != '!' && text.back() != '?') text.push_back('.');
  return text;
}

// A relative reference (RFC 3986) for a file path: unreserved characters and '/' as they
// are, everything else percent-encoded.
std::string UriPath(std::string_view path) {
  std::string out;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(c);
    } else {
      out.append(absl::StrFormat("%%%02X", u));
    }
  }
  return out;
}

Json ArtifactLocation(const std::string& path) {
  if (absl::StartsWith(path, "/")) return {{"uri", absl::StrCat("file://", UriPath(path))}};
  std::string relative = path;
  while (absl::StartsWith(relative, "./")) relative.erase(0, 2);
  return {{"uri", UriPath(relative)}, {"uriBaseId", kUriBase}};
}

// "embedded (profile secure)" → "embedded-profile-secure".
std::string Slug(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "target" : out;
}

Json Rule(const TestResult& test) {
  const std::string severity(SeverityName(test.severity));
  const std::string help = absl::StrCat(
      Sentence(test.title), "\nSource: ", Sentence(test.source), "\nTranscript: ", test.path,
      "\nTags: ", absl::StrJoin(test.tags, ", "), "\nSeverity: ", severity,
      "\nFAIL: the server showed the flaw (the exchange and evidence are in the result). WARN: "
      "suspected but not proven.");
  const std::string markdown = absl::StrCat(
      "**", test.title, "**\n\nSource: ", test.source, "\n\nTranscript: `", test.path,
      "`\n\nTags: ", absl::StrJoin(test.tags, ", "), "\n\nSeverity: ", severity,
      "\n\nFAIL: the server showed the flaw (the exchange and evidence are in the result). "
      "WARN: suspected but not proven.");
  std::vector<std::string> tags = {"security", "smtp"};
  tags.insert(tags.end(), test.tags.begin(), test.tags.end());
  Json properties = {{"tags", tags}, {"precision", "high"}, {"severity", severity}};
  if (const std::string_view score = SecuritySeverity(test.severity); !score.empty()) {
    properties["security-severity"] = std::string(score);
  }
  return {
      {"id", test.id},
      {"name", test.name},
      {"shortDescription", {{"text", Sentence(test.title)}}},
      {"fullDescription",
       {{"text", absl::StrCat(Sentence(test.title), " Source: ", Sentence(test.source))}}},
      {"help", {{"text", help}, {"markdown", markdown}}},
      {"defaultConfiguration", {{"level", std::string(SarifLevel(Verdict::kFail, test.severity))}}},
      {"properties", properties}};
}

Json Result(const TestResult& test, size_t rule_index, const RunResults& run) {
  std::vector<std::string> exchange;
  for (const conformance::ExchangeEntry& entry : test.exchange) {
    exchange.push_back(EntryText(entry));
  }
  const int line = OffendingLine(test);
  Json physical = {{"artifactLocation", ArtifactLocation(test.path)},
                   {"region", {{"startLine", line > 0 ? line : 1}}}};
  Json properties = {{"verdict", std::string(VerdictName(test.verdict))},
                     {"severity", std::string(SeverityName(test.severity))},
                     {"evidence", test.evidence},
                     {"target", run.target},
                     {"token", test.token},
                     {"exchange", exchange}};
  if (const int offending = OffendingEntry(test); offending >= 0) {
    properties["offendingExchangeIndex"] = offending;
  }
  return {
      {"ruleId", test.id},
      {"ruleIndex", rule_index},
      {"kind", "fail"},
      {"level", std::string(SarifLevel(test.verdict, test.severity))},
      {"message",
       {{"text", Sentence(absl::StrCat(AsAbsl(VerdictName(test.verdict)), " (",
                                       AsAbsl(SeverityName(test.severity)), ") against ",
                                       run.target, ": ", test.reason))}}},
      {"locations", Json::array({{{"physicalLocation", physical}}})},
      {"partialFingerprints", {{"smtpgateTest/v1", absl::StrCat(Slug(run.target), "/", test.id)}}},
      {"properties", properties}};
}

Json Invocation(const RunResults& run) {
  Json invocation = {{"executionSuccessful", true}};
  absl::Time start;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, run.started, &start, &error)) {
    const absl::Time end = start + absl::Milliseconds(run.duration.count());
    const char* format = "%Y-%m-%dT%H:%M:%E3SZ";
    invocation["startTimeUtc"] = absl::FormatTime(format, start, absl::UTCTimeZone());
    invocation["endTimeUtc"] = absl::FormatTime(format, end, absl::UTCTimeZone());
  }
  Json notifications = Json::array();
  for (size_t i = 0; i < run.tests.size(); ++i) {
    const TestResult& test = run.tests[i];
    if (test.verdict != Verdict::kError) continue;
    notifications.push_back(
        {{"level", "error"},
         {"message", {{"text", Sentence(absl::StrCat("ERROR in ", test.id, ": ", test.reason))}}},
         {"associatedRule", {{"id", test.id}, {"index", i}}}});
  }
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;
  return invocation;
}

Json Run(const RunResults& run, const std::string& automation_id) {
  Json rules = Json::array();
  Json results = Json::array();
  for (size_t i = 0; i < run.tests.size(); ++i) {
    const TestResult& test = run.tests[i];
    rules.push_back(Rule(test));
    if (test.verdict == Verdict::kFail || test.verdict == Verdict::kWarn) {
      results.push_back(Result(test, i, run));
    }
  }
  Json driver = {
      {"name", "smtpgate"}, {"fullName", "smtpgate SMTP conformance harness"}, {"rules", rules}};
  if (!run.smtpgate_version.empty()) {
    driver["version"] = run.smtpgate_version;
    driver["semanticVersion"] = run.smtpgate_version;
  }
  Json properties = {{"target", run.target}};
  if (!run.profile.empty()) properties["profile"] = run.profile;
  return {{"tool", {{"driver", driver}}},
          {"automationDetails", {{"id", automation_id}}},
          {"invocations", Json::array({Invocation(run)})},
          {"results", results},
          {"properties", properties}};
}

}  // namespace

std::string_view SarifLevel(Verdict verdict, Severity severity) {
  if (verdict == Verdict::kFail) {
    if (severity == Severity::kInfo) return "note";
    return severity == Severity::kLow ? "warning" : "error";
  }
  if (verdict == Verdict::kWarn) return severity == Severity::kInfo ? "note" : "warning";
  return "none";
}

Json SarifLog(const std::vector<RunResults>& runs) {
  Json sarif_runs = Json::array();
  std::map<std::string, int> used;  // one category per run, even for the same target twice
  for (const RunResults& run : runs) {
    const std::string slug = Slug(run.target);
    const int n = ++used[slug];
    sarif_runs.push_back(
        Run(run, absl::StrCat("smtpgate/", slug, n > 1 ? absl::StrCat("-", n) : "", "/")));
  }
  return {{"$schema", kSchema}, {"version", "2.1.0"}, {"runs", sarif_runs}};
}

std::string SarifText(const std::vector<RunResults>& runs) {
  return SarifLog(runs).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

absl::Status WriteSarif(const std::string& path, const std::vector<RunResults>& runs) {
  return WriteTextFile(path, SarifText(runs));
}

}  // namespace smtpgate::report
