// libFuzzer target for ParseCommand() / FormatCommand() (harness/core/command.h).
//
// Input: byte 0 selects CommandOptions, the rest is one command line (without CRLF).
//   bit 0 strict_colon, bit 1 smtputf8_transaction, bit 2 clears allow_unbracketed,
//   bit 3 clears allow_domainless, bit 4 raises max_line_length to 2048.
// Invariants beyond "no crash":
//   - success: FormatCommand() holds no CR, LF or NUL; it parses again, with the same
//     options, to the same Command; a MAIL/RCPT routing domain is the mailbox's own domain
//     (never a source route, '%', '!' or quoted local part), and equals what an independent
//     reading of the line by the RFC 5321 grammar gives (fuzzers/spec_model.h); a BDAT size
//     is the number the line spelled.
//   - failure: a permanent (5xx) SMTP reply with a non-empty one-line reason.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "fuzzers/spec_model.h"
#include "harness/core/address.h"
#include "harness/core/command.h"
#include "harness/core/smtp_status.h"

namespace {

using smtpgate::Command;
using smtpgate::CommandOptions;

[[noreturn]] void Fail(const char* what, std::string_view line, std::string_view detail) {
  std::fprintf(stderr, "fuzz_command invariant violated: %s\n  line: ", what);
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", u);
    }
  }
  std::fprintf(stderr, "\n  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void CheckRouting(const Command& c, std::string_view line) {
  if (c.path.kind != smtpgate::Path::Kind::kMailbox) return;
  const smtpgate::Mailbox& m = c.path.mailbox;
  const std::string routing = m.RoutingDomain();
  std::string lower = m.domain;
  absl::AsciiStrToLower(&lower);
  if (m.domain_kind == smtpgate::DomainKind::kName) {
    // The routing domain an independent reading of the RFC 5321 grammar gives for the path
    // as the client sent it (source route ignored; spec_model.h shares no code with the
    // parser), not a re-reading of the parser's own formatted output.
    // The path follows "FROM:" / "TO:" (and any blanks); only a bracketed one is read.
    size_t open = line.find(':');
    while (open != std::string_view::npos && open + 1 < line.size() && line[open + 1] == ' ') {
      ++open;
    }
    if (open != std::string_view::npos) ++open;
    if (open != std::string_view::npos && open < line.size() && line[open] == '<') {
      const std::optional<std::string> spec = smtpgate::fuzz::RoutingDomainOf(line.substr(open));
      if (spec && !spec->empty() && *spec != routing) {
        Fail("routing domain differs from the RFC 5321 reading of the line", line,
             routing + " vs " + *spec);
      }
    }
  }
  switch (m.domain_kind) {
    case smtpgate::DomainKind::kNone:
      if (!routing.empty()) Fail("domain-less mailbox has a routing domain", line, routing);
      return;
    case smtpgate::DomainKind::kName:
      if (routing != lower) Fail("routing domain is not the lower-cased domain", line, routing);
      break;
    case smtpgate::DomainKind::kIpv4Literal:
    case smtpgate::DomainKind::kIpv6Literal:
      if (routing.size() < 2 || routing.front() != '[' || routing.back() != ']') {
        Fail("literal routing domain is not bracketed", line, routing);
      }
      break;
    case smtpgate::DomainKind::kGeneralLiteral:
      // RFC 5321 dcontent (%d33-90 / %d94-126) may itself hold '@', '%', '!' and '"'
      // ("[x-tag:a%b@c]"): the routing domain is then the whole literal, lower-cased.
      if (routing != lower || routing.size() < 2 || routing.front() != '[' ||
          routing.back() != ']') {
        Fail("general literal routing domain is not the lower-cased literal", line, routing);
      }
      return;
  }
  if (routing.find_first_of("@%!\"") != std::string::npos) {
    Fail("routing domain holds '@', '%', '!' or '\"'", line, routing);
  }
}

// The chunk size exactly as the line spelled it ("BDAT 007 LAST" → "7").
void CheckBdat(const Command& c, std::string_view line) {
  std::string_view digits = line.substr(5);
  digits = digits.substr(0, digits.find(' '));
  const size_t first = digits.find_first_not_of('0');
  digits = first == std::string_view::npos ? std::string_view("0") : digits.substr(first);
  if (digits != std::to_string(c.bdat_size)) {
    Fail("BDAT size differs from the line", line, std::to_string(c.bdat_size));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t bits = data[0];
  CommandOptions options;
  options.strict_colon = (bits & 1) != 0;
  options.smtputf8_transaction = (bits & 2) != 0;
  options.allow_unbracketed = (bits & 4) == 0;
  options.allow_domainless = (bits & 8) == 0;
  if (bits & 16) options.max_line_length = 2048;
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);

  const absl::StatusOr<Command> command = smtpgate::ParseCommand(line, options);
  if (!command.ok()) {
    const smtpgate::SmtpError error = smtpgate::SmtpErrorOf(command.status());
    if (error.code < 500 || error.code > 599) {
      Fail("parser error is not a 5xx reply", line, error.reason);
    }
    if (error.reason.empty()) Fail("empty reason", line, "");
    if (HasLineBreakOrNul(error.reason)) Fail("reason holds CR, LF or NUL", line, error.reason);
    return 0;
  }

  const std::string formatted = smtpgate::FormatCommand(*command);
  if (HasLineBreakOrNul(formatted)) Fail("FormatCommand emitted CR, LF or NUL", line, formatted);
  if (formatted.substr(0, smtpgate::VerbName(command->verb).size()) !=
      smtpgate::VerbName(command->verb)) {
    Fail("FormatCommand does not start with the verb", line, formatted);
  }
  // The canonical form may be longer than the input (an unbracketed path gains its
  // brackets), so only the line limit is relaxed for the second parse.
  CommandOptions again_options = options;
  if (formatted.size() + 2 > again_options.max_line_length) {
    again_options.max_line_length = formatted.size() + 2;
  }
  const absl::StatusOr<Command> again = smtpgate::ParseCommand(formatted, again_options);
  if (!again.ok()) {
    Fail("canonical form does not parse", line,
         formatted + " -> " + std::string(again.status().message()));
  }
  if (!(*again == *command)) Fail("round trip changed the command", line, formatted);
  if (smtpgate::FormatCommand(*again) != formatted) {
    Fail("canonical form is not stable", line, formatted);
  }

  switch (command->verb) {
    case smtpgate::Verb::kMail:
    case smtpgate::Verb::kRcpt:
      CheckRouting(*command, line);
      break;
    case smtpgate::Verb::kBdat:
      CheckBdat(*command, line);
      break;
    default:
      break;
  }
  return 0;
}
