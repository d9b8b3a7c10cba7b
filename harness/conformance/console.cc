#include "harness/conformance/console.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

constexpr size_t kExcerpt = 8;  // exchange entries shown for a FAIL/ERROR without --verbose

std::string Counts(const std::map<Verdict, int>& counts) {
  std::vector<std::string> parts;
  for (Verdict verdict : kAllVerdicts) {
    const auto it = counts.find(verdict);
    parts.push_back(
        absl::StrCat(AsAbsl(VerdictName(verdict)), " ", it == counts.end() ? 0 : it->second));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::string FormatTest(const TestResult& test, bool verbose) {
  std::string out =
      absl::StrFormat("%-5s %-8s  %s  %s (%d ms)\n", VerdictName(test.verdict),
                      SeverityName(test.severity), test.id, test.title, test.duration.count());
  if (test.verdict != Verdict::kPass) {
    absl::StrAppend(&out, "      reason: ", test.reason, "\n");
  }
  const bool excerpt = test.verdict == Verdict::kFail || test.verdict == Verdict::kError;
  if (!verbose && !excerpt) return out;
  size_t first = 0;
  if (!verbose && test.exchange.size() > kExcerpt) {
    first = test.exchange.size() - kExcerpt;
    absl::StrAppend(&out, "      ... (", first, " earlier entries; --verbose shows all)\n");
  }
  for (size_t i = first; i < test.exchange.size(); ++i) {
    const ExchangeEntry& entry = test.exchange[i];
    std::string data = entry.data;
    if (!verbose && data.size() > 160) data = absl::StrCat(data.substr(0, 160), "...");
    absl::StrAppend(&out, "      ", AsAbsl(DirectionName(entry.direction)), ": ", data);
    if (entry.direction == ExchangeEntry::Direction::kServer) {
      absl::StrAppend(&out, " (", entry.elapsed_ms, " ms)");
    }
    out.push_back('\n');
  }
  if (verbose) absl::StrAppend(&out, "      evidence: ", absl::StrJoin(test.evidence, ", "), "\n");
  return out;
}

std::string FormatSummary(const RunResults& results) {
  std::string out = absl::StrFormat(
      "\n%d tests against %s in %.3f s: %s\n", results.tests.size(), results.target,
      static_cast<double>(results.duration.count()) / 1000.0, Counts(results.CountByVerdict()));
  const auto by_severity = results.CountBySeverity();
  for (Severity severity : kAllSeverities) {
    const auto it = by_severity.find(severity);
    if (it == by_severity.end()) continue;
    int total = 0;
    for (const auto& [verdict, count] : it->second) total += count;
    absl::StrAppend(&out, absl::StrFormat("  %-8s  %3d: %s\n", SeverityName(severity), total,
                                          Counts(it->second)));
  }
  return out;
}

}  // namespace smtpgate::conformance
