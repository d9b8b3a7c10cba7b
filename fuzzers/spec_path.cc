// The path reading of the spec model (spec_model.h): RFC 5321's Path grammar and routing
// domains compared by value. Shares no code with harness/core's address parser.
#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fuzzers/spec_model.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::fuzz {
namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(AsAbsl(s)); }

// RFC 5321 §4.1.2 atext.
bool IsAtext(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80;  // SMTPUTF8 (RFC 6531)
}

// An IPv4 literal's octets without leading zeros ("096" -> "96"), or nothing when `text` is
// not four Snum ("1*3DIGIT representing a decimal integer value in the range 0 through 255",
// RFC 5321 §4.1.3).
std::optional<std::string> DecimalIpv4(std::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(text), '.');
  if (parts.size() != 4) return std::nullopt;
  std::string out;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3) return std::nullopt;
    unsigned value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return std::nullopt;
    absl::StrAppend(&out, out.empty() ? "" : ".", value);
  }
  return out;
}

// The routing domain by value: an address literal is one address however it is written
// (RFC 5321 §4.1.3: Snum is a decimal value; an IPv6 address in its RFC 5952 text form, from
// the C library); a domain name as it is (lower case).
}  // namespace

std::string RoutingDomainByValue(std::string domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return domain;
  const std::string_view inner = std::string_view(domain).substr(1, domain.size() - 2);
  if (const std::optional<std::string> v4 = DecimalIpv4(inner)) return absl::StrCat("[", *v4, "]");
  if (!absl::StartsWith(AsAbsl(inner), "ipv6:")) return domain;
  std::string v6(inner.substr(5));
  if (const size_t dot = v6.rfind(':'); dot != std::string::npos) {
    if (const std::optional<std::string> tail = DecimalIpv4(std::string_view(v6).substr(dot + 1))) {
      v6 = v6.substr(0, dot + 1) + *tail;
    }
  }
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, v6.c_str(), bytes) != 1 ||
      inet_ntop(AF_INET6, bytes, text, sizeof(text)) == nullptr) {
    return domain;
  }
  return absl::StrCat("[ipv6:", Lower(text), "]");
}

std::optional<std::string> RoutingDomainOf(std::string_view text) {
  // Path = "<" [ A-d-l ":" ] Mailbox ">" (RFC 5321 §4.1.2); the route is ignored (§3.6.1).
  if (text.empty() || text[0] != '<') return std::nullopt;
  size_t i = 1;
  if (i < text.size() && text[i] == '@') {
    // A-d-l: At-domains separated by ',', up to the ':'; a literal's ':' is inside [...].
    bool in_literal = false;
    while (i < text.size() && (in_literal || text[i] != ':')) {
      const char c = text[i];
      if (c == '<' || c == '>' || c == '"' || (c == '[' && in_literal)) return std::nullopt;
      if (c == '[') in_literal = true;
      if (c == ']') in_literal = false;
      ++i;
    }
    if (i >= text.size()) return std::nullopt;
    ++i;
  }
  const size_t mailbox_start = i;
  // Local-part = Dot-string / Quoted-string.
  if (i < text.size() && text[i] == '"') {
    ++i;
    bool closed = false;
    while (i < text.size()) {
      if (text[i] == '\\') {
        i += 2;
        continue;
      }
      if (text[i] == '"') {
        closed = true;
        ++i;
        break;
      }
      ++i;
    }
    if (!closed) return std::nullopt;
  } else {
    const size_t start = i;
    while (i < text.size() && (IsAtext(text[i]) || text[i] == '.')) ++i;
    if (i == start) {
      // "<>" (the null path) has no routing domain.
      const bool null_path = mailbox_start == 1 && i < text.size() && text[i] == '>';
      return null_path ? std::optional<std::string>("") : std::nullopt;
    }
  }
  if (i < text.size() && text[i] == '>') return std::string();  // domain-less mailbox
  if (i >= text.size() || text[i] != '@') return std::nullopt;
  const size_t domain_start = ++i;
  if (i < text.size() && text[i] == '[') {
    // An address literal: its dcontent may hold '>' (%d33-90 / %d94-126, RFC 5321 §4.1.3).
    const size_t close = text.find(']', i);
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != '>') {
      return std::nullopt;
    }
    return Lower(text.substr(domain_start, close + 1 - domain_start));
  }
  while (i < text.size() && text[i] != '>') {
    if (text[i] == '@' || text[i] == '"' || text[i] == '<' || text[i] == ' ') return std::nullopt;
    ++i;
  }
  if (i >= text.size() || i == domain_start) return std::nullopt;
  return Lower(text.substr(domain_start, i - domain_start));
}

}  // namespace smtpgate::fuzz
