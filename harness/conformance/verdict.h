// Verdicts and test results of a conformance run: what each transcript showed, with which
// evidence, and the full exchange.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_VERDICT_H_
#define SMTPGATE_HARNESS_CONFORMANCE_VERDICT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/conformance/transcript.h"

namespace smtpgate::conformance {

enum class Verdict { kPass, kFail, kWarn, kSkip, kError };
inline constexpr Verdict kAllVerdicts[] = {Verdict::kPass, Verdict::kFail, Verdict::kWarn,
                                           Verdict::kSkip, Verdict::kError};
std::string_view VerdictName(Verdict verdict);               // "PASS", "FAIL", ...
std::optional<Verdict> ParseVerdict(std::string_view name);  // the inverse of VerdictName
// Which verdict wins when a test produced several: FAIL > ERROR > SKIP > WARN > PASS.
int VerdictRank(Verdict verdict);

// kCrashLog: a matching line in the server's crash log ([server] crash_log).
enum class Evidence { kReplySequence, kOracle, kLiveness, kProcessStatus, kCrashLog, kHarness };
std::string_view EvidenceName(Evidence evidence);  // "reply sequence", "oracle", ...

struct Finding {
  Verdict verdict = Verdict::kPass;
  Evidence evidence = Evidence::kReplySequence;
  std::string reason;
  int line = 0;             // transcript line of the step it is about; 0: the test as a whole
  int exchange_index = -1;  // the exchange entry it points at (reports highlight it); -1: none
};

struct ExchangeEntry {
  enum class Direction { kClient, kServer, kEvent };
  Direction direction = Direction::kEvent;
  std::string data;        // escaped (EscapeBytes): printable ASCII
  int64_t elapsed_ms = 0;  // kServer: how long the reply took; else: since the test started
};
std::string_view DirectionName(ExchangeEntry::Direction direction);  // "C", "S", "*"

struct TestResult {
  std::string id;    // area/name, e.g. "relay/kb304897-1-remote-to-remote"
  std::string area;  // first directory under the suite root, or the first tag
  std::string path;
  std::string name;
  std::string title;
  std::string source;
  std::vector<std::string> tags;
  Severity severity = Severity::kMedium;
  std::string token;

  Verdict verdict = Verdict::kPass;
  std::string reason;                 // the findings behind the verdict, joined
  std::vector<std::string> evidence;  // their evidence names
  std::vector<Finding> findings;      // every finding, in order
  std::vector<ExchangeEntry> exchange;
  std::chrono::milliseconds duration{0};

  // Sets verdict, reason and evidence from findings (PASS when there are none).
  void Decide();
};

struct RunResults {
  std::string smtpgate_version;
  std::string target;   // "embedded", "127.0.0.1:2525", ...
  std::string profile;  // emulation profile (embedded), else empty
  std::string started;  // RFC 3339 UTC
  std::chrono::milliseconds duration{0};
  std::vector<TestResult> tests;

  std::map<Verdict, int> CountByVerdict() const;
  std::map<Severity, std::map<Verdict, int>> CountBySeverity() const;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_VERDICT_H_
