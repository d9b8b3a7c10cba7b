#include "harness/report/junit_writer.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"
#include "harness/report/exchange_text.h"
#include "harness/report/text_file.h"

namespace smtpgate::report {

using conformance::RunResults;
using conformance::TestResult;
using conformance::Verdict;

namespace {

std::string Seconds(std::chrono::milliseconds ms) {
  return absl::StrFormat("%.3f", static_cast<double>(ms.count()) / 1000.0);
}

struct Counts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  std::chrono::milliseconds time{0};
};

bool IsFailure(const TestResult& test, bool strict) {
  return test.verdict == Verdict::kFail || (strict && test.verdict == Verdict::kWarn);
}

void Count(Counts& counts, const TestResult& test, bool strict) {
  ++counts.tests;
  counts.failures += IsFailure(test, strict) ? 1 : 0;
  counts.errors += test.verdict == Verdict::kError ? 1 : 0;
  counts.skipped += test.verdict == Verdict::kSkip ? 1 : 0;
  counts.time += test.duration;
}

std::string CountAttributes(const Counts& counts) {
  return absl::StrCat("tests=\"", counts.tests, "\" failures=\"", counts.failures, "\" errors=\"",
                      counts.errors, "\" skipped=\"", counts.skipped, "\" time=\"",
                      Seconds(counts.time), "\"");
}

std::string TestCase(const TestResult& test, const std::string& classname, bool strict) {
  std::string xml =
      absl::StrCat("    <testcase name=\"", XmlEscape(test.name), "\" classname=\"",
                   XmlEscape(classname), "\" time=\"", Seconds(test.duration), "\">\n");
  const std::string message =
      XmlEscape(absl::StrCat(AsAbsl(SeverityName(test.severity)), ": ", test.reason));
  const int line = OffendingLine(test);
  const std::string body = XmlEscape(
      absl::StrCat(test.title, "\nsource: ", test.source, "\ntranscript: ", test.path,
                   line > 0 ? absl::StrCat(":", line) : "",
                   "\nevidence: ", absl::StrJoin(test.evidence, ", "), "\n\n", ExchangeText(test)));
  if (IsFailure(test, strict)) {
    absl::StrAppend(&xml, "      <failure message=\"", message, "\" type=\"",
                    AsAbsl(VerdictName(test.verdict)), "\">", body, "</failure>\n");
  } else if (test.verdict == Verdict::kError) {
    absl::StrAppend(&xml, "      <error message=\"", message, "\" type=\"ERROR\">", body,
                    "</error>\n");
  } else if (test.verdict == Verdict::kSkip) {
    absl::StrAppend(&xml, "      <skipped message=\"", XmlEscape(test.reason), "\"/>\n");
  } else if (test.verdict == Verdict::kWarn) {
    absl::StrAppend(&xml, "      <system-out>WARN ", message, "\n", body, "</system-out>\n");
  }
  absl::StrAppend(&xml, "    </testcase>\n");
  return xml;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out.append("&amp;");
        continue;
      case '<':
        out.append("&lt;");
        continue;
      case '>':
        out.append("&gt;");
        continue;
      case '"':
        out.append("&quot;");
        continue;
      case '\'':
        out.append("&apos;");
        continue;
      default:
        break;
    }
    if (u < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      out.append(absl::StrFormat("\\x%02x", u));
    } else if (u == 0x7f) {
      out.append("\\x7f");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JUnitXml(const RunResults& results, bool strict) {
  return JUnitXml(std::vector<RunResults>{results}, strict);
}

std::string JUnitXml(const std::vector<RunResults>& runs, bool strict) {
  const bool several = runs.size() > 1;
  Counts total;
  std::vector<std::string> targets;
  std::string suites;
  for (const RunResults& results : runs) {
    targets.push_back(results.target);
    std::map<std::string, std::vector<const TestResult*>> areas;
    for (const TestResult& test : results.tests) {
      areas[test.area].push_back(&test);
      Count(total, test, strict);
    }
    for (const auto& [area, tests] : areas) {
      Counts counts;
      for (const TestResult* test : tests) Count(counts, *test, strict);
      const std::string name = several ? absl::StrCat(results.target, ": ", area) : area;
      absl::StrAppend(&suites, "  <testsuite name=\"", XmlEscape(name), "\" ",
                      CountAttributes(counts), ">\n");
      const std::string classname = several ? absl::StrCat("smtpgate.", results.target, ".", area)
                                            : absl::StrCat("smtpgate.", area);
      for (const TestResult* test : tests)
        absl::StrAppend(&suites, TestCase(*test, classname, strict));
      absl::StrAppend(&suites, "  </testsuite>\n");
    }
  }
  total.time = std::chrono::milliseconds(0);
  for (const RunResults& results : runs) total.time += results.duration;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, "<testsuites name=\"smtpgate conform ",
                  XmlEscape(absl::StrJoin(targets, ", ")), "\" ", CountAttributes(total), ">\n",
                  suites, "</testsuites>\n");
  return xml;
}

absl::Status WriteJUnit(const std::string& path, const std::vector<RunResults>& runs, bool strict) {
  return WriteTextFile(path, JUnitXml(runs, strict));
}

}  // namespace smtpgate::report
