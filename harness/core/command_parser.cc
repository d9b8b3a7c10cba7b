// ParseCommand() / FormatCommand(): SMTP command lines (RFC 5321 4.1.1 and the extensions
// listed in command.h).
//
// Whitespace policy: tokens are separated by SP only (never TAB). Outside BDAT, runs of SP
// between tokens and SP at the end of the line are tolerated; BDAT must be exactly
// "BDAT" SP chunk-size [SP "LAST"], because a server and a proxy that disagree about a
// chunk's size read message octets as commands (MS02-012, smuggling).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address.h"
#include "harness/core/command.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr size_t kMaxShown = 20;       // characters of user input quoted in a reason
constexpr size_t kMaxMechanism = 20;   // RFC 4422 3.1: sasl-mech = 1*20mech-char
constexpr size_t kMaxEnvid = 100;      // RFC 3461 4.4
constexpr size_t kMaxOrcpt = 500;      // RFC 3461 4.2
constexpr size_t kMaxSizeDigits = 20;  // RFC 1870: size-value ::= 1*20DIGIT

struct VerbEntry {
  std::string_view name;
  Verb verb;
};
constexpr VerbEntry kVerbs[kVerbCount] = {
    {"HELO", Verb::kHelo}, {"EHLO", Verb::kEhlo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData}, {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit}, {"VRFY", Verb::kVrfy},
    {"EXPN", Verb::kExpn}, {"HELP", Verb::kHelp}, {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth}, {"BDAT", Verb::kBdat},
};

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsUpperHex(char c) { return IsDigit(c) || (c >= 'A' && c <= 'F'); }

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
std::string Shown(std::string_view text, size_t max = kMaxShown) {
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

// ---------------------------------------------------------------------------------------
// xtext (RFC 3461 4): xchar = %d33-42 / %d44-60 / %d62-126, hexchar = "+" 2(DIGIT / A-F).

bool IsXchar(unsigned char u) { return u >= 33 && u <= 126 && u != '+' && u != '='; }

void AppendXtext(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (IsXchar(u)) {
      out.push_back(c);
    } else {
      out.push_back('+');
      out += HexByte(u);
    }
  }
}

// Decodes `text` (a view into `line`) for parameter `name`. The decoded value must be
// printable US-ASCII (RFC 3461 4.4 for ENVID; the same for AUTH and ORCPT addresses): an
// encoded CR, LF or NUL would otherwise reach headers and logs.
absl::Status DecodeXtext(std::string_view line, std::string_view name, std::string_view text,
                         std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '+') {
      out.push_back(c);  // the esmtp-value check already allowed only %d33-60 / %d62-126
      continue;
    }
    if (i + 2 >= text.size() || !IsUpperHex(text[i + 1]) || !IsUpperHex(text[i + 2])) {
      return Error(
          501, "5.5.4",
          absl::StrCat("malformed xtext in ", AsAbsl(name), " at offset ", OffsetIn(line, text) + i,
                       ": '+' must be followed by two upper-case hex digits"));
    }
    const auto hi = static_cast<unsigned char>(text[i + 1]);
    const auto lo = static_cast<unsigned char>(text[i + 2]);
    const auto nibble = [](unsigned char h) { return h <= '9' ? h - '0' : h - 'A' + 10; };
    const auto u = static_cast<unsigned char>(nibble(hi) * 16 + nibble(lo));
    if (u < 0x20 || u > 0x7e) {
      return Error(
          501, "5.5.4",
          absl::StrCat(AsAbsl(name), " at offset ", OffsetIn(line, text) + i, " encodes octet 0x",
                       HexByte(u), ", which is not printable US-ASCII"));
    }
    out.push_back(static_cast<char>(u));
    i += 2;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// ESMTP parameters of MAIL and RCPT.

enum class Param { kSize, kBody, kSmtpUtf8, kAuth, kRet, kEnvid, kNotify, kOrcpt };
struct ParamEntry {
  std::string_view name;
  Param param;
  bool mail;  // a MAIL parameter (else RCPT)
};
constexpr ParamEntry kParams[] = {
    {"SIZE", Param::kSize, true},         {"BODY", Param::kBody, true},
    {"SMTPUTF8", Param::kSmtpUtf8, true}, {"AUTH", Param::kAuth, true},
    {"RET", Param::kRet, true},           {"ENVID", Param::kEnvid, true},
    {"NOTIFY", Param::kNotify, false},    {"ORCPT", Param::kOrcpt, false},
};

