// A structure-aware mutator for fuzz_session inputs (harness/core/session_fuzz_input.h:
// configuration byte, chunking byte, then the client's bytes).
//
// libFuzzer's byte-level mutations rarely turn a session into a different *session*: a
// valid AUTH PLAIN needs a base64 blob of the right credentials, a BDAT chunk needs a size
// that matches its octets, a smuggling sequence needs a DATA with a body behind it. This
// mutator works on the units of the stream (its lines, each with its line end) and on a
// grammar of SMTP: commands with their parameters, addresses in every relay form (source
// routes, %-hacks, bang paths, quoted local parts, literals), AUTH PLAIN/LOGIN exchanges
// with right, wrong, empty and impersonating credentials, DATA bodies ending in each of the
// end-of-data sequences of the smuggling catalogue, BDAT sizes including the 2^32 and 2^64
// boundaries (with the octets that go with them, or one too few or too many), pipelined
// batches, and the two header bytes (profile, configuration bits, write splits). A quarter
// of the time it hands the input to libFuzzer's own mutator (LLVMFuzzerMutate, so the
// dictionary and the comparison-driven mutations stay in play).
//
// The names in the grammar (example.test, alice, relayer/relayer-pass, ...) are the ones
// the demo configuration knows; the grammar generates inputs, it decides nothing: the spec
// model (spec_model.h) is still the only oracle.
#ifndef SMTPGATE_FUZZERS_SESSION_MUTATOR_H_
#define SMTPGATE_FUZZERS_SESSION_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace smtpgate::fuzz {

// libFuzzer's custom mutator: mutates data[0, size) in place, returns the new size
// (<= max_size, >= 2 when max_size >= 2).
size_t MutateSession(uint8_t* data, size_t size, size_t max_size, unsigned seed);

// libFuzzer's custom cross-over: the header of one parent, a prefix of units of `a` and a
// suffix of units of `b`; returns the size written to out (<= max_out).
size_t CrossOverSessions(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
                         uint8_t* out, size_t max_out, unsigned seed);

// The units of a stream: each line with its line end (LF, so CRLF, bare LF and the CR of a
// CRCRLF stay with their line); the last unit may have no line end. Joined, they are the
// stream.
std::vector<std::string_view> SplitUnits(std::string_view stream);

// The grammar, exposed for the tests: one command line (with CRLF), a DATA block (DATA,
// a body, one of the end-of-data forms, sometimes smuggled commands behind it), a BDAT
// sequence (BDAT line and octets), and a pipelined batch of 2 to 5 commands.
std::string GenerateCommand(std::minstd_rand& rng);
std::string GenerateDataBlock(std::minstd_rand& rng);
std::string GenerateBdat(std::minstd_rand& rng);
std::string GenerateBatch(std::minstd_rand& rng);

// The end-of-data forms the DATA blocks end with: the proper <CRLF>.<CRLF> and the
// smuggling forms of conformance/data/smuggling-*.smtp.
const std::vector<std::string_view>& EndOfDataForms();

}  // namespace smtpgate::fuzz

#endif  // SMTPGATE_FUZZERS_SESSION_MUTATOR_H_
