// The reference SMTP server state machine (RFC 5321 + ESMTP), sans-IO.
//
// Bytes in (Feed), replies and events out (session_output.h). No socket, no clock, no
// global state: the Asio server, the in-process conformance target and the fuzzers all
// drive the same Session. Commands are dispatched from one table (session_commands.cc):
// each verb has the states it is allowed in, a check (validation, no effect) and a
// proceed (the effect). Relay decisions are made only by the policy (harness/policy).
#ifndef SMTPGATE_HARNESS_CORE_SESSION_H_
#define SMTPGATE_HARNESS_CORE_SESSION_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/core/bdat_receiver.h"
#include "harness/core/command.h"
#include "harness/core/data_receiver.h"
#include "harness/core/line_ending_scanner.h"
#include "harness/core/sasl.h"
#include "harness/core/session_output.h"
#include "harness/policy/policy.h"
#include "harness/policy/user_directory.h"

namespace smtpgate {

struct SessionConfig {
  std::string hostname = "mx.example.test";
  PolicyConfig policy;  // local/relay domains, trusted networks, profile, ...
  UserDirectory users;

  bool tls_available = false;     // the host can do STARTTLS (advertised until active)
  bool auth_enabled = true;       // AUTH PLAIN LOGIN offered at all
  bool auth_requires_tls = true;  // ...only once TLS is active (false for loopback test setups)
  bool require_tls = false;       // MAIL before STARTTLS → 530 5.7.0
  bool auth_required = false;     // MAIL before AUTH → 530 5.7.0

  uint64_t max_message_size = uint64_t{10} * 1024 * 1024;  // advertised as SIZE
  size_t max_recipients = 100;                             // per message; more → 452 4.5.3
  int max_errors = 10;                                     // error replies before 421 and close
  std::chrono::milliseconds tarpit{0};  // KB 842851: delay of 5xx to anonymous clients
  // DATA bodies with a bare CR or LF (SMTP smuggling): refuse the message after its end
  // (kReject, the default) or keep the octets as data (kKeep). Neither ever ends DATA.
  BareLineEndings bare_line_endings = BareLineEndings::kReject;
  CommandOptions command;  // line limit, path leniencies
  // Input buffered while the session waits (for Commit or TLS) before it gives up.
  size_t max_pending_input = size_t{64} * 1024;
};

// How a session wires its DATA receiver for `config` (limits, bare line endings, and the
// bare-lf-eod profile's flaw). The fuzz targets use it so that no profile's option can be
// flipped unseen.
DataReceiverOptions DataReceiverOptionsFor(const SessionConfig& config);

enum class SessionState {
  kConnected,       // banner sent, no HELO/EHLO yet
  kGreeted,         // HELO/EHLO done, no transaction
  kMail,            // MAIL accepted, no recipient yet
  kRcpt,            // at least one recipient accepted
  kData,            // reading a DATA body
  kBdatChunk,       // reading the octets of a BDAT chunk
  kBdatOpen,        // between BDAT chunks of one message (no LAST yet)
  kAuth,            // inside an AUTH exchange
  kAwaitingCommit,  // message complete; waiting for the host to store it (Commit)
  kTlsPending,      // STARTTLS accepted; waiting for the host's handshake (TlsEstablished)
  kClosed,          // QUIT, 421, or a fatal error: nothing more is read
};
inline constexpr int kSessionStateCount = 11;
std::string_view SessionStateName(SessionState state);

class Session {
 public:
  // `config` must outlive the session (one config is shared by all sessions of a server).
  // `facts.client_address` is the peer address; the other facts start false.
  Session(const SessionConfig& config, SessionFacts facts);

  // The 220 banner. Call once, first.
  SessionOutputs Start();
  // Client bytes, in any chunking. Returns what to send and what happened, in order.
  SessionOutputs Feed(std::string_view bytes);
  // After MessageReady: the outcome of storing the message (OK: the id it is queued as).
  SessionOutputs Commit(absl::StatusOr<std::string> queue_id);
  // After StartTls: the handshake succeeded. Everything learnt before TLS is forgotten
  // (RFC 3207 4.2); the client must EHLO again.
  SessionOutputs TlsEstablished();
  // The host's idle timer fired (RFC 5321 4.5.3.2): 421 and close.
  SessionOutputs Timeout();

