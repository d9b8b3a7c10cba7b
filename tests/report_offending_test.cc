// What the reports highlight: each finding names the transcript line and the exchange entry it
// is about (results JSON "line" and "exchange_index"), checked on real runs against the
// embedded reference server.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/core/profile.h"
#include "harness/report/exchange_text.h"
#include "tests/report_test_support.h"

namespace smtpgate::report {
namespace {

using conformance::ExchangeEntry;
using conformance::TestResult;
using conformance::Verdict;

TestResult RunOne(Profile profile, const std::string& root) {
  conformance::EmbeddedTarget target(profile);
  const conformance::Suite suite =
      conformance::LoadSuite({root}, conformance::UsableNames(target.config().variables));
  EXPECT_TRUE(suite.errors.empty());
  EXPECT_EQ(suite.entries.size(), 1u);
  const absl::StatusOr<conformance::Capabilities> capabilities =
      conformance::ProbeCapabilities(target);
  EXPECT_TRUE(capabilities.ok());
  return conformance::RunTranscript(suite.entries[0].transcript, target, *capabilities,
                                    suite.entries[0].id, suite.entries[0].area);
}

TEST(OffendingStep, ARelayPointsAtTheReplyThatAcceptedTheRecipient) {
  // Replies are not checked (2xx allowed): only the oracle's EXPECT not-relayed fails, and
  // it points at the reply that accepted the token's recipient, not at the end.
  const std::filesystem::path dir = TempDir("offending");
  std::filesystem::create_directories(dir / "relay");
  Spit((dir / "relay" / "oracle-only.smtp").string(),
       "@name oracle-only\n@title T\n@source S\n@severity critical\n"
       "S: 220\nC: EHLO ${helo}\nS: 250\nC: MAIL FROM:<p@${remote_domain}>\nS: 250\n"
       "C: RCPT TO:<${token}@${remote_domain}>\nS: 5xx|2xx\nC: QUIT\nS: 221\n"
       "EXPECT not-relayed\n");
  const TestResult test = RunOne(Profile::kOpenRelay, (dir / "relay").string());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(test.verdict, Verdict::kFail) << test.reason;
  EXPECT_EQ(test.evidence, std::vector<std::string>{"oracle"});
  EXPECT_EQ(OffendingLine(test), 14);  // EXPECT not-relayed
  const int at = OffendingEntry(test);
  ASSERT_GE(at, 1);
  const ExchangeEntry& reply = test.exchange[static_cast<size_t>(at)];
  EXPECT_EQ(reply.direction, ExchangeEntry::Direction::kServer);
  EXPECT_TRUE(absl::StartsWith(reply.data, "250 ")) << reply.data;
  const ExchangeEntry& rcpt = test.exchange[static_cast<size_t>(at - 1)];
  EXPECT_TRUE(absl::StartsWith(rcpt.data, "RCPT TO:<" + test.token)) << rcpt.data;
  EXPECT_LT(static_cast<size_t>(at) + 1, test.exchange.size());  // not the last entry
}

TEST(OffendingStep, AReplyMismatchPointsAtTheReplyAndItsLine) {
  // The guest relays under auth-implies-relay: the S: 550 step after its RCPT gets a 250.
  const TestResult test = RunOne(Profile::kAuthImpliesRelay, SourceDir() +
                                                                 "/tests/testdata/conformance/auth/"
                                                                 "guest-must-not-relay.smtp");
  ASSERT_EQ(test.verdict, Verdict::kFail) << test.reason;
  const int at = OffendingEntry(test);
  ASSERT_GE(at, 1);
  EXPECT_EQ(test.exchange[static_cast<size_t>(at)].direction, ExchangeEntry::Direction::kServer);
  EXPECT_TRUE(absl::StartsWith(test.exchange[static_cast<size_t>(at)].data, "250 "));
  EXPECT_EQ(OffendingLine(test), 17);  // S: 550 5.7.1
  EXPECT_TRUE(absl::StartsWith(test.exchange[static_cast<size_t>(at) - 1].data, "RCPT TO:<"));
  EXPECT_TRUE(absl::StrContains(ExchangeText(test), "<-- here"));
}

TEST(OffendingStep, PassingTestsPointNowhere) {
  const TestResult test =
      RunOne(Profile::kSecure,
             SourceDir() + "/tests/testdata/conformance/relay/kb304897-1-remote-to-remote.smtp");
  EXPECT_EQ(test.verdict, Verdict::kPass) << test.reason;
  EXPECT_EQ(OffendingEntry(test), -1);
  EXPECT_FALSE(absl::StrContains(ExchangeText(test), "<-- here"));
}

}  // namespace
}  // namespace smtpgate::report
