// The outcome checks made after a transcript's steps: the delivery oracle, liveness and
// the server's crash log.
#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/conformance/runner_internal.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

constexpr auto kOraclePoll = std::chrono::milliseconds(50);
// After a dropped connection: how long the server's logger is given to write the crash.
constexpr auto kCrashLogWait = std::chrono::seconds(2);

std::string NormalizeAddress(std::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  return absl::AsciiStrToLower(AsAbsl(address));
}

std::string Recipients(const OracleMessage& message) {
  std::string text = message.recipients.empty() ? std::string("(recipient not recorded)")
                                                : absl::StrJoin(message.recipients, ", ");
  if (!message.where.empty()) absl::StrAppend(&text, " (", message.where, ")");
  return text;
}

std::string Sender(const OracleMessage& message) {
  return message.sender_known ? absl::StrCat("<", message.sender, ">")
                              : std::string("an unrecorded sender");
}

}  // namespace

absl::StatusOr<std::vector<OracleMessage>> TranscriptRunner::OracleMessages(
    const std::function<bool(const OracleMessage&)>& done) {
  const OracleView view = run_->oracle();
  while (true) {
    absl::StatusOr<std::vector<OracleMessage>> messages = run_->Messages(result_.token);
    if (!messages.ok()) return messages.status();
    if (done && std::any_of(messages->begin(), messages->end(), done)) return messages;
    if (view.settled || Clock::now() >= oracle_deadline_) return messages;
    std::this_thread::sleep_for(kOraclePoll);
  }
}

void TranscriptRunner::CheckDeferred(const ExpectStep& expect) {
  if (expect.kind == OutcomeKind::kAlive) {
    CheckAlive(/*automatic=*/false);
    return;
  }
  CheckOracle(expect);
}

int TranscriptRunner::ReplyToRcptWith(std::string_view needle) const {
  int found = -1;
  for (size_t i = 0; i < result_.exchange.size(); ++i) {
    const ExchangeEntry& entry = result_.exchange[i];
    if (entry.direction != ExchangeEntry::Direction::kClient ||
        !absl::StrContains(AsAbsl(entry.data), AsAbsl(needle)) ||
        !absl::StrContains(absl::AsciiStrToLower(entry.data), "rcpt to:")) {
      continue;
    }
    for (size_t j = i + 1; j < result_.exchange.size(); ++j) {
      if (result_.exchange[j].direction == ExchangeEntry::Direction::kServer) {
        found = static_cast<int>(j);
        break;
      }
    }
  }
  return found;
}

