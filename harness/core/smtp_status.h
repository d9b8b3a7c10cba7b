// SMTP errors carried inside absl::Status.
//
// Every parser in the core fails with an absl::Status whose payload names the SMTP reply
// it should become (code + RFC 3463 enhanced code); the status message is the reason a
// user reads in the reply text. SmtpErrorOf() turns any status back into that triple.
#ifndef SMTPGATE_HARNESS_CORE_SMTP_STATUS_H_
#define SMTPGATE_HARNESS_CORE_SMTP_STATUS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smtpgate {

// Debian's abseil is built with its own absl::string_view; this bridges std::string_view.
inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

struct SmtpError {
  int code = 0;          // 3-digit reply code, 400..599
  std::string enhanced;  // "5.5.2", may be empty
  std::string reason;    // human-readable, single line, no CR/LF
};

// A failed status whose payload carries `code` and `enhanced`. The absl code is derived
// from the SMTP code (5xx syntax → kInvalidArgument, 500 → kUnimplemented, 4xx →
// kUnavailable, 552/452 → kResourceExhausted, 5.7.x → kPermissionDenied).
absl::Status SmtpStatus(int code, std::string_view enhanced, std::string_view reason);

// The SMTP error a status stands for. A status made without SmtpStatus() becomes
// 451 4.3.0 with the status message as reason (a local error, never a crash).
SmtpError SmtpErrorOf(const absl::Status& status);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_SMTP_STATUS_H_
