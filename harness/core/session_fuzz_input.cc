#include "harness/core/session_fuzz_input.h"

#include <chrono>

#include "harness/core/demo_config.h"

namespace smtpgate {

SessionConfig FuzzSessionConfig(uint8_t bits) {
  SessionConfig config = DemoConfig(kFuzzProfiles[bits & 7]);
  config.tls_available = (bits & 8) != 0;
  config.auth_requires_tls = (bits & 16) != 0;
  config.policy.recipient_filtering = (bits & 32) == 0;
  config.bare_line_endings = (bits & 64) ? BareLineEndings::kKeep : BareLineEndings::kReject;
  if (bits & 128) {
    config.max_message_size = 64;
    config.max_recipients = 3;
    config.max_errors = 5;
    config.command.max_line_length = 64;
    config.max_pending_input = 128;
    config.tarpit = std::chrono::milliseconds(1000);
  }
  return config;
}

std::optional<FuzzSessionInput> DecodeFuzzSessionInput(std::string_view data,
                                                       std::optional<Profile> planted) {
  if (data.size() < 2) return std::nullopt;
  const auto bits = static_cast<uint8_t>(data[0]);
  FuzzSessionInput input;
  input.chunk_seed = static_cast<uint8_t>(data[1]);
  input.stream = data.substr(2);
  if (planted) {
    // Exactly what `conform --embedded --profile P` runs, so that every finding can be
    // replayed there as a transcript (smtpgate fuzz-to-transcript).
    input.config = DemoConfig(*planted);
    input.peer = "127.0.0.1";
    input.storage_ok = true;
    return input;
  }
  input.config = FuzzSessionConfig(bits);
  input.peer = (bits & 3) == 3 ? "::1" : "127.0.0.1";
  input.storage_ok = input.chunk_seed != 0xff;
  return input;
}

}  // namespace smtpgate
