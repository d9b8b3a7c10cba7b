// The TCP target end to end: the reference server (`smtpgate serve`'s Server, demo config)
// on 127.0.0.1 with its relayed mail routed to a sink the test runs (the delivery oracle);
// and the --server-cmd process watcher.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/server_process.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/tcp_target.h"
#include "harness/net/sink.h"
#include "running_server.h"
#include "tests/source_dir.h"
#include "tests/suite_runs.h"

namespace smtpgate::conformance {
namespace {

using ::testing::HasSubstr;

std::string TestData() { return SourceDir() + "/tests/testdata/conformance"; }

std::map<std::string, TestResult> RunOverTcp(Profile profile, bool with_sink) {
  std::unique_ptr<Sink> sink;
  if (with_sink) {
    absl::StatusOr<std::unique_ptr<Sink>> started = Sink::Start("127.0.0.1:0");
    EXPECT_TRUE(started.ok()) << started.status();
    sink = *std::move(started);
  }
  RunningServer server(profile, sink ? sink->address() : "");
  TargetConfig config = DemoTarget("127.0.0.1", server.port());
  config.oracle_wait = std::chrono::milliseconds(1000);
  config.grace = std::chrono::milliseconds(50);
  TcpTarget target(config, sink.get(), nullptr);
  const Suite suite = LoadSuite({TestData()}, UsableNames(config.variables));
  EXPECT_TRUE(suite.errors.empty());
  return RunSuiteById(suite, target);
}

TEST(ConformanceTcp, SecureServerWithSink) {
  const auto results = RunOverTcp(Profile::kSecure, /*with_sink=*/true);
  const TestResult& relay = results.at("relay/kb304897-1-remote-to-remote");
  EXPECT_EQ(relay.verdict, Verdict::kPass) << relay.reason;
  EXPECT_THAT(relay.reason, HasSubstr("not relayed (oracle: sink 127.0.0.1:"));
  const TestResult& control = results.at("auth/ms02-011-relayer-positive-control");
  // The relay is proven by the sink; message-contains passes on the relayed copy.
  EXPECT_EQ(control.verdict, Verdict::kPass) << control.reason;
  EXPECT_EQ(results.at("auth/ms02-011-guest-must-not-relay").verdict, Verdict::kPass);
  EXPECT_EQ(results.at("data/ms02-012-bdat-without-mail").verdict, Verdict::kPass);
  EXPECT_EQ(results.at("tls/starttls-command-injection").verdict, Verdict::kPass)
      << results.at("tls/starttls-command-injection").reason;
  // Local mail stays in the spool: the sink cannot see the smuggled local message, so
  // "one message" rests on the reply sequence (and says so).
  const TestResult& smuggling = results.at("data/smuggling-lf-dot-lf");
  EXPECT_EQ(smuggling.verdict, Verdict::kPass) << smuggling.reason;
  EXPECT_THAT(smuggling.reason, HasSubstr("so this rests on the reply sequence"));
  EXPECT_EQ(results.at("tarpit/kb842851-tarpit").verdict, Verdict::kSkip);
  // Real timing: client sends and events are stamped with the time since the test started,
  // so they never go backwards and never pass the test's own duration.
  int64_t last = 0;
  for (const ExchangeEntry& entry : relay.exchange) {
    if (entry.direction == ExchangeEntry::Direction::kServer) continue;
    EXPECT_GE(entry.elapsed_ms, last) << entry.data;
    EXPECT_LE(entry.elapsed_ms, relay.duration.count()) << entry.data;
    last = entry.elapsed_ms;
  }
}

TEST(ConformanceTcp, AuthImpliesRelayIsCaughtByTheOracle) {
  const auto results = RunOverTcp(Profile::kAuthImpliesRelay, /*with_sink=*/true);
  const TestResult& guest = results.at("auth/ms02-011-guest-must-not-relay");
  EXPECT_EQ(guest.verdict, Verdict::kFail);
  EXPECT_THAT(guest.reason, HasSubstr("expected 550 5.7.1"));
  EXPECT_EQ(results.at("auth/ms02-011-relayer-positive-control").verdict, Verdict::kPass);
}

TEST(ConformanceTcp, WithoutASinkRelayVerdictsAreWarn) {
  const auto results = RunOverTcp(Profile::kSecure, /*with_sink=*/false);
  const TestResult& relay = results.at("relay/kb304897-1-remote-to-remote");
  EXPECT_EQ(relay.verdict, Verdict::kWarn);
  EXPECT_THAT(relay.reason, HasSubstr("no delivery oracle"));
  EXPECT_EQ(results.at("auth/ms02-011-relayer-positive-control").verdict, Verdict::kWarn);
}

TEST(ConformanceTcp, Ms02012ServerStopsAndTheFreshConnectionFails) {
  const auto results = RunOverTcp(Profile::kMs02012, /*with_sink=*/true);
  const TestResult& bdat = results.at("data/ms02-012-bdat-without-mail");
  EXPECT_EQ(bdat.verdict, Verdict::kFail);
  EXPECT_THAT(bdat.reason, HasSubstr("connection dropped without a reply"));
  EXPECT_THAT(bdat.evidence, ::testing::Contains("liveness"));
}

TEST(ServerProcess, DescribesExitsAndSignals) {
  EXPECT_EQ(DescribeWaitStatus(1 << 8), "exited with status 1");
  EXPECT_THAT(DescribeWaitStatus(11), HasSubstr("killed by signal 11 (Segmentation fault)"));
}

TEST(ServerProcess, ACrashBeforeListeningIsReported) {
  const absl::StatusOr<std::unique_ptr<ServerProcess>> process =
      ServerProcess::Start("ulimit -c 0; kill -SEGV $$", "127.0.0.1", 1, std::chrono::seconds(5));
  ASSERT_FALSE(process.ok());
  EXPECT_THAT(process.status().message(),
              HasSubstr("killed by signal 11 (Segmentation fault) before accepting connections"));
}

TEST(ServerProcess, WatchesAServerThatDies) {
  // A stand-in server: a sink process would need the binary; `sleep` never listens, so
  // start a listener with the sink in this process and let the command just live or die.
  absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start("127.0.0.1:0");
  ASSERT_TRUE(sink.ok());
  absl::StatusOr<std::unique_ptr<ServerProcess>> process =
      ServerProcess::Start("ulimit -c 0; sleep 0.3; kill -ABRT $$", "127.0.0.1", (*sink)->port(),
                           std::chrono::seconds(5));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_FALSE((*process)->Dead(0).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::optional<std::string> dead = (*process)->Dead(0);
  ASSERT_TRUE(dead.has_value());
  EXPECT_THAT(*dead, HasSubstr("killed by signal 6 (Aborted)"));
  EXPECT_EQ((*process)->EnsureRunning(), 1);  // restarted
  EXPECT_THAT((*process)->Dead(0).value_or(""), HasSubstr("restarted"));
}

}  // namespace
}  // namespace smtpgate::conformance
