// SMTP AUTH (RFC 4954), server side: the SASL mechanisms PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login), and the strict base64 (RFC 4648) they travel in.
//
// Sans-IO: the session feeds the AUTH command's mechanism and initial response, then each
// client response line (without CRLF), and gets back what to send: a "334 <challenge>", the
// credentials to check against the user directory, or the SMTP error (smtp_status.h).
//
// Credentials are secret. Nothing here logs them, no type here is printable, and no error
// reason ever contains credential bytes, decoded or base64: reasons are fixed texts plus
// offsets and counts.
#ifndef SMTPGATE_HARNESS_CORE_SASL_H_
#define SMTPGATE_HARNESS_CORE_SASL_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace smtpgate {

// Strict RFC 4648 base64: alphabet A-Z a-z 0-9 + /, padding required to a multiple of 4, no
// whitespace, no characters after padding, non-canonical trailing bits rejected. So a text
// that decodes is exactly EncodeBase64() of what it decodes to. The empty text decodes to
// the empty string. Failure: SmtpStatus(501, "5.5.2", "invalid base64 ... at offset N").
absl::StatusOr<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

enum class SaslMechanism { kPlain, kLogin };
// "PLAIN" → kPlain, "LOGIN" → kLogin; anything else (including lower case: the command
// parser upper-cases the mechanism) → nullopt, which the session answers with 504 5.5.4.
std::optional<SaslMechanism> ParseSaslMechanism(std::string_view upper_name);

// Credentials are secret: no operator<<, no ToString; nothing here logs them.
struct SaslCredentials {
  std::string authzid;  // empty when the client did not ask to act for another identity
  std::string authcid;
  std::string password;
};

// Largest authzid, authcid or password accepted (RFC 4616 §2: servers MUST accept 255).
inline constexpr size_t kMaxSaslField = 255;

// RFC 4616 message: [authzid] NUL authcid NUL passwd, exactly two NULs, authcid and passwd
// non-empty, each field ≤ 255 octets, valid UTF-8. Errors: 501 5.5.2 with a reason that never
// contains the credentials ("PLAIN message has 1 NUL separator, expected 2").
absl::StatusOr<SaslCredentials> ParsePlainMessage(std::string_view decoded);

struct SaslStep {
  enum class Kind { kChallenge, kCredentials, kFailed };
  Kind kind = Kind::kFailed;
  std::string challenge;        // kChallenge: base64 text to send after "334 " (may be empty)
  SaslCredentials credentials;  // kCredentials: to be checked by the user directory
  absl::Status error;           // kFailed: an SmtpStatus (501 5.0.0 cancelled, 501 5.5.2 bad
                                // base64/message, 500 5.5.6 line too long, 503 5.5.1 misuse)
};

// RFC 4954 §4: the server accepts response lines of up to 12288 octets (CRLF excluded).
inline constexpr size_t kMaxSaslLine = 12288;

// The LOGIN prompts: base64("Username:") and base64("Password:").
inline constexpr std::string_view kLoginUsernameChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";

// One AUTH exchange, server side. No I/O, no clock, no global state.
//
// PLAIN: with an initial response, Begin() decodes and parses it; without, Begin() asks with
// an empty challenge and Respond() decodes and parses the reply. LOGIN: Begin() asks for the
// username (or, given an initial response, takes it as the username and asks for the
// password); Respond() takes the username, then the password. LOGIN fields follow the PLAIN
// field rules: non-empty, no NUL, ≤ 255 octets, valid UTF-8.
//
// Misuse never is undefined behaviour: Respond() before Begin(), Begin() twice, or any call
// after done() yields kFailed 503 5.5.1.
class SaslServer {
 public:
  // RFC 4954: initial_response is the AUTH command's optional argument as sent ("=" means
  // empty). It is copied.
  SaslServer(SaslMechanism mechanism, std::optional<std::string_view> initial_response);
  // EMULATION PROFILE null-session-auth only: empty credentials (PLAIN "\0\0", an empty
  // LOGIN user and password) are handed out instead of refused, as MS02-011's null session.
  void AllowNullSession() { null_session_ = true; }

  SaslStep Begin();
  // The client's response line (without CRLF). "*" cancels: kFailed with 501 5.0.0 "AUTH
  // cancelled". A line longer than kMaxSaslLine (12288, RFC 4954 §4) → 500 5.5.6. An empty
  // line is an empty response (RFC 4954 §4); "=" is not special here (only in the initial
  // response) and is invalid base64.
  SaslStep Respond(std::string_view line);
  bool done() const;  // a kCredentials or kFailed step has been returned

 private:
  enum class State { kNotStarted, kAwaitPlain, kAwaitUsername, kAwaitPassword, kDone };

  SaslStep Challenge(std::string_view text, State next);
  SaslStep Fail(absl::Status error);
  SaslStep Finish(SaslCredentials credentials);
  SaslStep TakePlain(std::string_view decoded);
  SaslStep TakeUsername(std::string_view decoded);

  SaslMechanism mechanism_;
  std::optional<std::string> initial_response_;
  State state_ = State::kNotStarted;
  std::string username_;  // LOGIN: between the two prompts; cleared when done
  bool null_session_ = false;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_SASL_H_
