// The embedded target: the reference server in-process (InProcessHost over DemoConfig(P)),
// with simulated STARTTLS and a simulated 2 s tar pit. Each transcript run gets a fresh
// emulated *service*: its connections share one queue (the oracle), and once a session
// emits ServiceStopped (profile ms02-012) every later connection is refused.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_EMBEDDED_TARGET_H_
#define SMTPGATE_HARNESS_CONFORMANCE_EMBEDDED_TARGET_H_

#include <memory>
#include <string>

#include "harness/conformance/target.h"
#include "harness/core/profile.h"
#include "harness/core/session.h"

namespace smtpgate::conformance {

inline constexpr int kEmbeddedTarpitSeconds = 2;

class EmbeddedTarget : public Target {
 public:
  explicit EmbeddedTarget(Profile profile);

  std::string Describe() const override;
  const TargetConfig& config() const override { return config_; }
  bool simulated_time() const override { return true; }
  bool tls_possible() const override { return true; }
  std::unique_ptr<TargetRun> Begin() override;

  Profile profile() const { return profile_; }
  const SessionConfig& session_config() const { return session_; }

 private:
  Profile profile_;
  SessionConfig session_;
  TargetConfig config_;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_EMBEDDED_TARGET_H_
