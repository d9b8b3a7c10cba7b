// The results of a run as JUnit XML: one <testsuite> per area, one <testcase> per transcript;
// FAIL → <failure>, ERROR → <error>, SKIP → <skipped>, WARN → passed with the reason in
// <system-out> (a <failure type="WARN"> with --strict).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_JUNIT_WRITER_H_
#define SMTPGATE_HARNESS_CONFORMANCE_JUNIT_WRITER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::conformance {

// Escapes text for XML 1.0 content and attributes: & < > " ' as entities; control
// characters that XML 1.0 forbids become "\xHH" text.
std::string XmlEscape(std::string_view text);

std::string JUnitXml(const RunResults& results, bool strict);
absl::Status WriteJUnit(const std::string& path, const RunResults& results, bool strict);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_JUNIT_WRITER_H_
