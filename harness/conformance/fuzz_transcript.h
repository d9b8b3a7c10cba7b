// A fuzz_session finding as a regression transcript (`smtpgate fuzz-to-transcript`).
//
// The input (harness/core/session_fuzz_input.h) is replayed against the secure reference
// server (DemoConfig(secure), the configuration `conform --embedded` runs), one byte at a
// time, so each reply is tied to the byte that caused it. The transcript sends the client's
// bytes as `C!:` writes cut exactly where the secure server replies (bytes it answers with
// nothing stay in one write, as the fuzzer sent them), expects the class of each of its
// replies (`S: 2xx`, `S: 4xx|5xx`, `S: close`), and states what the secure server showed as
// outcomes: `EXPECT not-relayed` when it relayed nothing, `one-message` / `no-message` from
// what it queued, `no-message-from` for every envelope sender of the stream it never
// delivered from, and liveness (tags `malformed dos`).
//
// So that the oracle can tell this run's messages apart (it counts messages carrying the
// run's token), every `MAIL FROM:<` path of the stream gets `${token}` in its local part;
// the demo domains become `${local_domain}` / `${remote_domain}`. The replay uses exactly
// the bytes the transcript will send (with a token of the real length).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_H_
#define SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/core/profile.h"

namespace smtpgate::conformance {

struct FuzzTranscriptOptions {
  std::string name;         // @name (default: fuzz-<profile>-<hash of the input>)
  Profile found_in;         // the profile the finding was made on
  std::string input_label;  // where the input came from, for the header comment
  std::string reason;       // the fuzzer's message, if known, for the header comment
};

struct FuzzTranscript {
  std::string name;
  std::string text;  // the .smtp file
};

// InvalidArgument when the input is shorter than its two header bytes or its stream is
// empty.
absl::StatusOr<FuzzTranscript> FuzzSessionToTranscript(std::string_view input,
                                                       const FuzzTranscriptOptions& options);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_H_
