// The command table of the reference session: for each verb, the states it is allowed in,
// a check (validation only, no effect) and a proceed (the effect). Relay and sender
// decisions come from the policy (harness/policy), never from here.
#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/session.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr uint32_t Bit(SessionState state) { return 1u << static_cast<int>(state); }

// States in which a command line is read at all.
constexpr uint32_t kCommandStates = Bit(SessionState::kConnected) | Bit(SessionState::kGreeted) |
                                    Bit(SessionState::kMail) | Bit(SessionState::kRcpt) |
                                    Bit(SessionState::kBdatOpen);

// 503 with a reason that says what the client should have done.
absl::Status OutOfSequence(Verb verb, SessionState state) {
  std::string_view why;
  switch (state) {
    case SessionState::kConnected:
      why = verb == Verb::kAuth ? "send EHLO first" : "send HELO or EHLO first";
      break;
    case SessionState::kGreeted:
      why = verb == Verb::kRcpt ? "send MAIL first" : "send MAIL and RCPT first";
      break;
    case SessionState::kMail:
      why = verb == Verb::kData ? "no valid recipients" : "a mail transaction is in progress";
      break;
    case SessionState::kRcpt:
      why = "a mail transaction is in progress";
      break;
    case SessionState::kBdatOpen:
      why = verb == Verb::kData ? "DATA is not allowed after BDAT in the same transaction"
                                : "a BDAT transfer is in progress: send BDAT ... LAST or RSET";
      break;
    default:
      why = "not allowed now";
      break;
  }
  return SmtpStatus(
      503, "5.5.1",
      absl::StrCat("bad sequence of commands: ", AsAbsl(VerbName(verb)), ": ", AsAbsl(why)));
}

}  // namespace

const Session::CommandSpec* FindCommandSpec(Verb verb) {
  using S = SessionState;
  using Spec = Session::CommandSpec;
  static constexpr std::array<Spec, kVerbCount> kTable = {{
      {Verb::kHelo, kCommandStates, &Session::CheckNone, &Session::ProceedHelo},
      {Verb::kEhlo, kCommandStates, &Session::CheckNone, &Session::ProceedHelo},
      {Verb::kMail, Bit(S::kGreeted), &Session::CheckMail, &Session::ProceedMail},
      {Verb::kRcpt, Bit(S::kMail) | Bit(S::kRcpt), &Session::CheckRcpt, &Session::ProceedRcpt},
      {Verb::kData, Bit(S::kRcpt), &Session::CheckData, &Session::ProceedData},
      {Verb::kRset, kCommandStates, &Session::CheckNone, &Session::ProceedRset},
      {Verb::kNoop, kCommandStates, &Session::CheckNone, &Session::ProceedNoop},
      {Verb::kQuit, kCommandStates, &Session::CheckNone, &Session::ProceedQuit},
      {Verb::kVrfy, kCommandStates, &Session::CheckNone, &Session::ProceedVrfy},
      {Verb::kExpn, kCommandStates, &Session::CheckNone, &Session::ProceedExpn},
      {Verb::kHelp, kCommandStates, &Session::CheckNone, &Session::ProceedHelp},
      {Verb::kStartTls, Bit(S::kGreeted), &Session::CheckStartTls, &Session::ProceedStartTls},
      {Verb::kAuth, Bit(S::kGreeted), &Session::CheckAuth, &Session::ProceedAuth},
      // BDAT is read in every command state: a BDAT out of sequence still announces a chunk
      // that must be consumed before the refusal, or the stream desynchronises (MS02-012).
      {Verb::kBdat, kCommandStates, &Session::CheckNone, &Session::ProceedBdat},
  }};
  for (const Spec& spec : kTable) {
    if (spec.verb == verb) return &spec;
  }
  return nullptr;
}

