// The tar pit of KB 842851 (Windows Server 2003 SP1, TarpitTime): every reply carrying a
// 5xx code is delayed on anonymous sessions, so a dictionary attacker probing which local
// addresses exist (recipient filtering answers 550 5.1.1 for unknown users) goes slowly.
// Authenticated sessions are never slowed.
//
// A pure function: the session returns the delay with the reply; the caller owns the clock.
#ifndef SMTPGATE_HARNESS_POLICY_TARPIT_H_
#define SMTPGATE_HARNESS_POLICY_TARPIT_H_

#include <chrono>

#include "harness/policy/policy.h"

namespace smtpgate {

// `tarpit` for a 5xx reply (500..599) to a session that is not authenticated, zero
// otherwise (2xx, 3xx, 4xx, authenticated sessions, and a zero or negative tarpit = off).
std::chrono::milliseconds TarpitDelay(const SessionFacts& facts, int reply_code,
                                      std::chrono::milliseconds tarpit);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_POLICY_TARPIT_H_
