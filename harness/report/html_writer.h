// The results as one self-contained HTML file (inline style and script, no fetches): the
// runs with their counts, a verdict matrix (areas × verdicts per run, and targets × tests
// when several results files are combined), filters by verdict and severity, and for every
// FAIL, WARN and ERROR the exchange with the offending step highlighted.
//
// The counts are in data attributes (data-verdict, data-count, data-shown) so that tests and
// scripts can read them from the rendered page.
#ifndef SMTPGATE_HARNESS_REPORT_HTML_WRITER_H_
#define SMTPGATE_HARNESS_REPORT_HTML_WRITER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::report {

// & < > " ' as entities; control characters (but tab and newline) and bytes that are not
// valid UTF-8 as "\xHH" text.
std::string HtmlEscape(std::string_view text);

std::string HtmlReport(const std::vector<conformance::RunResults>& runs);
absl::Status WriteHtml(const std::string& path, const std::vector<conformance::RunResults>& runs);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_HTML_WRITER_H_
