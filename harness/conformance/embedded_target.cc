#include "harness/conformance/embedded_target.h"

#include <deque>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/conformance/variables.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

bool Contains(std::string_view haystack, std::string_view token) {
  return absl::AsciiStrToLower(AsAbsl(haystack)).find(absl::AsciiStrToLower(AsAbsl(token))) !=
         std::string::npos;
}

// The emulated service of one transcript run: every connection's host, and whether the
// service has stopped.
struct Service {
  explicit Service(const SessionConfig& session_config) : config(session_config) {}
  const SessionConfig& config;
  std::vector<std::unique_ptr<InProcessHost>> hosts;
  std::optional<std::string> stopped;
};

class EmbeddedConnection : public Connection {
 public:
  EmbeddedConnection(Service& service, InProcessHost& host) : service_(service), host_(host) {
    Take(host_.Start());
  }

  absl::Status Send(std::string_view bytes) override {
    if (closed_locally_) return absl::FailedPreconditionError("connection closed");
    if (host_.closed() || service_.stopped) return absl::OkStatus();  // the octets vanish
    Take(host_.Feed(bytes));
    return absl::OkStatus();
  }

  ReadResult Read(std::chrono::milliseconds timeout) override {
    ReadResult result;
    if (!pending_.empty()) {
      result.kind = ReadResult::Kind::kReply;
      result.reply = std::move(pending_.front().reply);
      result.elapsed = pending_.front().delay;
      pending_.pop_front();
      return result;
    }
    if (stopped_here_) {
      result.kind = ReadResult::Kind::kReset;  // the process died under the connection
      result.detail = "connection reset (service stopped)";
    } else if (!host_.crashed().empty()) {
      result.kind = ReadResult::Kind::kReset;  // this connection's handler died
      result.detail = "connection reset (its handler crashed)";
    } else if (host_.closed() || closed_locally_) {
      result.kind = ReadResult::Kind::kClosed;
      result.detail = "connection closed by server";
    } else {
      result.kind = ReadResult::Kind::kTimeout;
      result.elapsed = timeout;
    }
    return result;
  }

  absl::Status StartTls() override {
    const std::vector<SessionOutput>& events = host_.events();
    for (; tls_events_seen_ < events.size(); ++tls_events_seen_) {
      if (std::holds_alternative<smtpgate::StartTls>(events[tls_events_seen_])) {
        ++tls_events_seen_;
        return absl::OkStatus();  // InProcessHost completed the "handshake" at once
      }
    }
    return absl::FailedPreconditionError("the server did not start TLS (no STARTTLS accepted)");
  }

  void Close() override { closed_locally_ = true; }

 private:
  void Take(std::vector<SendReply> replies) {
    for (SendReply& reply : replies) pending_.push_back(std::move(reply));
    if (host_.service_stopped() && !service_.stopped) {
      std::string reason = "service stopped";
      for (const SessionOutput& event : host_.events()) {
        if (const auto* stop = std::get_if<ServiceStopped>(&event)) reason = stop->reason;
      }
      while (!reason.empty() && (reason.back() == ' ' || reason.back() == ':')) reason.pop_back();
      service_.stopped = reason;
      stopped_here_ = true;
    }
  }

  Service& service_;
  InProcessHost& host_;
  std::deque<SendReply> pending_;
  size_t tls_events_seen_ = 0;
  bool closed_locally_ = false;
  bool stopped_here_ = false;
};

class EmbeddedRun : public TargetRun {
 public:
  explicit EmbeddedRun(const SessionConfig& config) : service_(config) {}

  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    if (service_.stopped) {
      return absl::UnavailableError(
          absl::StrCat("connection refused: service stopped (crash): ", *service_.stopped));
    }
    service_.hosts.push_back(std::make_unique<InProcessHost>(service_.config));
    return std::make_unique<EmbeddedConnection>(service_, *service_.hosts.back());
  }

  OracleView oracle() const override {
    return OracleView{
        .sees_relay = true, .sees_local = true, .settled = true, .name = "embedded queue"};
  }

  absl::StatusOr<std::vector<OracleMessage>> Messages(std::string_view token) override {
    std::vector<OracleMessage> out;
    for (const auto& host : service_.hosts) {
      for (const StoredMessage& stored : host->queued()) {
        OracleMessage message;
        message.sender = PathAddress(stored.envelope.sender);
        message.body = stored.body;
        bool carries = Contains(message.sender, token) || Contains(stored.body, token);
        for (const EnvelopeRecipient& recipient : stored.envelope.recipients) {
          message.recipients.push_back(PathAddress(recipient.path));
          carries = carries || Contains(message.recipients.back(), token);
          message.relayed = message.relayed || recipient.relay();
          message.local = message.local || recipient.disposition == Disposition::kDeliverLocal;
        }
        // One service per run: any relayed message is this run's.
        if (carries || message.relayed) out.push_back(std::move(message));
      }
    }
    return out;
  }

  std::vector<std::string> AcceptedForRelay() const override {
    std::vector<std::string> out;
    for (const auto& host : service_.hosts) {
      for (const SessionOutput& event : host->events()) {
        if (const auto* accepted = std::get_if<RecipientAccepted>(&event)) {
          if (accepted->recipient.relay()) out.push_back(FormatPath(accepted->recipient.path));
        }
      }
    }
    return out;
  }

  std::optional<std::string> ServiceDown() override {
    if (!service_.stopped) return std::nullopt;
    return absl::StrCat("service stopped (crash): ", *service_.stopped);
  }

  // The emulated service's log: what a forking MTA's master writes when a child dies.
  bool WatchesCrashLog() const override { return true; }
  absl::StatusOr<std::vector<std::string>> CrashEvidence() override {
    std::vector<std::string> lines;
    for (; crashes_reported_ < service_.hosts.size(); ++crashes_reported_) {
      const std::string& why = service_.hosts[crashes_reported_]->crashed();
      if (why.empty()) continue;
      lines.push_back(absl::StrCat("embedded service log: connection ", crashes_reported_ + 1,
                                   ": handler killed by signal 11 (SIGSEGV; emulation profile ",
                                   AsAbsl(ProfileName(service_.config.policy.profile)),
                                   "): ", why));
    }
    return lines;
  }

 private:
  Service service_;
  size_t crashes_reported_ = 0;
};

}  // namespace

EmbeddedTarget::EmbeddedTarget(Profile profile) : profile_(profile), session_(DemoConfig(profile)) {
  session_.tls_available = true;  // simulated: InProcessHost "handshakes" at once
  session_.tarpit = std::chrono::seconds(kEmbeddedTarpitSeconds);
  config_ = DemoTarget("embedded", 0);
  config_.file.clear();
  config_.tls = TlsMode::kStartTls;
  config_.variables = DemoVariables(kEmbeddedTarpitSeconds);
  config_.tarpit_seconds = kEmbeddedTarpitSeconds;
  config_.oracle_wait = std::chrono::milliseconds(0);
  config_.grace = std::chrono::milliseconds(0);
  config_.oracle.sees_local = true;
}

std::string EmbeddedTarget::Describe() const {
  return absl::StrCat("embedded (profile ", AsAbsl(ProfileName(profile_)), ")");
}

std::unique_ptr<TargetRun> EmbeddedTarget::Begin() {
  return std::make_unique<EmbeddedRun>(session_);
}

}  // namespace smtpgate::conformance
