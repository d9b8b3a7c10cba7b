// The style sheet and the script of the HTML report, inlined into every report so the file
// is self-contained (no fetches; the page's Content-Security-Policy forbids them).
#ifndef SMTPGATE_HARNESS_REPORT_HTML_ASSETS_H_
#define SMTPGATE_HARNESS_REPORT_HTML_ASSETS_H_

#include <string_view>

namespace smtpgate::report {

std::string_view HtmlStyle();
// Filters by verdict and severity (checkboxes, mirrored in the URL fragment as
// "#verdict=FAIL,WARN&severity=critical,high"), the "showing N of M" count, and
// "only tests that differ" for the targets × tests matrix. Sets <body data-ready="1"> when done.
std::string_view HtmlScript();

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_HTML_ASSETS_H_
