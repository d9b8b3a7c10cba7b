// The shared oracle deadline of a suite run (harness/conformance/oracle_clock.h): the wait
// is 3 x the slowest positive control, within the target file's bounds, from the last
// session's end; with no control, the upper bound.
#include "harness/conformance/oracle_clock.h"

#include <chrono>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpgate::conformance {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(OracleClock, NoControlWaitsTheUpperBound) {
  OracleClock clock(milliseconds(250), milliseconds(2000));
  EXPECT_EQ(clock.Wait(), milliseconds(2000));
  EXPECT_THAT(clock.Describe(), HasSubstr("no positive control arrived"));
}

TEST(OracleClock, ThreeTimesTheSlowestControlWithinTheBounds) {
  OracleClock clock(milliseconds(250), milliseconds(2000));
  clock.RecordArrival(milliseconds(10));
  EXPECT_EQ(clock.Wait(), milliseconds(250));  // 30 ms: raised to the lower bound
  clock.RecordArrival(milliseconds(200));
  clock.RecordArrival(milliseconds(50));  // a faster one does not lower it
  EXPECT_EQ(clock.Wait(), milliseconds(600));
  EXPECT_EQ(clock.Describe(),
            "shared oracle deadline 600 ms after the last session (3 x 200 ms, the slowest of "
            "3 positive control(s), within 250..2000 ms)");
  clock.RecordArrival(milliseconds(1500));
  EXPECT_EQ(clock.Wait(), milliseconds(2000));  // 4500 ms: capped at the upper bound
}

TEST(OracleClock, ALowerBoundAboveTheUpperIsTheUpper) {
  OracleClock clock(milliseconds(5000), milliseconds(100));
  clock.RecordArrival(milliseconds(1));
  EXPECT_EQ(clock.Wait(), milliseconds(100));
}

TEST(OracleClock, TheDeadlineCountsFromTheLastSession) {
  OracleClock clock(milliseconds(250), milliseconds(2000));
  clock.RecordArrival(milliseconds(100));
  const OracleClock::Clock::time_point t0 = OracleClock::Clock::now();
  clock.SessionEnded(t0 + milliseconds(40));
  clock.SessionEnded(t0);  // an earlier end reported later does not move it back
  EXPECT_EQ(clock.Deadline(), t0 + milliseconds(40) + milliseconds(300));
}

TEST(OracleClock, ConcurrentRecordsKeepTheWorst) {
  OracleClock clock(milliseconds(0), milliseconds(100000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&clock, t] {
      for (int i = 0; i < 1000; ++i) clock.RecordArrival(milliseconds(t * 1000 + i));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Wait(), milliseconds(3 * 7999));
  EXPECT_THAT(clock.Describe(), HasSubstr("the slowest of 8000 positive control(s)"));
}

}  // namespace
}  // namespace smtpgate::conformance
