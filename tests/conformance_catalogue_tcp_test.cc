// The catalogue's mutation check over real sockets: the Asio reference server (what
// `smtpgate serve` runs) on 127.0.0.1 in each emulation profile, its relayed mail handed to
// a sink (the delivery oracle), the whole catalogue run with the TCP target. The verdicts
// must be those of conformance/expectations/embedded.toml, except for transcripts that
// cannot run over TCP against the demo server (no tar pit, local mail not visible to the
// sink): those SKIP, with the reason stated. Relaying is proven by the sink, not by replies.
// Under ms02-012 the server really stops; it is restarted for the next transcript, as
// `conform --server-cmd` does.
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "catalogue_expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/parallel_runner.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target_file.h"
#include "harness/conformance/tcp_target.h"
#include "harness/conformance/variables.h"
#include "harness/conformance/verdict.h"
#include "harness/net/sink.h"
#include "running_server.h"

namespace smtpgate::conformance {
namespace {

class ConformanceCatalogueTcpTest : public ::testing::TestWithParam<Profile> {};

TEST_P(ConformanceCatalogueTcpTest, VerdictsMatchTheExpectations) {
  const std::string source = SourceDir();
  std::string error;
  const auto expectations =
      LoadExpectations(source + "/conformance/expectations/embedded.toml", &error);
  ASSERT_EQ(error, "");
  const Profile profile = GetParam();
  const ProfileExpectation& expected = expectations.at(std::string(ProfileName(profile)));

  absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start("127.0.0.1:0");
  ASSERT_TRUE(sink.ok()) << sink.status();
  auto server = std::make_unique<RunningServer>(profile, (*sink)->address(), 0);
  const uint16_t port = server->port();
  ASSERT_NE(port, 0);

  TargetConfig config = DemoTarget("127.0.0.1", port);
  // The reference server relays right after its 250: a short wait is enough.
  config.oracle_wait = std::chrono::milliseconds(300);
  config.grace = std::chrono::milliseconds(50);
  TcpTarget target(config, sink->get(), nullptr);
  const Suite suite = LoadSuite({source + "/conformance"}, UsableNames(config.variables));
  ASSERT_THAT(suite.errors, ::testing::IsEmpty());
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  ASSERT_TRUE(capabilities.ok()) << capabilities.status();

  const auto start = std::chrono::steady_clock::now();
  std::vector<TestResult> results;
  if (profile == Profile::kMs02012) {
    // One at a time: a transcript that stops the service must not take others with it.
    for (const SuiteEntry& entry : suite.entries) {
      if (server->stopped()) {
        server = std::make_unique<RunningServer>(profile, (*sink)->address(), port);
      }
      results.push_back(
          RunTranscript(entry.transcript, target, *capabilities, entry.id, entry.area));
    }
  } else {
    std::vector<const SuiteEntry*> entries;
    for (const SuiteEntry& entry : suite.entries) entries.push_back(&entry);
    results = RunAll(entries, target, *capabilities, /*jobs=*/6, [](const TestResult&) {});
    EXPECT_FALSE(server->stopped());
  }
  std::set<std::string> failed, skipped;
  for (const TestResult& r : results) {
    const std::string describe = r.name + ": " + r.reason;
    switch (r.verdict) {
      case Verdict::kFail:
        failed.insert(r.name);
        EXPECT_TRUE(r.severity == Severity::kCritical || r.severity == Severity::kHigh) << describe;
        EXPECT_TRUE(expected.fail.contains(r.name)) << "unexpected FAIL " << describe;
        break;
      case Verdict::kSkip:
        skipped.insert(r.name);
        // Only what SKIPs embedded too, and the transcripts that need a tar pit or a view of
        // local mail, may SKIP here.
        EXPECT_TRUE(expected.skip.contains(r.name) ||
                    absl::StartsWith(r.reason, "requires tarpit:") ||
                    absl::StartsWith(r.reason, "requires local-oracle:"))
            << "unexpected SKIP " << describe;
        break;
      case Verdict::kError:
        ADD_FAILURE() << "ERROR " << describe;
        break;
      case Verdict::kWarn:
        EXPECT_TRUE(expected.warn.contains(r.name)) << "unexpected WARN " << describe;
        break;
      case Verdict::kPass:
        break;
    }
  }
  std::cout << "[ catalogue/tcp ] profile " << ProfileName(profile) << ": " << suite.entries.size()
            << " transcripts in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms, " << failed.size() << " FAIL, " << skipped.size() << " SKIP\n";
  // Every flaw the embedded run detects is detected over TCP too, unless the transcript
  // cannot run here (SKIP).
  for (const std::string& name : expected.fail) {
    EXPECT_TRUE(failed.contains(name) || skipped.contains(name))
        << ProfileName(profile) << ": " << name << " should FAIL over TCP too";
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, ConformanceCatalogueTcpTest,
                         ::testing::Values(Profile::kSecure, Profile::kOpenRelay,
                                           Profile::kAuthImpliesRelay, Profile::kMs02012,
                                           Profile::kBareLfEod, Profile::kNullSessionAuth,
                                           Profile::kPerConnectionCrash, Profile::kStrict),
                         [](const ::testing::TestParamInfo<Profile>& p) {
                           std::string name(ProfileName(p.param));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace smtpgate::conformance
