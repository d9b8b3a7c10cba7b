// The TCP target end to end: the reference server (`smtpgate serve`'s Server, demo config)
// on 127.0.0.1 with its relayed mail routed to a sink the test runs (the delivery oracle);
// and the --server-cmd process watcher.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
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
using ::testing::Not;

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

// One catalogue transcript over TCP against `config` (probe, then run).
TestResult RunOneOverTcp(const std::string& catalogue_path, const TargetConfig& config) {
  TcpTarget target(config, nullptr, nullptr);
  const Suite suite =
      LoadSuite({SourceDir() + "/conformance/" + catalogue_path}, UsableNames(config.variables));
  EXPECT_TRUE(suite.errors.empty());
  EXPECT_EQ(suite.entries.size(), 1u);
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  EXPECT_TRUE(capabilities.ok()) << capabilities.status();
  if (suite.entries.empty() || !capabilities.ok()) return TestResult{};
  return RunTranscript(suite.entries[0].transcript, target, *capabilities, suite.entries[0].id,
                       suite.entries[0].area);
}

TEST(ConformanceTcp, TwoConnectionsAtOnceTimeTheTarPitFromItsCommand) {
  // A real 1 s tar pit. The anonymous session's refusal is read after the authenticated
  // session beside it has run (greeted, answered at once): its delay still counts from its
  // RCPT, so it passes delay>=1s, and the other session's replies pass delay<1s.
  RunningServer server(Profile::kSecure, "", 0, [](ServerConfig& config) {
    config.session.tarpit = std::chrono::seconds(1);
  });
  TargetConfig config = DemoTarget("127.0.0.1", server.port());
  config.tarpit_seconds = 1;
  config.variables["tarpit_seconds"] = "1";
  config.grace = std::chrono::milliseconds(50);
  const TestResult r =
      RunOneOverTcp("tarpit/tarpit-delays-one-session-not-the-server.smtp", config);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  // The exchange shows the interleaving: the authenticated session ran (and got its 221)
  // between the anonymous RCPT and its delayed 550.
  std::vector<std::string> order;
  int64_t anon_refusal_ms = -1;
  bool back_on_anon = false;
  for (const ExchangeEntry& e : r.exchange) {
    if (e.direction == ExchangeEntry::Direction::kEvent && absl::StartsWith(e.data, "ON ")) {
      order.push_back(e.data.substr(0, e.data.find(' ', 3)));
      back_on_anon = order.size() == 3 && order.back() == "ON anon";
    }
    if (back_on_anon && anon_refusal_ms < 0 && e.direction == ExchangeEntry::Direction::kServer) {
      anon_refusal_ms = e.elapsed_ms;
    }
  }
  EXPECT_THAT(order, ::testing::ElementsAre("ON anon", "ON authenticated", "ON anon"));
  EXPECT_GE(anon_refusal_ms, 1000);
  EXPECT_LT(anon_refusal_ms, 5000);
}

TEST(ConformanceTcp, AuthInTheClearWhereItIsOfferedOnlyInsideTls) {
  auto run = [](bool server_requires_tls, bool file_says_tls_only) {
    RunningServer server(Profile::kSecure, "", 0, [&](ServerConfig& config) {
      config.session.auth_requires_tls = server_requires_tls;
    });
    TargetConfig config = DemoTarget("127.0.0.1", server.port());
    config.auth_over_starttls = file_says_tls_only;
    config.grace = std::chrono::milliseconds(50);
    return RunOneOverTcp("auth/auth-before-starttls-refused.smtp", config);
  };
  // AUTH offered only inside TLS, and refused in the clear (538 5.7.11): PASS; the runner
  // did not insert STARTTLS.
  const TestResult strict = run(/*server_requires_tls=*/true, /*file_says_tls_only=*/false);
  EXPECT_EQ(strict.verdict, Verdict::kPass) << strict.reason;
  for (const ExchangeEntry& e : strict.exchange) {
    EXPECT_THAT(e.data, Not(HasSubstr("STARTTLS inserted")));
  }
  // A server that takes the credentials in the clear although AUTH is to be used only
  // inside TLS (here: the target file says so of a server that offers AUTH in the clear).
  const TestResult lax = run(/*server_requires_tls=*/false, /*file_says_tls_only=*/true);
  EXPECT_EQ(lax.verdict, Verdict::kFail);
  EXPECT_THAT(lax.reason, HasSubstr("authentication without TLS: "));
  EXPECT_THAT(lax.reason, HasSubstr("got '235"));
  // A server that offers AUTH in the clear: the requirement is missing, SKIP.
  const TestResult plain = run(/*server_requires_tls=*/false, /*file_says_tls_only=*/false);
  EXPECT_EQ(plain.verdict, Verdict::kSkip);
  EXPECT_EQ(plain.reason,
            "requires tls-before-auth: AUTH is offered before STARTTLS, or not at all");
}

TEST(ConformanceTcp, IdleConnectionsAreClosedWithinTheDeclaredTimeout) {
  auto run = [](std::chrono::milliseconds server_timeout) {
    RunningServer server(Profile::kSecure, "", 0,
                         [&](ServerConfig& config) { config.command_timeout = server_timeout; });
    TargetConfig config = DemoTarget("127.0.0.1", server.port());
    config.idle_timeout_seconds = 2;  // what the target file declares
    config.variables["idle_timeout_seconds"] = "2";
    config.grace = std::chrono::milliseconds(50);
    return RunOneOverTcp("limits/limits-idle-connection-closed.smtp", config);
  };
  // The server times out after 1 s: closed within the declared 2 s.
  const TestResult closes = run(std::chrono::milliseconds(1000));
  EXPECT_EQ(closes.verdict, Verdict::kPass) << closes.reason;
  // A server that keeps idle connections for 30 s: FAIL after the declared 2 s, not 30.
  const TestResult keeps = run(std::chrono::milliseconds(30000));
  EXPECT_EQ(keeps.verdict, Verdict::kFail);
  EXPECT_THAT(keeps.reason, HasSubstr("the connection stayed open for 2000 ms"));
  EXPECT_LT(keeps.duration.count(), 10000);
}

}  // namespace
}  // namespace smtpgate::conformance
