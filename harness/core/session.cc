// Session: input framing, replies, transaction bookkeeping. The commands themselves are
// in session_commands.cc (one table: allowed states, check, proceed).
#include "harness/core/session.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"
#include "harness/policy/tarpit.h"

namespace smtpgate {

std::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kConnected:
      return "connected";
    case SessionState::kGreeted:
      return "greeted";
    case SessionState::kMail:
      return "mail";
    case SessionState::kRcpt:
      return "rcpt";
    case SessionState::kData:
      return "data";
    case SessionState::kBdatChunk:
      return "bdat-chunk";
    case SessionState::kBdatOpen:
      return "bdat-open";
    case SessionState::kAuth:
      return "auth";
    case SessionState::kAwaitingCommit:
      return "awaiting-commit";
    case SessionState::kTlsPending:
      return "tls-pending";
    case SessionState::kClosed:
      return "closed";
  }
  return "unknown";
}

Session::Session(const SessionConfig& config, SessionFacts facts)
    : config_(config), facts_(std::move(facts)) {
  facts_.authenticated = false;
  facts_.identity.clear();
}

SessionOutputs Session::Start() {
  Send(220, "", absl::StrCat(config_.hostname, " ESMTP smtpgate reference server"));
  return std::exchange(out_, {});
}

SessionOutputs Session::Feed(std::string_view bytes) {
  // Closed: nothing more is read. TLS pending: octets that arrive before the handshake are
  // plaintext injected after STARTTLS (CVE-2011-0411) and are dropped.
  if (state_ == SessionState::kClosed || state_ == SessionState::kTlsPending) return {};
  input_.append(bytes);
  Process();
  if (state_ == SessionState::kAwaitingCommit &&
      input_.size() > config_.max_pending_input + config_.command.max_line_length) {
    Close(421, "4.7.0", "too much pipelined input while the message is being stored");
    input_.clear();
  }
  return std::exchange(out_, {});
}

void Session::Process() {
  size_t start = 0;
  while (start < input_.size()) {
    bool progressed = false;
    const std::string_view rest(input_.data() + start, input_.size() - start);
    size_t used = 0;
    switch (state_) {
      case SessionState::kClosed:
      case SessionState::kTlsPending:
        input_.clear();
        return;
      case SessionState::kAwaitingCommit:
        input_.erase(0, start);
        return;
      case SessionState::kData:
        used = ConsumeDataBody(rest);
        break;
      case SessionState::kBdatChunk:
        used = ConsumeBdatChunk(rest);
        break;
      case SessionState::kAuth:
        used = ConsumeLine(rest, kMaxSaslLine + 2, /*auth=*/true);
        break;
      default:
        used = ConsumeLine(rest, config_.command.max_line_length, /*auth=*/false);
        break;
    }
    // After QUIT, 421 or STARTTLS nothing buffered is read any more (for STARTTLS: it
    // would be plaintext injected into the TLS session, CVE-2011-0411).
    if (state_ == SessionState::kClosed || state_ == SessionState::kTlsPending) {
      input_.clear();
      return;
    }
    progressed = used > 0;
    start += used;
    if (!progressed) break;
  }
  input_.erase(0, start);
}