  SessionState state() const { return state_; }
  bool closed() const { return state_ == SessionState::kClosed; }
  const SessionFacts& facts() const { return facts_; }
  const SessionConfig& config() const { return config_; }
  // Octets fed but not yet processed (bounded by the line limit or max_pending_input).
  size_t buffered() const { return input_.size(); }
  int errors() const { return errors_; }

  // One row of the command table (session_commands.cc).
  struct CommandSpec {
    Verb verb;
    uint32_t allowed_states;  // bit (1 << SessionState)
    absl::Status (Session::*check)(const Command&);
    void (Session::*proceed)(const Command&);
  };

 private:
  // Input processing (session.cc).
  void Process();
  // Each returns how many octets of `rest` it used (0: needs more input).
  size_t ConsumeLine(std::string_view rest, size_t limit, bool auth);
  size_t ConsumeDataBody(std::string_view rest);
  size_t ConsumeBdatChunk(std::string_view rest);
  void Dispatch(std::string_view line);
  void BdatChunkDone();
  void MessageComplete();

  // Replies and events.
  void Send(int code, std::string_view enhanced, std::string_view text);
  void SendLines(int code, std::string_view enhanced, std::vector<std::string> lines);
  void SendError(const absl::Status& status);
  void Emit(SessionOutput output) { out_.push_back(std::move(output)); }
  void Close(int code, std::string_view enhanced, std::string_view text);
  void ResetTransaction(std::string_view why);
  void CrashConnection(std::string_view why);  // profile per-connection-crash only
  bool Strict() const { return config_.policy.profile == Profile::kStrict; }
  void FinishRefused(const absl::Status& status);  // the message is refused; back to kGreeted

  // Command table: checks (no effect) and proceeds (effect), session_commands.cc.
  absl::Status CheckHelo(const Command& command);
  absl::Status CheckMail(const Command& command);
  absl::Status CheckRcpt(const Command& command);
  absl::Status CheckData(const Command& command);
  absl::Status CheckBdat(const Command& command);
  absl::Status CheckAuth(const Command& command);
  absl::Status CheckStartTls(const Command& command);
  absl::Status CheckNone(const Command& command);
  void ProceedHelo(const Command& command);
  void ProceedMail(const Command& command);
  void ProceedRcpt(const Command& command);
  void ProceedData(const Command& command);
  void ProceedBdat(const Command& command);
  void ProceedAuth(const Command& command);
  void ProceedStartTls(const Command& command);
  void ProceedRset(const Command& command);
  void ProceedNoop(const Command& command);
  void ProceedQuit(const Command& command);
  void ProceedVrfy(const Command& command);
  void ProceedExpn(const Command& command);
  void ProceedHelp(const Command& command);
  void OnBadBdat(absl::Status status);
  void ApplySaslStep(SaslStep step);
  void AbortAuth(const absl::Status& status);
  std::vector<std::string> EhloKeywords() const;
  bool AuthOffered() const;
  CommandOptions CommandOptionsNow() const;

  friend const CommandSpec* FindCommandSpec(Verb verb);

  const SessionConfig& config_;
  SessionFacts facts_;
  SessionState state_ = SessionState::kConnected;
  SessionOutputs out_;
  std::string input_;
  bool discarding_line_ = false;  // skipping the rest of an over-long command line
  int errors_ = 0;
  bool esmtp_ = false;

  // The current transaction.
  std::optional<Envelope> envelope_;
  uint64_t message_size_ = 0;
  bool message_too_large_ = false;  // a BDAT chunk passed the size limit
  std::optional<DataReceiver> data_;
  std::optional<BdatReceiver> bdat_;
  uint64_t bdat_chunk_size_ = 0;
  bool bdat_last_ = false;     // the chunk being read ends the message
  absl::Status bdat_refusal_;  // not OK: consumed only to stay in sync,
                               // then this reply is owed
  SessionState state_before_bdat_ = SessionState::kConnected;  // where a refused chunk returns
  // BDAT messages that are not BODY=BINARYMIME must have CRLF line endings too (RFC 3030 §3;
  // SMTP smuggling defence), across chunk boundaries.
  LineEndingScanner bdat_line_endings_;
  std::optional<SaslServer> sasl_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_SESSION_H_
