// The results as SARIF 2.1.0, for code-scanning UIs (GitHub code scanning, GitLab, Azure
// DevOps, VS Code's SARIF viewer): one SARIF run per results file; one rule per transcript,
// its help made from @title and @source; one result per FAIL and WARN, located at the
// transcript line of the offending step; the level comes from the verdict and severity
// (docs/reports.md). ERROR tests become tool execution notifications.
#ifndef SMTPGATE_HARNESS_REPORT_SARIF_WRITER_H_
#define SMTPGATE_HARNESS_REPORT_SARIF_WRITER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"
#include "nlohmann/json.hpp"

namespace smtpgate::report {

// "error", "warning" or "note": FAIL: critical, high, medium → error, low → warning,
// info → note; WARN: warning (info → note); other verdicts: "none".
std::string_view SarifLevel(conformance::Verdict verdict, conformance::Severity severity);

nlohmann::json SarifLog(const std::vector<conformance::RunResults>& runs);
std::string SarifText(const std::vector<conformance::RunResults>& runs);
absl::Status WriteSarif(const std::string& path, const std::vector<conformance::RunResults>& runs);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_SARIF_WRITER_H_
