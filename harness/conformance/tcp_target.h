// A server under test over TCP (SmtpClient per connection), with its delivery oracle: a
// sink this process runs, a sink record file, or none (relay outcomes are then WARN).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_

#include <memory>
#include <string>

#include "harness/conformance/server_process.h"
#include "harness/conformance/target.h"
#include "harness/net/sink.h"

namespace smtpgate::conformance {

class TcpTarget : public Target {
 public:
  // `sink` and `process` may be null; both must outlive the target.
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
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TCP_TARGET_H_
