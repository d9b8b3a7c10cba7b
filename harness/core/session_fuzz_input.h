// The input format of the fuzz_session target, shared by the target and by the tools that
// replay its findings (`smtpgate fuzz-to-transcript`), so a reproducer means the same thing
// to both.
//
//   byte 0   configuration bits: 0-2 the emulation profile (kFuzzProfiles), 8 STARTTLS
//            offered, 16 AUTH only after STARTTLS, 32 no recipient filtering, 64 bare line
//            endings kept, 128 small limits and a 1 s tar pit;
//   byte 1   the chunking seed (how the stream is cut into writes); 0xff: the disk is full;
//   rest     what the client sends.
#ifndef SMTPGATE_HARNESS_CORE_SESSION_FUZZ_INPUT_H_
#define SMTPGATE_HARNESS_CORE_SESSION_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/profile.h"
#include "harness/core/session.h"

namespace smtpgate {

// The profile each value of bits 0-2 selects.
inline constexpr Profile kFuzzProfiles[] = {
    Profile::kSecure,          Profile::kStrict,    Profile::kPerConnectionCrash,
    Profile::kNullSessionAuth, Profile::kOpenRelay, Profile::kAuthImpliesRelay,
    Profile::kMs02012,         Profile::kBareLfEod};

struct FuzzSessionInput {
  SessionConfig config;
  std::string peer;         // the client address the session sees
  bool storage_ok = true;   // false: Commit fails as a full disk would
  uint8_t chunk_seed = 0;   // byte 1
  std::string_view stream;  // the client's bytes (into the decoded data)
};

// The configuration byte 0 selects.
SessionConfig FuzzSessionConfig(uint8_t bits);

// Nothing when the input is shorter than the two header bytes. With `planted` (the
// target's planted-flaw mode), byte 0 is ignored: the configuration is DemoConfig(planted),
// the one the embedded conformance target runs, the peer 127.0.0.1 and the disk never full.
std::optional<FuzzSessionInput> DecodeFuzzSessionInput(
    std::string_view data, std::optional<Profile> planted = std::nullopt);

// Cuts the stream into the writes the target feeds: 1 to 97 bytes each, from the seed.
class FuzzChunker {
 public:
  explicit FuzzChunker(uint8_t seed) : state_(seed * 2654435761u + 1) {}
  size_t Next() {
    state_ = state_ * 1103515245u + 12345u;
    return 1 + (state_ >> 16) % 97;
  }

 private:
  uint32_t state_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_SESSION_FUZZ_INPUT_H_