void Session::Dispatch(std::string_view line) {
  absl::StatusOr<Command> command = ParseCommand(line, CommandOptionsNow());
  if (!command.ok()) {
    const bool bdat = line.size() >= 4 &&
                      absl::EqualsIgnoreCase(AsAbsl(line.substr(0, 4)), "BDAT") &&
                      (line.size() == 4 || line[4] == ' ');
    if (bdat) {
      OnBadBdat(command.status());
    } else {
      SendError(command.status());
    }
    return;
  }
  const CommandSpec* spec = FindCommandSpec(command->verb);
  if (spec == nullptr || (spec->allowed_states & Bit(state_)) == 0) {
    SendError(OutOfSequence(command->verb, state_));
    return;
  }
  if (absl::Status status = (this->*spec->check)(*command); !status.ok()) {
    SendError(status);
    return;
  }
  (this->*spec->proceed)(*command);
}

CommandOptions Session::CommandOptionsNow() const {
  CommandOptions options = config_.command;
  options.smtputf8_transaction = envelope_.has_value() && envelope_->parameters.smtputf8;
  return options;
}

// ---- checks: validation only ----

absl::Status Session::CheckNone(const Command&) { return absl::OkStatus(); }

absl::Status Session::CheckMail(const Command& command) {
  if (config_.require_tls && !facts_.tls) {
    return SmtpStatus(530, "5.7.0", "must issue a STARTTLS command first");
  }
  if (config_.auth_required && !facts_.authenticated) {
    return SmtpStatus(530, "5.7.0", "authentication required");
  }
  if (command.mail.size.has_value() && *command.mail.size > config_.max_message_size) {
    return SmtpStatus(552, "5.3.4",
                      absl::StrCat("declared SIZE ", *command.mail.size, " exceeds the limit of ",
                                   config_.max_message_size, " octets"));
  }
  // RFC 4954 5: AUTH=<mailbox> from a client that did not authenticate is not an identity.
  const Decision decision = DecideSender(facts_, command.path, config_.users, config_.policy);
  if (!decision.allowed()) {
    return SmtpStatus(decision.code, decision.enhanced, decision.reason);
  }
  return absl::OkStatus();
}

absl::Status Session::CheckRcpt(const Command&) {
  if (envelope_->recipients.size() >= config_.max_recipients) {
    return SmtpStatus(452, "4.5.3",
                      absl::StrCat("too many recipients (limit ", config_.max_recipients, ")"));
  }
  return absl::OkStatus();
}

absl::Status Session::CheckData(const Command&) {
  if (envelope_->parameters.body == BodyType::kBinaryMime) {
    return SmtpStatus(503, "5.5.1", "BODY=BINARYMIME requires BDAT, not DATA (RFC 3030)");
  }
  return absl::OkStatus();
}

absl::Status Session::CheckAuth(const Command& command) {
  if (!esmtp_) return SmtpStatus(503, "5.5.1", "bad sequence of commands: send EHLO first");
  if (facts_.authenticated) return SmtpStatus(503, "5.5.1", "already authenticated");
  if (!config_.auth_enabled) return SmtpStatus(502, "5.5.1", "AUTH not available");
  if (config_.auth_requires_tls && !facts_.tls) {
    return SmtpStatus(538, "5.7.11", "encryption required for requested authentication mechanism");
  }
  if (!ParseSaslMechanism(command.argument).has_value()) {
    return SmtpStatus(504, "5.5.4",
                      absl::StrCat("unrecognized authentication mechanism ", command.argument,
                                   " (offered: PLAIN LOGIN)"));
  }
  return absl::OkStatus();
}

absl::Status Session::CheckStartTls(const Command&) {
  if (facts_.tls) return SmtpStatus(503, "5.5.1", "TLS already active");
  if (!config_.tls_available) return SmtpStatus(502, "5.5.1", "STARTTLS not available");
  if (facts_.authenticated) {
    return SmtpStatus(503, "5.5.1", "STARTTLS is not allowed after AUTH");
  }
  return absl::OkStatus();
}

// ---- proceeds: the effect ----

void Session::ProceedHelo(const Command& command) {
  ResetTransaction("HELO/EHLO reset the transaction");
  esmtp_ = command.verb == Verb::kEhlo;
  state_ = SessionState::kGreeted;
  Emit(Greeted{esmtp_, command.argument});
  const std::string hello = absl::StrCat(config_.hostname, " greets ", command.argument);
  if (!esmtp_) {
    Send(250, "", hello);
    return;
  }
  std::vector<std::string> lines = EhloKeywords();
  lines.insert(lines.begin(), hello);
  SendLines(250, "", std::move(lines));
}

