// A blocking SMTP client over Asio (plain TCP, STARTTLS), for the conformance runner, the
// outbound relay agent and the tests.
//
// Blocking on purpose: each runner job owns one client on its own thread, and every call
// either finishes or fails within its own deadline. Internally each client has a private
// io_context; every operation is an async op raced against a steady_timer, so no call can
// block longer than its timeout (connect_timeout, reply_timeout or the timeout given).
//
// Reading. Bytes are fed to a ReplyReader (harness/core/reply.h) as they arrive, so a reply
// is complete only at its final "NNN " line, however the server splits it into segments
// (aiosmtpd sends each line of a multi-line reply on its own). Bytes beyond one reply stay
// buffered for the next ReadReply() (pipelined replies that arrive in one segment).
//
// Timing. Each reply carries the time between the last Send() (or the end of connect, for
// the banner) and the arrival of the segment that completed it, on steady_clock: that is
// what tar-pit checks compare. A reply that arrived before the last Send() has elapsed 0.
//
// No exceptions escape: every Asio call uses the error_code overloads, failures are
// absl::Status values. Not thread-safe: one client, one thread.
#ifndef SMTPGATE_HARNESS_NET_SMTP_CLIENT_H_
#define SMTPGATE_HARNESS_NET_SMTP_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/core/reply.h"

namespace smtpgate {

struct ClientOptions {
  std::string host = "127.0.0.1";  // IP literal ("127.0.0.1", "::1", "[::1]") or a name
  uint16_t port = 25;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reply_timeout{30000};  // also bounds Send() and the TLS handshake
  ReadMode mode = ReadMode::kLenient;
};

struct TimedReply {
  Reply reply;
  // From the last Send() (or the end of connect, for the banner) to the arrival of the
  // bytes that completed this reply; steady_clock.
  std::chrono::milliseconds elapsed{0};
};

enum class PeerState {
  kOpen,
  kClosed,  // orderly EOF (FIN, or TLS close_notify / truncation)
  kReset,   // RST or another transport error
};
std::string_view PeerStateName(PeerState state);  // "open", "closed", "reset"

class SmtpClient {
 public:
  // Connects (resolving the host if it is not an IP literal) within connect_timeout. Reads
  // nothing: call ReadReply() for the banner. Errors: kUnavailable "connection refused to
  // 127.0.0.1:2525", kDeadlineExceeded "connect to 127.0.0.1:2525 timed out after 5000 ms",
  // kNotFound when the name does not resolve.
  static absl::StatusOr<std::unique_ptr<SmtpClient>> Connect(const ClientOptions& options);

  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // The next reply, waiting up to reply_timeout (or `timeout`) for it. Errors:
  //  kDeadlineExceeded "no complete reply within N ms" (the connection stays usable; a
  //    partial reply stays buffered),
  //  kUnavailable "connection closed by peer" / "connection reset by peer" (replies already
  //    received are returned first; the message says when an incomplete reply was cut off),
  //  kInvalidArgument "malformed reply: <the ReplyReader's reason>" (reading resumes after
  //    the bad reply),
  //  kFailedPrecondition after Close().
  absl::StatusOr<TimedReply> ReadReply();
  absl::StatusOr<TimedReply> ReadReply(std::chrono::milliseconds timeout);

  // Writes `bytes` as they are, in one write call (a pipelined batch is one Send), within
  // reply_timeout. Starts the clock for the next reply's `elapsed`.
  absl::Status Send(std::string_view bytes);
  // `line` + CRLF, as one write.
  absl::Status SendLine(std::string_view line);

  // The TLS handshake on this connection, now (after the server's 220 to STARTTLS). TLS 1.2
  // or later, no certificate verification (test harness), SNI when `sni` is not empty.
  // Anything received in plaintext but not yet read is discarded first (RFC 3207 4.2: it
  // may be injected); plaintext_discarded() says how many octets that was. Implicit TLS
  // (port 465 style): call it right after Connect(), before reading the banner.
  absl::Status StartTls(std::string_view sni = "");

  // Whether the peer has closed or reset the connection. Waits up to `wait` for that to
  // happen (zero: look once without blocking). Bytes that arrive meanwhile are kept for
  // ReadReply(). Once closed or reset, stays so.
  PeerState Peer(std::chrono::milliseconds wait = {});

  bool tls() const;
  size_t plaintext_discarded() const { return plaintext_discarded_; }
  // Received octets not yet returned as replies (complete replies and a partial one).
  size_t buffered() const;
  // "127.0.0.1:2525" / "[::1]:2525": the server this client is connected to.
  const std::string& peer_name() const { return peer_name_; }
  const ClientOptions& options() const { return options_; }

  // Closes the socket (no QUIT, no TLS close_notify). Idempotent; later calls fail with
  // kFailedPrecondition (Peer() reports kClosed).
  void Close();

  // "AUTH PLAIN <base64(authzid NUL user NUL password)>" (RFC 4616), without CRLF.
  static std::string PlainAuthLine(std::string_view user, std::string_view password,
                                   std::string_view authzid = "");

 private:
  struct Impl;
  struct Received {
    absl::StatusOr<Reply> reply;
    std::chrono::steady_clock::time_point arrived;
  };

  SmtpClient(ClientOptions options, std::unique_ptr<Impl> impl, std::string peer_name);

  // One read_some within `deadline`; feeds the reader. OK: bytes arrived.
  absl::Status ReadSome(std::chrono::steady_clock::time_point deadline);
  void Feed(std::string_view bytes);
  absl::Status PeerGoneStatus() const;

  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
  std::string peer_name_;
  ReplyReader reader_;
  std::deque<Received> ready_;
  std::chrono::steady_clock::time_point mark_;  // last Send() or connect
  PeerState peer_ = PeerState::kOpen;
  bool closed_ = false;
  size_t plaintext_discarded_ = 0;
};

// "host:port", "[v6]:port" or a bare host (default_port). The host is returned without
// brackets. kInvalidArgument on an empty host or a bad port.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t default_port);
// "127.0.0.1:25", "[::1]:25".
std::string FormatHostPort(std::string_view host, uint16_t port);
// True for an IP literal in 127.0.0.0/8 or ::1 (names are never loopback: no DNS).
bool IsLoopbackAddress(std::string_view host);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SMTP_CLIENT_H_
