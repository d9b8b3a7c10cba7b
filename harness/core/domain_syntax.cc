// ValidateDomain(): RFC 5321 4.1.2 Domain and 4.1.3 address-literal syntax.
#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr size_t kMaxLabel = 63;

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetDig(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

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

// Snum "." Snum "." Snum "." Snum, Snum = 1*3DIGIT with value 0..255.
bool IsIpv4(std::string_view text) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t digits = 0;
    int value = 0;
    while (i < text.size() && IsDigit(text[i]) && digits < 4) {
      value = value * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == text.size()) return parts == 4;
    if (text[i] != '.' || parts == 4) return false;
    ++i;
  }
}

// Counts the ':'-separated 1*4HEXDIG groups of `text` ("" is zero groups); -1 if malformed.
int HexGroups(std::string_view text) {
  if (text.empty()) return 0;
  int groups = 0;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    const size_t end = colon == std::string_view::npos ? text.size() : colon;
    const size_t len = end - start;
    if (len == 0 || len > 4) return -1;
    for (size_t i = start; i < end; ++i) {
      if (!IsHex(text[i])) return -1;
    }
    ++groups;
    if (colon == std::string_view::npos) return groups;
    start = colon + 1;
  }
}

// RFC 5321 IPv6-addr: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
bool IsIpv6(std::string_view text) {
  // An IPv4 tail is the part after the last ':' when it holds a '.'.
  std::string_view hex = text;
  bool v4 = false;
  const size_t last_colon = text.rfind(':');
  if (last_colon == std::string_view::npos) return false;
  if (text.find('.', last_colon) != std::string_view::npos) {
    if (!IsIpv4(text.substr(last_colon + 1))) return false;
    v4 = true;
    // Keep the colon before the IPv4 part only when it belongs to a "::".
    const bool after_double = last_colon > 0 && text[last_colon - 1] == ':';
    hex = text.substr(0, after_double ? last_colon + 1 : last_colon);
  }
  const size_t max_groups = v4 ? 6 : 8;
  const size_t dbl = hex.find("::");
  if (dbl == std::string_view::npos) {
    return HexGroups(hex) == static_cast<int>(max_groups);
  }
  if (hex.find("::", dbl + 1) != std::string_view::npos) return false;
  const int left = HexGroups(hex.substr(0, dbl));
  const int right = HexGroups(hex.substr(dbl + 2));
  if (left < 0 || right < 0) return false;
  // "::" stands for at least two groups of zeros (RFC 5321 4.1.3).
  return left + right <= static_cast<int>(max_groups) - 2;
}

bool IsLdhStr(std::string_view text) {
  // Ldh-str, and like a label it starts with a letter or digit.
  if (text.empty() || !IsLetDig(text.front()) || !IsLetDig(text.back())) return false;
  for (char c : text) {
    if (!IsLetDig(c) && c != '-') return false;
  }
  return true;
}

absl::Status ValidateLiteral(std::string_view domain) {
  if (domain.size() < 2 || domain.back() != ']') {
    return Invalid("address literal does not end with ']'");
  }
  const std::string_view content = domain.substr(1, domain.size() - 2);
  if (content.empty()) return Invalid("empty address literal");
  constexpr std::string_view kIpv6Tag = "IPv6:";
  if (content.size() >= kIpv6Tag.size()) {
    bool is_v6 = true;
    for (size_t i = 0; i < kIpv6Tag.size(); ++i) {
      const char a = content[i];
      const char b = kIpv6Tag[i];
      if (a != b && !(IsAlpha(a) && (a | 0x20) == (b | 0x20))) is_v6 = false;
    }
    if (is_v6) {
      if (!IsIpv6(content.substr(kIpv6Tag.size()))) {
        return Invalid("malformed IPv6 address literal (RFC 5321 4.1.3)");
      }
      return absl::OkStatus();
    }
  }
  const size_t colon = content.find(':');
  if (colon == std::string_view::npos) {
    if (!IsIpv4(content)) {
      return Invalid("malformed IPv4 address literal (four numbers 0-255, RFC 5321 4.1.3)");
    }
    return absl::OkStatus();
  }
  if (!IsLdhStr(content.substr(0, colon))) {
    return Invalid("malformed address literal tag (RFC 5321 4.1.3 Standardized-tag)");
  }
  const std::string_view rest = content.substr(colon + 1);
  if (rest.empty()) return Invalid("empty general address literal content");
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
