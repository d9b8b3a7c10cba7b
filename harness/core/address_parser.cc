// RFC 5321 section 4.1.2 paths and mailboxes: the parser (the model, its routing domain
// and formatting are in address.cc).
//
// Decisions (see also address.h):
// - A trailing dot in a domain ("to@x.invalid.") is rejected. RFC 5321's Domain grammar has
//   no root label, and accepting it would give relay policy two spellings of one domain
//   ("x.invalid." vs "x.invalid") to compare.
// - '%' and '!' are ordinary atext in a dot-string, a quoted local part keeps any '@' it
//   holds, and source routes ("@a,@b:") are recorded but never routed: the routing domain
//   is always the text after the mailbox's own '@' and nothing else.
// - Two unquoted '@' ("to@X@[IP]") are a syntax error: the domain parser stops at the second
//   '@' and reports it.
// - Source routes may name address literals ("@[192.0.2.1]:to@X", nmap form 12): RFC 821
//   allowed them and scanners send them; they are recorded as written.
// - "user@10.10.10.10" (no brackets) is syntactically a Domain of numeric labels and is
//   kept as a *name*: its routing domain is "10.10.10.10", never the literal
//   "[10.10.10.10]", so it cannot match a server's own address literal.
// - Unbracketed paths and domain-less mailboxes are leniencies for hand-typed KB 304897
//   sessions, each behind its own AddressOptions flag. A source route with a domain-less
//   mailbox is always rejected.
// - Offsets in error reasons are 0-based octet offsets into the text given to ParsePath.
// - Lengths are counted in octets as on the wire (quotes and escapes included; UTF-8
//   labels by octets, not by A-label length). U-labels are not IDNA-validated or
//   normalised: only ASCII is lower-cased in the routing domain.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address.h"
#include "harness/core/address_literal.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr size_t kMaxLabel = 63;

bool IsAlpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsLetDig(unsigned char c) { return IsAlpha(c) || IsDigit(c); }

