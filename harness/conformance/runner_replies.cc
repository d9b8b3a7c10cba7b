// The reading side of a transcript run: S: steps, desynchronisation checks, STARTTLS,
// RECONNECT and the positional outcomes (delay, same-reply-as).
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/conformance/runner_internal.h"
#include "harness/conformance/step_parser.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

std::string ReplyText(const Reply& reply) {
  std::string text = EscapeBytes(reply.Summary());
  if (text.size() > 120) text = absl::StrCat(text.substr(0, 120), "...");
  return absl::StrCat("'", text, "'");
}

std::string Shown(const ReadResult& read) {
  switch (read.kind) {
    case ReadResult::Kind::kReply:
      return ReplyText(read.reply);
    case ReadResult::Kind::kClosed:
      return "close";
    case ReadResult::Kind::kReset:
      return "reset";
    case ReadResult::Kind::kTimeout:
      return "no reply";
    case ReadResult::Kind::kMalformed:
      return "malformed reply";
  }
  return "?";
}

// How long `S: silence` waits for a reply that must not come (capped by reply_ms).
constexpr std::chrono::milliseconds kSilenceWindow{1000};

bool CloseOnly(const ReplyPattern& pattern) {
  for (const CodeAlternative& alternative : pattern.alternatives) {
    if (alternative.kind != CodeAlternative::Kind::kClose) return false;
  }
  return true;
}

}  // namespace

void TranscriptRunner::Add(Verdict verdict, Evidence evidence, std::string reason) {
  const int line =
      current_step_ >= 0 ? transcript_.steps[static_cast<size_t>(current_step_)].location.line : 0;
  const int at =
      pinned_exchange_ >= 0 ? pinned_exchange_ : static_cast<int>(result_.exchange.size()) - 1;
  result_.findings.push_back(Finding{verdict, evidence, std::move(reason), line, at});
}

void TranscriptRunner::Record(ExchangeEntry::Direction direction, std::string data,
                              int64_t elapsed_ms) {
  result_.exchange.push_back(ExchangeEntry{direction, std::move(data), elapsed_ms});
}

int64_t TranscriptRunner::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count() +
         simulated_ms_;
}

std::string TranscriptRunner::Where(size_t index) const {
  return absl::StrCat("line ", transcript_.steps[index].location.line);
}

std::chrono::milliseconds TranscriptRunner::ReplyTimeout() const {
  return target_.config().reply_timeout;
}

ReadResult TranscriptRunner::ReadNext(std::chrono::milliseconds timeout, bool poll) {
  const bool was_gone = peer_gone_;
  const Clock::time_point begin = Clock::now();
  ReadResult read = connection_->Read(timeout);
  if (target_.simulated_time()) {
    simulated_ms_ += read.elapsed.count();
  } else if (read.kind == ReadResult::Kind::kReply) {
    // How long the reply took: since the last send or reply on its connection, which is
    // earlier than this read when other steps (another connection's, a SLEEP) ran between.
    if (last_activity_ < begin) {
      read.elapsed += std::chrono::duration_cast<std::chrono::milliseconds>(begin - last_activity_);
    }
    last_activity_ = Clock::now();
  }
  switch (read.kind) {
    case ReadResult::Kind::kReply:
      Record(ExchangeEntry::Direction::kServer, EscapeBytes(FormatReply(read.reply)),
             read.elapsed.count());
      if (read.reply.code == 221 || read.reply.code == 421) announced_close_ = read.reply.code;
      break;
    case ReadResult::Kind::kClosed:
    case ReadResult::Kind::kReset:
      peer_gone_ = true;
      if (!was_gone) {
        Record(ExchangeEntry::Direction::kEvent,
               absl::StrCat(read.detail.empty() ? (read.kind == ReadResult::Kind::kClosed
                                                       ? "connection closed by server"
                                                       : "connection reset")
                                                : read.detail,
                            named_ ? absl::StrCat(" (", current_name_, ")") : ""),
               NowMs());
      }
      break;
    case ReadResult::Kind::kTimeout:
      if (!poll) {
        Record(ExchangeEntry::Direction::kEvent,
               absl::StrCat("no reply within ", timeout.count(), " ms"), NowMs());
      }
      break;
    case ReadResult::Kind::kMalformed:
      Record(ExchangeEntry::Direction::kEvent, absl::StrCat("malformed reply: ", read.detail),
             NowMs());
      break;
  }
  return read;
}

