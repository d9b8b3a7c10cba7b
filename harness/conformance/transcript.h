// A parsed conformance transcript (.smtp file): metadata, steps and outcome checks.
// The language is documented in docs/transcripts.md; transcript_parser.cc builds these.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/conformance/reply_pattern.h"
#include "harness/conformance/template.h"

namespace smtpgate::conformance {

enum class Severity { kCritical, kHigh, kMedium, kLow, kInfo };
inline constexpr Severity kAllSeverities[] = {Severity::kCritical, Severity::kHigh,
                                              Severity::kMedium, Severity::kLow, Severity::kInfo};
std::string_view SeverityName(Severity severity);
std::optional<Severity> ParseSeverity(std::string_view name);

struct SourceLocation {
  int line = 0;
  int column = 0;
};

// C: (text + CRLF) or C!: (raw bytes). `bytes` holds the expression already unescaped;
// the CRLF of C: is added by the runner.
struct SendStep {
  Template bytes;
  bool raw = false;
};

struct PipelineStep {
  std::vector<SendStep> parts;
};

// S: PATTERN [warn PATTERN ["why"]] [fail PATTERN "why"]: what passes, what is tolerated
// with a WARN (a leniency that crosses no security boundary), and what is a FAIL with a
// named reason (e.g. "authentication bypass"). Any other reply is a FAIL too.
struct ReplyStep {
  ReplyPattern pattern;
  std::optional<ReplyPattern> warn;  // matching this instead gives WARN and continues
  std::string warn_reason;           // why the warn pattern is only a leniency (may be empty)
  std::optional<ReplyPattern> fail;  // matching this is a FAIL with `fail_reason`
  std::string fail_reason;
  std::string label;  // S[label]: (empty when none)
  // `within D`: wait up to D for this reply (or close) instead of the reply timeout, e.g.
  // within ${idle_timeout_seconds}s (a duration; may hold variables).
  std::optional<Template> within;
};

// ALT / OR / END: alternative step sequences, chosen by the reply. Each branch starts with
// an S: step; the runner reads that reply once and runs the first branch whose first step
// accepts it (its pattern or warn pattern; else one whose fail pattern does; else the
// first). Steps and outcomes of the other branches are not run. Flattened: the branches'
// steps follow the AltStep in Transcript::steps, each ended by a BranchEndStep.
struct AltStep {
  std::vector<int> branches;  // index (in steps) of each branch's first step
  int end = -1;               // index of the first step after END
};
struct BranchEndStep {
  int alt = -1;  // index of the AltStep
};

struct StartTlsStep {};
struct SleepStep {
  std::chrono::milliseconds duration{0};
};
struct ReconnectStep {};
// STOP: the exchange ends here (the runner closes the connection without reading the replies
// still owed); the outcome checks that are decided after the steps still run.
struct StopStep {};
// ON name: the steps below run on the connection called `name` (opened by its first step
// that needs it) until the next ON; the steps before the first ON run on "main". Each
// connection keeps its own state (owed replies, TLS, the last command) while another runs.
struct OnStep {
  std::string name;
};

enum class OutcomeKind {
  kNotRelayed,
  kRelayed,
  kDeliveredLocal,
  kNoMessage,
  kOneMessage,
  kNoMessageFrom,         // argument: the address
  kMessageContains,       // argument: the bytes
  kMessageLacks,          // argument: the bytes
  kEveryMessageContains,  // argument: the bytes (no message at all also passes)
  kAlive,
  kDelayAtLeast,  // argument: the duration (number + unit; may hold variables)
  kDelayBelow,
  kSameReplyAs,  // label
};
std::string_view OutcomeName(OutcomeKind kind);
// Checked after the transcript's steps (oracle and liveness) rather than where written.
bool IsDeferredOutcome(OutcomeKind kind);
// A positive control: the oracle must see a message (relayed, delivered, with given bytes);
// it is decided as soon as the message shows.
bool IsPositiveOutcome(OutcomeKind kind);

// What a failed outcome gives.
enum class FailLevel { kFail, kWarn };

struct ExpectStep {
  OutcomeKind kind = OutcomeKind::kAlive;
  Template argument;          // address, bytes or duration text
  std::string label;          // same-reply-as
  int label_step_index = -1;  // same-reply-as: index (in steps) of the labelled S: step
  int reply_step_index = -1;  // delay / same-reply-as: index (in steps) of the S: step checked
  FailLevel level = FailLevel::kFail;
  std::string text;  // the line as written after EXPECT, for reports
};

struct Step {
  SourceLocation location;
  std::variant<SendStep, PipelineStep, ReplyStep, StartTlsStep, SleepStep, ReconnectStep, StopStep,
               OnStep, ExpectStep, AltStep, BranchEndStep>
      body;
  std::string text;  // the source line (trimmed), for reports
};

struct Transcript {
  std::string path;  // as given to the parser
  std::string name;
  std::string title;
  std::string source;
  Severity severity = Severity::kMedium;
  std::vector<std::string> tags;          // @tags, then directory tags (see suite.h)
  std::vector<std::string> requirements;  // @requires
  // @violates: the rule the transcript's client side breaks on purpose, with its RFC section
  // (empty: the client side is RFC-valid). tests/conformance_catalogue_test.cc checks it.
  std::string violates;
  std::vector<Step> steps;

  bool HasTag(std::string_view tag) const;
  bool HasOutcome(OutcomeKind kind) const;
  // Every ${...} use, for validation against a target's variable set.
  std::vector<const Expression*> Expressions() const;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_H_
