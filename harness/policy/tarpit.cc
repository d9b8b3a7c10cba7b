#include "harness/policy/tarpit.h"

#include <chrono>

namespace smtpgate {

std::chrono::milliseconds TarpitDelay(const SessionFacts& facts, int reply_code,
                                      std::chrono::milliseconds tarpit) {
  const bool permanent_failure = reply_code >= 500 && reply_code <= 599;
  if (!permanent_failure || facts.authenticated || tarpit <= std::chrono::milliseconds::zero()) {
    return std::chrono::milliseconds::zero();
  }
  return tarpit;
}

}  // namespace smtpgate