bool TranscriptRunner::CheckUnsolicited(std::string_view before, std::chrono::milliseconds wait) {
  if (connection_ == nullptr || peer_gone_) return true;
  const ReadResult read = ReadNext(wait, /*poll=*/true);
  if (read.kind == ReadResult::Kind::kReply) {
    if (read.reply.code == 421) return true;  // a server may announce its close at any time
    steps_failed_ = true;
    Add(Verdict::kFail, Evidence::kReplySequence,
        absl::StrCat("stream desynchronised: unexpected reply ", ReplyText(read.reply), " ",
                     AsAbsl(before), " (every expected reply had been read)"));
    return false;
  }
  if (read.kind == ReadResult::Kind::kMalformed) {
    steps_failed_ = true;
    Add(Verdict::kFail, Evidence::kReplySequence,
        absl::StrCat("stream desynchronised: unexpected bytes ", AsAbsl(before), ": ",
                     read.detail));
    return false;
  }
  return true;
}

void TranscriptRunner::EndConnection(bool check_extra) {
  if (connection_ == nullptr) return;
  if (check_extra && !awaiting_ && !steps_failed_) {
    CheckUnsolicited(named_ ? absl::StrCat("on ", current_name_, " after its last expected reply")
                            : std::string("after the last expected reply"),
                     target_.config().grace);
  }
  connection_->Close();
  connection_.reset();
}

bool TranscriptRunner::ExpectReply(size_t index, const ReplyStep& step) {
  const bool banner = connection_ == nullptr || !last_sent_.has_value();
  if (!EnsureConnected(index)) return false;
  const bool silence_ok = step.pattern.AcceptsSilence() ||
                          (step.warn && step.warn->AcceptsSilence()) ||
                          (step.fail && step.fail->AcceptsSilence());
  // Where silence is an answer (the server still reading a chunk), wait only the silence
  // window, not the whole reply timeout; `within D` waits D.
  const std::chrono::milliseconds wait = index < within_.size() && within_[index] ? *within_[index]
                                         : silence_ok ? std::min(ReplyTimeout(), kSilenceWindow)
                                                      : ReplyTimeout();
  const ReadResult read =
      chosen_read_ ? *std::exchange(chosen_read_, std::nullopt) : ReadNext(wait, /*poll=*/false);
  replies_[index] = read;
  awaiting_ = false;
  const std::string to = banner                ? std::string("as the banner")
                         : last_sent_->empty() ? std::string("to an empty line")
                                               : absl::StrCat("to '", *last_sent_, "'");
  const std::string expected = absl::StrCat(Where(index), " expected ", step.pattern.text);
  auto fail = [&](std::string reason) {
    steps_failed_ = true;
    Add(Verdict::kFail, Evidence::kReplySequence, std::move(reason));
    return false;
  };
  // The warn and fail clauses, for what was read (`got` describes it).
  auto graded = [&](bool warn_matches, bool fail_matches, const std::string& got) -> int {
    if (warn_matches) {
      ++replies_checked_;
      Add(Verdict::kWarn, Evidence::kReplySequence,
          absl::StrCat(step.warn_reason.empty() ? "" : absl::StrCat(step.warn_reason, ": "),
                       expected, " ", to, ", got ", got, " (matches the warn pattern ",
                       step.warn->text, ")"));
      return 1;  // go on
    }
    if (fail_matches) {
      fail(absl::StrCat(step.fail_reason, ": ", expected, " ", to, ", got ", got));
      return 0;  // stop
    }
    return -1;  // not graded: the default failure
  };
  switch (read.kind) {
    case ReadResult::Kind::kReply: {
      if (step.pattern.Matches(read.reply, read.elapsed)) {
        ++replies_checked_;
        if (last_sent_ehlo_ && insert_tls_ && !tls_inserted_ && read.reply.code == 250) {
          return InsertStartTls(index);
        }
        if (last_sent_ehlo_ && !ehlo_checked_ && read.reply.code == 250) {
          return CheckEhloRequirements(read.reply);
        }
        return true;
      }
      if (const int g = graded(step.warn && step.warn->Matches(read.reply, read.elapsed),
                               step.fail && step.fail->Matches(read.reply, read.elapsed),
                               ReplyText(read.reply));
          g >= 0) {
        return g == 1;
      }
      if (CloseOnly(step.pattern)) {
        return fail(absl::StrCat("stream desynchronised: ", expected,
                                 " (the server closing the connection), got ",
                                 ReplyText(read.reply)));
      }
      return fail(absl::StrCat(expected, " ", to, ", got ", ReplyText(read.reply)));
    }
    case ReadResult::Kind::kClosed:
    case ReadResult::Kind::kReset: {
      if (step.pattern.AcceptsClose()) {
        ++replies_checked_;
        return true;
      }
      if (const int g = graded(step.warn && step.warn->AcceptsClose(),
                               step.fail && step.fail->AcceptsClose(), Shown(read));
          g >= 0) {
        return g == 1;
      }
      const char* how = read.kind == ReadResult::Kind::kReset ? "reset" : "closed";
      if (announced_close_ != 0 || quit_sent_) {
        return fail(absl::StrCat(
            expected, ", but the server had closed the connection (",
            announced_close_ != 0 ? absl::StrCat("after its ", announced_close_) : "after QUIT",
            ")"));
      }
      suspect_crash_ = true;
      return fail(absl::StrCat("connection dropped without a reply ", to, " (connection ", how,
                               "; ", expected, ")"));
    }
    case ReadResult::Kind::kTimeout: {
      const std::string silent = absl::StrCat("no reply within ", wait.count(), " ms");
      if (step.pattern.AcceptsSilence()) {
        ++replies_checked_;
        awaiting_ = true;  // the server is still reading: its reply may come later
        return true;
      }
      if (const int g = graded(step.warn && step.warn->AcceptsSilence(),
                               step.fail && step.fail->AcceptsSilence(), silent);
          g >= 0) {
        awaiting_ = g == 1;
        return g == 1;
      }
      if (CloseOnly(step.pattern)) {
        return fail(absl::StrCat(expected,
                                 " (the server closing the connection); the connection "
                                 "stayed open for ",
                                 wait.count(), " ms"));
      }
      if (index < within_.size() && within_[index]) {
        return fail(absl::StrCat(expected, " within ", wait.count(),
                                 " ms; the connection stayed open for ", wait.count(),
                                 " ms without a reply"));
      }
      return fail(absl::StrCat("stream desynchronised: ", silent, " ", to, " (", expected, ")"));
    }
    case ReadResult::Kind::kMalformed:
      return fail(absl::StrCat(expected, " ", to, ", got a malformed reply: ", read.detail));
  }
  return true;
}

