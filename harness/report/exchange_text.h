// What the reports share about one test: the entry of its exchange that a finding points at
// (the offending step), and the exchange as text with that entry marked.
#ifndef SMTPGATE_HARNESS_REPORT_EXCHANGE_TEXT_H_
#define SMTPGATE_HARNESS_REPORT_EXCHANGE_TEXT_H_

#include <string>

#include "harness/conformance/verdict.h"

namespace smtpgate::report {

// The exchange entry the first finding behind the verdict points at; -1 when none does
// (PASS tests, SKIPs decided before connecting).
int OffendingEntry(const conformance::TestResult& test);

// The transcript line of that finding (0: none).
int OffendingLine(const conformance::TestResult& test);

// Entry data for display: at most kShownData characters (results JSON keeps it all; a
// 10 MB BDAT chunk would otherwise fill the HTML, SARIF and JUnit reports).
inline constexpr size_t kShownData = 4096;
std::string ShownData(const std::string& data);

// "C: EHLO x\r\n", "S: 250 ok\r\n (3 ms)", "*: connect" (data as ShownData).
std::string EntryText(const conformance::ExchangeEntry& entry);

// One entry a line; the offending one ends with "   <-- here".
std::string ExchangeText(const conformance::TestResult& test);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_EXCHANGE_TEXT_H_
