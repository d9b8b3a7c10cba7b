#include "harness/core/esmtp_parameters.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address.h"
#include "harness/core/command_syntax.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::esmtp_parameters {

using command_syntax::AllDigits;
using command_syntax::EqualsNoCase;
using command_syntax::Error;
using command_syntax::HexByte;
using command_syntax::IsAlnum;
using command_syntax::IsUpperHex;
using command_syntax::kMaxShown;
using command_syntax::OffsetIn;
using command_syntax::ParseU64;
using command_syntax::Shown;

namespace {

constexpr size_t kMaxEnvid = 100;      // RFC 3461 4.4
constexpr size_t kMaxOrcpt = 500;      // RFC 3461 4.2
constexpr size_t kMaxSizeDigits = 20;  // RFC 1870: size-value ::= 1*20DIGIT

// ---------------------------------------------------------------------------------------
// xtext (RFC 3461 4): xchar = %d33-42 / %d44-60 / %d62-126, hexchar = "+" 2(DIGIT / A-F).

bool IsXchar(unsigned char u) { return u >= 33 && u <= 126 && u != '+' && u != '='; }

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace smtpgate::esmtp_parameters