bool TranscriptRunner::CheckEhloRequirements(const Reply& reply) {
  ehlo_checked_ = true;
  const NameSet words = EhloCapabilities(reply);
  for (const std::string& word : transcript_.requirements) {
    if (!IsEhloCapability(word) || words.contains(word)) continue;
    if (target_.config().capabilities.contains(word)) continue;  // the target file decides
    if (absl::StartsWith(word, "auth") && capabilities_.auth_after_starttls && !tls_active_) {
      // AUTH is offered only inside TLS and this transcript does its own STARTTLS: the
      // requirement is checked on the first EHLO reply inside TLS instead.
      ehlo_checked_ = false;
      continue;
    }
    Add(Verdict::kSkip, Evidence::kReplySequence,
        absl::StrCat("requires ", word, ": not in the EHLO reply of this connection"));
    return false;
  }
  return true;
}

bool TranscriptRunner::ChooseBranch(size_t index, const AltStep& alt) {
  if (!EnsureConnected(index)) return false;
  const auto first = [&](size_t b) -> const ReplyStep& {
    return std::get<ReplyStep>(transcript_.steps[static_cast<size_t>(alt.branches[b])].body);
  };
  bool silence_ok = false;
  for (size_t b = 0; b < alt.branches.size(); ++b) {
    const ReplyStep& s = first(b);
    silence_ok = silence_ok || s.pattern.AcceptsSilence() || (s.warn && s.warn->AcceptsSilence());
  }
  std::chrono::milliseconds wait =
      silence_ok ? std::min(ReplyTimeout(), kSilenceWindow) : ReplyTimeout();
  for (size_t b = 0; b < alt.branches.size(); ++b) {  // the longest `within` of the branches
    const size_t at = static_cast<size_t>(alt.branches[b]);
    if (at < within_.size() && within_[at]) wait = std::max(wait, *within_[at]);
  }
  const ReadResult read = ReadNext(wait, /*poll=*/false);
  const auto accepts = [&](const ReplyPattern& p) {
    switch (read.kind) {
      case ReadResult::Kind::kReply:
        return p.Matches(read.reply, read.elapsed);
      case ReadResult::Kind::kClosed:
      case ReadResult::Kind::kReset:
        return p.AcceptsClose();
      case ReadResult::Kind::kTimeout:
        return p.AcceptsSilence();
      case ReadResult::Kind::kMalformed:
        return false;
    }
    return false;
  };
  size_t chosen = alt.branches.size();
  for (size_t b = 0; b < alt.branches.size() && chosen == alt.branches.size(); ++b) {
    if (accepts(first(b).pattern) || (first(b).warn && accepts(*first(b).warn))) chosen = b;
  }
  for (size_t b = 0; b < alt.branches.size() && chosen == alt.branches.size(); ++b) {
    if (first(b).fail && accepts(*first(b).fail)) chosen = b;
  }
  if (chosen == alt.branches.size()) chosen = 0;  // its first step reports the mismatch
  for (size_t b = 0; b < alt.branches.size(); ++b) {
    if (b == chosen) continue;
    const size_t from = static_cast<size_t>(alt.branches[b]);
    const size_t to = b + 1 < alt.branches.size() ? static_cast<size_t>(alt.branches[b + 1])
                                                  : static_cast<size_t>(alt.end);
    for (size_t i = from; i < to; ++i) skipped_[i] = true;
  }
  // Where the reply's timing chose the branch, the event says how long it took.
  bool timed = false;
  for (size_t b = 0; b < alt.branches.size(); ++b) timed = timed || first(b).pattern.HasTiming();
  Record(
      ExchangeEntry::Direction::kEvent,
      absl::StrCat("ALT (", Where(index), "): branch ", chosen + 1, " of ", alt.branches.size(),
                   " (line ",
                   transcript_.steps[static_cast<size_t>(alt.branches[chosen])].location.line, ")",
                   timed && read.kind == ReadResult::Kind::kReply
                       ? absl::StrCat(", the reply took ", read.elapsed.count(), " ms")
                       : ""),
      NowMs());
  chosen_read_ = read;
  next_step_ = static_cast<size_t>(alt.branches[chosen]);
  return true;
}