const ParamEntry* FindParam(std::string_view keyword) {
  for (const ParamEntry& entry : kParams) {
    if (EqualsNoCase(keyword, entry.name)) return &entry;
  }
  return nullptr;
}

absl::Status ParseSize(std::string_view line, std::string_view value, MailParameters& mail) {
  if (!AllDigits(value)) {
    return Error(501, "5.5.4",
                 absl::StrCat("SIZE value ", Shown(value), " at offset ", OffsetIn(line, value),
                              " is not a decimal number (RFC 1870)"));
  }
  if (value.size() > kMaxSizeDigits) {
    return Error(501, "5.5.4",
                 absl::StrCat("SIZE value has ", value.size(), " digits, limit ", kMaxSizeDigits,
                              " (RFC 1870)"));
  }
  uint64_t size = 0;
  if (!ParseU64(value, size)) {
    return Error(501, "5.5.4", "SIZE value does not fit in 64 bits");
  }
  mail.size = size;
  return absl::OkStatus();
}

absl::Status ParseNotify(std::string_view line, std::string_view value, RcptParameters& rcpt) {
  DsnNotify notify;
  int items = 0;
  std::string_view rest = value;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    ++items;
    bool* flag = nullptr;
    if (EqualsNoCase(item, "NEVER")) {
      flag = &notify.never;
    } else if (EqualsNoCase(item, "SUCCESS")) {
      flag = &notify.success;
    } else if (EqualsNoCase(item, "FAILURE")) {
      flag = &notify.failure;
    } else if (EqualsNoCase(item, "DELAY")) {
      flag = &notify.delay;
    } else {
      return Error(501, "5.5.4",
                   absl::StrCat("NOTIFY value ", Shown(item), " at offset ", OffsetIn(line, item),
                                " is not NEVER, SUCCESS, FAILURE or DELAY (RFC 3461 4.1)"));
    }
    if (*flag) {
      return Error(
          501, "5.5.4",
          absl::StrCat("NOTIFY lists ", Shown(item), " twice (offset ", OffsetIn(line, item), ")"));
    }
    *flag = true;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (notify.never && items > 1) {
    return Error(501, "5.5.4", "NOTIFY=NEVER cannot be combined with other values (RFC 3461 4.1)");
  }
  rcpt.notify = notify;
  return absl::OkStatus();
}

// RFC 822 atom: CHAR except specials, SPACE and CTLs (SP, CTL and '=' are already gone).
bool IsAtom(std::string_view s) {
  constexpr std::string_view kSpecials = "()<>@,;:\\\".[]";
  if (s.empty()) return false;
  for (char c : s) {
    if (kSpecials.find(c) != std::string_view::npos) return false;
  }
  return true;
}

absl::Status ParseOrcpt(std::string_view line, std::string_view value, RcptParameters& rcpt) {
  if (value.size() > kMaxOrcpt) {
    return Error(501, "5.5.4",
                 absl::StrCat("ORCPT value is ", value.size(), " characters long, limit ",
                              kMaxOrcpt, " (RFC 3461 4.2)"));
  }
  const size_t semi = value.find(';');
  if (semi == std::string_view::npos) {
    return Error(501, "5.5.4",
                 "ORCPT must be addr-type;xtext, e.g. ORCPT=rfc822;user@example.test "
                 "(RFC 3461 4.2)");
  }
  const std::string_view type = value.substr(0, semi);
  const std::string_view address = value.substr(semi + 1);
  if (!IsAtom(type)) {
    return Error(501, "5.5.4",
                 absl::StrCat("ORCPT address type ", Shown(type), " at offset ",
                              OffsetIn(line, value), " is not an atom (e.g. rfc822)"));
  }
  if (address.empty()) return Error(501, "5.5.4", "ORCPT has an empty original address");
  std::string decoded;
  if (absl::Status s = DecodeXtext(line, "ORCPT", address, decoded); !s.ok()) return s;
  rcpt.orcpt_type = absl::AsciiStrToLower(AsAbsl(type));
  rcpt.orcpt = std::move(decoded);
  return absl::OkStatus();
}

