// One oracle deadline for a whole run, calibrated from the run's own positive controls.
//
// A negative outcome ("not relayed", "one message", ...) can only pass after waiting long
// enough for a late delivery to show. Waiting per test costs the full wait once per test;
// instead the runner keeps those checks pending and decides them all at one deadline: the
// end of the last session plus a wait measured in this run, where the positive controls
// (a message that must be relayed or delivered) show how long the server takes from the
// end of a session to the message's arrival. The wait is that latency at its worst times
// a safety factor, kept within the target file's bounds ([timeouts] oracle_min_ms ..
// oracle_wait_ms); with no control measured it is the upper bound.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_ORACLE_CLOCK_H_
#define SMTPGATE_HARNESS_CONFORMANCE_ORACLE_CLOCK_H_

#include <chrono>
#include <mutex>
#include <string>

namespace smtpgate::conformance {

class OracleClock {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kSafetyFactor = 3;

  OracleClock(std::chrono::milliseconds floor, std::chrono::milliseconds ceiling);

  // A positive control's message arrived `latency` after its session ended.
  void RecordArrival(std::chrono::milliseconds latency);
  // A session whose negative checks are pending ended at `when`.
  void SessionEnded(Clock::time_point when);

  // clamp(kSafetyFactor x the worst latency, floor, ceiling); the ceiling when none was
  // measured.
  std::chrono::milliseconds Wait() const;
  // The last session's end plus Wait().
  Clock::time_point Deadline() const;
  // For reasons: "shared oracle deadline 450 ms after the last session (3 x 150 ms, the
  // slowest of 4 positive controls)".
  std::string Describe() const;

 private:
  std::chrono::milliseconds WaitLocked() const;

  const std::chrono::milliseconds floor_;
  const std::chrono::milliseconds ceiling_;
  mutable std::mutex mutex_;
  std::chrono::milliseconds worst_{0};
  int controls_ = 0;
  Clock::time_point last_end_{};
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_ORACLE_CLOCK_H_
