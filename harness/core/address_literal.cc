#include "harness/core/address_literal.h"

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "absl/strings/match.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsLetDig(unsigned char c) {
  return IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool IsHex(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
bool IsLdhStr(std::string_view s) {
  if (s.empty() || s.back() == '-') return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!IsLetDig(u) && u != '-') return false;
  }
  return true;
}

}  // namespace

bool ParseIpv4(std::string_view s, uint8_t out[4]) {
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return false;
      ++pos;
    }
    unsigned value = 0;
    size_t digits = 0;
    while (pos < s.size() && IsDigit(static_cast<unsigned char>(s[pos])) && digits < 3) {
      value = value * 10 + static_cast<unsigned>(s[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || value > 255) return false;
    out[part] = static_cast<uint8_t>(value);
  }
  return pos == s.size();
}

namespace {

// Parses colon-separated IPv6-hex groups in `s` (may be empty). When `allow_ipv4` the last
// piece may be an IPv4 address (its start is stored in *ipv4_at, else npos).
bool ParseIpv6Groups(std::string_view s, bool allow_ipv4, size_t* groups, size_t* ipv4_at) {
  *groups = 0;
  *ipv4_at = std::string_view::npos;
  if (s.empty()) return true;
  size_t pos = 0;
  for (;;) {
    size_t end = pos;
    while (end < s.size() && s[end] != ':') ++end;
    const std::string_view piece = s.substr(pos, end - pos);
    if (end == s.size() && allow_ipv4 && piece.find('.') != std::string_view::npos) {
      uint8_t ignored[4];
      if (!ParseIpv4(piece, ignored)) return false;
      *ipv4_at = pos;
      return true;
    }
    if (piece.empty() || piece.size() > 4) return false;
    for (char c : piece) {
      if (!IsHex(static_cast<unsigned char>(c))) return false;
    }
    ++*groups;
    if (end == s.size()) return true;
    pos = end + 1;
    if (pos == s.size()) return false;  // trailing ':'
  }
}

// IPv6-addr of RFC 5321 4.1.3 (IPv6-full, IPv6-comp, IPv6v4-full, IPv6v4-comp). The
// structure (group counts, "::" standing for at least two groups) is checked here; the
// value comes from inet_pton on a copy whose IPv4 tail has leading zeros removed.

}  // namespace

bool ParseIpv6(std::string_view s, unsigned char out[16]) {
  // The longest form is IPv6v4-full: 6 * "hhhh:" + "ddd.ddd.ddd.ddd" = 45 octets.
  constexpr size_t kMaxText = 45;
  if (s.empty() || s.size() > kMaxText) return false;
  const size_t dc = s.find("::");
  size_t head_groups = 0;
  size_t tail_groups = 0;
  size_t ipv4_at = std::string_view::npos;  // offset in s
  if (dc == std::string_view::npos) {
    size_t at = 0;
    if (!ParseIpv6Groups(s, true, &head_groups, &at)) return false;
    ipv4_at = at;
    if (head_groups != (ipv4_at == std::string_view::npos ? 8u : 6u)) return false;
  } else {
    if (s.find("::", dc + 1) != std::string_view::npos) return false;
    size_t unused = 0;
    if (!ParseIpv6Groups(s.substr(0, dc), false, &head_groups, &unused)) return false;
    size_t at = 0;
    if (!ParseIpv6Groups(s.substr(dc + 2), true, &tail_groups, &at)) return false;
    if (at != std::string_view::npos) ipv4_at = dc + 2 + at;
    const size_t limit = ipv4_at == std::string_view::npos ? 6 : 4;
    if (head_groups + tail_groups > limit) return false;
  }
  char text[64];
  size_t n = 0;
  const size_t hex_len = ipv4_at == std::string_view::npos ? s.size() : ipv4_at;
  std::memcpy(text, s.data(), hex_len);
  n = hex_len;
  if (ipv4_at != std::string_view::npos) {
    uint8_t v4[4];
    if (!ParseIpv4(s.substr(ipv4_at), v4)) return false;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) text[n++] = '.';
      const unsigned v = v4[i];
      if (v >= 100) text[n++] = static_cast<char>('0' + v / 100);
      if (v >= 10) text[n++] = static_cast<char>('0' + (v / 10) % 10);
      text[n++] = static_cast<char>('0' + v % 10);
    }
  }
  text[n] = '\0';
  return inet_pton(AF_INET6, text, out) == 1;
}

LiteralResult ClassifyLiteral(std::string_view content) {
  if (content.empty()) return LiteralResult::kEmpty;
  const size_t colon = content.find(':');
  if (colon == std::string_view::npos) {
    uint8_t v4[4];
    return ParseIpv4(content, v4) ? LiteralResult::kIpv4 : LiteralResult::kBadIpv4;
  }
  const std::string_view tag = content.substr(0, colon);
  if (absl::EqualsIgnoreCase(AsAbsl(tag), "IPv6")) {
    unsigned char v6[16];
    return ParseIpv6(content.substr(colon + 1), v6) ? LiteralResult::kIpv6
                                                    : LiteralResult::kBadIpv6;
  }
  if (!IsLdhStr(tag)) return LiteralResult::kBadTag;
  if (colon + 1 == content.size()) return LiteralResult::kNoContent;
  return LiteralResult::kGeneral;
}

DomainKind LiteralDomainKind(LiteralResult r) {
  switch (r) {
    case LiteralResult::kIpv4:
      return DomainKind::kIpv4Literal;
    case LiteralResult::kIpv6:
      return DomainKind::kIpv6Literal;
    default:
      return DomainKind::kGeneralLiteral;
  }
}

}  // namespace smtpgate
