// Paths and mailboxes of RFC 5321 section 4.1.2, and their parser.
//
// The one fact relay policy may use about where a message goes is the *routing domain*:
// the domain after the mailbox's '@' (lower-cased; for an address literal, the literal in
// canonical form). A source route ("@a,@b:"), '%' or '!' in the local part, and a quoted
// local part ("user@remote") are kept as written and never become the routing domain.
#ifndef SMTPGATE_HARNESS_CORE_ADDRESS_H_
#define SMTPGATE_HARNESS_CORE_ADDRESS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpgate {

enum class DomainKind {
  kNone,            // no domain at all ("MAIL FROM:localuser", KB 304897 tests 2, 6, 7)
  kName,            // example.test
  kIpv4Literal,     // [192.0.2.1]
  kIpv6Literal,     // [IPv6:2001:db8::1]
  kGeneralLiteral,  // [tag:content]
};

struct Mailbox {
  std::string local_part;  // as on the wire: a dot-string, or a quoted-string with its quotes
  bool quoted = false;     // local_part is a quoted-string
  std::string domain;      // as on the wire ("Example.TEST", "[127.0.0.1]"); empty for kNone
  DomainKind domain_kind = DomainKind::kNone;

  // The only domain relay policy and delivery may look at: ASCII-lower-cased name, or the
  // address literal in canonical form ("[127.0.0.1]", "[ipv6:::1]"); empty for kNone.
  std::string RoutingDomain() const;
  // The local part's content: quotes removed and quoted-pairs unescaped.
  std::string LocalPartContent() const;
  // "local@domain" (or "local" when there is no domain), as on the wire.
  std::string ToString() const;

  bool operator==(const Mailbox&) const = default;
};

struct Path {
  enum class Kind {
    kNull,        // "<>" (reverse-path only)
    kPostmaster,  // "<Postmaster>" without domain (forward-path only, RFC 5321 4.5.1)
    kMailbox,
  };
  Kind kind = Kind::kMailbox;
  // Source route domains ("@a,@b:user@c" → {"a", "b"}): recorded, never used for routing.
  std::vector<std::string> source_route;
  Mailbox mailbox;  // meaningful for kMailbox only

  bool operator==(const Path&) const = default;
};

struct AddressOptions {
  bool reverse_path = false;      // MAIL FROM: allows "<>"; RCPT TO: allows "<Postmaster>"
  bool smtputf8 = false;          // UTF-8 allowed in local part and domain (RFC 6531)
  bool allow_unbracketed = true;  // "MAIL FROM:user@example.test" as typed in KB 304897
  bool allow_domainless = true;   // "MAIL FROM:localuser" (completed later, never routed)
};

// RFC 5321 limits (4.5.3.1).
inline constexpr size_t kMaxLocalPart = 64;
inline constexpr size_t kMaxDomain = 255;
inline constexpr size_t kMaxPath = 256;  // including the angle brackets

// Parses a whole path token (with or without angle brackets, per options). Failures carry
// an SMTP reply (smtp_status.h): 553 5.1.3 (forward) / 553 5.1.7 (reverse) for bad syntax,
// 553 5.6.7 for UTF-8 without SMTPUTF8, 501 5.1.3 / 501 5.1.7 for over-long parts; the message says
// what was wrong and at which offset.
absl::StatusOr<Path> ParsePath(std::string_view text, const AddressOptions& options);

// Length of the path token at the start of `text`: up to the matching '>' when it starts
// with '<' (quoted-strings may contain '>' and spaces), otherwise up to the first space.
// Used by the command parser to split a path from its ESMTP parameters.
size_t PathTokenLength(std::string_view text);

// The address alone, without brackets or source route: "" for the null path, "Postmaster",
// or "local@domain" (for logs, spool envelopes and the sink's records).
std::string PathAddress(const Path& path);

// The wire form, always bracketed: "<>", "<Postmaster>", "<@a,@b:local@domain>".
std::string FormatPath(const Path& path);

// Completes a domain-less mailbox with the configured local domain (KB 304897 tests 2, 6
// and 7: "user%remote" becomes "user%remote@local"). Other paths are left alone.
void CompleteDomain(Path& path, std::string_view local_domain);

// Checks the syntax of an ASCII Domain of RFC 5321 4.1.2 (sub-domain *("." sub-domain),
// labels of 1..63 letters, digits and inner hyphens, at most 255 octets, no trailing dot)
// or, when allow_literal, an address-literal of 4.1.3 ("[192.0.2.1]", "[IPv6:2001:db8::1]",
// "[tag:content]"). Used for the HELO/EHLO argument (domain_syntax.cc). Failure is a plain
// absl::InvalidArgumentError whose message says what is wrong and at which offset of
// `domain`; it carries no SMTP reply, the caller chooses one.
absl::Status ValidateDomain(std::string_view domain, bool allow_literal);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_ADDRESS_H_
