#include "harness/core/in_process_host.h"

#include <type_traits>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpgate {

InProcessHost::InProcessHost(const SessionConfig& config, std::string client_address)
    : session_(config, SessionFacts{.client_address = std::move(client_address),
                                    .authenticated = false,
                                    .identity = {},
                                    .tls = false}) {}

std::vector<SendReply> InProcessHost::Start() {
  std::vector<SendReply> replies;
  Absorb(session_.Start(), replies);
  return replies;
}

std::vector<SendReply> InProcessHost::Feed(std::string_view bytes) {
  std::vector<SendReply> replies;
  Absorb(session_.Feed(bytes), replies);  // a closed session must ignore it by itself
  return replies;
}

void InProcessHost::Absorb(SessionOutputs outputs, std::vector<SendReply>& replies) {
  // Commit and TlsEstablished produce more output; handle it in order, iteratively.
  while (!outputs.empty()) {
    SessionOutputs more;
    for (SessionOutput& output : outputs) {
      if (auto* reply = std::get_if<SendReply>(&output)) {
        replies.push_back(std::move(*reply));
        continue;
      }
      if (auto* data = std::get_if<BodyData>(&output)) {
        body_.append(data->bytes);
        continue;  // body octets are not kept as events (they can be large)
      }
      if (auto* ready = std::get_if<MessageReady>(&output)) {
        if (storage_ok_) {
          const std::string id = absl::StrCat("M", next_id_++);
          queued_.push_back(StoredMessage{id, ready->envelope, std::exchange(body_, {})});
          more = session_.Commit(id);
        } else {
          body_.clear();
          more = session_.Commit(absl::UnavailableError("storage disabled"));
        }
      } else if (std::holds_alternative<MessageDiscarded>(output)) {
        body_.clear();
      } else if (std::holds_alternative<StartTls>(output)) {
        more = session_.TlsEstablished();
      } else if (std::holds_alternative<ServiceStopped>(output)) {
        service_stopped_ = true;
      } else if (const auto* crash = std::get_if<ConnectionCrashed>(&output)) {
        crashed_ = crash->reason;
      } else if (std::holds_alternative<CloseConnection>(output)) {
        closed_ = true;
      }
      events_.push_back(std::move(output));
    }
    outputs = std::move(more);
  }
}

std::vector<EnvelopeRecipient> InProcessHost::Relayed() const {
  std::vector<EnvelopeRecipient> relayed;
  for (const StoredMessage& message : queued_) {
    for (const EnvelopeRecipient& r : message.envelope.recipients) {
      if (r.relay()) relayed.push_back(r);
    }
  }
  return relayed;
}

}  // namespace smtpgate
