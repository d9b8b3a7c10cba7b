#include "harness/conformance/tcp_target.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/conformance/mailbox_oracle.h"
#include "harness/core/smtp_status.h"
#include "harness/net/smtp_client.h"

namespace smtpgate::conformance {
namespace {

class TcpConnection : public Connection {
 public:
  explicit TcpConnection(std::unique_ptr<SmtpClient> client) : client_(std::move(client)) {}

  absl::Status Send(std::string_view bytes) override { return client_->Send(bytes); }

  ReadResult Read(std::chrono::milliseconds timeout) override {
    ReadResult result;
    absl::StatusOr<TimedReply> reply = client_->ReadReply(timeout);
    if (reply.ok()) {
      result.kind = ReadResult::Kind::kReply;
      result.reply = std::move(reply->reply);
      result.elapsed = reply->elapsed;
      return result;
    }
    result.detail = std::string(reply.status().message());
    if (absl::IsDeadlineExceeded(reply.status())) {
      result.kind = ReadResult::Kind::kTimeout;
      result.elapsed = timeout;
    } else if (absl::IsInvalidArgument(reply.status())) {
      result.kind = ReadResult::Kind::kMalformed;
    } else if (absl::IsUnavailable(reply.status()) &&
               !absl::StrContains(reply.status().message(), "reset")) {
      result.kind = ReadResult::Kind::kClosed;
    } else {
      result.kind = ReadResult::Kind::kReset;
    }
    return result;
  }

  absl::Status StartTls() override { return client_->StartTls(); }
  size_t plaintext_discarded() const override { return client_->plaintext_discarded(); }
  void Close() override { client_->Close(); }

 private:
  std::unique_ptr<SmtpClient> client_;
};

std::string DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return absl::AsciiStrToLower(AsAbsl(address.substr(at + 1)));
}

class TcpRun : public TargetRun {
 public:
  TcpRun(const TargetConfig& config, Sink* sink, ServerProcess* process,
         const std::optional<CrashPattern>& crash_pattern)
      : config_(config), sink_(sink), process_(process) {
    if (process_ != nullptr) generation_ = process_->EnsureRunning();
    // The snapshots are taken here, when the test begins: only what appears later counts.
    if (config_.oracle.reads_mailboxes()) {
      mailboxes_.emplace(config_.oracle.maildirs, config_.oracle.mboxes);
    }
    if (crash_pattern) crash_log_.emplace(config_.crash_log.files, *crash_pattern);
  }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    ClientOptions options;
    options.host = config_.host;
    options.port = config_.port;
    options.connect_timeout = config_.connect_timeout;
    options.reply_timeout = config_.reply_timeout;
    options.mode = ReadMode::kLenient;
    absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
    if (!client.ok()) return client.status();
    if (config_.tls == TlsMode::kImplicit) {
      if (absl::Status tls = (*client)->StartTls(); !tls.ok()) {
        return absl::UnavailableError(absl::StrCat("implicit TLS handshake: ", tls.message()));
      }
    }
    return std::make_unique<TcpConnection>(*std::move(client));
  }

  OracleView oracle() const override {
    OracleView view{.sees_relay = false, .sees_local = false, .settled = true, .name = "none"};
    if (sink_ != nullptr) {
      view = OracleView{.sees_relay = true,
                        .sees_local = config_.oracle.sees_local,
                        .settled = false,
                        .name = absl::StrCat("sink ", sink_->address())};
    } else if (!config_.oracle.sink_record.empty()) {
      view = OracleView{.sees_relay = true,
                        .sees_local = config_.oracle.sees_local,
                        .settled = false,
                        .name = absl::StrCat("sink record ", config_.oracle.sink_record)};
    }
    if (mailboxes_) {
      view.sees_local = true;
      view.settled = false;  // local delivery may happen after the 250
      view.name = view.sees_relay ? absl::StrCat(view.name, " + ", mailboxes_->Describe())
                                  : mailboxes_->Describe();
    }
    return view;
  }

  absl::StatusOr<std::vector<OracleMessage>> Messages(std::string_view token) override {
    std::vector<SinkMessage> found;
    if (sink_ != nullptr) {
      found = sink_->MessagesWithToken(token);
    } else if (!config_.oracle.sink_record.empty()) {
      absl::StatusOr<std::vector<SinkMessage>> all = Sink::ReadRecord(config_.oracle.sink_record);
      if (absl::IsNotFound(all.status())) return std::vector<OracleMessage>{};  // nothing yet
      if (!all.ok()) return all.status();
      for (SinkMessage& message : *all) {
        if (MessageHasToken(message, token)) found.push_back(std::move(message));
      }
    }
    const std::string local_domain = absl::AsciiStrToLower(
        AsAbsl(config_.variables.count("local_domain") ? config_.variables.at("local_domain")
                                                       : std::string()));
    std::vector<OracleMessage> out;
    for (SinkMessage& message : found) {
      OracleMessage m;
      m.sender = message.sender;
      m.body = std::move(message.body);
      for (std::string& recipient : message.recipients) {
        const bool local = DomainOf(recipient) == local_domain;
        // Without local deliveries at the sink, everything there was relayed.
        m.relayed = m.relayed || !config_.oracle.sees_local || !local;
        m.local = m.local || (config_.oracle.sees_local && local);
        m.recipients.push_back(std::move(recipient));
      }
      out.push_back(std::move(m));
    }
    if (mailboxes_) {
      absl::StatusOr<std::vector<OracleMessage>> local = mailboxes_->MessagesWithToken(token);
      if (!local.ok()) return local.status();
      for (OracleMessage& m : *local) out.push_back(std::move(m));
      MergeLocalCopies(out);
    }
    return out;
  }

  std::optional<std::string> ServiceDown() override {
    if (process_ == nullptr) return std::nullopt;
    return process_->Dead(generation_);
  }
  bool ServiceDownIsProcessStatus() const override { return process_ != nullptr; }

  bool WatchesCrashLog() const override { return crash_log_.has_value(); }
  absl::StatusOr<std::vector<std::string>> CrashEvidence() override {
    if (!crash_log_) return std::vector<std::string>{};
    return crash_log_->NewMatches();
  }

 private:
  const TargetConfig& config_;
  Sink* sink_;
  ServerProcess* process_;
  int generation_ = 0;
  std::optional<MailboxOracle> mailboxes_;
  std::optional<CrashLog> crash_log_;
};

}  // namespace

TcpTarget::TcpTarget(TargetConfig config, Sink* sink, ServerProcess* process)
    : config_(std::move(config)), sink_(sink), process_(process) {
  if (!config_.crash_log.files.empty()) {
    absl::StatusOr<CrashPattern> pattern = CrashPattern::Compile(config_.crash_log.pattern);
    if (pattern.ok()) crash_pattern_ = *std::move(pattern);
  }
}

std::string TcpTarget::Describe() const {
  std::string text = FormatHostPort(config_.host, config_.port);
  if (!config_.file.empty()) absl::StrAppend(&text, " (", config_.file, ")");
  return text;
}

std::unique_ptr<TargetRun> TcpTarget::Begin() {
  return std::make_unique<TcpRun>(config_, sink_, process_, crash_pattern_);
}

}  // namespace smtpgate::conformance
