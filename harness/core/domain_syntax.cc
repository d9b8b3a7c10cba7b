// ValidateDomain(): RFC 5321 4.1.2 Domain and 4.1.3 address-literal syntax.
#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address.h"
#include "harness/core/address_literal.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr size_t kMaxLabel = 63;

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetDig(char c) { return IsAlpha(c) || IsDigit(c); }

// A byte for a message: printable ASCII as is, anything else as \xHH.
std::string Shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string(1, c);
  constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
}

absl::Status Invalid(std::string_view reason) { return absl::InvalidArgumentError(AsAbsl(reason)); }

absl::Status ValidateName(std::string_view domain) {
  if (domain.size() > kMaxDomain) {
    return Invalid(absl::StrCat("domain is ", domain.size(), " octets long, limit ", kMaxDomain));
  }
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const size_t end = dot == std::string_view::npos ? domain.size() : dot;
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty()) {
      return Invalid(absl::StrCat("empty domain label at offset ", start,
                                  start == domain.size() ? " (trailing dot)" : ""));
    }
    if (label.size() > kMaxLabel) {
      return Invalid(absl::StrCat("domain label at offset ", start, " is ", label.size(),
                                  " octets long, limit ", kMaxLabel));
    }
    for (size_t i = 0; i < label.size(); ++i) {
      const char c = label[i];
      if (IsLetDig(c)) continue;
      if (c == '-') {
        if (i == 0) return Invalid(absl::StrCat("domain label starts with '-' at offset ", start));
        if (i + 1 == label.size()) {
          return Invalid(absl::StrCat("domain label ends with '-' at offset ", start + i));
        }
        continue;
      }
      return Invalid(
          absl::StrCat("character '", Shown(c), "' not allowed in a domain at offset ", start + i));
    }
    if (dot == std::string_view::npos) return absl::OkStatus();
    start = dot + 1;
  }
}

absl::Status ValidateLiteral(std::string_view domain) {
  if (domain.size() < 2 || domain.back() != ']') {
    return Invalid("address literal does not end with ']'");
  }
  const std::string_view content = domain.substr(1, domain.size() - 2);
  switch (ClassifyLiteral(content)) {
    case LiteralResult::kEmpty:
      return Invalid("empty address literal");
    case LiteralResult::kIpv4:
    case LiteralResult::kIpv6:
      return absl::OkStatus();
    case LiteralResult::kBadIpv6:
      return Invalid("malformed IPv6 address literal (RFC 5321 4.1.3)");
    case LiteralResult::kBadIpv4:
      return Invalid("malformed IPv4 address literal (four numbers 0-255, RFC 5321 4.1.3)");
    case LiteralResult::kBadTag:
      return Invalid("malformed address literal tag (RFC 5321 4.1.3 Standardized-tag)");
    case LiteralResult::kNoContent:
      return Invalid("empty general address literal content");
    case LiteralResult::kGeneral:
      break;
  }
  const size_t colon = content.find(':');
  const std::string_view rest = content.substr(colon + 1);
  for (size_t i = 0; i < rest.size(); ++i) {
    const auto u = static_cast<unsigned char>(rest[i]);
    // dcontent = %d33-90 / %d94-126
    if (u < 33 || u > 126 || (u >= 91 && u <= 93)) {
      return Invalid(absl::StrCat("character '", Shown(rest[i]),
                                  "' not allowed in an address literal at offset ",
                                  1 + colon + 1 + i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDomain(std::string_view domain, bool allow_literal) {
  if (domain.empty()) return Invalid("empty domain");
  if (domain.front() == '[') {
    if (!allow_literal) return Invalid("address literal not allowed here");
    return ValidateLiteral(domain);
  }
  return ValidateName(domain);
}

}  // namespace smtpgate
