#include "harness/conformance/probe.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/core/smtp_status.h"
#include "harness/net/smtp_client.h"

namespace smtpgate::conformance {
namespace {

using std::chrono::milliseconds;

// "mx.example.test" yes; "[127.0.0.1]", "ESMTP", "" no.
bool LooksLikeHostName(std::string_view word) {
  if (word.empty() || word.size() > 253 || word.front() == '.' || word.back() == '.') {
    return false;
  }
  bool letter = false;
  for (const char c : word) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      letter = true;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return false;
    }
  }
  return letter && absl::StrContains(AsAbsl(word), '.');
}

absl::Status Prefixed(const absl::Status& status, std::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(AsAbsl(prefix), status.message()));
}

// The client's replies, with `elapsed`; a failure is described in `problem`.
struct Exchange {
  std::optional<TimedReply> reply;
  std::string problem;
};

Exchange Ask(SmtpClient& client, std::string_view line, milliseconds timeout) {
  Exchange out;
  if (absl::Status sent = client.SendLine(line); !sent.ok()) {
    out.problem = absl::StrCat("sending ", AsAbsl(line), " failed: ", sent.message());
    return out;
  }
  absl::StatusOr<TimedReply> reply = client.ReadReply(timeout);
  if (!reply.ok()) {
    out.problem = absl::StrCat("no reply to ", AsAbsl(line), ": ", reply.status().message());
    return out;
  }
  out.reply = *std::move(reply);
  return out;
}

absl::StatusOr<std::unique_ptr<SmtpClient>> Open(const ProbeOptions& options, Reply& banner) {
  ClientOptions client_options;
  client_options.host = options.host;
  client_options.port = options.port;
  client_options.connect_timeout = options.connect_timeout;
  client_options.reply_timeout = options.reply_timeout;
  const std::string where = FormatHostPort(options.host, options.port);
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(client_options);
  if (!client.ok()) {
    return Prefixed(client.status(), absl::StrCat("cannot connect to ", where, ": "));
  }
  absl::StatusOr<TimedReply> first = (*client)->ReadReply();
  if (!first.ok()) {
    if (absl::IsDeadlineExceeded(first.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("no banner from ", where, " within ", options.reply_timeout.count(), " ms"));
    }
    return Prefixed(first.status(), absl::StrCat("no banner from ", where, ": "));
  }
  if (first->reply.code != 220) {
    return absl::UnavailableError(
        absl::StrCat(where, " refused the session: ", first->reply.Summary()));
  }
  banner = first->reply;
  return client;
}

// EHLO, or the problem (recorded as a note) and an empty reply.
EhloFacts Greet(SmtpClient& client, const ProbeOptions& options, ProbeResult& result,
                std::string_view when) {
  Exchange ehlo = Ask(client, absl::StrCat("EHLO ", options.helo), options.reply_timeout);
  if (!ehlo.reply) {
    result.notes.push_back(absl::StrCat("EHLO ", AsAbsl(when), ": ", ehlo.problem));
    return EhloFacts{};
  }
  EhloFacts facts = ParseEhlo(ehlo.reply->reply);
  if (!facts.ok()) {
    result.notes.push_back(
        absl::StrCat("EHLO ", AsAbsl(when), " was refused: ", facts.reply.Summary()));
  }
  return facts;
}

// STARTTLS and the EHLO inside TLS. False when the connection can no longer be used.
bool StartTls(SmtpClient& client, const ProbeOptions& options, ProbeResult& result) {
  Exchange starttls = Ask(client, "STARTTLS", options.reply_timeout);
  if (!starttls.reply) {
    result.tls_problem = starttls.problem;
    return false;
  }
  if (starttls.reply->reply.code != 220) {
    result.tls_problem = absl::StrCat("STARTTLS was answered ", starttls.reply->reply.Summary());
    return true;
  }
  const std::string sni = LooksLikeHostName(options.host) ? options.host : result.banner_host;
  if (absl::Status handshake = client.StartTls(sni); !handshake.ok()) {
    result.tls_problem = std::string(handshake.message());
    return false;
  }
  result.tls = true;
  result.ehlo_tls = Greet(client, options, result, "inside TLS");
  return true;
}

