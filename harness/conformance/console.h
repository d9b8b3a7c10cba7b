// What `smtpgate conform` prints: one line per test, the reason under a non-PASS one, and a
// summary by verdict and severity.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_CONSOLE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_CONSOLE_H_

#include <string>

#include "harness/conformance/verdict.h"

namespace smtpgate::conformance {

// "FAIL  critical  relay/kb304897-1  Remote sender to remote recipient must not relay (3 ms)"
// then, unless PASS, "      reason: ..."; with `verbose` (or for FAIL/ERROR, the last few
// entries) the exchange, "      C: ...", "      S: ... (12 ms)", "      *: ...".
std::string FormatTest(const TestResult& test, bool verbose);

// "84 tests in 1.234 s: PASS 80, FAIL 2, WARN 1, SKIP 1, ERROR 0" and a line per severity.
std::string FormatSummary(const RunResults& results);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_CONSOLE_H_