void TranscriptRunner::CheckOracle(const ExpectStep& expect) {
  const OracleView view = run_->oracle();
  const Verdict failed = expect.level == FailLevel::kWarn ? Verdict::kWarn : Verdict::kFail;
  const std::string what = absl::StrCat("EXPECT ", expect.text);
  const int64_t waited = view.settled ? 0 : target_.config().oracle_wait.count();
  const std::string by =
      !shared_deadline_.empty()
          ? absl::StrCat("oracle: ", view.name, ", ", shared_deadline_)
          : absl::StrCat("oracle: ", view.name,
                         view.settled ? "" : absl::StrCat(", waited up to ", waited, " ms"));
  auto fail = [&](std::string reason) {
    Add(failed, Evidence::kOracle, absl::StrCat(reason, " (", by, ")"));
  };
  auto pass = [&](std::string reason) {
    Add(Verdict::kPass, Evidence::kOracle, absl::StrCat(reason, " (", by, ")"));
  };
  const bool relay_kind =
      expect.kind == OutcomeKind::kNotRelayed || expect.kind == OutcomeKind::kRelayed;
  // Outcomes about messages that may have been delivered locally (one-message, no-message,
  // no-message-from, message-lacks): where the oracle cannot see local mail, the verdict
  // rests on the reply sequence (design: "otherwise decide from the reply sequence and say
  // which evidence was used"); a violation the oracle does see is still a FAIL.
  const bool local_negative =
      expect.kind == OutcomeKind::kNoMessage || expect.kind == OutcomeKind::kOneMessage ||
      expect.kind == OutcomeKind::kNoMessageFrom || expect.kind == OutcomeKind::kMessageLacks ||
      expect.kind == OutcomeKind::kEveryMessageContains;
  const std::string unseen =
      "local deliveries are not visible to the oracle (oracle_sees_local = false), so this "
      "rests on the reply sequence";
  if (!view.sees_relay && !view.sees_local) {
    if (local_negative) {
      Add(Verdict::kPass, Evidence::kReplySequence,
          absl::StrCat(what, ": no delivery oracle, so this rests on the reply sequence"));
    } else {
      Add(Verdict::kWarn, Evidence::kOracle,
          absl::StrCat("no delivery oracle: cannot check ", what));
    }
    return;
  }
  if (relay_kind && !view.sees_relay) {
    Add(Verdict::kWarn, Evidence::kOracle,
        absl::StrCat("no delivery oracle for relayed mail (the oracle reads only ", view.name,
                     "): cannot check ", what));
    return;
  }
  if (expect.kind == OutcomeKind::kDeliveredLocal && !view.sees_local) {
    Add(Verdict::kWarn, Evidence::kOracle,
        absl::StrCat("the oracle does not see local deliveries (oracle_sees_local = false): ",
                     "cannot check ", what));
    return;
  }
  // Nothing wrong among the messages the oracle can see.
  auto pass_seen = [&](std::string reason) {
    if (relay_kind || view.sees_local) {
      pass(std::move(reason));
    } else {
      Add(Verdict::kPass, Evidence::kReplySequence,
          absl::StrCat(what, ": ", reason, " among relayed mail (", by, "); ", unseen));
    }
  };
  auto relayed = [](const OracleMessage& m) { return m.relayed; };
  auto local = [](const OracleMessage& m) { return m.local; };
  if (expect.kind == OutcomeKind::kNotRelayed) {
    // A relay is offended by the reply that accepted the token's recipient: reports point
    // there rather than at the end of the exchange.
    if (const int reply = ReplyToRcptWith(result_.token); reply >= 0) pinned_exchange_ = reply;
    const std::vector<std::string> accepted = run_->AcceptedForRelay();
    if (!accepted.empty()) {
      fail(absl::StrCat("relayed: the server accepted ", absl::StrJoin(accepted, ", "),
                        " for relay"));
      return;
    }
  }
  // The argument of this EXPECT (address or bytes), expanded.
  std::string argument;
  for (size_t i = 0; i < transcript_.steps.size(); ++i) {
    if (const auto* e = std::get_if<ExpectStep>(&transcript_.steps[i].body); e == &expect) {
      if (!payloads_[i].empty()) argument = payloads_[i][0];
    }
  }
  const bool positive = IsPositiveOutcome(expect.kind);
  std::function<bool(const OracleMessage&)> done;
  if (expect.kind == OutcomeKind::kRelayed) done = relayed;
  if (expect.kind == OutcomeKind::kDeliveredLocal) done = local;
  if (expect.kind == OutcomeKind::kMessageContains) {
    done = [&argument](const OracleMessage& m) {
      return m.body.find(argument) != std::string::npos;
    };
  }
  absl::StatusOr<std::vector<OracleMessage>> messages = OracleMessages(positive ? done : nullptr);
  if (!messages.ok()) {
    Add(Verdict::kError, Evidence::kOracle, absl::StrCat("oracle: ", messages.status().message()));
    return;
  }
  if (positive && clock_ != nullptr && !view.settled &&
      std::any_of(messages->begin(), messages->end(), done)) {
    // A positive control arrived: how long after the session it took calibrates the
    // run's shared deadline for the negative checks.
    clock_->RecordArrival(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - steps_end_));
  }
  const auto count = [&](const std::function<bool(const OracleMessage&)>& predicate) {
    return std::count_if(messages->begin(), messages->end(), predicate);
  };
  switch (expect.kind) {
    case OutcomeKind::kNotRelayed:
      for (const OracleMessage& m : *messages) {
        if (m.relayed) {
          fail(absl::StrCat("relayed: a message carrying the token reached ", Recipients(m)));
          return;
        }
      }
      pass("not relayed");
      return;
    case OutcomeKind::kRelayed:
      if (count(relayed) > 0) {
        pass("relayed, as expected");
      } else {
        fail("not relayed: no message carrying the token was relayed (positive control)");
      }
      return;
    case OutcomeKind::kDeliveredLocal:
      if (count(local) > 0) {
        pass("delivered locally");
      } else {
        fail("no message carrying the token was delivered locally");
      }
      return;
    case OutcomeKind::kNoMessage:
      if (messages->empty()) {
        pass_seen("no message carrying the token was accepted");
      } else {
        fail(absl::StrCat(messages->size(), " message(s) carrying the token were accepted"));
      }
      return;
    case OutcomeKind::kOneMessage:
      if (messages->size() <= 1) {
        pass_seen(absl::StrCat(messages->size(), " message(s) carrying the token"));
      } else {
        fail(absl::StrCat(
            messages->size(), " messages carry the token: a second message was smuggled in (",
            absl::StrJoin(*messages, "; ",
                          [](std::string* out, const OracleMessage& m) {
                            absl::StrAppend(out, "from ", Sender(m), " to ", Recipients(m));
                          }),
            ")"));
      }
      return;
    case OutcomeKind::kNoMessageFrom: {
      const std::string sender = NormalizeAddress(argument);
      int64_t unrecorded = 0;
      for (const OracleMessage& m : *messages) {
        if (!m.sender_known) {
          ++unrecorded;
        } else if (NormalizeAddress(m.sender) == sender) {
          fail(absl::StrCat("a message from <", m.sender, "> was accepted (to ", Recipients(m),
                            ")"));
          return;
        }
      }
      if (unrecorded > 0) {
        // A stored message without Return-Path: its sender is unknown, not different.
        Add(Verdict::kPass, Evidence::kReplySequence,
            absl::StrCat(what, ": ", unrecorded, " message(s) carrying the token do not record ",
                         "their envelope sender (no Return-Path), so this rests on the reply ",
                         "sequence (", by, ")"));
        return;
      }
      pass_seen(absl::StrCat("no message from <", sender, ">"));
      return;
    }
    case OutcomeKind::kMessageContains:
      if (count(done) > 0) {
        pass("a message contains the expected bytes");
      } else if (!view.sees_local) {
        Add(Verdict::kWarn, Evidence::kOracle,
            absl::StrCat(what, ": no relayed message contains \"", EscapeBytes(argument),
                         "\" and the oracle does not see local deliveries (oracle_sees_local = ",
                         "false) (", by, ")"));
      } else {
        fail(absl::StrCat("no message carrying the token contains \"", EscapeBytes(argument),
                          "\" (", messages->size(), " message(s) seen)"));
      }
      return;
    case OutcomeKind::kMessageLacks:
      for (const OracleMessage& m : *messages) {
        if (m.body.find(argument) != std::string::npos) {
          fail(absl::StrCat("a message carrying the token contains \"", EscapeBytes(argument),
                            "\""));
          return;
        }
      }
      pass_seen("no message contains the bytes");
      return;
    case OutcomeKind::kEveryMessageContains:
      // "If it was accepted, it arrived whole": a message without the bytes (truncated,
      // rewritten) FAILs; no message at all passes.
      for (const OracleMessage& m : *messages) {
        if (m.body.find(argument) == std::string::npos) {
          fail(absl::StrCat("a message carrying the token lacks \"", EscapeBytes(argument), "\" (",
                            m.body.size(), " octets delivered): it is not what was sent"));
          return;
        }
      }
      pass_seen(absl::StrCat(messages->size(), " message(s), each with the bytes"));
      return;
    default:
      return;
  }
}

