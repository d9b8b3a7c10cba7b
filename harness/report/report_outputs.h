// What `smtpgate conform` and `smtpgate report` share: writing the reports asked for
// (--json, --junit, --sarif, --html) and the regression gate (--baseline, --write-baseline).
#ifndef SMTPGATE_HARNESS_REPORT_REPORT_OUTPUTS_H_
#define SMTPGATE_HARNESS_REPORT_REPORT_OUTPUTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/conformance/verdict.h"
#include "harness/report/baseline.h"

namespace smtpgate::report {

struct ReportOptions {
  std::string json_path;
  std::string junit_path;
  std::string sarif_path;
  std::string html_path;
  std::string baseline_path;
  bool write_baseline = false;  // record the run as the new baseline at baseline_path
  bool strict = false;          // WARN counts as a failure (JUnit) and as bad (gate)
};

// The baseline to gate on, loaded before anything runs: nullopt without --baseline, and with
// --write-baseline when there is no readable old one. Errors (exit 2): --write-baseline
// without --baseline; a missing or malformed baseline file.
absl::StatusOr<std::optional<Baseline>> PrepareGate(const ReportOptions& options);

// Writes the reports, then gates: the exit code is `code` without a baseline; with one it
// is 1 when a test regressed and 0 otherwise; --write-baseline records the run and gives 0.
// A report or baseline that cannot be written gives 2. Messages go to stdout (the gate)
// and stderr (errors), prefixed with `command` ("smtpgate conform").
int WriteReports(const ReportOptions& options, const std::vector<conformance::RunResults>& runs,
                 const std::optional<Baseline>& baseline, int code, std::string_view command);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_REPORT_OUTPUTS_H_
