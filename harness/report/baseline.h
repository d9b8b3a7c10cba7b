// The baseline of the regression gate: the verdict of every test of an accepted run, in a
// compact, sorted JSON file meant to be checked in (one line per test, so a change of
// verdict is a one-line diff). docs/reports.md, "Baselines"; reports/schema/baseline.schema.json.
//
//   {
//     "smtpgate_baseline": 1,
//     "smtpgate_version": "0.1.0",
//     "target": "embedded (profile secure)",
//     "verdicts": {
//       "auth/auth-authzid-impersonation": "PASS",
//       ...
//     }
//   }
//
// A full results JSON file is accepted as a baseline too.
#ifndef SMTPGATE_HARNESS_REPORT_BASELINE_H_
#define SMTPGATE_HARNESS_REPORT_BASELINE_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::report {

inline constexpr int kBaselineFormatVersion = 1;

struct Baseline {
  std::string smtpgate_version;
  std::string target;  // what it was recorded against (informational)
  std::map<std::string, conformance::Verdict> verdicts;  // test id → verdict
};

Baseline BaselineFrom(const conformance::RunResults& results);
std::string BaselineText(const Baseline& baseline);
// `name` is used in error messages.
absl::StatusOr<Baseline> ParseBaseline(std::string_view text, const std::string& name);
// NotFound when the file does not exist; InvalidArgument (naming the file) when it is
// not a baseline.
absl::StatusOr<Baseline> ReadBaseline(const std::string& path);
absl::Status WriteBaseline(const std::string& path, const Baseline& baseline);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_BASELINE_H_