size_t Session::ConsumeLine(std::string_view rest, size_t limit, bool auth) {
  const size_t lf = rest.find('\n');
  if (config_.policy.profile == Profile::kPerConnectionCrash && !auth && !discarding_line_ &&
      (lf == std::string_view::npos ? rest.size() : lf + 1) > limit && rest.size() >= 5 &&
      (absl::StartsWithIgnoreCase(AsAbsl(rest.substr(0, 5)), "EHLO ") ||
       absl::StartsWithIgnoreCase(AsAbsl(rest.substr(0, 5)), "HELO "))) {
    // EMULATION PROFILE per-connection-crash: an over-long greeting overflows the handler's
    // buffer (Exim CVE-2019-16928) and kills this connection; the service lives on.
    CrashConnection(absl::StrCat("a ", lf == std::string_view::npos ? rest.size() : lf + 1,
                                 "-octet greeting line overflowed the greeting buffer"));
    return rest.size();
  }
  if (discarding_line_) {
    if (lf == std::string_view::npos) return rest.size();
    discarding_line_ = false;
    return lf + 1;
  }
  if (lf == std::string_view::npos) {
    if (rest.size() <= limit) return 0;  // wait for the rest of the line
    // No line end within the limit: it can never be a valid line. Refuse it once and skip
    // to its end, so memory stays bounded and the stream stays in sync.
    if (Strict() && !auth) {
      Close(500, "5.5.2",
            absl::StrCat("command line too long (limit ", limit, " octets); closing"));
      return rest.size();
    }
    discarding_line_ = true;
    if (auth) {
      AbortAuth(SmtpStatus(500, "5.5.6", "authentication exchange line too long"));
    } else {
      SendError(SmtpStatus(500, "5.5.2",
                           absl::StrCat("command line too long (limit ", limit, " octets)")));
    }
    return rest.size();
  }
  std::string_view line = rest.substr(0, lf);
  if (Strict() && !auth && (line.empty() || line.back() != '\r')) {
    Close(500, "5.5.2", "bare LF received: SMTP lines end with CRLF; closing");
    return rest.size();
  }
  if (Strict() && !auth && lf + 1 > limit) {
    Close(500, "5.5.2", absl::StrCat("command line too long (limit ", limit, " octets); closing"));
    return rest.size();
  }
  if (Strict() && !auth && rest.size() > lf + 1 &&
      !absl::StartsWithIgnoreCase(AsAbsl(line), "BDAT ")) {
    // No PIPELINING offered (RFC 2920 §3.1 forbids pipelining without it): a command sent
    // before the reply to the one before it is refused, as Postfix's
    // smtpd_reject_unauth_pipelining does. BDAT's chunk follows its line by definition.
    Close(554, "5.5.0",
          "SMTP protocol synchronization: a command was sent before the reply to the one "
          "before it (PIPELINING is not offered); closing");
    return rest.size();
  }
  if (line.empty() || line.back() != '\r') {
    const absl::Status bare =
        SmtpStatus(500, "5.5.2", "bare LF received: SMTP lines end with CRLF");
    if (auth) {
      AbortAuth(bare);
    } else {
      SendError(bare);
    }
    return lf + 1;
  }
  line.remove_suffix(1);
  if (auth) {
    if (line.size() > kMaxSaslLine) {
      AbortAuth(SmtpStatus(500, "5.5.6", "authentication exchange line too long"));
    } else {
      ApplySaslStep(sasl_->Respond(line));
    }
  } else {
    Dispatch(line);
  }
  return lf + 1;
}

size_t Session::ConsumeDataBody(std::string_view rest) {
  std::string chunk;
  const size_t used = data_->Consume(rest, &chunk);
  if (!chunk.empty()) Emit(BodyData{std::move(chunk)});
  if (!data_->finished()) return used;
  message_size_ = data_->message_size();
  switch (data_->verdict()) {
    case DataVerdict::kAccepted:
      MessageComplete();
      break;
    case DataVerdict::kTooLarge:
      FinishRefused(SmtpStatus(552, "5.3.4", "message size exceeds fixed maximum message size"));
      break;
    case DataVerdict::kLineTooLong:
    case DataVerdict::kBareLineEnding:
      FinishRefused(
          SmtpStatus(550, "5.6.0", absl::StrCat("message refused: ", AsAbsl(data_->problem()))));
      break;
  }
  data_.reset();
  return used;
}

size_t Session::ConsumeBdatChunk(std::string_view rest) {
  std::string chunk;
  // A refused chunk's receiver has a zero limit: it consumes and stores nothing.
  const size_t used = bdat_->Consume(rest, &chunk);
  if (bdat_refusal_.ok()) bdat_line_endings_.Scan(rest.substr(0, used));
  if (!chunk.empty()) Emit(BodyData{std::move(chunk)});
  if (bdat_->finished()) BdatChunkDone();
  return used;
}

void Session::BdatChunkDone() {
  const bool too_large = bdat_->too_large();
  const uint64_t chunk_size = bdat_chunk_size_;
  bdat_.reset();
  if (!bdat_refusal_.ok()) {
    // Consumed only to stay in sync; the transaction (if any) is unchanged.
    state_ = state_before_bdat_;
    SendError(std::exchange(bdat_refusal_, absl::OkStatus()));
    return;
  }
  if (too_large) {
    FinishRefused(SmtpStatus(552, "5.3.4", "message size exceeds fixed maximum message size"));
    return;
  }
  message_size_ += chunk_size;  // within max_message_size: no overflow
  if (bdat_last_) {
    const std::optional<uint64_t> bare = bdat_line_endings_.Finish();
    if (bare.has_value() && config_.bare_line_endings == BareLineEndings::kReject &&
        envelope_->parameters.body != BodyType::kBinaryMime) {
      FinishRefused(SmtpStatus(
          550, "5.6.0",
          absl::StrCat("message refused: bare CR or LF at message octet ", *bare,
                       " in a BDAT message that is not BODY=BINARYMIME (SMTP smuggling defence)")));
      return;
    }
    MessageComplete();
    return;
  }
  state_ = SessionState::kBdatOpen;
  Send(250, "2.0.0", absl::StrCat(chunk_size, " octets received"));
}

