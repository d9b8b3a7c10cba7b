// `smtpgate fuzz-to-transcript INPUT... [--profile P] [--out DIR] [--name N]`: each
// fuzz_session reproducer becomes a regression transcript (fuzz_transcript.h) under DIR
// (default conformance/regressions), checked before it is written: it must PASS the secure
// embedded server and FAIL the profile the finding was made on (--profile, default the
// profile the input's config byte selects).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_COMMAND_H_
#define SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_COMMAND_H_

#include <string>
#include <vector>

namespace smtpgate {

struct FuzzTranscriptCommandOptions {
  std::vector<std::string> inputs;
  std::string profile;  // empty: from each input's config byte
  std::string out_dir = "conformance/regressions";
  std::string name;    // only with one input
  bool force = false;  // write even when the check does not hold
};

// 0 every transcript written and checked; 1 a check did not hold (nothing written for that
// input unless force); 2 usage or input error.
int RunFuzzToTranscript(const FuzzTranscriptCommandOptions& options);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CONFORMANCE_FUZZ_TRANSCRIPT_COMMAND_H_