// RFC 5322 atext (ASCII part).
bool IsAtext(unsigned char c) {
  if (IsLetDig(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5321 qtextSMTP: %d32-33 / %d35-91 / %d93-126.
bool IsQtext(unsigned char c) { return c >= 32 && c <= 126 && c != '"' && c != '\\'; }

// Length of the well-formed UTF-8 sequence (RFC 3629) starting at s[pos], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t pos) {
  const auto c = static_cast<unsigned char>(s[pos]);
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - pos < n) return 0;
  const auto c1 = static_cast<unsigned char>(s[pos + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    const auto ci = static_cast<unsigned char>(s[pos + i]);
    if (ci < 0x80 || ci > 0xBF) return 0;
  }
  return n;
}

std::string HexOctet(unsigned char c) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "0x";
  out.push_back(kDigits[c >> 4]);
  out.push_back(kDigits[c & 0xF]);
  return out;
}

enum class Where {
  kLocalPart,
  kQuoted,
  kAfterQuoted,
  kDomain,
  kRoute,
  kLiteral,
  kAfterPath,
};

std::string_view WhereName(Where where) {
  switch (where) {
    case Where::kLocalPart:
      return "in local part";
    case Where::kQuoted:
      return "in quoted local part";
    case Where::kAfterQuoted:
      return "after quoted local part";
    case Where::kDomain:
      return "in domain";
    case Where::kRoute:
      return "in source route";
    case Where::kLiteral:
      return "in address literal";
    case Where::kAfterPath:
      return "after '>'";
  }
  return "";
}

class Parser {
 public:
  Parser(std::string_view text, const AddressOptions& options) : text_(text), options_(options) {}

  absl::StatusOr<Path> Parse();

 private:
  bool AtPathEnd(size_t pos) const {
    return pos >= text_.size() || (bracketed_ && text_[pos] == '>');
  }
  unsigned char At(size_t pos) const { return static_cast<unsigned char>(text_[pos]); }
  std::string_view Enhanced() const { return options_.reverse_path ? "5.1.7" : "5.1.3"; }

  absl::Status Syntax(std::string_view what) const {
    return SmtpStatus(553, Enhanced(), absl::StrCat("bad address syntax: ", AsAbsl(what)));
  }
  absl::Status TooLong(std::string_view what) const { return SmtpStatus(501, Enhanced(), what); }
  absl::Status NeedsUtf8(size_t pos, Where where) const {
    return SmtpStatus(553, "5.6.7",
                      absl::StrCat("non-ASCII octet ", HexOctet(At(pos)), " at offset ", pos, " ",
                                   AsAbsl(WhereName(where)), " needs SMTPUTF8"));
  }
  absl::Status Unexpected(size_t pos, Where where) const;
  // A non-ASCII octet where UTF-8 may appear (atext, qtext, label): without SMTPUTF8 an
  // error; with it, the whole well-formed sequence is consumed.
  absl::Status ConsumeUtf8(size_t& pos, Where where) const;

  absl::Status ParseLocalPart(size_t& pos, Mailbox& mailbox) const;
  absl::Status ParseDomain(size_t& pos, Where where, std::string_view* domain,
                           DomainKind* kind) const;
  absl::Status ParseLiteral(size_t& pos, Where where, DomainKind* kind) const;

  std::string_view text_;
  const AddressOptions& options_;
  bool bracketed_ = false;
};

absl::Status Parser::Unexpected(size_t pos, Where where) const {
  if (pos >= text_.size()) {
    return Syntax(
        absl::StrCat("unexpected end of input at offset ", pos, " ", AsAbsl(WhereName(where))));
  }
  const unsigned char c = At(pos);
  if (c >= 0x80 && !options_.smtputf8) return NeedsUtf8(pos, where);
  std::string what;
  if (c < 0x20 || c == 0x7F) {
    what = absl::StrCat("control character ", HexOctet(c));
  } else if (c == ' ') {
    what = "space";
  } else if (c >= 0x80) {
    what = absl::StrCat("octet ", HexOctet(c));
  } else {
    what = {'\'', static_cast<char>(c), '\''};
  }
  std::string_view hint;
  if (c == '@' && where == Where::kDomain) {
    hint = " (a second '@' is only allowed inside a quoted local part)";
  }
  return Syntax(absl::StrCat("unexpected ", what, " at offset ", pos, " ", AsAbsl(WhereName(where)),
                             AsAbsl(hint)));
}

absl::Status Parser::ConsumeUtf8(size_t& pos, Where where) const {
  if (!options_.smtputf8) return NeedsUtf8(pos, where);
  const size_t n = Utf8SequenceLength(text_, pos);
  if (n == 0) {
    return Syntax(absl::StrCat("malformed UTF-8 at offset ", pos, " ", AsAbsl(WhereName(where))));
  }
  pos += n;
  return absl::OkStatus();
}

absl::Status Parser::ParseLocalPart(size_t& pos, Mailbox& mailbox) const {
  const size_t start = pos;
  if (pos < text_.size() && text_[pos] == '"') {
    // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
    ++pos;
    for (;;) {
      if (pos >= text_.size()) {
        return Syntax(absl::StrCat("unterminated quoted local part starting at offset ", start));
      }
      const unsigned char c = At(pos);
      if (c == '"') {
        ++pos;
        break;
      }
      if (c == '\\') {
        // quoted-pairSMTP = %d92 %d32-126
        ++pos;
        if (pos >= text_.size()) {
          return Syntax(absl::StrCat("unterminated quoted local part starting at offset ", start));
        }
        const unsigned char e = At(pos);
        if (e < 32 || e > 126) return Unexpected(pos, Where::kQuoted);
        ++pos;
      } else if (IsQtext(c)) {
        ++pos;
      } else if (c >= 0x80) {
        if (auto s = ConsumeUtf8(pos, Where::kQuoted); !s.ok()) return s;
      } else {
        return Unexpected(pos, Where::kQuoted);
      }
    }
    mailbox.quoted = true;
  } else {
    // Dot-string = Atom *("." Atom)
    for (;;) {
      const size_t atom_start = pos;
      while (pos < text_.size()) {
        const unsigned char c = At(pos);
        if (IsAtext(c)) {
          ++pos;
        } else if (c >= 0x80) {
          if (auto s = ConsumeUtf8(pos, Where::kLocalPart); !s.ok()) return s;
        } else {
          break;
        }
      }
      if (pos == atom_start) {
        const bool dot = pos < text_.size() && text_[pos] == '.';
        if (atom_start == start) {
          if (dot) {
            return Syntax(absl::StrCat("local part starts with '.' at offset ", pos));
          }
          if (pos < text_.size() && text_[pos] == '@') {
            return Syntax(absl::StrCat("empty local part before '@' at offset ", pos));
          }
          if (AtPathEnd(pos)) return Syntax(absl::StrCat("missing mailbox at offset ", pos));
          return Unexpected(pos, Where::kLocalPart);
        }
        if (dot) {
          return Syntax(absl::StrCat("empty atom ('..') at offset ", pos - 1, " in local part"));
        }
        return Syntax(absl::StrCat("local part ends with '.' at offset ", pos - 1));
      }
      if (pos < text_.size() && text_[pos] == '.') {
        ++pos;
        continue;
      }
      break;
    }
  }
  const size_t length = pos - start;
  if (length > kMaxLocalPart) {
    return TooLong(absl::StrCat("local part too long: ", length, " octets at offset ", start,
                                " (limit ", kMaxLocalPart, ")"));
  }
  mailbox.local_part.assign(text_.substr(start, length));
  return absl::OkStatus();
}

absl::Status Parser::ParseLiteral(size_t& pos, Where where, DomainKind* kind) const {
  const size_t start = pos;  // at '['
  ++pos;
  while (pos < text_.size() && IsDcontent(At(pos))) ++pos;
  if (pos >= text_.size()) {
    return Syntax(absl::StrCat("missing ']' for the address literal at offset ", start));
  }
  if (text_[pos] != ']') return Unexpected(pos, Where::kLiteral);
  const std::string_view content = text_.substr(start + 1, pos - start - 1);
  ++pos;
  const std::string_view context = WhereName(where);
  switch (const LiteralResult r = ClassifyLiteral(content)) {
    case LiteralResult::kEmpty:
      return Syntax(absl::StrCat("empty address literal at offset ", start, " ", AsAbsl(context)));
    case LiteralResult::kBadIpv4:
      return Syntax(absl::StrCat("bad IPv4 address literal at offset ", start, " ", AsAbsl(context),
                                 " (want [d.d.d.d], each 0-255)"));
    case LiteralResult::kBadIpv6:
      return Syntax(absl::StrCat("bad IPv6 address literal at offset ", start, " ", AsAbsl(context),
                                 " (RFC 5321 4.1.3)"));
    case LiteralResult::kBadTag:
      return Syntax(
          absl::StrCat("bad address literal tag at offset ", start + 1, " ", AsAbsl(context)));
    case LiteralResult::kNoContent:
      return Syntax(
          absl::StrCat("address literal without content at offset ", start, " ", AsAbsl(context)));
    default:
      *kind = LiteralDomainKind(r);
      return absl::OkStatus();
  }
}

absl::Status Parser::ParseDomain(size_t& pos, Where where, std::string_view* domain,
                                 DomainKind* kind) const {
  const size_t start = pos;
  if (pos < text_.size() && text_[pos] == '[') {
    if (auto s = ParseLiteral(pos, where, kind); !s.ok()) return s;
  } else {
    // Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
    for (;;) {
      const size_t label = pos;
      while (pos < text_.size()) {
        const unsigned char c = At(pos);
        if (IsLetDig(c) || c == '-') {
          ++pos;
        } else if (c >= 0x80) {
          if (auto s = ConsumeUtf8(pos, where); !s.ok()) return s;
        } else {
          break;
        }
      }
      const std::string_view context = WhereName(where);
      if (pos == label) {
        const bool dot = pos < text_.size() && text_[pos] == '.';
        if (label == start) {
          if (dot) {
            return Syntax(absl::StrCat("leading dot at offset ", pos, " ", AsAbsl(context)));
          }
          if (AtPathEnd(pos) || text_[pos] == ',' || text_[pos] == ':' || text_[pos] == '@') {
            return Syntax(
                absl::StrCat("missing domain after '@' at offset ", pos, " ", AsAbsl(context)));
          }
          return Unexpected(pos, where);
        }
        if (dot) {
          return Syntax(
              absl::StrCat("empty label ('..') at offset ", pos - 1, " ", AsAbsl(context)));
        }
        return Syntax(absl::StrCat("trailing dot at offset ", pos - 1, " ", AsAbsl(context),
                                   " (a domain may not end with '.')"));
      }
      if (text_[label] == '-') {
        return Syntax(
            absl::StrCat("label starts with '-' at offset ", label, " ", AsAbsl(context)));
      }
      if (text_[pos - 1] == '-') {
        return Syntax(
            absl::StrCat("label ends with '-' at offset ", pos - 1, " ", AsAbsl(context)));
      }
      if (pos - label > kMaxLabel) {
        return TooLong(absl::StrCat("domain label too long: ", pos - label, " octets at offset ",
                                    label, " ", AsAbsl(context), " (limit ", kMaxLabel, ")"));
      }
      if (pos < text_.size() && text_[pos] == '.') {
        ++pos;
        continue;
      }
      break;
    }
    *kind = DomainKind::kName;
  }
  const size_t length = pos - start;
  if (length > kMaxDomain) {
    return TooLong(absl::StrCat("domain too long: ", length, " octets at offset ", start, " ",
                                AsAbsl(WhereName(where)), " (limit ", kMaxDomain, ")"));
  }
  *domain = text_.substr(start, length);
  return absl::OkStatus();
}

absl::StatusOr<Path> Parser::Parse() {
  if (text_.empty()) return Syntax("empty path");
  size_t pos = 0;
  bracketed_ = text_[0] == '<';
  if (bracketed_) {
    pos = 1;
  } else if (!options_.allow_unbracketed) {
    return Syntax("path must be enclosed in '<' and '>'");
  }
  Path path;
  if (bracketed_ && pos < text_.size() && text_[pos] == '>') {
    if (!options_.reverse_path) {
      return Syntax("null path '<>' is only allowed as a reverse-path (MAIL FROM)");
    }
    ++pos;
    if (pos != text_.size()) return Unexpected(pos, Where::kAfterPath);
    path.kind = Path::Kind::kNull;
    return path;
  }

  // A-d-l = At-domain *( "," At-domain ) ":"
  if (pos < text_.size() && text_[pos] == '@') {
    for (;;) {
      ++pos;  // '@'
      std::string_view domain;
      DomainKind kind = DomainKind::kNone;
      if (auto s = ParseDomain(pos, Where::kRoute, &domain, &kind); !s.ok()) return s;
      path.source_route.emplace_back(domain);
      if (pos < text_.size() && text_[pos] == ',') {
        ++pos;
        if (pos < text_.size() && text_[pos] == '@') continue;
        return Unexpected(pos, Where::kRoute);
      }
      if (pos < text_.size() && text_[pos] == ':') {
        ++pos;
        break;
      }
      return Unexpected(pos, Where::kRoute);
    }
    if (AtPathEnd(pos)) {
      return Syntax(absl::StrCat("source route without mailbox at offset ", pos));
    }
  }

  Mailbox& mailbox = path.mailbox;
  if (auto s = ParseLocalPart(pos, mailbox); !s.ok()) return s;
  if (pos < text_.size() && text_[pos] == '@') {
    ++pos;
    std::string_view domain;
    if (auto s = ParseDomain(pos, Where::kDomain, &domain, &mailbox.domain_kind); !s.ok()) {
      return s;
    }
    mailbox.domain.assign(domain);
    if (!AtPathEnd(pos)) return Unexpected(pos, Where::kDomain);
  } else if (!AtPathEnd(pos)) {
    return Unexpected(pos, mailbox.quoted ? Where::kAfterQuoted : Where::kLocalPart);
  } else if (!path.source_route.empty()) {
    return Syntax(
        absl::StrCat("source route with a mailbox without domain, missing '@' at offset ", pos));
  } else if (!options_.reverse_path && !mailbox.quoted &&
             absl::EqualsIgnoreCase(AsAbsl(mailbox.local_part), "Postmaster")) {
    // RFC 5321 4.1.1.3: "<Postmaster>" (any case) is always accepted as a forward-path.
    path.kind = Path::Kind::kPostmaster;
    path.mailbox = Mailbox();
  } else if (!options_.allow_domainless) {
    return Syntax(absl::StrCat("missing '@' and domain at offset ", pos));
  }

  if (bracketed_) {
    if (pos >= text_.size()) return Syntax(absl::StrCat("missing '>' at offset ", pos));
    ++pos;  // '>' (AtPathEnd)
    if (pos != text_.size()) return Unexpected(pos, Where::kAfterPath);
  }
  const size_t length = text_.size() + (bracketed_ ? 0 : 2);
  if (length > kMaxPath) {
    return TooLong(absl::StrCat("path too long: ", length, " octets (limit ", kMaxPath,
                                " including '<' and '>')"));
  }
  return path;
}

}  // namespace

absl::StatusOr<Path> ParsePath(std::string_view text, const AddressOptions& options) {
  return Parser(text, options).Parse();
}

size_t PathTokenLength(std::string_view text) {
  if (text.empty()) return 0;
  const bool bracketed = text[0] == '<';
  enum class State { kPlain, kQuoted, kLiteral } state = State::kPlain;
  for (size_t i = bracketed ? 1 : 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (state) {
      case State::kQuoted:
        if (c == '\\') {
          ++i;  // the escaped octet; the loop bound stops a trailing '\'
        } else if (c == '"') {
          state = State::kPlain;
        }
        break;
      case State::kLiteral:
        // dcontent may hold '>' and '"' but never '[', '\' or ']'.
        if (c == ']') state = State::kPlain;
        break;
      case State::kPlain:
        if (c == '"') {
          state = State::kQuoted;
        } else if (c == '[') {
          state = State::kLiteral;
        } else if (bracketed && c == '>') {
          return i + 1;
        } else if (!bracketed && c == ' ') {
          return i;
        }
        break;
    }
  }
  return text.size();
}

}  // namespace smtpgate
