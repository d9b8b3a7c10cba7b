// The built-in demonstration configuration of the reference server: what `smtpgate serve`
// runs without --config and what `--embedded` conformance runs are made against.
//   domains example.test and mx.example.test (the host name); mailboxes alice, bob, postmaster;
//   AUTH accounts relayer/relayer-pass (may relay) and guest/guest-pass (may not);
//   AUTH allowed without TLS (the demo listens on loopback only).
#ifndef SMTPGATE_HARNESS_CORE_DEMO_CONFIG_H_
#define SMTPGATE_HARNESS_CORE_DEMO_CONFIG_H_

#include "harness/core/profile.h"
#include "harness/core/session.h"

namespace smtpgate {

SessionConfig DemoConfig(Profile profile = Profile::kSecure);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_DEMO_CONFIG_H_
