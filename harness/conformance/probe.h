// `smtpgate probe`: what one anonymous session learns about a server. Connects, reads the
// banner and the EHLO reply, does STARTTLS when offered and reads the EHLO reply again
// inside TLS, times an anonymous relay attempt's 5xx (a tar pit delays it), then QUITs.
// Nothing is delivered: the probe never sends DATA. Printing is in probe_command.h.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_PROBE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_PROBE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/core/reply.h"

namespace smtpgate::conformance {

struct ProbeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 25;
  std::string helo = "client.test";
  std::string remote_domain = "remote.invalid";  // sender and recipient of the relay attempt
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reply_timeout{10000};
  // The relay attempt's reply may be held back by a tar pit: it gets this long.
  std::chrono::milliseconds refusal_timeout{60000};
};

// One EHLO reply, taken apart.
struct EhloFacts {
  Reply reply;
  std::vector<std::string> keywords;  // every line after the greeting: "SIZE 10485760", ...
  std::vector<std::string> auth;      // AUTH mechanisms, upper case ("PLAIN", "LOGIN")
  bool starttls = false;
  std::optional<uint64_t> size;  // SIZE's limit (0: no fixed limit)
  bool ok() const { return reply.code == 250; }
};

struct ProbeResult {
  std::string peer;         // "127.0.0.1:2525"
  Reply banner;             // the 220
  std::string banner_host;  // its first word, when it looks like a host name (else empty)
  EhloFacts ehlo;           // before TLS
  bool starttls_offered = false;
  bool tls = false;                   // the STARTTLS handshake succeeded
  std::string tls_problem;            // why not, when offered
  std::optional<EhloFacts> ehlo_tls;  // the EHLO reply inside TLS
  // The anonymous relay attempt: MAIL FROM:<probe@R>, RCPT TO:<probe-x@R>.
  std::optional<Reply> mail_reply;
  std::optional<Reply> rcpt_reply;
  // The first 5xx reply of the attempt and how long it took (from the command's send).
  std::optional<Reply> refusal;
  std::string refused_command;  // "MAIL" or "RCPT"
  std::chrono::milliseconds refusal_delay{0};
  std::chrono::milliseconds accepted_delay{0};  // MAIL's 250, for comparison
  std::string refusal_problem;                  // no 5xx: what happened instead
  std::vector<std::string> notes;               // other things the user should know

  // The EHLO facts that count for the rest of the session (inside TLS when it worked).
  const EhloFacts& effective_ehlo() const { return ehlo_tls ? *ehlo_tls : ehlo; }
  int tarpit_seconds() const;  // whole seconds of refusal_delay when >= 1 s, else 0
};

// Errors (nothing useful was learned; `probe` exits 3): kUnavailable / kDeadlineExceeded /
// kNotFound "cannot connect to HOST:PORT: ...", "no banner from HOST:PORT within N ms",
// "HOST:PORT refused the session: 554 ...". Everything after the banner is reported in the
// result instead.
absl::StatusOr<ProbeResult> Probe(const ProbeOptions& options);

// "SIZE 10485760" → facts; exposed for tests.
EhloFacts ParseEhlo(const Reply& reply);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_PROBE_H_
