// RFC 5321 4.1.3 address literals: the IPv4, IPv6 and general forms. One implementation
// for the path parser (address_parser.cc) and ValidateDomain (domain_syntax.cc), so the
// EHLO argument and a path's domain accept exactly the same literals.
#ifndef SMTPGATE_HARNESS_CORE_ADDRESS_LITERAL_H_
#define SMTPGATE_HARNESS_CORE_ADDRESS_LITERAL_H_

#include <cstdint>
#include <string_view>

#include "harness/core/address.h"

namespace smtpgate {

enum class LiteralResult {
  kIpv4,
  kIpv6,
  kGeneral,
  kEmpty,
  kBadIpv4,
  kBadIpv6,
  kBadTag,
  kNoContent
};

// RFC 5321 dcontent: %d33-90 / %d94-126.
inline bool IsDcontent(unsigned char c) { return (c >= 33 && c <= 90) || (c >= 94 && c <= 126); }

// Classifies the content of an address literal (between '[' and ']'), whose octets are
// already known to be dcontent.
LiteralResult ClassifyLiteral(std::string_view content);
// The DomainKind of a valid literal (kIpv4, kIpv6 or kGeneral).
DomainKind LiteralDomainKind(LiteralResult r);

// IPv4-address-literal content: Snum 3("." Snum), Snum = 1*3DIGIT (0..255).
bool ParseIpv4(std::string_view s, uint8_t out[4]);
// IPv6-addr of RFC 5321 4.1.3 (IPv6-full, IPv6-comp, IPv6v4-full, IPv6v4-comp).
bool ParseIpv6(std::string_view s, unsigned char out[16]);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_ADDRESS_LITERAL_H_
