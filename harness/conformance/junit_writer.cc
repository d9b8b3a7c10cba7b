#include "harness/conformance/junit_writer.h"

#include <fstream>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

std::string Seconds(std::chrono::milliseconds ms) {
  return absl::StrFormat("%.3f", static_cast<double>(ms.count()) / 1000.0);
}

// The exchange, one entry a line, as in the console's verbose output.
std::string ExchangeText(const TestResult& test) {
  std::string text;
  for (const ExchangeEntry& entry : test.exchange) {
    absl::StrAppend(&text, AsAbsl(DirectionName(entry.direction)), ": ", entry.data);
    if (entry.direction == ExchangeEntry::Direction::kServer) {
      absl::StrAppend(&text, " (", entry.elapsed_ms, " ms)");
    }
    text.push_back('\n');
  }
  return text;
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
  std::map<std::string, std::vector<const TestResult*>> areas;
  Counts total;
  for (const TestResult& test : results.tests) {
    areas[test.area].push_back(&test);
    Count(total, test, strict);
  }
  total.time = results.duration;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, "<testsuites name=\"smtpgate conform ", XmlEscape(results.target), "\" ",
                  CountAttributes(total), ">\n");
  for (const auto& [area, tests] : areas) {
    Counts counts;
    for (const TestResult* test : tests) Count(counts, *test, strict);
    absl::StrAppend(&xml, "  <testsuite name=\"", XmlEscape(area), "\" ", CountAttributes(counts),
                    ">\n");
    for (const TestResult* test : tests) {
      absl::StrAppend(&xml, "    <testcase name=\"", XmlEscape(test->name), "\" classname=\"",
                      XmlEscape(absl::StrCat("smtpgate.", area)), "\" time=\"",
                      Seconds(test->duration), "\">\n");
      const std::string message =
          XmlEscape(absl::StrCat(AsAbsl(SeverityName(test->severity)), ": ", test->reason));
      const std::string body = XmlEscape(absl::StrCat(
          test->title, "\nsource: ", test->source,
          "\nevidence: ", absl::StrJoin(test->evidence, ", "), "\n\n", ExchangeText(*test)));
      if (IsFailure(*test, strict)) {
        absl::StrAppend(&xml, "      <failure message=\"", message, "\" type=\"",
                        AsAbsl(VerdictName(test->verdict)), "\">", body, "</failure>\n");
      } else if (test->verdict == Verdict::kError) {
        absl::StrAppend(&xml, "      <error message=\"", message, "\" type=\"ERROR\">", body,
                        "</error>\n");
      } else if (test->verdict == Verdict::kSkip) {
        absl::StrAppend(&xml, "      <skipped message=\"", XmlEscape(test->reason), "\"/>\n");
      } else if (test->verdict == Verdict::kWarn) {
        absl::StrAppend(&xml, "      <system-out>WARN ", message, "\n", body, "</system-out>\n");
      }
      absl::StrAppend(&xml, "    </testcase>\n");
    }
    absl::StrAppend(&xml, "  </testsuite>\n");
  }
  absl::StrAppend(&xml, "</testsuites>\n");
  return xml;
}

absl::Status WriteJUnit(const std::string& path, const RunResults& results, bool strict) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  out << JUnitXml(results, strict);
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

}  // namespace smtpgate::conformance
