#include "harness/core/sasl.h"

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

// Every reason below is a fixed text plus numbers: credential bytes never reach a reason.
absl::Status SyntaxError(std::string_view reason) { return SmtpStatus(501, "5.5.2", reason); }

absl::Status Base64Error(std::string_view what, size_t offset) {
  return SyntaxError(absl::StrCat("invalid base64 ", AsAbsl(what), " at offset ", offset));
}

// 0..63 for the RFC 4648 §4 alphabet, -1 otherwise ('=' included: padding is handled apart).
constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kDecodeTable = MakeDecodeTable();

int SextetOf(char c) { return kDecodeTable[static_cast<unsigned char>(c)]; }

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// The rules PLAIN's three fields and LOGIN's two share (RFC 4616 §2: 1*SAFE, UTF-8 without
// NUL). `name` is e.g. "PLAIN authcid" and goes into the reason; `field` never does.
absl::Status CheckField(std::string_view name, std::string_view field, bool may_be_empty) {
  if (field.empty() && !may_be_empty) return SyntaxError(absl::StrCat("empty ", AsAbsl(name)));
  if (field.find('\0') != std::string_view::npos) {
    return SyntaxError(absl::StrCat(AsAbsl(name), " contains NUL"));
  }
  if (field.size() > kMaxSaslField) {
    return SyntaxError(
        absl::StrCat(AsAbsl(name), " longer than ", kMaxSaslField, " octets (", field.size(), ")"));
  }
  if (!IsValidUtf8(field)) return SyntaxError(absl::StrCat(AsAbsl(name), " is not valid UTF-8"));
  return absl::OkStatus();
}

// A decode failure, placed: "invalid base64 character at offset 3 in LOGIN username".
absl::Status InResponse(const absl::Status& decode_error, std::string_view where) {
  return SyntaxError(absl::StrCat(decode_error.message(), " in ", AsAbsl(where)));
}

}  // namespace

absl::StatusOr<std::string> DecodeBase64(std::string_view text) {
  // Pass 1: the shape. Characters from the alphabet, then at most two '=' ending the text
  // on a multiple of 4.
  std::optional<size_t> padding_start;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (!padding_start.has_value()) padding_start = i;
      continue;
    }
    if (SextetOf(c) < 0) return Base64Error("character", i);
    if (padding_start.has_value()) return Base64Error("data after padding", i);
  }
  if (padding_start.has_value()) {
    // Padding may only fill the 3rd and 4th places of the last quantum.
    const size_t start = *padding_start;
    if (start % 4 < 2 || text.size() % 4 != 0 || text.size() - start > 2) {
      return Base64Error("padding", start);
    }
  } else if (text.size() % 4 != 0) {
    return Base64Error("missing padding", text.size());
  }

  // Pass 2: decode, quantum by quantum.
  const size_t padding = padding_start.has_value() ? text.size() - *padding_start : 0;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const uint32_t a = static_cast<uint32_t>(SextetOf(text[i]));
    const uint32_t b = static_cast<uint32_t>(SextetOf(text[i + 1]));
    if (last && padding == 2) {
      // One octet: 8 bits of 12; the low 4 bits of the 2nd sextet must be zero.
      if ((b & 0x0F) != 0) return Base64Error("non-canonical trailing bits", i + 1);
      out.push_back(static_cast<char>((a << 2) | (b >> 4)));
      break;
    }
    const uint32_t c = static_cast<uint32_t>(SextetOf(text[i + 2]));
    if (last && padding == 1) {
      // Two octets: 16 bits of 18; the low 2 bits of the 3rd sextet must be zero.
      if ((c & 0x03) != 0) return Base64Error("non-canonical trailing bits", i + 2);
      const uint32_t bits = (a << 10) | (b << 4) | (c >> 2);
      out.push_back(static_cast<char>(bits >> 8));
      out.push_back(static_cast<char>(bits & 0xFF));
      break;
    }
    const uint32_t d = static_cast<uint32_t>(SextetOf(text[i + 3]));
    const uint32_t bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push_back(static_cast<char>(bits >> 16));
    out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    out.push_back(static_cast<char>(bits & 0xFF));
  }
  return out;
}

std::string EncodeBase64(std::string_view bytes) { return absl::Base64Escape(AsAbsl(bytes)); }

std::optional<SaslMechanism> ParseSaslMechanism(std::string_view upper_name) {
  if (upper_name == "PLAIN") return SaslMechanism::kPlain;
  if (upper_name == "LOGIN") return SaslMechanism::kLogin;
  return std::nullopt;
}

absl::StatusOr<SaslCredentials> ParsePlainMessage(std::string_view decoded) {
  if (decoded.empty()) return SyntaxError("empty PLAIN message");
  size_t nuls = 0;
  for (char c : decoded) nuls += c == '\0' ? 1 : 0;
  if (nuls != 2) {
    return SyntaxError(absl::StrCat("PLAIN message has ", nuls, " NUL separator",
                                    nuls == 1 ? "" : "s", ", expected 2"));
  }
  const size_t first = decoded.find('\0');
  const size_t second = decoded.find('\0', first + 1);
  SaslCredentials credentials;
  const std::string_view authzid = decoded.substr(0, first);
  const std::string_view authcid = decoded.substr(first + 1, second - first - 1);
  const std::string_view password = decoded.substr(second + 1);
  // Emptiness first (the catalogue's null credentials), then size, then encoding.
  if (absl::Status s = CheckField("PLAIN authcid", authcid, false); !s.ok()) return s;
  if (absl::Status s = CheckField("PLAIN password", password, false); !s.ok()) return s;
  if (absl::Status s = CheckField("PLAIN authzid", authzid, true); !s.ok()) return s;
  credentials.authzid = std::string(authzid);
  credentials.authcid = std::string(authcid);
  credentials.password = std::string(password);
  return credentials;
}