// MAIL FROM:<probe@R>, RCPT TO:<probe-x@R>: the first 5xx and its delay.
void AttemptRelay(SmtpClient& client, const ProbeOptions& options, ProbeResult& result) {
  const milliseconds wait = std::max(options.reply_timeout, options.refusal_timeout);
  Exchange mail = Ask(client, absl::StrCat("MAIL FROM:<probe@", options.remote_domain, ">"), wait);
  if (!mail.reply) {
    result.refusal_problem = mail.problem;
    return;
  }
  result.mail_reply = mail.reply->reply;
  if (mail.reply->reply.code >= 500) {
    result.refusal = mail.reply->reply;
    result.refused_command = "MAIL";
    result.refusal_delay = mail.reply->elapsed;
    return;
  }
  if (mail.reply->reply.code != 250) {
    result.refusal_problem = absl::StrCat("MAIL was answered ", mail.reply->reply.Summary());
    return;
  }
  result.accepted_delay = mail.reply->elapsed;
  Exchange rcpt = Ask(client, absl::StrCat("RCPT TO:<probe-x@", options.remote_domain, ">"), wait);
  if (!rcpt.reply) {
    result.refusal_problem = rcpt.problem;
    return;
  }
  result.rcpt_reply = rcpt.reply->reply;
  if (rcpt.reply->reply.code >= 500) {
    result.refusal = rcpt.reply->reply;
    result.refused_command = "RCPT";
    result.refusal_delay = rcpt.reply->elapsed;
    return;
  }
  result.refusal_problem =
      rcpt.reply->reply.code < 300
          ? absl::StrCat("the relay attempt was accepted (", rcpt.reply->reply.Summary(),
                         "): an open relay, or a server that accepts and bounces later; "
                         "conform decides with the delivery oracle")
          : absl::StrCat("RCPT was answered ", rcpt.reply->reply.Summary(),
                         " (temporary), so no 5xx delay was measured");
}

}  // namespace

int ProbeResult::tarpit_seconds() const {
  if (!refusal || refusal_delay < std::chrono::seconds(1)) return 0;
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(refusal_delay).count());
}

EhloFacts ParseEhlo(const Reply& reply) {
  EhloFacts facts;
  facts.reply = reply;
  if (reply.code != 250) return facts;
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    const std::string line(absl::StripAsciiWhitespace(reply.lines[i]));
    if (line.empty()) continue;
    facts.keywords.push_back(line);
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    std::string keyword = absl::AsciiStrToUpper(parts[0]);
    if (absl::StartsWith(keyword, "AUTH=")) {  // the obsolete "AUTH=PLAIN LOGIN" form
      parts[0] = keyword.substr(5);
      keyword = "AUTH";
    } else {
      parts.erase(parts.begin());
    }
    if (keyword == "AUTH") {
      for (const std::string& mechanism : parts) {
        const std::string upper = absl::AsciiStrToUpper(mechanism);
        if (std::find(facts.auth.begin(), facts.auth.end(), upper) == facts.auth.end()) {
          facts.auth.push_back(upper);
        }
      }
    } else if (keyword == "STARTTLS") {
      facts.starttls = true;
    } else if (keyword == "SIZE") {
      uint64_t limit = 0;
      facts.size = parts.empty() || !absl::SimpleAtoi(parts[0], &limit) ? 0 : limit;
    }
  }
  return facts;
}

absl::StatusOr<ProbeResult> Probe(const ProbeOptions& options) {
  ProbeResult result;
  result.peer = FormatHostPort(options.host, options.port);
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = Open(options, result.banner);
  if (!client.ok()) return client.status();
  if (!result.banner.lines.empty()) {
    const std::vector<std::string> words =
        absl::StrSplit(result.banner.lines.front(), ' ', absl::SkipEmpty());
    if (!words.empty() && LooksLikeHostName(words[0])) {
      result.banner_host = absl::AsciiStrToLower(words[0]);
    }
  }
  result.ehlo = Greet(**client, options, result, "before TLS");
  result.starttls_offered = result.ehlo.starttls;
  if (result.starttls_offered && !StartTls(**client, options, result)) {
    // The connection is in an unknown state after a failed handshake: start again in
    // plaintext for the rest of the probe.
    result.notes.push_back(
        absl::StrCat("STARTTLS failed (", result.tls_problem, "); probed again without TLS"));
    (*client)->Close();
    Reply banner;
    client = Open(options, banner);
    if (!client.ok()) {
      result.refusal_problem =
          absl::StrCat("reconnecting after STARTTLS failed: ", client.status().message());
      return result;
    }
    (void)Greet(**client, options, result, "again without TLS");
  }
  AttemptRelay(**client, options, result);
  if ((*client)->Peer() == PeerState::kOpen) {
    Exchange quit = Ask(**client, "QUIT", std::min(options.reply_timeout, milliseconds(2000)));
    if (!quit.reply || quit.reply->reply.code != 221) {
      result.notes.push_back(quit.reply
                                 ? absl::StrCat("QUIT was answered ", quit.reply->reply.Summary())
                                 : quit.problem);
    }
  } else {
    result.notes.push_back("the server closed the connection before QUIT");
  }
  (*client)->Close();
  return result;
}

}  // namespace smtpgate::conformance
