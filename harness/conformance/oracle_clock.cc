#include "harness/conformance/oracle_clock.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace smtpgate::conformance {

OracleClock::OracleClock(std::chrono::milliseconds floor, std::chrono::milliseconds ceiling)
    : floor_(std::min(floor, ceiling)), ceiling_(ceiling) {}

void OracleClock::RecordArrival(std::chrono::milliseconds latency) {
  std::lock_guard<std::mutex> lock(mutex_);
  worst_ = std::max(worst_, latency);
  ++controls_;
}

void OracleClock::SessionEnded(Clock::time_point when) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_end_ = std::max(last_end_, when);
}

std::chrono::milliseconds OracleClock::WaitLocked() const {
  if (controls_ == 0) return ceiling_;
  return std::clamp(worst_ * kSafetyFactor, floor_, ceiling_);
}

std::chrono::milliseconds OracleClock::Wait() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return WaitLocked();
}

OracleClock::Clock::time_point OracleClock::Deadline() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_end_ + WaitLocked();
}

std::string OracleClock::Describe() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t wait = WaitLocked().count();
  if (controls_ == 0) {
    return absl::StrCat("shared oracle deadline ", wait,
                        " ms after the last session (oracle_wait_ms: no positive control "
                        "arrived in this run to calibrate from)");
  }
  return absl::StrCat("shared oracle deadline ", wait, " ms after the last session (",
                      kSafetyFactor, " x ", worst_.count(), " ms, the slowest of ", controls_,
                      " positive control(s), within ", floor_.count(), "..", ceiling_.count(),
                      " ms)");
}

}  // namespace smtpgate::conformance
