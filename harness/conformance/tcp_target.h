// A server under test over TCP (SmtpClient per connection), with its delivery oracle: a
// sink this process runs, a sink record file, or none (relay outcomes are then WARN), plus
// the local mailboxes the target file names (mailbox_oracle.h); and its crash log
// (crash_log.h).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_

#include <memory>
#include <optional>
#include <string>

#include "harness/conformance/crash_log.h"
#include "harness/conformance/server_process.h"
#include "harness/conformance/target.h"
#include "harness/net/sink.h"

namespace smtpgate::conformance {

class TcpTarget : public Target {
 public:
  // `sink` and `process` may be null; both must outlive the target. A crash pattern that
  // does not compile (ParseTargetFile rejects those) watches nothing.
  TcpTarget(TargetConfig config, Sink* sink, ServerProcess* process);

  std::string Describe() const override;
  const TargetConfig& config() const override { return config_; }
  bool simulated_time() const override { return false; }
  bool tls_possible() const override { return config_.tls != TlsMode::kNone; }
  std::unique_ptr<TargetRun> Begin() override;

 private:
  TargetConfig config_;
  Sink* sink_;
  ServerProcess* process_;
  std::optional<CrashPattern> crash_pattern_;  // set when [server] crash_log names files
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_