void Session::MessageComplete() {
  state_ = SessionState::kAwaitingCommit;
  Emit(MessageReady{*envelope_, message_size_});
}

void Session::FinishRefused(const absl::Status& status) {
  ResetTransaction(AsStd(status.message()));
  state_ = SessionState::kGreeted;
  SendError(status);
}

SessionOutputs Session::Commit(absl::StatusOr<std::string> queue_id) {
  if (state_ != SessionState::kAwaitingCommit) return {};
  state_ = SessionState::kGreeted;
  if (queue_id.ok()) {
    Envelope envelope = std::move(*envelope_);
    const uint64_t size = message_size_;
    envelope_.reset();
    message_size_ = 0;
    for (const EnvelopeRecipient& r : envelope.recipients) {
      if (r.disposition == Disposition::kNdr) Emit(NdrQueued{r});
    }
    Emit(MessageQueued{*queue_id, std::move(envelope), size});
    Send(250, "2.0.0", absl::StrCat("Ok: queued as ", *queue_id));
  } else {
    ResetTransaction("the message could not be stored");
    Emit(MessageDiscarded{"the message could not be stored"});
    Send(451, "4.3.0", "local error: the message could not be stored; try again later");
  }
  Process();
  return std::exchange(out_, {});
}

SessionOutputs Session::TlsEstablished() {
  if (state_ != SessionState::kTlsPending) return {};
  // RFC 3207 4.2: forget everything learnt from the client before TLS.
  facts_.tls = true;
  facts_.authenticated = false;
  facts_.identity.clear();
  esmtp_ = false;
  envelope_.reset();
  input_.clear();
  state_ = SessionState::kConnected;
  return {};
}

SessionOutputs Session::Timeout() {
  if (state_ != SessionState::kClosed) {
    Close(421, "4.4.2", absl::StrCat(config_.hostname, " timeout: closing connection"));
    input_.clear();
  }
  return std::exchange(out_, {});
}

void Session::Send(int code, std::string_view enhanced, std::string_view text) {
  SendLines(code, enhanced, {std::string(text)});
}

void Session::SendLines(int code, std::string_view enhanced, std::vector<std::string> lines) {
  Emit(SendReply{Reply{code, std::string(enhanced), std::move(lines)},
                 TarpitDelay(facts_, code, config_.tarpit)});
  if (code >= 400 && code != 421 && state_ != SessionState::kClosed) {
    ++errors_;
    if (errors_ >= config_.max_errors) {
      Close(421, "4.7.0", absl::StrCat(config_.hostname, " too many errors: closing connection"));
    }
  }
}

void Session::SendError(const absl::Status& status) {
  const SmtpError error = SmtpErrorOf(status);
  Send(error.code, error.enhanced, error.reason);
}

void Session::Close(int code, std::string_view enhanced, std::string_view text) {
  ResetTransaction(text);
  sasl_.reset();
  state_ = SessionState::kClosed;
  Emit(SendReply{Reply{code, std::string(enhanced), {std::string(text)}},
                 TarpitDelay(facts_, code, config_.tarpit)});
  Emit(CloseConnection{std::string(text)});
}

void Session::CrashConnection(std::string_view why) {
  ResetTransaction("connection handler crashed");
  sasl_.reset();
  state_ = SessionState::kClosed;
  input_.clear();
  Emit(ConnectionCrashed{std::string(why)});
  Emit(CloseConnection{"connection handler crashed"});
}

void Session::ResetTransaction(std::string_view why) {
  // Body octets were handed out (or a chunked message is open): they belong to nothing now.
  if (message_size_ > 0 || state_ == SessionState::kBdatOpen || state_ == SessionState::kData ||
      state_ == SessionState::kBdatChunk) {
    Emit(MessageDiscarded{std::string(why)});
  }
  envelope_.reset();
  data_.reset();
  bdat_.reset();
  bdat_refusal_ = absl::OkStatus();
  bdat_line_endings_ = LineEndingScanner();
  message_size_ = 0;
}

}  // namespace smtpgate
