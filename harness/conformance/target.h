// What the runner needs from a server under test: connections (send bytes, read replies,
// TLS), a delivery oracle and the service's health. Two implementations: the in-process
// reference server (embedded_target.h) and a real server over TCP (tcp_target.h).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TARGET_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TARGET_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/conformance/target_file.h"
#include "harness/core/reply.h"

namespace smtpgate::conformance {

struct ReadResult {
  enum class Kind {
    kReply,
    kClosed,     // orderly close, no (further) reply
    kReset,      // reset / transport error
    kTimeout,    // nothing within the time given
    kMalformed,  // bytes that are not a reply (detail says why)
  };
  Kind kind = Kind::kTimeout;
  Reply reply;
  std::chrono::milliseconds elapsed{0};  // how long the reply took (see each target)
  std::string detail;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // One write. An error means the peer is gone (the next read says how).
  virtual absl::Status Send(std::string_view bytes) = 0;
  // The next reply, waiting up to `timeout`.
  virtual ReadResult Read(std::chrono::milliseconds timeout) = 0;
  // The TLS handshake, now (after the server's 220 to STARTTLS).
  virtual absl::Status StartTls() = 0;
  // Octets that arrived in plaintext after the 220 to STARTTLS and were dropped before the
  // handshake (RFC 3207 4.2): a server that answers injected commands in plaintext.
  virtual size_t plaintext_discarded() const { return 0; }
  virtual void Close() = 0;
};

struct OracleMessage {
  std::string sender;                   // "local@domain", "" for the null sender
  std::vector<std::string> recipients;  // "local@domain"
  std::string body;
  bool relayed = false;  // left the server for another domain
  bool local = false;    // delivered to a local mailbox
  // False for a stored message whose envelope sender is not recorded (no Return-Path).
  bool sender_known = true;
  std::string where;  // for reasons: "Maildir file /.../new/123.x", or "" (the sink)
};

struct OracleView {
  bool sees_relay = false;  // relayed mail reaches the oracle
  bool sees_local = false;  // local deliveries reach it too
  bool settled = false;     // everything is already visible: no point in waiting
  std::string name;         // "embedded queue", "sink 127.0.0.1:2526", "none"
};

// One transcript's view of the target (the embedded target gives each its own server).
class TargetRun {
 public:
  virtual ~TargetRun() = default;
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect() = 0;
  virtual OracleView oracle() const = 0;
  // Messages that reached the oracle so far carrying `token` (envelope or body).
  virtual absl::StatusOr<std::vector<OracleMessage>> Messages(std::string_view token) = 0;
  // Recipients the server accepted for relay (embedded only: its own decisions).
  virtual std::vector<std::string> AcceptedForRelay() const { return {}; }
  // Why the service is down (stopped, process died), if it is.
  virtual std::optional<std::string> ServiceDown() { return std::nullopt; }
  // The evidence kind of ServiceDown(): process status (a watched process) or liveness.
  virtual bool ServiceDownIsProcessStatus() const { return false; }
  // Whether the target file names a crash log ([server] crash_log).
  virtual bool WatchesCrashLog() const { return false; }
  // The crash-log lines ("FILE: LINE") that matched since this run began (or since the
  // last call); an error when a log exists but cannot be read.
  virtual absl::StatusOr<std::vector<std::string>> CrashEvidence() {
    return std::vector<std::string>{};
  }
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string Describe() const = 0;  // "embedded (profile secure)", "127.0.0.1:2525"
  virtual const TargetConfig& config() const = 0;
  // Replies are timed on a simulated clock: SLEEP does not wait, delays are not waited for.
  virtual bool simulated_time() const = 0;
  // TLS can be used with this target at all (STARTTLS steps are skipped otherwise).
  virtual bool tls_possible() const = 0;
  virtual std::unique_ptr<TargetRun> Begin() = 0;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TARGET_H_
