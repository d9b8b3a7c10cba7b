// `smtpgate report RESULTS.json... [--json F] [--junit F] [--sarif F] [--html F]
//                  [--baseline F [--write-baseline]] [--strict]`
// turns results JSON files (from `smtpgate conform --json`) into the other formats after the
// fact, and gates one of them against a baseline. Several files are combined (JUnit, SARIF
// with one run each, HTML with a targets × tests matrix); --json and --baseline take one.
//   0 done (and no regression); 1 a test regressed against --baseline;
//   2 usage error, or an input that is not a readable results file (named, with where).
#ifndef SMTPGATE_HARNESS_REPORT_REPORT_COMMAND_H_
#define SMTPGATE_HARNESS_REPORT_REPORT_COMMAND_H_

#include <string>
#include <vector>

#include "harness/report/report_outputs.h"

namespace smtpgate {

struct ReportCommandOptions {
  std::vector<std::string> inputs;  // results JSON files
  report::ReportOptions outputs;
};

int RunReport(const ReportCommandOptions& options);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_REPORT_REPORT_COMMAND_H_
