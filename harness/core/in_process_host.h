// A host for a Session inside the process: no socket, messages "stored" in memory (Commit
// is immediate), STARTTLS "handshakes" at once. It is what the unit tests, the fuzzers, the
// benchmarks and the embedded conformance target use to drive the reference server.
#ifndef SMTPGATE_HARNESS_CORE_IN_PROCESS_HOST_H_
#define SMTPGATE_HARNESS_CORE_IN_PROCESS_HOST_H_

#include <string>
#include <string_view>
#include <vector>

#include "harness/core/session.h"

namespace smtpgate {

struct StoredMessage {
  std::string queue_id;
  Envelope envelope;
  std::string body;
};

class InProcessHost {
 public:
  InProcessHost(const SessionConfig& config, std::string client_address = "127.0.0.1");

  // The banner.
  std::vector<SendReply> Start();
  // Client bytes in; the replies they caused (events are kept, see below).
  std::vector<SendReply> Feed(std::string_view bytes);
  // Sends `line` + CRLF; returns the replies it caused.
  std::vector<SendReply> Line(std::string_view line) { return Feed(std::string(line) + "\r\n"); }

  // When false, Commit() fails as a full disk would (451, nothing queued).
  void set_storage_ok(bool ok) { storage_ok_ = ok; }

  const std::vector<StoredMessage>& queued() const { return queued_; }
  // Every output that is not a reply, in order.
  const std::vector<SessionOutput>& events() const { return events_; }
  bool closed() const { return closed_; }
  bool service_stopped() const { return service_stopped_; }
  // Profile per-connection-crash: why this connection's handler died (empty: it did not).
  const std::string& crashed() const { return crashed_; }
  // Octets of body handed out for the message in progress.
  size_t pending_body() const { return body_.size(); }
  Session& session() { return session_; }

  // Recipients that were (or would be) relayed, over all queued messages.
  std::vector<EnvelopeRecipient> Relayed() const;

 private:
  void Absorb(SessionOutputs outputs, std::vector<SendReply>& replies);

  Session session_;
  bool storage_ok_ = true;
  bool closed_ = false;
  bool service_stopped_ = false;
  std::string crashed_;
  int next_id_ = 1;
  std::string body_;
  std::vector<StoredMessage> queued_;
  std::vector<SessionOutput> events_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_IN_PROCESS_HOST_H_
