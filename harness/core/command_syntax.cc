#include "harness/core/command_syntax.h"

#include "absl/strings/match.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::command_syntax {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AsAbsl(a), AsAbsl(b));
}

// Leading and trailing SP removed (SP only: TAB is not a separator in SMTP).
std::string_view SkipSp(std::string_view s) {
  const size_t i = s.find_first_not_of(' ');
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}
std::string_view TrimSp(std::string_view s) {
  s = SkipSp(s);
  const size_t i = s.find_last_not_of(' ');
  return i == std::string_view::npos ? std::string_view() : s.substr(0, i + 1);
}

// Splits the first SP-delimited token off `s` (which must not start with SP).
std::string_view NextToken(std::string_view& s) {
  const size_t sp = s.find(' ');
  const std::string_view token = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view() : s.substr(sp);
  return token;
}

// User input quoted in a reason: printable ASCII kept, other octets as '?', truncated.
std::string Shown(std::string_view text, size_t max) {
  std::string out;
  const size_t n = text.size() < max ? text.size() : max;
  out.reserve(n + 5);
  out.push_back('"');
  for (size_t i = 0; i < n; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    out.push_back(u >= 0x20 && u < 0x7f ? text[i] : '?');
  }
  out.push_back('"');
  if (text.size() > max) out += "...";
  return out;
}

std::string HexByte(unsigned char u) {
  constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{kHex[u >> 4], kHex[u & 0xf]};
}

// Offset of `part` (a view into `line`) within `line`.
size_t OffsetIn(std::string_view line, std::string_view part) {
  return static_cast<size_t>(part.data() - line.data());
}

absl::Status Error(int code, std::string_view enhanced, std::string_view reason) {
  return SmtpStatus(code, enhanced, reason);
}

// Decimal digits only (checked by the caller); false on 64-bit overflow.
bool ParseU64(std::string_view digits, uint64_t& value) {
  uint64_t v = 0;
  for (char c : digits) {
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  value = v;
  return true;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return !s.empty();
}

}  // namespace smtpgate::command_syntax