std::vector<std::string> Session::EhloKeywords() const {
  std::vector<std::string> keywords = {
      "PIPELINING", absl::StrCat("SIZE ", config_.max_message_size),
      "8BITMIME",   "BINARYMIME",
      "CHUNKING",   "SMTPUTF8",
      "DSN",        "ENHANCEDSTATUSCODES",
  };
  if (config_.tls_available && !facts_.tls) keywords.push_back("STARTTLS");
  if (AuthOffered()) keywords.push_back("AUTH PLAIN LOGIN");
  keywords.push_back("HELP");
  if (config_.policy.profile == Profile::kStrict) {  // strict: no PIPELINING offered
    keywords.erase(keywords.begin());
  }
  return keywords;
}

bool Session::AuthOffered() const {
  return config_.auth_enabled && (!config_.auth_requires_tls || facts_.tls);
}

void Session::ProceedMail(const Command& command) {
  envelope_ = Envelope{command.path, command.mail, {}};
  message_size_ = 0;
  bdat_line_endings_ = LineEndingScanner();
  state_ = SessionState::kMail;
  Emit(MailAccepted{command.path});
  Send(250, "2.1.0", absl::StrCat("sender ", FormatPath(command.path), " ok"));
}

void Session::ProceedRcpt(const Command& command) {
  const Decision decision = DecideRecipient(facts_, command.path, config_.users, config_.policy);
  if (!decision.allowed()) {
    Emit(RecipientRejected{command.path, decision.code, decision.reason});
    Send(decision.code, decision.enhanced, decision.reason);
    return;
  }
  EnvelopeRecipient recipient{command.path, decision.routing_domain, decision.disposition,
                              decision.reason};
  envelope_->recipients.push_back(recipient);
  state_ = SessionState::kRcpt;
  Emit(RecipientAccepted{std::move(recipient)});
  Send(decision.code, decision.enhanced,
       absl::StrCat("recipient ", FormatPath(command.path), " ok"));
}

DataReceiverOptions DataReceiverOptionsFor(const SessionConfig& config) {
  DataReceiverOptions options;
  options.max_message_size = config.max_message_size;
  options.bare_line_endings = config.bare_line_endings;
  if (config.policy.profile == Profile::kBareLfEod) {
    // EMULATION PROFILE bare-lf-eod: <LF>.<LF> ends DATA, as on smuggling-prone servers.
    options.lf_dot_lf_ends_data = true;
    options.bare_line_endings = BareLineEndings::kKeep;
  }
  return options;
}

void Session::ProceedData(const Command&) {
  data_.emplace(DataReceiverOptionsFor(config_));
  state_ = SessionState::kData;
  Send(354, "", "End data with <CR><LF>.<CR><LF>");
}

void Session::ProceedBdat(const Command& command) {
  // Where a refused chunk returns to once its octets are consumed.
  state_before_bdat_ = state_;
  bdat_refusal_ = absl::OkStatus();
  if (!esmtp_) {
    // CHUNKING is only negotiated by EHLO (RFC 3030 §2); the chunk is still consumed.
    bdat_refusal_ =
        SmtpStatus(503, "5.5.1", "bad sequence of commands: BDAT requires EHLO (CHUNKING)");
  } else if (state_ != SessionState::kRcpt && state_ != SessionState::kBdatOpen) {
    bdat_refusal_ = OutOfSequence(Verb::kBdat, state_);
  }
  if (!bdat_refusal_.ok() && config_.policy.profile == Profile::kMs02012) {
    OnBadBdat(absl::Status(bdat_refusal_));  // a copy: OnBadBdat resets the transaction
    return;
  }
  bdat_chunk_size_ = command.bdat_size;
  bdat_last_ = command.bdat_last;
  if (bdat_refusal_.ok()) {
    bdat_.emplace(command.bdat_size, message_size_, config_.max_message_size);
  } else {
    bdat_.emplace(command.bdat_size, 0, 0);  // store nothing
  }
  state_ = SessionState::kBdatChunk;
  if (bdat_->finished()) BdatChunkDone();  // BDAT 0 [LAST]
}

