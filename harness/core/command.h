// SMTP command lines (RFC 5321 4.1.1, RFC 1870, 6152, 3030, 3207, 4954, 3461, 6531) and
// their parser.
//
// ParseCommand() takes one command line *without* its CRLF (line framing is the session's
// job) and returns a Command or a status carrying the SMTP reply it should produce
// (smtp_status.h), with a reason a user can read.
#ifndef SMTPGATE_HARNESS_CORE_COMMAND_H_
#define SMTPGATE_HARNESS_CORE_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/core/address.h"

namespace smtpgate {

enum class Verb {
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kExpn,
  kHelp,
  kStartTls,
  kAuth,
  kBdat,
};
inline constexpr int kVerbCount = 14;

// "EHLO", "STARTTLS", ...
std::string_view VerbName(Verb verb);

enum class BodyType { k7Bit, k8BitMime, kBinaryMime };  // RFC 6152, RFC 3030
enum class DsnRet { kFull, kHdrs };                     // RFC 3461

// RFC 3461 NOTIFY: NEVER alone, or any of SUCCESS, FAILURE, DELAY.
struct DsnNotify {
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
  bool operator==(const DsnNotify&) const = default;
};

struct MailParameters {
  std::optional<uint64_t> size;      // SIZE=n (RFC 1870)
  std::optional<BodyType> body;      // BODY=7BIT|8BITMIME|BINARYMIME
  bool smtputf8 = false;             // SMTPUTF8 (RFC 6531)
  std::optional<std::string> auth;   // AUTH=<mailbox or "<>">, xtext-decoded (RFC 4954 5)
  std::optional<DsnRet> ret;         // RET=FULL|HDRS
  std::optional<std::string> envid;  // ENVID=xtext, decoded
  bool operator==(const MailParameters&) const = default;
};

struct RcptParameters {
  std::optional<DsnNotify> notify;        // NOTIFY=...
  std::optional<std::string> orcpt_type;  // ORCPT=addr-type;xtext → "rfc822"
  std::optional<std::string> orcpt;       // decoded address
  bool operator==(const RcptParameters&) const = default;
};

struct Command {
  Verb verb = Verb::kNoop;
  // HELO/EHLO: the domain or address literal. VRFY/EXPN: the string. HELP/NOOP: the
  // optional argument. AUTH: the mechanism, upper-cased. Empty otherwise.
  std::string argument;
  Path path;               // MAIL (reverse-path) and RCPT (forward-path)
  MailParameters mail;     // MAIL only
  RcptParameters rcpt;     // RCPT only
  uint64_t bdat_size = 0;  // BDAT chunk size (fits in 64 bits, else a syntax error)
  bool bdat_last = false;  // BDAT ... LAST
  // AUTH initial response as sent (base64 text, or "=" for an empty one); decoding is
  // the SASL layer's job.
  std::optional<std::string> auth_initial_response;

  bool operator==(const Command&) const = default;
};

struct CommandOptions {
  // RFC 5321 4.5.3.1.4: 512 octets including CRLF, so at most 510 before it.
  size_t max_line_length = 512;
  // "MAIL FROM: <a@b>": RFC 5321 3.3 says no space after the colon, but clients do it and
  // KB 304897's manual tests type it; tolerated unless strict.
  bool strict_colon = false;
  // The transaction's MAIL carried SMTPUTF8: RCPT paths may then hold UTF-8.
  bool smtputf8_transaction = false;
  // Path syntax leniencies, passed to the address parser.
  bool allow_unbracketed = true;
  bool allow_domainless = true;
};

absl::StatusOr<Command> ParseCommand(std::string_view line, const CommandOptions& options = {});

// Canonical wire form, without CRLF; ParseCommand(FormatCommand(c)) == c for any command
// ParseCommand produced.
std::string FormatCommand(const Command& command);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_COMMAND_H_
