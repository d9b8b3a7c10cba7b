#include "harness/conformance/fuzz_transcript.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/core/address.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"
#include "harness/core/session_fuzz_input.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

// A token of the length the runner's are (variables.cc MakeToken: "sgtok-%08x").
constexpr std::string_view kSampleToken = "sgtok-00000000";
// RFC 5321 §4.5.3.1.4: 512 octets with the CRLF.
constexpr size_t kMaxCommandLine = 512;

bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// The stream with the sample token in the local part of every MAIL FROM path.
std::string WithTokens(std::string_view stream) {
  std::string out;
  size_t i = 0;
  constexpr std::string_view kMail = "mail from:<";
  while (i < stream.size()) {
    const size_t found = absl::AsciiStrToLower(AsAbsl(stream.substr(i))).find(kMail);
    if (found == std::string::npos) {
      out.append(stream.substr(i));
      break;
    }
    const size_t after = i + found + kMail.size();
    out.append(stream.substr(i, after - i));
    i = after;
    if (i < stream.size() && IsAtext(stream[i])) {
      absl::StrAppend(&out, AsAbsl(kSampleToken), "-");  // <sgtok-...-local@domain>
    } else {
      // "<@route:local@domain>", "<\"quoted\"@domain>", "<>": before the last '@' of the
      // path when an atom ends there, else unchanged.
      const size_t close = stream.find_first_of(">\r\n", i);
      const size_t at =
          stream.substr(i, close == std::string_view::npos ? close : close - i).rfind('@');
      if (at != std::string_view::npos && at > 0 && IsAtext(stream[i + at - 1])) {
        out.append(stream.substr(i, at));
        absl::StrAppend(&out, "-", AsAbsl(kSampleToken));
        i += at;
      }
    }
  }
  return out;
}

// One C!: string per line (split after each LF), escaped; the token and the demo domains as
// variables.
std::string Quote(std::string_view bytes) {
  std::string out;
  std::string piece = "\"";
  auto flush = [&] {
    if (piece.size() > 1) absl::StrAppend(&out, out.empty() ? "" : " ", piece, "\"");
    piece = "\"";
  };
  for (size_t i = 0; i < bytes.size(); ++i) {
    const std::string_view rest = bytes.substr(i);
    bool replaced = false;
    for (const auto& [literal, variable] :
         {std::pair<std::string_view, std::string_view>{kSampleToken, "${token}"},
          {"example.test", "${local_domain}"},
          {"remote.invalid", "${remote_domain}"}}) {
      if (absl::StartsWith(AsAbsl(rest), AsAbsl(literal))) {
        piece.append(variable);
        i += literal.size() - 1;
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    const auto c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r':
        piece += "\\r";
        break;
      case '\n':
        piece += "\\n";
        break;
      case '\t':
        piece += "\\t";
        break;
      case '\\':
        piece += "\\\\";
        break;
      case '"':
        piece += "\\\"";
        break;
      case '$':
        piece += "\\$";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(&piece, "\\x%02x", c);
        } else {
          piece += static_cast<char>(c);
        }
    }
    if (c == '\n' || piece.size() > 160) flush();
  }
  flush();
  return out;
}

