// Lexical helpers shared by the command parser and the ESMTP parameter parser
// (harness/core/command_parser.cc, esmtp_parameters.cc). Internal to harness/core.
#ifndef SMTPGATE_HARNESS_CORE_COMMAND_SYNTAX_H_
#define SMTPGATE_HARNESS_CORE_COMMAND_SYNTAX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace smtpgate::command_syntax {

inline constexpr size_t kMaxShown = 20;  // characters of user input quoted in a reason

inline bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsUpperHex(char c) { return IsDigit(c) || (c >= 'A' && c <= 'F'); }

bool EqualsNoCase(std::string_view a, std::string_view b);
// Leading and trailing SP removed (SP only: TAB is not a separator in SMTP).
std::string_view SkipSp(std::string_view s);
std::string_view TrimSp(std::string_view s);
// Splits the first SP-delimited token off `s` (which must not start with SP).
std::string_view NextToken(std::string_view& s);
// User input quoted in a reason: printable ASCII kept, other octets as '?', truncated.
std::string Shown(std::string_view text, size_t max = kMaxShown);
std::string HexByte(unsigned char u);
// Offset of `part` (a view into `line`) within `line`.
size_t OffsetIn(std::string_view line, std::string_view part);
absl::Status Error(int code, std::string_view enhanced, std::string_view reason);
// Decimal digits only (checked by the caller); false on 64-bit overflow.
bool ParseU64(std::string_view digits, uint64_t& value);
bool AllDigits(std::string_view s);

}  // namespace smtpgate::command_syntax

#endif  // SMTPGATE_HARNESS_CORE_COMMAND_SYNTAX_H_
