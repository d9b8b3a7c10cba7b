// The regression gate: a run compared with a baseline, test by test.
//
// A verdict is "bad" when it is FAIL or ERROR (and WARN with --strict, as a lesser evil than
// FAIL). A test REGRESSED when it is worse than in the baseline (PASS/SKIP/WARN → FAIL or
// ERROR; with --strict also PASS/SKIP → WARN and WARN → FAIL), or is new and bad; it IMPROVED
// when it got better. Other changes of verdict (PASS → SKIP, FAIL → ERROR) are CHANGED;
// tests of the baseline that did not run are MISSING. Only regressions fail the gate: known
// failures recorded in the baseline do not.
#ifndef SMTPGATE_HARNESS_REPORT_BASELINE_DIFF_H_
#define SMTPGATE_HARNESS_REPORT_BASELINE_DIFF_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/conformance/verdict.h"
#include "harness/report/baseline.h"

namespace smtpgate::report {

enum class Change { kRegressed, kImproved, kChanged, kNew, kMissing, kStillBad, kUnchanged };
std::string_view ChangeName(Change change);  // "REGRESSED", "IMPROVED", ...

bool IsBad(conformance::Verdict verdict, bool strict);

struct GateEntry {
  std::string id;
  std::optional<conformance::Verdict> before;  // absent: not in the baseline
  std::optional<conformance::Verdict> after;   // absent: not run
  Change change = Change::kUnchanged;
  std::string detail;  // "critical: reason" for tests that ran
};

struct GateResult {
  std::vector<GateEntry> entries;  // sorted by id
  int Count(Change change) const;
  bool Passed() const { return Count(Change::kRegressed) == 0; }
};

GateResult CompareWithBaseline(const Baseline& baseline, const conformance::RunResults& results,
                               bool strict);

// What the gate prints: a summary line, then REGRESSED, IMPROVED, CHANGED, NEW and MISSING
// tests (one a line, in that order).
std::string FormatGate(const GateResult& gate, const std::string& baseline_path,
                       const Baseline& baseline);
// "gate: PASS (no regressions)" or "gate: FAIL (3 regressions)", with a newline.
std::string GateVerdict(const GateResult& gate);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_BASELINE_DIFF_H_