bool TranscriptRunner::InsertStartTls(size_t index) {
  tls_inserted_ = true;
  last_sent_ehlo_ = false;
  const std::string why = absl::StrCat(Where(index),
                                       ": the STARTTLS the runner inserts (AUTH is offered only "
                                       "after STARTTLS)");
  auto error = [&](std::string what) {
    steps_failed_ = true;
    Add(Verdict::kError, Evidence::kHarness, absl::StrCat(why, " ", what));
    return false;
  };
  Record(ExchangeEntry::Direction::kEvent,
         "runner: STARTTLS inserted (AUTH is offered only after STARTTLS)", NowMs());
  Record(ExchangeEntry::Direction::kClient, "STARTTLS\\r\\n", NowMs());
  (void)connection_->Send("STARTTLS\r\n");
  const ReadResult ready = ReadNext(ReplyTimeout(), /*poll=*/false);
  if (ready.kind != ReadResult::Kind::kReply || ready.reply.code != 220) {
    return error(absl::StrCat("got ", Shown(ready), " instead of 220"));
  }
  if (const absl::Status tls = connection_->StartTls(); !tls.ok()) {
    return error(absl::StrCat("failed: TLS handshake: ", tls.message()));
  }
  Record(ExchangeEntry::Direction::kEvent,
         target_.simulated_time() ? "TLS established (simulated)" : "TLS established", NowMs());
  Record(ExchangeEntry::Direction::kClient, EscapeBytes(last_ehlo_), NowMs());
  (void)connection_->Send(last_ehlo_);
  const ReadResult again = ReadNext(ReplyTimeout(), /*poll=*/false);
  if (again.kind != ReadResult::Kind::kReply || again.reply.code != 250) {
    return error(absl::StrCat("got ", Shown(again), " to the EHLO inside TLS instead of 250"));
  }
  awaiting_ = false;
  tls_active_ = true;
  if (!ehlo_checked_) return CheckEhloRequirements(again.reply);
  return true;
}

