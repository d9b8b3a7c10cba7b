// What a Session says back: replies (each with an optional tar-pit delay) and events, in
// one ordered stream. The host (Asio server, in-process conformance target, fuzzer) sends
// the replies and acts on the events; the session itself never touches a socket or clock.
#ifndef SMTPGATE_HARNESS_CORE_SESSION_OUTPUT_H_
#define SMTPGATE_HARNESS_CORE_SESSION_OUTPUT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "harness/core/address.h"
#include "harness/core/command.h"
#include "harness/core/reply.h"
#include "harness/policy/policy.h"

namespace smtpgate {

// A reply to send, after `delay` (the tar pit; zero unless the policy says otherwise).
struct SendReply {
  Reply reply;
  std::chrono::milliseconds delay{0};
};

struct Greeted {  // HELO or EHLO accepted
  bool esmtp = false;
  std::string domain;
};

struct AuthSucceeded {
  std::string authcid;
  std::string identity;  // the authorization identity (authzid, or authcid when none)
};

struct AuthFailed {
  std::string reason;  // never contains credentials
};

struct MailAccepted {
  Path sender;
};

struct EnvelopeRecipient {
  Path path;                   // as sent
  std::string routing_domain;  // the domain the policy decided on (after completion)
  Disposition disposition = Disposition::kReject;
  std::string reason;
  bool relay() const { return disposition == Disposition::kRelay; }
};

struct RecipientAccepted {
  EnvelopeRecipient recipient;
};

struct RecipientRejected {
  Path path;
  int code = 0;
  std::string reason;
};

struct Envelope {
  Path sender;
  MailParameters parameters;
  std::vector<EnvelopeRecipient> recipients;
};

// Message octets as they arrive (DATA dot-unstuffed; BDAT as sent), for the host to store.
struct BodyData {
  std::string bytes;
};

// The whole message has arrived and passed every check. The session sends no reply and
// reads no further input until the host calls Session::Commit() with the outcome of
// storing it durably: "250 after DATA" means "on disk".
struct MessageReady {
  Envelope envelope;
  uint64_t size = 0;
};

// The host confirmed storage; the message is queued for these recipients.
struct MessageQueued {
  std::string queue_id;
  Envelope envelope;
  uint64_t size = 0;
};

// A recipient that was accepted but cannot be delivered (unknown local user with recipient
// filtering off, KB 304897 tests 6 and 7): the server will bounce, never relay.
struct NdrQueued {
  EnvelopeRecipient recipient;
};

// Body octets already handed out belong to no message: drop them.
struct MessageDiscarded {
  std::string reason;
};

// The host must start the TLS handshake now, then call Session::TlsEstablished().
struct StartTls {};

// Emulation profile ms02-012 only: the service is dead (the host exits non-zero).
struct ServiceStopped {
  std::string reason;
};

// Emulation profile per-connection-crash only: this connection's handler died, as a forked
// child of a real MTA does. The host drops the connection without a reply, logs the crash
// as such a daemon would ("... killed by signal 11"), and goes on serving other clients.
struct ConnectionCrashed {
  std::string reason;
};

// The host must close the connection (after sending any reply before this event).
struct CloseConnection {
  std::string reason;
};

using SessionOutput =
    std::variant<SendReply, Greeted, AuthSucceeded, AuthFailed, MailAccepted, RecipientAccepted,
                 RecipientRejected, BodyData, MessageReady, MessageQueued, NdrQueued,
                 MessageDiscarded, StartTls, ServiceStopped, ConnectionCrashed, CloseConnection>;

using SessionOutputs = std::vector<SessionOutput>;

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_SESSION_OUTPUT_H_
