#include "harness/report/results_json.h"

#include "harness/report/text_file.h"

namespace smtpgate::report {

using conformance::ExchangeEntry;
using conformance::Finding;
using conformance::RunResults;
using conformance::Severity;
using conformance::TestResult;
using conformance::Verdict;

namespace {

nlohmann::json Exchange(const TestResult& test) {
  nlohmann::json exchange = nlohmann::json::array();
  for (const ExchangeEntry& entry : test.exchange) {
    exchange.push_back({{"dir", std::string(DirectionName(entry.direction))},
                        {"data", entry.data},
                        {"elapsed_ms", entry.elapsed_ms}});
  }
  return exchange;
}

nlohmann::json Findings(const TestResult& test) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& finding : test.findings) {
    findings.push_back(
        {{"verdict", std::string(VerdictName(finding.verdict))},
         {"evidence", std::string(EvidenceName(finding.evidence))},
         {"reason", finding.reason},
         {"line", finding.line > 0 ? nlohmann::json(finding.line) : nlohmann::json()},
         {"exchange_index", finding.exchange_index >= 0 ? nlohmann::json(finding.exchange_index)
                                                        : nlohmann::json()}});
  }
  return findings;
}

nlohmann::json Summary(const RunResults& results) {
  nlohmann::json by_verdict = nlohmann::json::object();
  for (const auto& [verdict, count] : results.CountByVerdict()) {
    by_verdict[std::string(VerdictName(verdict))] = count;
  }
  nlohmann::json by_severity = nlohmann::json::object();
  const auto severities = results.CountBySeverity();
  for (Severity severity : conformance::kAllSeverities) {
    nlohmann::json counts = nlohmann::json::object();
    const auto it = severities.find(severity);
    for (Verdict verdict : conformance::kAllVerdicts) {
      const int count =
          it == severities.end() || !it->second.contains(verdict) ? 0 : it->second.at(verdict);
      counts[std::string(VerdictName(verdict))] = count;
    }
    by_severity[std::string(SeverityName(severity))] = counts;
  }
  return {
      {"total", results.tests.size()}, {"by_verdict", by_verdict}, {"by_severity", by_severity}};
}

}  // namespace

nlohmann::json ResultsToJson(const RunResults& results) {
  nlohmann::json tests = nlohmann::json::array();
  for (const TestResult& test : results.tests) {
    tests.push_back({{"id", test.id},
                     {"name", test.name},
                     {"area", test.area},
                     {"path", test.path},
                     {"title", test.title},
                     {"source", test.source},
                     {"tags", test.tags},
                     {"severity", std::string(SeverityName(test.severity))},
                     {"verdict", std::string(VerdictName(test.verdict))},
                     {"reason", test.reason},
                     {"evidence", test.evidence},
                     {"findings", Findings(test)},
                     {"token", test.token},
                     {"duration_ms", test.duration.count()},
                     {"exchange", Exchange(test)}});
  }
  return {{"schema_version", kResultsSchemaVersion},
          {"smtpgate_version", results.smtpgate_version},
          {"target", results.target},
          {"profile", results.profile},
          {"started", results.started},
          {"duration_ms", results.duration.count()},
          {"tests", tests},
          {"summary", Summary(results)}};
}

std::string ResultsJsonText(const RunResults& results) {
  return ResultsToJson(results).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

absl::Status WriteResultsJson(const std::string& path, const RunResults& results) {
  return WriteTextFile(path, ResultsJsonText(results));
}

}  // namespace smtpgate::report