// The step for a reply of the secure server to `line` (the command or SASL line that caused
// it). A refusal the server under test turns into an acceptance is a leniency (WARN) unless
// it is an authentication: then it is a bypass (FAIL). What crosses a boundary otherwise
// (a relay, a second message) is decided by the outcomes.
//
// Where the secure server accepts, a server that refuses is stricter, not weaker: that
// branch ends the exchange (STOP) and only the outcomes decide. After a refusal the server
// may also have closed the connection (refuse-and-close); anywhere else a close without a
// reply stays a failure (a dropped connection).
//
// A relay refusal (5.7.x to RCPT) accepted by the server under test is proven by fact: that
// branch completes the transaction with a message carrying the token, and the oracle's
// `not-relayed` decides (FAIL when the sink receives it).
//
// After the reference server refused a step of an AUTH exchange, the server under test may
// still be in it (it answered 334 where the reference refused): the lines that follow are
// credentials to it, and a 23x to one of them is an authentication bypass (`auth_may_go_on`).
std::string StepFor(int code, bool in_auth, bool auth_may_go_on, bool after_refusal,
                    bool relay_refused) {
  const std::string close = after_refusal ? "|close" : "";
  if (relay_refused) {
    return absl::StrCat(
        "ALT\n  S: 4xx|5xx", close,
        "\nOR\n  # accepted for relay where the reference server refuses: a message proves it\n"
        "  S: 2xx\n  C: DATA\n  S: any\n  C!: \"Subject: ${token}\\r\\n\\r\\nrelay "
        "probe\\r\\n.\\r\\n\"\n"
        "  S: any\n  STOP\nEND\n");
  }
  if (code < 400) {
    return absl::StrCat("ALT\n  S: ", code / 100,
                        "xx\nOR\n  # stricter than the reference server: the refusal ends the "
                        "exchange\n  S: 4xx|5xx",
                        close, "\n  STOP\nEND\n");
  }
  const std::string step =
      in_auth ? "S: 4xx|5xx warn 3xx \"the reference server refuses this AUTH step\" fail 2xx "
                "\"authentication bypass: the reference server refuses these credentials\""
      : auth_may_go_on
          ? "S: 4xx|5xx warn 21x|22x|25x|3xx \"the reference server refuses this\" fail 23x "
            "\"authentication bypass: the AUTH exchange the reference server refused went on "
            "and succeeded\""
          : "S: 4xx|5xx warn 2xx|3xx \"the reference server refuses this\"";
  if (!after_refusal) return absl::StrCat(step, "\n");
  return absl::StrCat("ALT\n  ", step,
                      "\nOR\n  # the server closed the connection after its refusal\n  S: close\n"
                      "  STOP\nEND\n");
}

// The step for a reply to the canary's bytes: no stricter-than-reference branch (its STOP
// would hide extra replies); after a refusal, a close is fine.
std::string CanaryStepFor(int code, bool after_refusal) {
  const std::string close = after_refusal ? "|close" : "";
  if (code < 400) return absl::StrCat("S: ", code / 100, "xx", close, "\n");
  return absl::StrCat("S: 4xx|5xx", close, " warn 2xx|3xx \"the reference server refuses this\"\n");
}

// The envelope sender path of a MAIL line ("MAIL FROM:<...> ..." → "<...>"), when it can be
// written as an EXPECT argument and carries the token.
std::optional<std::string> SenderOf(std::string_view line) {
  const std::string lower = absl::AsciiStrToLower(AsAbsl(line));
  const size_t at = lower.find("mail from:<");
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + 10;
  const size_t end = line.find_first_of(">\r\n ", start + 1);
  if (end == std::string_view::npos || line[end] != '>') return std::nullopt;
  std::string path(line.substr(start, end + 1 - start));
  if (path.find(kSampleToken) == std::string::npos) return std::nullopt;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '$' || u < 0x21 || u >= 0x7f) return std::nullopt;
  }
  return path;
}

uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