// One "keyword[=value]" token of a MAIL (is_mail) or RCPT command.
absl::Status ParseParam(std::string_view line, std::string_view token, bool is_mail, unsigned& seen,
                        Command& out) {
  const size_t eq = token.find('=');
  const std::string_view keyword = token.substr(0, eq);
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? token.substr(eq + 1) : std::string_view();

  // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
  bool keyword_ok = !keyword.empty() && IsAlnum(keyword.front());
  for (char c : keyword) keyword_ok = keyword_ok && (IsAlnum(c) || c == '-');
  if (!keyword_ok) {
    return Error(501, "5.5.4",
                 absl::StrCat("malformed parameter ", Shown(token), " at offset ",
                              OffsetIn(line, token), " (RFC 5321 esmtp-keyword)"));
  }
  const std::string_view command = is_mail ? "MAIL" : "RCPT";
  const ParamEntry* entry = FindParam(keyword);
  if (entry == nullptr) {
    std::string upper(keyword.substr(0, kMaxShown));
    absl::AsciiStrToUpper(&upper);
    return Error(555, "5.5.4",
                 absl::StrCat("unknown ", AsAbsl(command), " parameter ", upper,
                              keyword.size() > kMaxShown ? "..." : ""));
  }
  const std::string_view name = entry->name;
  if (entry->mail != is_mail) {
    return Error(555, "5.5.4",
                 absl::StrCat(AsAbsl(name), " is a ", entry->mail ? "MAIL" : "RCPT",
                              " parameter, not allowed on ", AsAbsl(command)));
  }
  const unsigned bit = 1u << static_cast<unsigned>(entry->param);
  if (seen & bit) {
    return Error(501, "5.5.4", absl::StrCat("duplicate parameter ", AsAbsl(name)));
  }
  seen |= bit;

  if (entry->param == Param::kSmtpUtf8) {
    if (has_value) return Error(501, "5.5.4", "SMTPUTF8 takes no value (RFC 6531)");
    out.mail.smtputf8 = true;
    return absl::OkStatus();
  }
  if (value.empty()) {
    return Error(501, "5.5.4",
                 absl::StrCat(AsAbsl(name), " requires a value (", AsAbsl(name), "=...)"));
  }
  // esmtp-value = 1*(%d33-60 / %d62-126)
  for (size_t i = 0; i < value.size(); ++i) {
    const auto u = static_cast<unsigned char>(value[i]);
    if (u < 33 || u > 126 || u == '=') {
      return Error(
          501, "5.5.4",
          absl::StrCat(AsAbsl(name), " value has ",
                       u == '=' ? std::string("'='") : absl::StrCat("octet 0x", HexByte(u)),
                       " at offset ", OffsetIn(line, value) + i,
                       ", not allowed in an esmtp-value"));
    }
  }

  switch (entry->param) {
    case Param::kSize:
      return ParseSize(line, value, out.mail);
    case Param::kBody:
      if (EqualsNoCase(value, "7BIT")) {
        out.mail.body = BodyType::k7Bit;
      } else if (EqualsNoCase(value, "8BITMIME")) {
        out.mail.body = BodyType::k8BitMime;
      } else if (EqualsNoCase(value, "BINARYMIME")) {
        out.mail.body = BodyType::kBinaryMime;
      } else {
        return Error(501, "5.5.4",
                     absl::StrCat("BODY value ", Shown(value),
                                  " is not 7BIT, 8BITMIME or BINARYMIME (RFC 6152, RFC 3030)"));
      }
      return absl::OkStatus();
    case Param::kAuth: {
      std::string decoded;
      if (absl::Status s = DecodeXtext(line, "AUTH", value, decoded); !s.ok()) return s;
      out.mail.auth = std::move(decoded);
      return absl::OkStatus();
    }
    case Param::kRet:
      if (EqualsNoCase(value, "FULL")) {
        out.mail.ret = DsnRet::kFull;
      } else if (EqualsNoCase(value, "HDRS")) {
        out.mail.ret = DsnRet::kHdrs;
      } else {
        return Error(501, "5.5.4",
                     absl::StrCat("RET value ", Shown(value), " is not FULL or HDRS (RFC 3461)"));
      }
      return absl::OkStatus();
    case Param::kEnvid: {
      if (value.size() > kMaxEnvid) {
        return Error(501, "5.5.4",
                     absl::StrCat("ENVID is ", value.size(), " characters long, limit ", kMaxEnvid,
                                  " (RFC 3461 4.4)"));
      }
      std::string decoded;
      if (absl::Status s = DecodeXtext(line, "ENVID", value, decoded); !s.ok()) return s;
      out.mail.envid = std::move(decoded);
      return absl::OkStatus();
    }
    case Param::kNotify:
      return ParseNotify(line, value, out.rcpt);
    case Param::kOrcpt:
      return ParseOrcpt(line, value, out.rcpt);
    case Param::kSmtpUtf8:
      break;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Verbs.

// MAIL FROM:<reverse-path> [params] / RCPT TO:<forward-path> [params]. `rest` follows the
// verb ("" or starting with SP).
absl::Status ParsePathCommand(std::string_view line, std::string_view rest, bool is_mail,
                              const CommandOptions& options, Command& out) {
  const std::string_view keyword = is_mail ? "FROM" : "TO";
  const std::string_view usage = is_mail ? "syntax: MAIL FROM:<address> [parameters]"
                                         : "syntax: RCPT TO:<address> [parameters]";
  std::string_view s = SkipSp(rest);
  if (s.size() < keyword.size() || !EqualsNoCase(s.substr(0, keyword.size()), keyword)) {
    return Error(501, "5.5.2", usage);
  }
  s.remove_prefix(keyword.size());
  if (s.empty()) return Error(501, "5.5.2", absl::StrCat(AsAbsl(usage), " (missing colon)"));
  if (s.front() == ' ') {
    const std::string_view after = SkipSp(s);
    if (!after.empty() && after.front() == ':') {
      return Error(501, "5.5.2",
                   absl::StrCat("no space allowed before the colon at offset ", OffsetIn(line, s),
                                "; ", AsAbsl(usage)));
    }
    return Error(501, "5.5.2", absl::StrCat(AsAbsl(usage), " (missing colon)"));
  }
  if (s.front() != ':') {
    return Error(501, "5.5.2",
                 absl::StrCat(AsAbsl(usage), " (unexpected ", Shown(s.substr(0, 1)), " at offset ",
                              OffsetIn(line, s), ")"));
  }
  s.remove_prefix(1);
  if (!s.empty() && s.front() == ' ') {
    if (options.strict_colon) {
      return Error(501, "5.5.2", "no space allowed after colon (RFC 5321 3.3)");
    }
    s = SkipSp(s);
  }
  if (s.empty()) {
    return Error(501, "5.5.2",
                 is_mail ? "MAIL FROM: requires a reverse-path (<> for none)"
                         : "RCPT TO: requires a forward-path");
  }
  size_t path_len = PathTokenLength(s);
  if (path_len > s.size()) path_len = s.size();
  if (path_len == 0) {
    return Error(501, "5.5.2", absl::StrCat("empty path at offset ", OffsetIn(line, s)));
  }
  const std::string_view path_text = s.substr(0, path_len);
  std::string_view params = s.substr(path_len);
  if (!params.empty() && params.front() != ' ') {
    return Error(
        501, "5.5.2",
        absl::StrCat("expected a space after the path at offset ", OffsetIn(line, params)));
  }
  // Parameters first: MAIL's SMTPUTF8 decides whether the path may hold UTF-8.
  unsigned seen = 0;
  while (true) {
    params = SkipSp(params);
    if (params.empty()) break;
    const std::string_view token = NextToken(params);
    if (absl::Status st = ParseParam(line, token, is_mail, seen, out); !st.ok()) return st;
  }
  AddressOptions address_options;
  address_options.reverse_path = is_mail;
  address_options.smtputf8 = is_mail ? out.mail.smtputf8 : options.smtputf8_transaction;
  address_options.allow_unbracketed = options.allow_unbracketed;
  address_options.allow_domainless = options.allow_domainless;
  absl::StatusOr<Path> path = ParsePath(path_text, address_options);
  if (!path.ok()) return path.status();  // 553 5.1.x / 553 5.6.7 / 501 5.1.x as given
  out.path = *std::move(path);
  return absl::OkStatus();
}

absl::Status ParseHelo(std::string_view rest, Verb verb, Command& out) {
  const std::string_view name = VerbName(verb);
  const std::string_view arg = TrimSp(rest);
  if (arg.empty()) {
    return Error(501, "5.5.4", absl::StrCat(AsAbsl(name), " requires a domain"));
  }
  if (arg.find(' ') != std::string_view::npos) {
    return Error(
        501, "5.5.4",
        absl::StrCat(AsAbsl(name), " takes exactly one argument, a domain or address literal"));
  }
  if (absl::Status s = ValidateDomain(arg, /*allow_literal=*/true); !s.ok()) {
    return Error(
        501, "5.5.4",
        absl::StrCat("invalid ", AsAbsl(name), " domain ", Shown(arg, 64), ": ", s.message()));
  }
  out.argument.assign(arg);
  return absl::OkStatus();
}

absl::Status ParseAuth(std::string_view line, std::string_view rest, Command& out) {
  std::string_view s = SkipSp(rest);
  if (s.empty()) {
    return Error(501, "5.5.4",
                 "AUTH requires a mechanism name (AUTH mechanism [initial-response])");
  }
  const std::string_view mechanism = NextToken(s);
  bool ok = mechanism.size() <= kMaxMechanism;
  for (char c : mechanism) ok = ok && (IsAlnum(c) || c == '-' || c == '_');
  if (!ok) {
    return Error(501, "5.5.4",
                 absl::StrCat("malformed SASL mechanism name ", Shown(mechanism),
                              " (1-20 of A-Z, 0-9, '-', '_'; RFC 4422 3.1)"));
  }
  s = SkipSp(s);
  std::string_view response;
  if (!s.empty()) {
    response = NextToken(s);
    if (!SkipSp(s).empty()) {
      return Error(501, "5.5.4",
                   absl::StrCat("unexpected text at offset ", OffsetIn(line, SkipSp(s)),
                                ": AUTH takes a mechanism and at most one initial response"));
    }
    if (response != "=") {
      // base64 (RFC 4648 with padding): groups of 4 of A-Z a-z 0-9 + /, at most "==" at the
      // end. "=" alone is the empty response (RFC 4954 4).
      size_t pad = 0;
      for (size_t i = 0; i < response.size(); ++i) {
        const char c = response[i];
        if (c == '=') {
          ++pad;
          continue;
        }
        if (pad > 0 || !(IsAlnum(c) || c == '+' || c == '/')) {
          return Error(
              501, "5.5.2",
              absl::StrCat("initial response is not base64: ",
                           pad > 0 ? std::string("data after '=' padding")
                                   : absl::StrCat("character ", Shown(response.substr(i, 1))),
                           " at offset ", OffsetIn(line, response) + i));
        }
      }
      if (pad > 2) {
        return Error(501, "5.5.2", "initial response is not base64: more than two '=' of padding");
      }
      if (response.size() % 4 != 0) {
        return Error(501, "5.5.2",
                     absl::StrCat("initial response is not base64: length ", response.size(),
                                  " is not a multiple of 4"));
      }
    }
    out.auth_initial_response.emplace(response);
  }
  out.argument.assign(mechanism);
  absl::AsciiStrToUpper(&out.argument);
  return absl::OkStatus();
}

// BDAT SP chunk-size [SP "LAST"] exactly (RFC 3030 2): no extra, leading or trailing SP.
absl::Status ParseBdat(std::string_view line, std::string_view rest, Command& out) {
  constexpr std::string_view kUsage = "(syntax: BDAT <chunk-size> [LAST], RFC 3030)";
  if (rest.empty() || rest.size() == 1) {
    return Error(501, "5.5.4", absl::StrCat("BDAT requires a chunk size ", AsAbsl(kUsage)));
  }
  std::string_view s = rest.substr(1);  // rest starts with the SP after the verb
  if (s.front() == ' ') {
    return Error(501, "5.5.4",
                 absl::StrCat("more than one space before the BDAT chunk size at offset ",
                              OffsetIn(line, s), " ", AsAbsl(kUsage)));
  }
  const std::string_view size = NextToken(s);
  if (size.front() == '+' || size.front() == '-') {
    return Error(501, "5.5.4",
                 absl::StrCat("BDAT chunk size must be unsigned digits, got sign '",
                              AsAbsl(size.substr(0, 1)), "' at offset ", OffsetIn(line, size)));
  }
  for (size_t i = 0; i < size.size(); ++i) {
    if (!IsDigit(size[i])) {
      return Error(
          501, "5.5.4",
          absl::StrCat("BDAT chunk size ", Shown(size), " is not a decimal number ", "(character ",
                       Shown(size.substr(i, 1)), " at offset ", OffsetIn(line, size) + i, ")"));
    }
  }
  uint64_t chunk = 0;
  if (!ParseU64(size, chunk)) {
    return Error(501, "5.5.4", "BDAT chunk size does not fit in 64 bits");
  }
  bool last = false;
  if (!s.empty()) {  // s starts with SP
    std::string_view t = s.substr(1);
    if (t.empty()) {
      return Error(501, "5.5.4",
                   absl::StrCat("trailing space after the BDAT chunk size at offset ",
                                OffsetIn(line, s), " ", AsAbsl(kUsage)));
    }
    if (t.front() == ' ') {
      return Error(501, "5.5.4",
                   absl::StrCat("more than one space after the BDAT chunk size at offset ",
                                OffsetIn(line, t), " ", AsAbsl(kUsage)));
    }
    const std::string_view word = NextToken(t);
    if (!EqualsNoCase(word, "LAST")) {
      return Error(501, "5.5.4",
                   absl::StrCat("expected LAST after the BDAT chunk size, got ", Shown(word),
                                " at offset ", OffsetIn(line, word)));
    }
    if (!t.empty()) {
      return Error(
          501, "5.5.4",
          absl::StrCat("unexpected text after BDAT ... LAST at offset ", OffsetIn(line, t)));
    }
    last = true;
  }
  out.bdat_size = chunk;
  out.bdat_last = last;
  return absl::OkStatus();
}

std::string_view CheckedVerbToken(std::string_view line, Verb& verb, bool& found) {
  const std::string_view token = line.substr(0, line.find(' '));
  found = false;
  if (token.size() == 4 || token.size() == 8) {
    for (const VerbEntry& entry : kVerbs) {
      if (EqualsNoCase(token, entry.name)) {
        verb = entry.verb;
        found = true;
        break;
      }
    }
  }
  return token;
}

}  // namespace

std::string_view VerbName(Verb verb) {
  const auto i = static_cast<size_t>(verb);
  return i < static_cast<size_t>(kVerbCount) ? kVerbs[i].name : std::string_view();
}

absl::StatusOr<Command> ParseCommand(std::string_view line, const CommandOptions& options) {
  // RFC 5321 4.5.3.1.4: the limit counts the CRLF the session removed.
  if (line.size() + 2 > options.max_line_length) {
    return Error(500, "5.5.2",
                 absl::StrCat("command line too long (", line.size() + 2, " octets, limit ",
                              options.max_line_length, ")"));
  }
  if (const size_t bad = line.find_first_of(std::string_view("\0\r\n", 3));
      bad != std::string_view::npos) {
    const char c = line[bad];
    const char* what = c == '\0'                                          ? "NUL"
                       : c == '\n'                                        ? "bare LF"
                       : (bad + 1 < line.size() && line[bad + 1] == '\n') ? "CRLF"
                                                                          : "bare CR";
    return Error(501, "5.5.2", absl::StrCat(what, " in command at offset ", bad));
  }

  Command out;
  bool found = false;
  const std::string_view token = CheckedVerbToken(line, out.verb, found);
  if (!found) {
    if (token.empty()) {
      return Error(500, "5.5.1",
                   line.empty() ? "unrecognized command: empty line"
                                : "unrecognized command: line starts with a space");
    }
    return Error(500, "5.5.1", absl::StrCat("unrecognized command ", Shown(token)));
  }
  const std::string_view rest = line.substr(token.size());  // "" or starts with SP
  const std::string_view name = VerbName(out.verb);

  absl::Status status;
  switch (out.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
      status = ParseHelo(rest, out.verb, out);
      break;
    case Verb::kMail:
    case Verb::kRcpt:
      status = ParsePathCommand(line, rest, out.verb == Verb::kMail, options, out);
      break;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!TrimSp(rest).empty()) {
        status = Error(501, "5.5.4",
                       absl::StrCat(AsAbsl(name), " takes no argument",
                                    out.verb == Verb::kStartTls ? " (RFC 3207)" : ""));
      }
      break;
    case Verb::kNoop:
    case Verb::kHelp:
      out.argument.assign(TrimSp(rest));
      break;
    case Verb::kVrfy:
    case Verb::kExpn: {
      const std::string_view arg = TrimSp(rest);
      if (arg.empty()) {
        status = Error(501, "5.5.4", absl::StrCat(AsAbsl(name), " requires an argument"));
      }
      out.argument.assign(arg);
      break;
    }
    case Verb::kAuth:
      status = ParseAuth(line, rest, out);
      break;
    case Verb::kBdat:
      status = ParseBdat(line, rest, out);
      break;
  }
  if (!status.ok()) return status;
  return out;
}