void Session::OnBadBdat(absl::Status status) {
  if (config_.policy.profile == Profile::kMs02012) {
    // EMULATION PROFILE ms02-012: one malformed data-transfer command stops the service.
    ResetTransaction("service stopped");
    state_ = SessionState::kClosed;
    Emit(ServiceStopped{absl::StrCat("malformed BDAT: ", status.message())});
    Emit(CloseConnection{"service stopped"});
    return;
  }
  // The end of the chunk is unknowable: refuse and close rather than guess (RFC 3030).
  const SmtpError error = SmtpErrorOf(status);
  Close(error.code, error.enhanced,
        absl::StrCat(error.reason, "; closing: the chunk boundary is unknown"));
}

void Session::ProceedAuth(const Command& command) {
  sasl_.emplace(*ParseSaslMechanism(command.argument), command.auth_initial_response);
  if (config_.policy.profile == Profile::kNullSessionAuth) sasl_->AllowNullSession();
  state_ = SessionState::kAuth;
  ApplySaslStep(sasl_->Begin());
}

void Session::ApplySaslStep(SaslStep step) {
  switch (step.kind) {
    case SaslStep::Kind::kChallenge:
      Send(334, "", step.challenge);
      return;
    case SaslStep::Kind::kFailed:
      AbortAuth(step.error);
      return;
    case SaslStep::Kind::kCredentials:
      break;
  }
  sasl_.reset();
  state_ = SessionState::kGreeted;
  const SaslCredentials& c = step.credentials;
  absl::StatusOr<std::string> identity =
      config_.users.Authenticate(c.authzid, c.authcid, c.password);
  if (config_.policy.profile == Profile::kNullSessionAuth && c.authcid.empty() &&
      c.password.empty()) {
    // EMULATION PROFILE null-session-auth: empty credentials authenticate, as MS02-011's
    // NTLM null session did. The identity is no account, so the policy still refuses relay.
    identity = std::string("anonymous");
  }
  if (!identity.ok()) {
    Emit(AuthFailed{std::string(identity.status().message())});
    SendError(identity.status());
    return;
  }
  facts_.authenticated = true;
  facts_.identity = *identity;
  Emit(AuthSucceeded{c.authcid, *identity});
  Send(235, "2.7.0", "authentication successful");
}

void Session::AbortAuth(const absl::Status& status) {
  sasl_.reset();
  state_ = SessionState::kGreeted;
  Emit(AuthFailed{std::string(status.message())});
  SendError(status);
}

void Session::ProceedStartTls(const Command&) {
  state_ = SessionState::kTlsPending;
  Send(220, "2.0.0", "ready to start TLS");
  Emit(StartTls{});  // after the 220 has been sent
  // Process() drops whatever was pipelined after STARTTLS (CVE-2011-0411).
}

void Session::ProceedRset(const Command&) {
  ResetTransaction("RSET");
  if (state_ != SessionState::kConnected) state_ = SessionState::kGreeted;
  Send(250, "2.0.0", "Ok");
}

void Session::ProceedNoop(const Command&) { Send(250, "2.0.0", "Ok"); }

void Session::ProceedQuit(const Command&) {
  ResetTransaction("QUIT");
  state_ = SessionState::kClosed;
  Emit(SendReply{Reply{221, "2.0.0", {absl::StrCat(config_.hostname, " closing connection")}},
                 std::chrono::milliseconds(0)});
  Emit(CloseConnection{"QUIT"});
}

void Session::ProceedVrfy(const Command&) {
  // Never tell whether a user exists (directory harvest, KB 842851).
  Send(252, "2.0.0", "cannot VRFY user, but will accept message and attempt delivery");
}

void Session::ProceedExpn(const Command&) { Send(502, "5.5.1", "EXPN not available"); }

void Session::ProceedHelp(const Command&) {
  Send(214, "2.0.0", "smtpgate reference server; see RFC 5321");
}

}  // namespace smtpgate
