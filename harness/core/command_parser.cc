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
#include "harness/core/command_syntax.h"
#include "harness/core/esmtp_parameters.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr size_t kMaxMechanism = 20;  // RFC 4422 3.1: sasl-mech = 1*20mech-char

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

using command_syntax::EqualsNoCase;
using command_syntax::Error;
using command_syntax::IsAlnum;
using command_syntax::IsDigit;
using command_syntax::NextToken;
using command_syntax::OffsetIn;
using command_syntax::ParseU64;
using command_syntax::Shown;
using command_syntax::SkipSp;
using command_syntax::TrimSp;
using esmtp_parameters::AppendXtext;
using esmtp_parameters::ParseParam;

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
