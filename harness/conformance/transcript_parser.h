// Parses .smtp transcripts (docs/transcripts.md). Every error is an InvalidArgument status
// whose message is "FILE:LINE:COLUMN: expected ..., got '...'".
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_PARSER_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_PARSER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/conformance/transcript.h"
#include "harness/conformance/variables.h"

namespace smtpgate::conformance {

// The @requires words (docs/transcripts.md).
const NameSet& KnownRequirements();

// `variables`: the names ${...} may use ("token" included); any other is an error that
// names its line and column. `path` only labels errors and Transcript::path.
absl::StatusOr<Transcript> ParseTranscript(std::string_view text, std::string_view path,
                                           const NameSet& variables);

// Reads the file, then ParseTranscript.
absl::StatusOr<Transcript> LoadTranscript(const std::string& path, const NameSet& variables);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TRANSCRIPT_PARSER_H_
