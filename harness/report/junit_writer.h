// The results of a run as JUnit XML, for CI test reporters (GitLab, Jenkins, GitHub
// actions that read JUnit): one <testsuite> per area, one <testcase> per transcript;
// FAIL → <failure>, ERROR → <error>, SKIP → <skipped>, WARN → passed with the reason in
// <system-out> (a <failure type="WARN"> with --strict). Failures carry the severity and
// reason, and the exchange with the offending entry marked "<-- here".
#ifndef SMTPGATE_HARNESS_REPORT_JUNIT_WRITER_H_
#define SMTPGATE_HARNESS_REPORT_JUNIT_WRITER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::report {

// Escapes text for XML 1.0 content and attributes: & < > " ' as entities; control
// characters that XML 1.0 forbids become "\xHH" text.
std::string XmlEscape(std::string_view text);

std::string JUnitXml(const conformance::RunResults& results, bool strict);
// Several runs (`smtpgate report a.json b.json`): the suites are named "TARGET: AREA".
std::string JUnitXml(const std::vector<conformance::RunResults>& runs, bool strict);
absl::Status WriteJUnit(const std::string& path, const std::vector<conformance::RunResults>& runs,
                        bool strict);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_JUNIT_WRITER_H_
