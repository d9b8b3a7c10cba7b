// Runs one transcript against a target and decides its verdict (docs/transcripts.md).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_RUNNER_H_
#define SMTPGATE_HARNESS_CONFORMANCE_RUNNER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "harness/conformance/target.h"
#include "harness/conformance/transcript.h"
#include "harness/conformance/variables.h"
#include "harness/conformance/verdict.h"
#include "harness/core/reply.h"

namespace smtpgate::conformance {

// What the target offers, as @requires words.
struct Capabilities {
  NameSet present;
  std::map<std::string, std::string, std::less<>> missing;  // word → why it is missing
  std::string ehlo;                                         // the probe's EHLO reply, summarised
  // AUTH is offered only in the EHLO reply inside TLS (a common hardening): transcripts that
  // need AUTH and do no STARTTLS of their own get one inserted by the runner after their
  // first EHLO on each connection (the exchange and the findings say so).
  bool auth_after_starttls = false;
};

// The @requires words an EHLO reply advertises (auth, auth-plain, starttls, chunking, ...).
NameSet EhloCapabilities(const Reply& ehlo);

// Every @requires word that comes from the EHLO reply (the rest come from the target).
bool IsEhloCapability(std::string_view word);

// Connects once (banner, EHLO ${helo}, QUIT) and combines the EHLO keywords with what the
// target and its file say. kUnavailable / kDeadlineExceeded: the target is unreachable.
absl::StatusOr<Capabilities> ProbeCapabilities(Target& target);

// Expands every template of the transcript with `variables` (plus a sample token): the
// input errors a run would hit, found before anything is sent. InvalidArgument naming
// file:line:column.
absl::Status CheckExpansions(const Transcript& transcript, const Variables& variables);

// Runs the transcript on a fresh TargetRun. `id` and `area` label the result.
TestResult RunTranscript(const Transcript& transcript, Target& target,
                         const Capabilities& capabilities, std::string id, std::string area);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_RUNNER_H_
