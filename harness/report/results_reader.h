// Reads results JSON (schema_version 1 or 2) back into RunResults, for `smtpgate report`.
// Every error names the file and where in it: "r.json: tests[3].verdict: expected ...".
#ifndef SMTPGATE_HARNESS_REPORT_RESULTS_READER_H_
#define SMTPGATE_HARNESS_REPORT_RESULTS_READER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::report {

// `name` is used in error messages. The summary is not read (it is derived from the tests).
absl::StatusOr<conformance::RunResults> ParseResultsJson(std::string_view text,
                                                         const std::string& name);
absl::StatusOr<conformance::RunResults> ReadResultsJson(const std::string& path);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_RESULTS_READER_H_
