#include "harness/report/baseline_diff.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::report {

using conformance::RunResults;
using conformance::TestResult;
using conformance::Verdict;

namespace {

constexpr size_t kDetailLimit = 160;

// 0: fine; 1: WARN under --strict; 2: FAIL or ERROR.
int Badness(Verdict verdict, bool strict) {
  if (verdict == Verdict::kFail || verdict == Verdict::kError) return 2;
  return strict && verdict == Verdict::kWarn ? 1 : 0;
}

Change Classify(const std::optional<Verdict>& before, const std::optional<Verdict>& after,
                bool strict) {
  if (!after) return Change::kMissing;
  const int now = Badness(*after, strict);
  if (!before) return now > 0 ? Change::kRegressed : Change::kNew;
  const int was = Badness(*before, strict);
  if (now > was) return Change::kRegressed;  // includes WARN -> FAIL under --strict
  if (now < was) return Change::kImproved;
  if (*before != *after) return Change::kChanged;
  return now > 0 ? Change::kStillBad : Change::kUnchanged;
}

std::string VerdictText(const std::optional<Verdict>& verdict, std::string_view none) {
  return verdict ? std::string(VerdictName(*verdict)) : std::string(none);
}

std::string Line(const GateEntry& entry) {
  std::string line = absl::StrFormat("  %-9s %s: ", ChangeName(entry.change), entry.id);
  switch (entry.change) {
    case Change::kNew:
      absl::StrAppend(&line, VerdictText(entry.after, ""), " (new test)");
      break;
    case Change::kMissing:
      absl::StrAppend(&line, "was ", VerdictText(entry.before, ""), ", not run");
      break;
    default:
      absl::StrAppend(&line, VerdictText(entry.before, "(new test)"), " -> ",
                      VerdictText(entry.after, ""));
      break;
  }
  if (!entry.detail.empty() && entry.change != Change::kMissing) {
    std::string detail = entry.detail;
    if (detail.size() > kDetailLimit) detail = absl::StrCat(detail.substr(0, kDetailLimit), "...");
    absl::StrAppend(&line, "  [", detail, "]");
  }
  return line + "\n";
}

}  // namespace

std::string_view ChangeName(Change change) {
  switch (change) {
    case Change::kRegressed:
      return "REGRESSED";
    case Change::kImproved:
      return "IMPROVED";
    case Change::kChanged:
      return "CHANGED";
    case Change::kNew:
      return "NEW";
    case Change::kMissing:
      return "MISSING";
    case Change::kStillBad:
      return "KNOWN";
    case Change::kUnchanged:
      return "UNCHANGED";
  }
  return "UNCHANGED";
}

bool IsBad(Verdict verdict, bool strict) { return Badness(verdict, strict) > 0; }

int GateResult::Count(Change change) const {
  return static_cast<int>(std::count_if(entries.begin(), entries.end(),
                                        [&](const GateEntry& e) { return e.change == change; }));
}

GateResult CompareWithBaseline(const Baseline& baseline, const RunResults& results, bool strict) {
  std::map<std::string, GateEntry> entries;
  for (const auto& [id, verdict] : baseline.verdicts) {
    entries[id].id = id;
    entries[id].before = verdict;
  }
  for (const TestResult& test : results.tests) {
    GateEntry& entry = entries[test.id];
    entry.id = test.id;
    entry.after = test.verdict;
    entry.detail = absl::StrCat(AsAbsl(SeverityName(test.severity)), ": ", test.reason);
  }
  GateResult gate;
  for (auto& [id, entry] : entries) {
    entry.change = Classify(entry.before, entry.after, strict);
    gate.entries.push_back(std::move(entry));
  }
  return gate;
}

std::string FormatGate(const GateResult& gate, const std::string& baseline_path,
                       const Baseline& baseline) {
  std::string out = absl::StrFormat(
      "\nbaseline %s (%d tests, recorded against %s):\n  %d regressed, %d improved, %d changed, "
      "%d new, %d missing, %d known failures, %d unchanged\n",
      baseline_path, baseline.verdicts.size(),
      baseline.target.empty() ? "an unnamed target" : baseline.target,
      gate.Count(Change::kRegressed), gate.Count(Change::kImproved), gate.Count(Change::kChanged),
      gate.Count(Change::kNew), gate.Count(Change::kMissing), gate.Count(Change::kStillBad),
      gate.Count(Change::kUnchanged));
  for (Change change :
       {Change::kRegressed, Change::kImproved, Change::kChanged, Change::kNew, Change::kMissing}) {
    for (const GateEntry& entry : gate.entries) {
      if (entry.change == change) absl::StrAppend(&out, Line(entry));
    }
  }
  return out;
}

std::string GateVerdict(const GateResult& gate) {
  const int regressed = gate.Count(Change::kRegressed);
  if (regressed == 0) return "gate: PASS (no regressions)\n";
  return absl::StrCat("gate: FAIL (", regressed, " regression", regressed == 1 ? "" : "s", ")\n");
}

}  // namespace smtpgate::report