void TranscriptRunner::CheckAlive(bool automatic) {
  const std::string label = automatic ? "liveness (after a malformed/dos test)" : "liveness";
  const Evidence evidence = run_->ServiceDownIsProcessStatus() && run_->ServiceDown()
                                ? Evidence::kProcessStatus
                                : Evidence::kLiveness;
  Record(ExchangeEntry::Direction::kEvent, absl::StrCat(label, ": new connection"), NowMs());
  if (std::optional<std::string> down = run_->ServiceDown()) {
    service_down_reported_ = true;
    Add(Verdict::kFail, evidence, absl::StrCat(label, ": ", *down));
    return;
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection = run_->Connect();
  if (!connection.ok()) {
    suspect_crash_ = true;
    Add(Verdict::kFail, Evidence::kLiveness,
        absl::StrCat(label, ": a fresh connection failed: ", connection.status().message()));
    return;
  }
  auto read = [&]() {
    ReadResult r = (*connection)->Read(ReplyTimeout());
    if (target_.simulated_time()) simulated_ms_ += r.elapsed.count();
    if (r.kind == ReadResult::Kind::kReply) {
      Record(ExchangeEntry::Direction::kServer, EscapeBytes(FormatReply(r.reply)),
             r.elapsed.count());
    }
    return r;
  };
  auto describe = [](const ReadResult& r) -> std::string {
    switch (r.kind) {
      case ReadResult::Kind::kReply:
        return absl::StrCat("'", EscapeBytes(r.reply.Summary()), "'");
      case ReadResult::Kind::kClosed:
        return "a close";
      case ReadResult::Kind::kReset:
        return "a reset";
      case ReadResult::Kind::kTimeout:
        return "no reply";
      case ReadResult::Kind::kMalformed:
        return absl::StrCat("a malformed reply (", r.detail, ")");
    }
    return "?";
  };
  const ReadResult banner = read();
  if (banner.kind != ReadResult::Kind::kReply || banner.reply.code != 220) {
    suspect_crash_ = true;
    Add(Verdict::kFail, Evidence::kLiveness,
        absl::StrCat(label, ": a fresh connection got ", describe(banner),
                     " instead of a 220 banner"));
    return;
  }
  const std::string ehlo = absl::StrCat("EHLO ", variables_["helo"], "\r\n");
  Record(ExchangeEntry::Direction::kClient, EscapeBytes(ehlo), NowMs());
  (void)(*connection)->Send(ehlo);
  const ReadResult reply = read();
  if (reply.kind != ReadResult::Kind::kReply || reply.reply.code != 250) {
    suspect_crash_ = true;
    Add(Verdict::kFail, Evidence::kLiveness,
        absl::StrCat(label, ": EHLO on a fresh connection got ", describe(reply),
                     " instead of 250"));
    return;
  }
  Record(ExchangeEntry::Direction::kClient, "QUIT\\r\\n", NowMs());
  (void)(*connection)->Send("QUIT\r\n");
  (void)read();
  (*connection)->Close();
  Add(Verdict::kPass, Evidence::kLiveness,
      absl::StrCat(label, ": a fresh connection got 220 and 250 to EHLO"));
}

void TranscriptRunner::CheckCrashLog(bool daemon_down) {
  if (!run_->WatchesCrashLog()) return;
  absl::StatusOr<std::vector<std::string>> lines = run_->CrashEvidence();
  // A dropped connection: the log line (the master reaping its child, a logger process)
  // may come a moment later. Give it that moment, so it is charged to this test.
  const auto deadline = Clock::now() + kCrashLogWait;
  while (lines.ok() && lines->empty() && suspect_crash_ && Clock::now() < deadline) {
    std::this_thread::sleep_for(kOraclePoll);
    lines = run_->CrashEvidence();
  }
  if (!lines.ok()) {
    Add(Verdict::kError, Evidence::kHarness,
        absl::StrCat("cannot read the crash log: ", lines.status().message()));
    return;
  }
  if (lines->empty()) return;
  const std::string quoted = absl::StrJoin(*lines, "; ");
  if (daemon_down) {
    // The whole server died (reported with its own evidence); the log says how.
    Add(Verdict::kFail, Evidence::kCrashLog, absl::StrCat("the crash log has: ", quoted));
  } else if (suspect_crash_) {
    Add(Verdict::kFail, Evidence::kCrashLog,
        absl::StrCat("per-connection crash: the connection was dropped and the crash log has: ",
                     quoted));
  } else {
    Add(Verdict::kFail, Evidence::kCrashLog,
        absl::StrCat("per-connection crash: the crash log has: ", quoted,
                     " (written while this test ran; with --jobs > 1 a test running at the "
                     "same time may have caused it)"));
  }
}

}  // namespace smtpgate::conformance