std::string FormatCommand(const Command& command) {
  std::string out(VerbName(command.verb));
  switch (command.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
    case Verb::kVrfy:
    case Verb::kExpn:
      out.push_back(' ');
      out += command.argument;
      break;
    case Verb::kNoop:
    case Verb::kHelp:
      if (!command.argument.empty()) {
        out.push_back(' ');
        out += command.argument;
      }
      break;
    case Verb::kMail: {
      out += " FROM:";
      out += FormatPath(command.path);
      const MailParameters& m = command.mail;
      if (m.size) absl::StrAppend(&out, " SIZE=", *m.size);
      if (m.body) {
        out += *m.body == BodyType::k7Bit       ? " BODY=7BIT"
               : *m.body == BodyType::k8BitMime ? " BODY=8BITMIME"
                                                : " BODY=BINARYMIME";
      }
      if (m.smtputf8) out += " SMTPUTF8";
      if (m.auth) {
        out += " AUTH=";
        AppendXtext(out, *m.auth);
      }
      if (m.ret) out += *m.ret == DsnRet::kFull ? " RET=FULL" : " RET=HDRS";
      if (m.envid) {
        out += " ENVID=";
        AppendXtext(out, *m.envid);
      }
      break;
    }
    case Verb::kRcpt: {
      out += " TO:";
      out += FormatPath(command.path);
      const RcptParameters& r = command.rcpt;
      if (r.notify) {
        out += " NOTIFY=";
        if (r.notify->never) {
          out += "NEVER";
        } else {
          const size_t start = out.size();
          if (r.notify->success) out += "SUCCESS,";
          if (r.notify->failure) out += "FAILURE,";
          if (r.notify->delay) out += "DELAY,";
          if (out.size() > start) out.pop_back();
        }
      }
      if (r.orcpt) {
        out += " ORCPT=";
        out += r.orcpt_type.value_or("rfc822");
        out.push_back(';');
        AppendXtext(out, *r.orcpt);
      }
      break;
    }
    case Verb::kAuth:
      out.push_back(' ');
      out += command.argument;
      if (command.auth_initial_response) {
        out.push_back(' ');
        out += *command.auth_initial_response;
      }
      break;
    case Verb::kBdat:
      absl::StrAppend(&out, " ", command.bdat_size, command.bdat_last ? " LAST" : "");
      break;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      break;
  }
  // A hand-built Command must not smuggle a second command onto the wire.
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = '?';
  }
  return out;
}

}  // namespace smtpgate