SaslServer::SaslServer(SaslMechanism mechanism, std::optional<std::string_view> initial_response)
    : mechanism_(mechanism) {
  if (initial_response.has_value()) initial_response_ = std::string(*initial_response);
}

bool SaslServer::done() const { return state_ == State::kDone; }

SaslStep SaslServer::Challenge(std::string_view text, State next) {
  state_ = next;
  SaslStep step;
  step.kind = SaslStep::Kind::kChallenge;
  step.challenge = std::string(text);
  return step;
}

SaslStep SaslServer::Fail(absl::Status error) {
  state_ = State::kDone;
  username_.clear();
  SaslStep step;
  step.kind = SaslStep::Kind::kFailed;
  step.error = std::move(error);
  return step;
}

SaslStep SaslServer::Finish(SaslCredentials credentials) {
  state_ = State::kDone;
  username_.clear();
  SaslStep step;
  step.kind = SaslStep::Kind::kCredentials;
  step.credentials = std::move(credentials);
  return step;
}

SaslStep SaslServer::TakePlain(std::string_view decoded) {
  if (null_session_ && decoded == std::string_view("\0\0", 2)) {
    return Finish(SaslCredentials{});  // DELIBERATE FLAW (null-session-auth profile only)
  }
  absl::StatusOr<SaslCredentials> credentials = ParsePlainMessage(decoded);
  if (!credentials.ok()) return Fail(credentials.status());
  return Finish(*std::move(credentials));
}

SaslStep SaslServer::TakeUsername(std::string_view decoded) {
  // DELIBERATE FLAW (null-session-auth profile only): an empty LOGIN user is let through.
  if (absl::Status s = CheckField("LOGIN username", decoded, null_session_); !s.ok()) {
    return Fail(s);
  }
  username_ = std::string(decoded);
  return Challenge(kLoginPasswordChallenge, State::kAwaitPassword);
}

SaslStep SaslServer::Begin() {
  if (state_ == State::kDone) {
    return Fail(SmtpStatus(503, "5.5.1", "AUTH exchange already finished"));
  }
  if (state_ != State::kNotStarted) {
    return Fail(SmtpStatus(503, "5.5.1", "AUTH exchange already started"));
  }
  if (!initial_response_.has_value()) {
    return mechanism_ == SaslMechanism::kPlain
               ? Challenge("", State::kAwaitPlain)
               : Challenge(kLoginUsernameChallenge, State::kAwaitUsername);
  }
  const std::string initial = *std::move(initial_response_);
  initial_response_.reset();
  if (initial.size() > kMaxSaslLine) {
    return Fail(SmtpStatus(500, "5.5.6", "AUTH initial response too long"));
  }
  std::string decoded;
  if (initial != "=") {  // RFC 4954 §4: "=" is an empty initial response
    absl::StatusOr<std::string> d = DecodeBase64(initial);
    if (!d.ok()) return Fail(InResponse(d.status(), "AUTH initial response"));
    decoded = *std::move(d);
  }
  return mechanism_ == SaslMechanism::kPlain ? TakePlain(decoded) : TakeUsername(decoded);
}

SaslStep SaslServer::Respond(std::string_view line) {
  switch (state_) {
    case State::kDone:
      return Fail(SmtpStatus(503, "5.5.1", "AUTH exchange already finished"));
    case State::kNotStarted:
      return Fail(SmtpStatus(503, "5.5.1", "AUTH exchange not started"));
    case State::kAwaitPlain:
    case State::kAwaitUsername:
    case State::kAwaitPassword:
      break;
  }
  if (line.size() > kMaxSaslLine) {
    return Fail(SmtpStatus(
        500, "5.5.6", absl::StrCat("AUTH response line longer than ", kMaxSaslLine, " octets")));
  }
  if (line == "*") return Fail(SmtpStatus(501, "5.0.0", "AUTH cancelled"));
  const std::string_view where = state_ == State::kAwaitPlain      ? "PLAIN response"
                                 : state_ == State::kAwaitUsername ? "LOGIN username"
                                                                   : "LOGIN password";
  absl::StatusOr<std::string> decoded = DecodeBase64(line);
  if (!decoded.ok()) return Fail(InResponse(decoded.status(), where));
  if (state_ == State::kAwaitPlain) return TakePlain(*decoded);
  if (state_ == State::kAwaitUsername) return TakeUsername(*decoded);
  // kAwaitPassword.
  // DELIBERATE FLAW (null-session-auth profile only): empty user and password let through.
  const bool null_session = null_session_ && username_.empty() && decoded->empty();
  if (absl::Status s = CheckField("LOGIN password", *decoded, null_session); !s.ok()) {
    return Fail(s);
  }
  SaslCredentials credentials;
  credentials.authcid = std::move(username_);
  credentials.password = *std::move(decoded);
  return Finish(std::move(credentials));
}

}  // namespace smtpgate
