// fuzz_auth: SMTP AUTH. The first input byte picks what is fuzzed; the rest is its input.
//
//   'B'  base64: DecodeBase64 is strict, so whatever decodes re-encodes to the exact input;
//        EncodeBase64 of any bytes decodes back to them.
//   'P'  ParsePlainMessage on raw bytes: credentials rebuild the message, reasons are clean.
//   'S'  SaslServer PLAIN, 'L' SaslServer LOGIN. The rest is split on '\n' into lines. If
//        the second byte is 'i', the first line is the AUTH command's initial response;
//        the following lines go to Respond() one by one (also after done(), as misuse).
//
//   'E'  the AUTH exchange through the reference Session (demo accounts): the rest is sent
//        after "EHLO", then a relay attempt. The independent spec model (spec_model.h)
//        decides from the input's credentials and the user table who may authenticate and
//        relay, and must agree with the session; no AuthFailed reason carries a password.
//
// Any violated invariant aborts with a message naming it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzzers/spec_model.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"
#include "harness/core/sasl.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

void Check(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_auth: invariant violated: %s\n", invariant);
  std::abort();
}

// A reason is fixed text plus numbers: short, one line, and made of these characters only.
// Arbitrary credential bytes leaking into it would break this sooner or later.
bool IsReasonText(std::string_view text) {
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == ' ' || c == ',' || c == '(' || c == ')' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void CheckReason(const absl::Status& status) {
  Check(!status.ok(), "a failure carries a non-OK status");
  const std::string_view reason = AsStd(status.message());
  Check(!reason.empty() && reason.size() <= 200, "reason is 1..200 characters");
  Check(IsReasonText(reason), "reason holds only letters, digits, space and , ( ) -");
}

void CheckField(std::string_view field, bool may_be_empty) {
  Check(may_be_empty || !field.empty(), "authcid and password are non-empty");
  Check(field.size() <= kMaxSaslField, "credential fields are at most 255 octets");
  Check(field.find('\0') == std::string_view::npos, "credential fields hold no NUL");
}

void FuzzBase64(std::string_view input) {
  const absl::StatusOr<std::string> decoded = DecodeBase64(input);
  if (decoded.ok()) {
    Check(EncodeBase64(*decoded) == input, "a decodable text is canonical: Encode(Decode(t)) == t");
  } else {
    const SmtpError error = SmtpErrorOf(decoded.status());
    Check(error.code == 501 && error.enhanced == "5.5.2", "base64 errors are 501 5.5.2");
    Check(error.reason.rfind("invalid base64 ", 0) == 0, "base64 reasons start 'invalid base64'");
    CheckReason(decoded.status());
  }
  const std::string encoded = EncodeBase64(input);
  const absl::StatusOr<std::string> back = DecodeBase64(encoded);
  Check(back.ok(), "EncodeBase64 output always decodes");
  Check(*back == input, "Decode(Encode(b)) == b");
}

void FuzzPlainMessage(std::string_view input) {
  const absl::StatusOr<SaslCredentials> credentials = ParsePlainMessage(input);
  if (credentials.ok()) {
    CheckField(credentials->authzid, true);
    CheckField(credentials->authcid, false);
    CheckField(credentials->password, false);
    std::string rebuilt = credentials->authzid;
    rebuilt.push_back('\0');
    rebuilt += credentials->authcid;
    rebuilt.push_back('\0');
    rebuilt += credentials->password;
    Check(rebuilt == input, "PLAIN credentials rebuild the message");
    return;
  }
  const SmtpError error = SmtpErrorOf(credentials.status());
  Check(error.code == 501 && error.enhanced == "5.5.2", "PLAIN errors are 501 5.5.2");
  CheckReason(credentials.status());
  // The password candidate (after the last NUL) must not show up in the reason. One made
  // of reason characters could match the fixed text by chance ("PLAIN"), so only the others
  // are looked for.
  const size_t last_nul = input.rfind('\0');
  const std::string_view candidate =
      last_nul == std::string_view::npos ? input : input.substr(last_nul + 1);
  if (candidate.size() >= 4 && !IsReasonText(candidate)) {
    Check(AsStd(credentials.status().message()).find(candidate) == std::string_view::npos,
          "PLAIN reason does not contain the password");
  }
  // Stronger: the reason does not depend on the credentials' content at all. Replacing
  // every ASCII byte but NUL by another such byte keeps the NULs, lengths and UTF-8
  // validity, so it must give the very same reason.
  std::string scrambled(input);
  for (char& c : scrambled) {
    if (c > 0) c = c == 0x7f ? 0x01 : static_cast<char>(c + 1);
  }
  const absl::StatusOr<SaslCredentials> other = ParsePlainMessage(scrambled);
  Check(!other.ok() && other.status().message() == credentials.status().message(),
        "PLAIN reason is independent of the credential bytes");
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

void FuzzServer(SaslMechanism mechanism, std::string_view input) {
  const bool has_initial = !input.empty() && input.front() == 'i';
  if (!input.empty()) input.remove_prefix(1);
  std::vector<std::string_view> lines = SplitLines(input);
  size_t next = 0;
  std::optional<std::string_view> initial;
  if (has_initial) initial = lines[next++];

  const bool plain = mechanism == SaslMechanism::kPlain;
  const size_t max_steps = plain ? 2 : 3;
  SaslServer server(mechanism, initial);
  Check(!server.done(), "a new exchange is not done");

  // The base64 lines that fed the exchange so far (initial response counts), to check that
  // credentials re-encode to exactly what was sent.
  std::vector<std::string_view> fed;
  if (initial.has_value()) fed.push_back(*initial);
  SaslStep step = server.Begin();
  size_t steps = 1;
  while (true) {
    if (step.kind == SaslStep::Kind::kChallenge) {
      Check(!server.done(), "a challenge leaves the exchange open");
      Check(DecodeBase64(step.challenge).ok(), "every challenge is valid base64");
      if (plain) {
        Check(step.challenge.empty(), "PLAIN's only challenge is empty");
      } else {
        Check(
            step.challenge == kLoginUsernameChallenge || step.challenge == kLoginPasswordChallenge,
            "LOGIN challenges are the Username: and Password: prompts");
      }
      if (next >= lines.size()) return;  // the client went away mid-exchange
      fed.push_back(lines[next]);
      step = server.Respond(lines[next++]);
      ++steps;
      Check(steps <= max_steps, "at most 2 steps (PLAIN) or 3 (LOGIN) before done");
      continue;
    }
    break;
  }
  Check(server.done(), "credentials or a failure end the exchange");
  if (step.kind == SaslStep::Kind::kCredentials) {
    Check(step.error.ok(), "credentials carry no error");
    const SaslCredentials& c = step.credentials;
    CheckField(c.authzid, true);
    CheckField(c.authcid, false);
    CheckField(c.password, false);
    if (plain) {
      Check(!fed.empty(), "PLAIN credentials came from a line");
      std::string message = c.authzid;
      message.push_back('\0');
      message += c.authcid;
      message.push_back('\0');
      message += c.password;
      Check(EncodeBase64(message) == fed.back(), "PLAIN credentials re-encode to the line sent");
    } else {
      Check(c.authzid.empty(), "LOGIN has no authzid");
      Check(fed.size() >= 2, "LOGIN credentials came from two lines");
      Check(EncodeBase64(c.authcid) == fed[fed.size() - 2],
            "LOGIN username re-encodes to the line sent");
      Check(EncodeBase64(c.password) == fed.back(), "LOGIN password re-encodes to the line sent");
    }
  } else {
    Check(step.kind == SaslStep::Kind::kFailed, "a step is a challenge, credentials or failure");
    const SmtpError error = SmtpErrorOf(step.error);
    Check((error.code == 501 && (error.enhanced == "5.5.2" || error.enhanced == "5.0.0")) ||
              (error.code == 500 && error.enhanced == "5.5.6"),
          "exchange failures are 501 5.5.2, 501 5.0.0 or 500 5.5.6");
    CheckReason(step.error);
  }

  // Misuse after the end: always a 503 failure, never anything else.
  for (; next < lines.size(); ++next) {
    const SaslStep after = server.Respond(lines[next]);
    Check(after.kind == SaslStep::Kind::kFailed, "Respond after done() fails");
    const SmtpError error = SmtpErrorOf(after.error);
    Check(error.code == 503 && error.enhanced == "5.5.1", "Respond after done() is 503 5.5.1");
    Check(server.done(), "done() stays true");
  }
  const SaslStep again = server.Begin();
  Check(again.kind == SaslStep::Kind::kFailed, "Begin after done() fails");
  Check(SmtpErrorOf(again.error).code == 503, "Begin after done() is 503");
}

void FuzzSessionExchange(std::string_view rest) {
  static const SessionConfig* const kConfig = new SessionConfig(DemoConfig());
  InProcessHost host(*kConfig);
  const std::string stream =
      absl::StrCat("EHLO fuzz.test\r\n", AsAbsl(rest),
                   "\r\nRSET\r\nMAIL FROM:<x@remote.invalid>\r\nRCPT TO:<v@remote.invalid>\r\n"
                   "DATA\r\nbody\r\n.\r\n");
  fuzz::SpecRun spec;
  spec.config = kConfig;
  spec.stream = stream;
  spec.replies = host.Start();
  const size_t ends[] = {16, 16 + rest.size(), stream.size()};
  size_t from = 0;
  for (size_t end : ends) {
    for (SendReply& r : host.Feed(std::string_view(stream).substr(from, end - from))) {
      spec.replies.push_back(std::move(r));
    }
    spec.feed_ends.push_back(end);
    from = end;
  }
  for (const SessionOutput& e : host.events()) {
    if (const auto* failed = std::get_if<AuthFailed>(&e)) {
      for (std::string_view secret : {"relayer-pass", "guest-pass"}) {
        Check(failed->reason.find(secret) == std::string::npos, "no password in AuthFailed");
      }
    }
    if (const auto* rcpt = std::get_if<RecipientAccepted>(&e))
      spec.accepted.push_back(rcpt->recipient);
  }
  // Who authenticated, and whether the relay attempt may succeed, is decided by the
  // independent spec model from the credentials in the input and the user table.
  spec.queued = &host.queued();
  spec.closed = host.closed();
  if (const std::optional<std::string> violation = fuzz::CheckAgainstSpec(spec)) {
    std::fprintf(stderr, "fuzz_auth invariant violated: %s\n", violation->c_str());
    std::abort();
  }
}

}  // namespace
}  // namespace smtpgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'B':
      smtpgate::FuzzBase64(rest);
      break;
    case 'P':
      smtpgate::FuzzPlainMessage(rest);
      break;
    case 'S':
      smtpgate::FuzzServer(smtpgate::SaslMechanism::kPlain, rest);
      break;
    case 'L':
      smtpgate::FuzzServer(smtpgate::SaslMechanism::kLogin, rest);
      break;
    case 'E':
      smtpgate::FuzzSessionExchange(rest);
      break;
    default:
      break;
  }
  return 0;
}
