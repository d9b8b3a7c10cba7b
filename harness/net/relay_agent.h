// The outbound relay agent: delivers the reference server's relayed mail to a loopback
// smarthost (normally the sink, the delivery oracle). Nothing ever leaves the machine: the
// relay host must be a loopback IP literal (127.0.0.0/8 or ::1); names are refused (no DNS).
//
// Spool layout (harness/net/spool.h; the agent reads the files itself because smtpgate_server,
// which holds the spool, depends on this library):
//   <spool_dir>/outbound/<id>.eml   the message body, byte-identical to what was received
//   <spool_dir>/outbound/<id>.env   JSON: {"sender": "a@b" (or "" for <>),
//                                          "recipients": [{"address": "c@d",
//                                                          "routing_domain": "d", ...}], ...}
// <id>.env is the "ready" marker (the spool links the .eml in first): an id is delivered
// when its .env exists; an .eml alone is left alone. Addresses may be bare ("c@d") or
// bracketed ("<c@d>"); they are sent bracketed, without source route. Other keys are
// ignored, and so is routing_domain (every message goes to the one smarthost). When done,
// <id>.env is removed before <id>.eml, as spool.h asks of its consumers.
//
// Delivery: one SMTP connection per message (SmtpClient): EHLO (HELO if refused), MAIL FROM
// (with BODY=8BITMIME / SIZE= when the smarthost offers them), RCPT TO for each recipient,
// DATA with dot-stuffing, QUIT. A body that does not end with CRLF gets one before the end
// mark (DATA cannot carry it otherwise). On the 250 to the end of data both files are
// removed; on any failure (including a refused recipient: partial delivery is not
// attempted, so a retry never duplicates) they stay and the error names the message id.
#ifndef SMTPGATE_HARNESS_NET_RELAY_AGENT_H_
#define SMTPGATE_HARNESS_NET_RELAY_AGENT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace smtpgate {

struct RelayOptions {
  std::string helo = "smtpgate-relay.localhost";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reply_timeout{30000};
};

struct RelayReport {
  std::vector<std::string> delivered;  // message ids, in delivery order
  std::vector<std::string> failed;     // message ids left in the spool
};

// Delivers every complete message in <spool_dir>/outbound to `relay_host` ("127.0.0.1:2526",
// "[::1]:2526", or a bare loopback IP for port 25). A missing outbound directory is nothing to
// do. Errors: kInvalidArgument for a non-loopback or malformed relay_host (nothing is
// touched); otherwise every message is tried and the first failure's code is returned with
// a message naming each failed id and why: "1 of 3 outbound messages not delivered:
// 000017: relay 127.0.0.1:2526 answered \"550 5.7.1 no\" to RCPT TO:<x@y>".
absl::Status DeliverOutbound(const std::string& spool_dir, const std::string& relay_host);
absl::Status DeliverOutbound(const std::string& spool_dir, const std::string& relay_host,
                             const RelayOptions& options, RelayReport* report = nullptr);

// One parsed .env file (exposed for tests and tools).
struct OutboundEnvelope {
  std::string sender;                   // bracketed: "<a@b>" or "<>"
  std::vector<std::string> recipients;  // bracketed: "<c@d>"
};
absl::StatusOr<OutboundEnvelope> ParseOutboundEnvelope(std::string_view json_text);

// RFC 5321 4.5.2 transparency: a "." that starts a line (at the start of the body or after
// CRLF; bare LF and CR never start a line, as in the core DataReceiver) is doubled.
std::string DotStuff(std::string_view body);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_RELAY_AGENT_H_