absl::StatusOr<FuzzTranscript> FuzzSessionToTranscript(std::string_view input,
                                                       const FuzzTranscriptOptions& options) {
  const std::optional<FuzzSessionInput> decoded = DecodeFuzzSessionInput(input);
  if (!decoded) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a fuzz_session input has 2 header bytes and then the client's bytes; this one has ",
        input.size(), " bytes"));
  }
  if (decoded->stream.empty()) {
    return absl::InvalidArgumentError("the input sends nothing after its 2 header bytes");
  }
  std::string stream = WithTokens(decoded->stream);
  const std::string profile(ProfileName(options.found_in));

  FuzzTranscript result;
  result.name = options.name.empty()
                    ? absl::StrFormat("fuzz-%s-%08x", profile,
                                      static_cast<uint32_t>(Fnv1a(input) & 0xffffffffu))
                    : options.name;

  // The secure server, one byte at a time.
  const SessionConfig config = DemoConfig(Profile::kSecure);
  InProcessHost host(config);
  std::string steps;
  for (const SendReply& r : host.Start())
    absl::StrAppend(&steps, "S: ", r.reply.code / 100, "xx\n");
  size_t sent = 0;  // stream bytes already written as steps
  size_t line_start = 0;
  std::string last_line;        // the last complete line the client sent
  bool in_auth = false;         // inside an AUTH exchange (after AUTH, until its final reply)
  bool auth_may_go_on = false;  // the reference refused an AUTH step, nothing accepted since
  bool after_refusal = false;   // the secure server's last reply was a 4xx/5xx
  // MAIL lines the secure server answered as commands, and those it took as message text
  // (a hidden envelope: what smuggling would deliver).
  std::vector<std::string> command_senders, hidden_senders;
  auto add = [](std::vector<std::string>& list, std::string path) {
    if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(std::move(path));
  };
  // Where the input ends inside a DATA body, the secure server is still reading it: a
  // canary ends the message the RFC's way and asks a NOOP, so a server that ended the data
  // earlier (and now answers the canary's lines as commands) shows as extra replies.
  constexpr std::string_view kCanary = "\r\n.\r\nNOOP\r\n";
  size_t canary_from = std::string::npos;
  size_t i = 0;
  while (true) {
    for (; i < stream.size() && !host.closed(); ++i) {
      std::vector<SendReply> replies = host.Feed(std::string_view(stream).substr(i, 1));
      // The reference server refuses an over-long line as soon as it passes the limit; most
      // servers answer at its end. The write goes on to the end of the line, so the reply is
      // owed either way.
      if (!replies.empty() && stream[i] != '\n' && i + 1 - line_start > kMaxCommandLine) {
        while (i + 1 < stream.size() && stream[i] != '\n' && !host.closed()) {
          ++i;
          for (SendReply& r : host.Feed(std::string_view(stream).substr(i, 1))) {
            replies.push_back(std::move(r));
          }
        }
      }
      bool line_ended = false;
      if (stream[i] == '\n') {
        last_line = stream.substr(line_start, i + 1 - line_start);
        line_start = i + 1;
        line_ended = true;
        if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(AsAbsl(last_line)),
                                       "auth ")) {
          in_auth = true;
          auth_may_go_on = false;
        }
      }
      if (line_ended && replies.empty()) {
        if (std::optional<std::string> sender = SenderOf(last_line)) add(hidden_senders, *sender);
      }
      if (replies.empty()) continue;
      if (line_ended) {
        if (std::optional<std::string> sender = SenderOf(last_line)) add(command_senders, *sender);
      }
      absl::StrAppend(&steps, "C!: ", Quote(std::string_view(stream).substr(sent, i + 1 - sent)),
                      "\n");
      sent = i + 1;
      for (const SendReply& r : replies) {
        const bool relay_refused =
            line_ended && r.reply.code >= 500 &&
            absl::StartsWith(AsAbsl(r.reply.enhanced), "5.7.") &&
            absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(AsAbsl(last_line)),
                                       "rcpt ");
        absl::StrAppend(&steps, i >= canary_from ? CanaryStepFor(r.reply.code, after_refusal)
                                                 : StepFor(r.reply.code, in_auth, auth_may_go_on,
                                                           after_refusal, relay_refused));
        after_refusal = r.reply.code >= 400;
        if (r.reply.code < 400) {
          auth_may_go_on = false;
        } else if (in_auth) {
          auth_may_go_on = true;
        }
        if (r.reply.code != 334) in_auth = false;
        if (r.reply.code == 220 &&
            absl::StartsWithIgnoreCase(absl::StripAsciiWhitespace(AsAbsl(last_line)), "starttls")) {
          absl::StrAppend(&steps, "STARTTLS\n");
        }
      }
    }
    if (canary_from == std::string::npos && !host.closed() &&
        host.session().state() == SessionState::kData) {
      canary_from = stream.size();
      stream += kCanary;
      continue;
    }
    break;
  }
  std::string tail_note;
  if (canary_from != std::string::npos) {
    tail_note =
        "# The input ends inside a DATA body; its last writes end with the canary "
        "\\r\\n.\\r\\nNOOP\\r\\n (the end of data, then NOOP): a server that ended the data "
        "earlier answers its lines as commands (extra replies).\n";
  }
  if (host.closed()) {
    absl::StrAppend(&steps, "S: close\n");
    if (sent < stream.size()) {
      tail_note += absl::StrCat("# The secure server closed the connection; the input's last ",
                                stream.size() - sent, " bytes are not sent.\n");
    }
  } else if (sent < stream.size()) {
    absl::StrAppend(&steps, "C!: ", Quote(std::string_view(stream).substr(sent)), "\n");
  }

  // What the secure server showed, as outcomes.
  std::string outcomes;
  if (host.Relayed().empty()) outcomes += "EXPECT not-relayed\n";
  std::set<std::string> delivered_from;
  size_t with_token = 0;
  for (const StoredMessage& m : host.queued()) {
    const std::string sender = FormatPath(m.envelope.sender);
    delivered_from.insert(absl::AsciiStrToLower(sender));
    if (sender.find(kSampleToken) != std::string::npos ||
        m.body.find(kSampleToken) != std::string::npos) {
      ++with_token;
    }
  }
  // At most the messages the secure server queued (a second one is smuggled); none where it
  // queued none is a leniency (it refused what a lenient server may take as one message).
  if (host.queued().empty()) {
    outcomes += "EXPECT no-message warn\n";
  } else if (host.queued().size() == 1 && with_token == 1) {
    outcomes += "EXPECT one-message\n";
  }
  // A hidden envelope must never deliver; a refused one is a leniency when it does.
  int listed = 0;
  for (const std::string& sender : hidden_senders) {
    if (delivered_from.contains(absl::AsciiStrToLower(sender)) || ++listed > 8) continue;
    const std::string quoted = Quote(sender);  // "\"<...>\"": the address without the quotes
    absl::StrAppend(&outcomes, "EXPECT no-message-from ", quoted.substr(1, quoted.size() - 2),
                    "\n");
  }
  for (const std::string& sender : command_senders) {
    if (delivered_from.contains(absl::AsciiStrToLower(sender)) ||
        std::find(hidden_senders.begin(), hidden_senders.end(), sender) != hidden_senders.end() ||
        ++listed > 8) {
      continue;
    }
    const std::string quoted = Quote(sender);
    absl::StrAppend(&outcomes, "EXPECT no-message-from ", quoted.substr(1, quoted.size() - 2),
                    " warn\n");
  }

  std::string header = absl::StrCat(
      "# A regression test from a fuzz_session finding, written by `smtpgate "
      "fuzz-to-transcript`.\n",
      "# Input: ", options.input_label.empty() ? "(stdin)" : options.input_label, ", ",
      input.size(),
      absl::StrFormat(" bytes (config byte 0x%02x, chunk seed 0x%02x)",
                      static_cast<uint8_t>(input[0]), static_cast<uint8_t>(input[1])),
      "; found under the emulation profile ", profile, ".\n");
  if (!options.reason.empty()) {
    absl::StrAppend(&header, "# Finding: ", options.reason.substr(0, 300), "\n");
  }
  absl::StrAppend(
      &header,
      "# The client's bytes are cut where the secure reference server replies; each S: is the\n"
      "# class of its reply; the EXPECTs are what it showed (no relay, the messages it queued).\n",
      "# Envelope senders carry ${token} so the oracle can count this run's messages.\n");
  result.text = absl::StrCat(
      header, "@name     ", result.name, "\n", "@title    Fuzz finding under ", profile,
      ": the server must answer this session as the secure reference server does\n",
      "@source   fuzz_session reproducer (",
      options.input_label.empty() ? "stdin" : options.input_label, ")\n",
      "@violates RFC 5321 §2.3.8, §4.1.1.4 and RFC 2920 §3.1: fuzzer-made client bytes (bare CR, "
      "LF "
      "or NUL, commands pipelined after DATA) may break any rule\n",
      "@severity critical\n", "@tags     regression fuzz malformed dos\n\n", steps, tail_note,
      outcomes);
  return result;
}

}  // namespace smtpgate::conformance