bool TranscriptRunner::DoStartTls(size_t index) {
  if (!target_.tls_possible() || target_.config().tls != TlsMode::kStartTls) {
    Add(Verdict::kSkip, Evidence::kHarness,
        absl::StrCat(Where(index), ": STARTTLS is not used with this target (tls = ",
                     AsAbsl(TlsModeName(target_.config().tls)), ")"));
    return false;
  }
  if (!EnsureConnected(index)) return false;
  const auto poll =
      target_.simulated_time() ? std::chrono::milliseconds(0) : std::chrono::milliseconds(5);
  if (!CheckUnsolicited(absl::StrCat("before the TLS handshake (", Where(index), ")"), poll)) {
    return false;
  }
  const absl::Status tls = connection_->StartTls();
  if (!tls.ok()) {
    steps_failed_ = true;
    Add(Verdict::kError, Evidence::kHarness,
        absl::StrCat(Where(index), ": TLS handshake failed: ", tls.message()));
    return false;
  }
  Record(ExchangeEntry::Direction::kEvent,
         target_.simulated_time() ? "TLS established (simulated)" : "TLS established", NowMs());
  if (const size_t discarded = connection_->plaintext_discarded(); discarded > 0) {
    steps_failed_ = true;
    Add(Verdict::kFail, Evidence::kReplySequence,
        absl::StrCat("stream desynchronised: ", discarded,
                     " octets of plaintext arrived after the 220 to STARTTLS, before the TLS "
                     "handshake (",
                     Where(index), ")"));
    return false;
  }
  awaiting_ = false;
  last_sent_ehlo_ = false;
  tls_active_ = true;
  return true;
}

bool TranscriptRunner::Reconnect(size_t index) {
  EndConnection(/*check_extra=*/true);
  if (steps_failed_) return false;
  last_sent_ehlo_ = false;
  return EnsureConnected(index);
}

bool TranscriptRunner::CheckPositional(size_t index, const ExpectStep& expect) {
  const std::optional<ReadResult>& read = replies_[expect.reply_step_index];
  if (!read) return true;
  const Verdict failed = expect.level == FailLevel::kWarn ? Verdict::kWarn : Verdict::kFail;
  const std::string where = Where(index);
  if (expect.kind == OutcomeKind::kSameReplyAs) {
    const std::optional<ReadResult>& other = replies_[expect.label_step_index];
    if (!other) return true;
    const bool same =
        read->kind == other->kind &&
        (read->kind != ReadResult::Kind::kReply ||
         (read->reply.code == other->reply.code && read->reply.enhanced == other->reply.enhanced));
    if (same) {
      Add(Verdict::kPass, Evidence::kReplySequence,
          absl::StrCat("same reply as [", expect.label, "]"));
    } else {
      Add(failed, Evidence::kReplySequence,
          absl::StrCat(where, ": got ", Shown(*read), ", but [", expect.label, "] got ",
                       Shown(*other), ": the server tells the two apart (directory harvest)"));
    }
    return true;
  }
  const std::optional<std::chrono::milliseconds> limit = ParseDuration(payloads_[index][0], false);
  if (!limit) {
    Add(Verdict::kError, Evidence::kHarness,
        absl::StrCat(where, ": expected a duration like 2s, got '", payloads_[index][0], "'"));
    return false;
  }
  const bool at_least = expect.kind == OutcomeKind::kDelayAtLeast;
  const std::string want = absl::StrCat(at_least ? "delay>=" : "delay<", limit->count(), " ms");
  if (read->kind != ReadResult::Kind::kReply) {
    Add(failed, Evidence::kReplySequence,
        absl::StrCat(where, ": ", want, ", but there was no reply to time (", Shown(*read), ")"));
    return true;
  }
  const bool ok = at_least ? read->elapsed >= *limit : read->elapsed < *limit;
  if (ok) {
    Add(Verdict::kPass, Evidence::kReplySequence,
        absl::StrCat("reply after ", read->elapsed.count(), " ms (", want, ")"));
  } else {
    Add(failed, Evidence::kReplySequence,
        absl::StrCat(where, ": reply ", ReplyText(read->reply), " came after ",
                     read->elapsed.count(), " ms, expected ", want));
  }
  return true;
}

}  // namespace smtpgate::conformance
