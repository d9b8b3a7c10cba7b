#include "harness/conformance/results_json.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace smtpgate::conformance {

nlohmann::json ResultsToJson(const RunResults& results) {
  nlohmann::json tests = nlohmann::json::array();
  for (const TestResult& test : results.tests) {
    nlohmann::json exchange = nlohmann::json::array();
    for (const ExchangeEntry& entry : test.exchange) {
      exchange.push_back({{"dir", std::string(DirectionName(entry.direction))},
                          {"data", entry.data},
                          {"elapsed_ms", entry.elapsed_ms}});
    }
    nlohmann::json findings = nlohmann::json::array();
    for (const Finding& finding : test.findings) {
      findings.push_back({{"verdict", std::string(VerdictName(finding.verdict))},
                          {"evidence", std::string(EvidenceName(finding.evidence))},
                          {"reason", finding.reason}});
    }
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
                     {"findings", findings},
                     {"token", test.token},
                     {"duration_ms", test.duration.count()},
                     {"exchange", exchange}});
  }
  nlohmann::json by_verdict = nlohmann::json::object();
  for (const auto& [verdict, count] : results.CountByVerdict()) {
    by_verdict[std::string(VerdictName(verdict))] = count;
  }
  nlohmann::json by_severity = nlohmann::json::object();
  const auto severities = results.CountBySeverity();
  for (Severity severity : kAllSeverities) {
    nlohmann::json counts = nlohmann::json::object();
    const auto it = severities.find(severity);
    for (Verdict verdict : kAllVerdicts) {
      const int count =
          it == severities.end() || !it->second.contains(verdict) ? 0 : it->second.at(verdict);
      counts[std::string(VerdictName(verdict))] = count;
    }
    by_severity[std::string(SeverityName(severity))] = counts;
  }
  return {{"schema_version", kResultsSchemaVersion},
          {"smtpgate_version", results.smtpgate_version},
          {"target", results.target},
          {"profile", results.profile},
          {"started", results.started},
          {"duration_ms", results.duration.count()},
          {"tests", tests},
          {"summary",
           {{"total", results.tests.size()},
            {"by_verdict", by_verdict},
            {"by_severity", by_severity}}}};
}

std::string ResultsJsonText(const RunResults& results) {
  return ResultsToJson(results).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

absl::Status WriteResultsJson(const std::string& path, const RunResults& results) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  out << ResultsJsonText(results);
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

}  // namespace smtpgate::conformance
