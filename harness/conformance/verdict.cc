#include "harness/conformance/verdict.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace smtpgate::conformance {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (Verdict verdict : kAllVerdicts) {
    if (VerdictName(verdict) == name) return verdict;
  }
  return std::nullopt;
}

int VerdictRank(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return 0;
    case Verdict::kWarn:
      return 1;
    case Verdict::kSkip:
      return 2;
    case Verdict::kError:
      return 3;
    case Verdict::kFail:
      return 4;
  }
  return 3;
}

std::string_view EvidenceName(Evidence evidence) {
  switch (evidence) {
    case Evidence::kReplySequence:
      return "reply sequence";
    case Evidence::kOracle:
      return "oracle";
    case Evidence::kLiveness:
      return "liveness";
    case Evidence::kProcessStatus:
      return "process status";
    case Evidence::kCrashLog:
      return "crash log";
    case Evidence::kHarness:
      return "harness";
  }
  return "harness";
}

std::string_view DirectionName(ExchangeEntry::Direction direction) {
  switch (direction) {
    case ExchangeEntry::Direction::kClient:
      return "C";
    case ExchangeEntry::Direction::kServer:
      return "S";
    case ExchangeEntry::Direction::kEvent:
      return "*";
  }
  return "*";
}

void TestResult::Decide() {
  verdict = Verdict::kPass;
  for (const Finding& finding : findings) {
    if (VerdictRank(finding.verdict) > VerdictRank(verdict)) verdict = finding.verdict;
  }
  std::vector<std::string> reasons;
  evidence.clear();
  for (const Finding& finding : findings) {
    if (finding.verdict != verdict) continue;
    reasons.push_back(finding.reason);
    const std::string kind(EvidenceName(finding.evidence));
    if (std::find(evidence.begin(), evidence.end(), kind) == evidence.end()) {
      evidence.push_back(kind);
    }
  }
  reason = absl::StrJoin(reasons, "; ");
}

std::map<Verdict, int> RunResults::CountByVerdict() const {
  std::map<Verdict, int> counts;
  for (Verdict verdict : kAllVerdicts) counts[verdict] = 0;
  for (const TestResult& test : tests) ++counts[test.verdict];
  return counts;
}

std::map<Severity, std::map<Verdict, int>> RunResults::CountBySeverity() const {
  std::map<Severity, std::map<Verdict, int>> counts;
  for (const TestResult& test : tests) ++counts[test.severity][test.verdict];
  return counts;
}

}  // namespace smtpgate::conformance
