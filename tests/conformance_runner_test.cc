// The runner against the embedded target: the example transcripts under
// tests/testdata/conformance for every emulation profile, and small inline transcripts for
// desynchronisation, close, timing, harvest, SKIP and the no-oracle case.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/transcript_parser.h"
#include "tests/source_dir.h"
#include "tests/suite_runs.h"

namespace smtpgate::conformance {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Concatenates std::string_view-convertible parts (Debian's absl::StrCat takes
// absl::string_view, which is not std::string_view).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::string TestData() { return SourceDir() + "/tests/testdata/conformance"; }

// Runs every example transcript against the embedded target with `profile`; id → result.
std::map<std::string, TestResult> RunExamples(Profile profile) {
  EmbeddedTarget target(profile);
  const Suite suite = LoadSuite({TestData()}, UsableNames(target.config().variables));
  EXPECT_THAT(suite.errors, ::testing::IsEmpty());
  EXPECT_EQ(suite.entries.size(), 8u);
  return RunSuiteById(suite, target);
}

TEST(ConformanceRunner, SecureProfilePassesEverything) {
  for (const auto& [id, result] : RunExamples(Profile::kSecure)) {
    if (id == "harvest/rcpt-directory-harvest") {
      // Recipient filtering answers 250 vs 550 5.1.1: a harvest signal, reported as WARN.
      EXPECT_EQ(result.verdict, Verdict::kWarn) << result.reason;
      EXPECT_THAT(result.reason, HasSubstr("directory harvest"));
      continue;
    }
    EXPECT_EQ(result.verdict, Verdict::kPass) << id << ": " << result.reason;
    EXPECT_FALSE(result.exchange.empty()) << id;
  }
}

TEST(ConformanceRunner, OpenRelayFailsTheRelayTranscript) {
  const auto results = RunExamples(Profile::kOpenRelay);
  const TestResult& relay = results.at("relay/kb304897-1-remote-to-remote");
  EXPECT_EQ(relay.verdict, Verdict::kFail);
  EXPECT_EQ(relay.severity, Severity::kCritical);
  EXPECT_THAT(relay.reason, HasSubstr("expected 5xx to 'RCPT TO:<sgtok-"));
  EXPECT_THAT(relay.reason, HasSubstr("relayed: the server accepted"));
  EXPECT_THAT(relay.evidence, Contains("reply sequence"));
  EXPECT_THAT(relay.evidence, Contains("oracle"));
  EXPECT_EQ(results.at("auth/ms02-011-guest-must-not-relay").verdict, Verdict::kFail);
  EXPECT_EQ(results.at("auth/ms02-011-relayer-positive-control").verdict, Verdict::kPass);
}

TEST(ConformanceRunner, AuthImpliesRelayFailsGuestButNotThePositiveControl) {
  const auto results = RunExamples(Profile::kAuthImpliesRelay);
  const TestResult& guest = results.at("auth/ms02-011-guest-must-not-relay");
  EXPECT_EQ(guest.verdict, Verdict::kFail);
  EXPECT_THAT(guest.reason, HasSubstr("expected 550 5.7.1"));
  const TestResult& control = results.at("auth/ms02-011-relayer-positive-control");
  EXPECT_EQ(control.verdict, Verdict::kPass) << control.reason;
  EXPECT_THAT(control.reason, HasSubstr("relayed, as expected"));
  EXPECT_EQ(results.at("relay/kb304897-1-remote-to-remote").verdict, Verdict::kPass);
}

TEST(ConformanceRunner, Ms02012FailsTheMalformedBdatByLiveness) {
  const auto results = RunExamples(Profile::kMs02012);
  const TestResult& bdat = results.at("data/ms02-012-bdat-without-mail");
  EXPECT_EQ(bdat.verdict, Verdict::kFail);
  EXPECT_THAT(bdat.reason, HasSubstr("connection dropped without a reply to 'BDAT 4\\r\\nb00m'"));
  EXPECT_THAT(bdat.reason, HasSubstr("service stopped (crash)"));
  EXPECT_THAT(bdat.evidence, Contains("liveness"));
  EXPECT_EQ(results.at("relay/kb304897-1-remote-to-remote").verdict, Verdict::kPass);
}

TEST(ConformanceRunner, BareLfEodFailsTheSmugglingTranscript) {
  const auto results = RunExamples(Profile::kBareLfEod);
  const TestResult& smuggling = results.at("data/smuggling-lf-dot-lf");
  EXPECT_EQ(smuggling.verdict, Verdict::kFail);
  EXPECT_THAT(smuggling.reason, HasSubstr("stream desynchronised: unexpected reply '250"));
  EXPECT_THAT(smuggling.reason, HasSubstr("2 messages carry the token"));
  EXPECT_THAT(smuggling.reason, HasSubstr("a message from <smuggled-sgtok-"));
  EXPECT_THAT(smuggling.evidence, Contains("oracle"));
  EXPECT_THAT(smuggling.evidence, Contains("reply sequence"));
}

// Inline transcripts -------------------------------------------------------------------

class InlineRun : public ::testing::Test {
 protected:
  TestResult Run(std::string_view body, Profile profile = Profile::kSecure,
                 std::string_view meta = "") {
    target_ = std::make_unique<EmbeddedTarget>(profile);
    const absl::StatusOr<Transcript> transcript = ParseTranscript(
        Cat("@name inline\n@title Inline\n@source test\n@severity high\n", meta, body),
        "inline.smtp", UsableNames(target_->config().variables));
    EXPECT_TRUE(transcript.ok()) << transcript.status();
    transcript_ = *transcript;
    const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(*target_);
    EXPECT_TRUE(capabilities.ok());
    capabilities_ = *capabilities;
    return RunTranscript(transcript_, *target_, capabilities_, "t/inline", "t");
  }

  std::unique_ptr<EmbeddedTarget> target_;
  Transcript transcript_;
  Capabilities capabilities_;
};

constexpr std::string_view kGreet = "S: 220\nC: EHLO ${helo}\nS: 250\n";

TEST_F(InlineRun, ExtraReplyIsADesync) {
  const TestResult r = Run(Cat(kGreet, "C!: \"NOOP\\r\\nNOOP\\r\\n\"\nS: 250\nC: QUIT\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason,
            "stream desynchronised: unexpected reply '250 2.0.0 Ok' before line 10 (every "
            "expected reply had been read)");
}

TEST_F(InlineRun, ExtraReplyAtTheEndIsADesync) {
  const TestResult r = Run(Cat(kGreet, "C!: \"NOOP\\r\\nNOOP\\r\\n\"\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(r.reason, HasSubstr("unexpected reply '250 2.0.0 Ok' after the last expected reply"));
}

TEST_F(InlineRun, ReplyWhereCloseWasExpected) {
  const TestResult r = Run(Cat(kGreet, "C: NOOP\nS: close\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason,
            "stream desynchronised: line 9 expected close (the server closing the connection), "
            "got '250 2.0.0 Ok'");
}

TEST_F(InlineRun, MissingReplyIsADesync) {
  const TestResult r = Run(Cat(kGreet, "C!: \"NOOP\"\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason,
            "stream desynchronised: no reply within 10000 ms to 'NOOP' (line 9 expected 250)");
}

TEST_F(InlineRun, OpenConnectionWhereCloseWasExpected) {
  const TestResult r = Run(Cat(kGreet, "S: close\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(r.reason, HasSubstr("the connection stayed open for 10000 ms"));
}

TEST_F(InlineRun, CloseAfterQuit) {
  EXPECT_EQ(Run(Cat(kGreet, "C: QUIT\nS: 221\nS: close\n")).verdict, Verdict::kPass);
  const TestResult r = Run(Cat(kGreet, "C: QUIT\nS: 221\nC: NOOP\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason,
            "line 11 expected 250, but the server had closed the connection (after its 221)");
}

TEST_F(InlineRun, WarnPatternContinues) {
  const TestResult r = Run(Cat(kGreet, "C: NOOP\nS: 5xx warn 2xx\nC: NOOP\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kWarn);
  EXPECT_THAT(r.reason, HasSubstr("(matches the warn pattern 2xx)"));
}

TEST_F(InlineRun, WarnReasonNamesTheLeniency) {
  const TestResult r = Run(Cat(kGreet, "C: NOOP\nS: 5xx warn 2xx \"lenient NOOP\"\n"));
  EXPECT_EQ(r.verdict, Verdict::kWarn);
  EXPECT_EQ(r.reason,
            "lenient NOOP: line 9 expected 5xx to 'NOOP', got '250 2.0.0 Ok' (matches the warn "
            "pattern 2xx)");
}

TEST_F(InlineRun, FailClauseNamesTheBoundaryCrossed) {
  const TestResult r =
      Run(Cat(kGreet, "C: NOOP\nS: 5xx warn 4xx fail 2xx \"bypass\"\nC: NOOP\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason, "bypass: line 9 expected 5xx to 'NOOP', got '250 2.0.0 Ok'");
  // A reply that matches neither clause is the usual failure.
  const TestResult other = Run(Cat(kGreet, "C: NOOP\nS: 5xx fail 4xx \"bypass\"\n"));
  EXPECT_EQ(other.reason, "line 9 expected 5xx to 'NOOP', got '250 2.0.0 Ok'");
}

TEST_F(InlineRun, NullCredentialsAnswered235AreAnAuthenticationBypass) {
  const std::string body = Cat(kGreet,
                               "C: AUTH PLAIN ${sasl_plain::}\n"
                               "S: 535|501 warn 4xx fail 235 \"authentication bypass\"\n");
  EXPECT_EQ(Run(body).verdict, Verdict::kPass);
  const TestResult bypass = Run(body, Profile::kNullSessionAuth);
  EXPECT_EQ(bypass.verdict, Verdict::kFail);
  EXPECT_THAT(bypass.reason, ::testing::StartsWith("authentication bypass: line 9 expected"));
}

TEST_F(InlineRun, PerConnectionCrashIsNamedWhileTheDaemonLives) {
  const std::string body = Cat("S: 220\nC: EHLO ${repeat:600:a}\nS: 5xx warn 2xx\n");
  EXPECT_EQ(Run(body, Profile::kSecure, "@tags malformed\n").verdict, Verdict::kPass);
  const TestResult r = Run(body, Profile::kPerConnectionCrash, "@tags malformed\n");
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(r.reason, HasSubstr("connection dropped without a reply"));
  EXPECT_THAT(r.reason, HasSubstr("per-connection crash: the connection was dropped and the "
                                  "crash log has: embedded service log: connection 1: handler "
                                  "killed by signal 11"));
  EXPECT_THAT(r.evidence, Contains("crash log"));
  // The daemon lives: the automatic liveness check passes on a fresh connection.
  bool alive = false;
  for (const Finding& f : r.findings) {
    alive = alive || (f.evidence == Evidence::kLiveness && f.verdict == Verdict::kPass);
  }
  EXPECT_TRUE(alive);
  // A normal greeting on the same profile is served.
  EXPECT_EQ(Run(Cat(kGreet, "C: NOOP\nS: 250\n"), Profile::kPerConnectionCrash).verdict,
            Verdict::kPass);
}

TEST_F(InlineRun, EveryMessageContainsHoldsForNoneAndForWholeMessages) {
  const std::string tx = Cat(kGreet,
                             "C: MAIL FROM:<a-${token}@${local_domain}>\nS: 250\n"
                             "C: RCPT TO:<${local_user}@${local_domain}>\nS: 250\n");
  const std::string delivered = Cat(tx, "C: DATA\nS: 354\nC: whole\nC: .\nS: 250\n");
  EXPECT_EQ(Run(Cat(delivered, "EXPECT every-message-contains \"whole\\r\\n\"\n")).verdict,
            Verdict::kPass);
  const TestResult cut = Run(Cat(delivered, "EXPECT every-message-contains \"END\"\n"));
  EXPECT_EQ(cut.verdict, Verdict::kFail);
  EXPECT_THAT(cut.reason, HasSubstr("a message carrying the token lacks \"END\""));
  // Nothing delivered: nothing to be incomplete.
  EXPECT_EQ(Run(Cat(tx, "C: RSET\nS: 250\nEXPECT every-message-contains \"END\"\n")).verdict,
            Verdict::kPass);
}

TEST_F(InlineRun, AltTakesTheBranchTheReplyChooses) {
  // Branch 1 expects a 250 to NOOP, branch 2 a refusal; the secure server answers 250.
  const std::string alt = Cat(kGreet,
                              "C: NOOP\n"
                              "ALT\n"
                              "  S: 250\n"
                              "  C: RSET\n"
                              "  S: 250\n"
                              "OR\n"
                              "  S: 5xx\n"
                              "  EXPECT delivered-local\n"
                              "END\n");
  const TestResult r = Run(alt);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;  // branch 2's outcome is not checked
  bool noted = false;
  for (const ExchangeEntry& e : r.exchange)
    noted = noted || e.data == "ALT (line 9): branch 1 of 2 (line 10)";
  EXPECT_TRUE(noted);
  // No branch accepts the reply: the first branch's first step reports it.
  const TestResult none = Run(Cat(kGreet, "C: NOOP\nALT\n  S: 5xx\nOR\n  S: 4xx\nEND\n"));
  EXPECT_EQ(none.verdict, Verdict::kFail);
  EXPECT_EQ(none.reason, "line 10 expected 5xx to 'NOOP', got '250 2.0.0 Ok'");
}

bool HasEvent(const TestResult& r, std::string_view text) {
  for (const ExchangeEntry& e : r.exchange) {
    if (e.data == text) return true;
  }
  return false;
}

TEST_F(InlineRun, ReplyTimingChoosesTheBranchAndStopEndsTheExchange) {
  // RCPT before MAIL: a 503, which the reference tar-pits (2 s, simulated) for anonymous
  // clients. The timed branch takes it and STOPs: the NOOP below is never sent, and the
  // pipelined NOOP's reply still owed is not called a desync.
  const std::string stop = Cat(kGreet,
                               "C!: \"RCPT TO:<a@${local_domain}>\\r\\nNOOP\\r\\n\"\n"
                               "ALT\n"
                               "  S: 5xx after>=1s\n"
                               "  STOP\n"
                               "OR\n"
                               "  S: 5xx\n"
                               "END\n"
                               "C: NOOP\n"
                               "S: 999\n");
  const TestResult r = Run(stop);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  EXPECT_TRUE(HasEvent(r, "ALT (line 9): branch 1 of 2 (line 10), the reply took 2000 ms"));
  EXPECT_TRUE(HasEvent(r, "STOP (line 11): the exchange ends here"));
  // after<1s does not take the tar-pitted reply: the untimed branch does, the steps go on,
  // and the pipelined NOOP's reply, which nothing read, is a desync.
  std::string fast = stop;
  fast.replace(fast.find("after>=1s"), 9, "after<1s");
  const TestResult f = Run(fast);
  EXPECT_TRUE(HasEvent(f, "ALT (line 9): branch 2 of 2 (line 13), the reply took 2000 ms"));
  EXPECT_EQ(f.verdict, Verdict::kFail);
  EXPECT_EQ(f.reason,
            "stream desynchronised: unexpected reply '250 2.0.0 Ok' before line 15 (every "
            "expected reply had been read)");
  // An authenticated session is not tar-pitted: the same timed step fails on its own.
  const TestResult quick =
      Run(Cat(kGreet,
              "C: AUTH PLAIN ${sasl_plain:${authorized_user}:${authorized_password}}\n"
              "S: 235\n"
              "C: RCPT TO:<a@${local_domain}>\n"
              "S: 5xx after>=1s\n"));
  EXPECT_EQ(quick.verdict, Verdict::kFail);
  EXPECT_THAT(quick.reason, HasSubstr("line 11 expected 5xx after>=1s to 'RCPT TO:<a@"));
}

TEST_F(InlineRun, RepeatRunsTheStepsNTimes) {
  // Five NOOPs answered 250 each, after the banner and EHLO.
  const TestResult r = Run(Cat(kGreet, "REPEAT 5\n  C: NOOP\n  S: 250 after<1s\nEND\n"));
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  EXPECT_EQ(r.reason, "7 replies as expected");
  // Six replies read for five NOOPs: the sixth never comes.
  const TestResult more = Run(Cat(kGreet, "REPEAT 5\n  C: NOOP\n  S: 250\nEND\nS: 250\n"));
  EXPECT_EQ(more.verdict, Verdict::kFail);
}

TEST_F(InlineRun, NamedConnectionsKeepTheirOwnState) {
  // Two sessions interleaved: each keeps its transaction (b's RSET does not touch a's MAIL).
  const std::string two = Cat(kGreet,
                              "C: MAIL FROM:<a@${local_domain}>\nS: 250\n"
                              "ON b\n"
                              "S: 220\nC: EHLO ${helo}\nS: 250\nC: RSET\nS: 250\n"
                              "C: RCPT TO:<${local_user}@${local_domain}>\nS: 503\n"
                              "ON main\n"
                              "C: RCPT TO:<${local_user}@${local_domain}>\nS: 250\n");
  const TestResult r = Run(two);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  EXPECT_TRUE(HasEvent(r, "ON b (line 10)"));
  EXPECT_TRUE(HasEvent(r, "reconnect (b)"));
  EXPECT_TRUE(HasEvent(r, "ON main (line 18)"));
  // A reply owed on a connection that is not the current one at the end is still a desync.
  const TestResult owed = Run(Cat(kGreet, "C!: \"NOOP\\r\\nNOOP\\r\\n\"\nS: 250\nON b\nS: 220\n"));
  EXPECT_EQ(owed.verdict, Verdict::kFail);
  EXPECT_EQ(owed.reason,
            "stream desynchronised: unexpected reply '250 2.0.0 Ok' on main after its last "
            "expected reply (every expected reply had been read)");
}

TEST_F(InlineRun, NegatedRequirementsRunWhereTheCapabilityIsMissing) {
  const std::string body = Cat(kGreet, "C: NOOP\nS: 250\n");
  // The secure profile offers PIPELINING, the strict one does not.
  const TestResult secure = Run(body, Profile::kSecure, "@requires !pipelining\n");
  EXPECT_EQ(secure.verdict, Verdict::kSkip);
  EXPECT_EQ(secure.reason,
            "requires !pipelining: pipelining is offered (or set by the target file)");
  EXPECT_EQ(Run(body, Profile::kStrict, "@requires !pipelining\n").verdict, Verdict::kPass);
  // The server mode: AUTH only inside TLS.
  EXPECT_EQ(Run(body, Profile::kStrict, "@requires tls-before-auth\n").verdict, Verdict::kPass);
  EXPECT_EQ(Run(body, Profile::kSecure, "@requires tls-before-auth\n").verdict, Verdict::kSkip);
}

TEST_F(InlineRun, AuthOnlyInsideTlsRunsTheAuthTestsInsideTls) {
  const std::string body =
      Cat(kGreet,
          "C: AUTH PLAIN ${sasl_plain:${authorized_user}:${authorized_password}}\n"
          "S: 235\n");
  const TestResult r = Run(body, Profile::kStrict, "@requires auth-plain\n");
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  EXPECT_TRUE(capabilities_.auth_after_starttls);
  bool inserted = false;
  for (const ExchangeEntry& e : r.exchange) {
    inserted =
        inserted || e.data == "runner: STARTTLS inserted (AUTH is offered only after STARTTLS)";
  }
  EXPECT_TRUE(inserted);
  // The secure profile offers AUTH without TLS: nothing is inserted.
  const TestResult plain = Run(body, Profile::kSecure, "@requires auth-plain\n");
  EXPECT_EQ(plain.verdict, Verdict::kPass);
  EXPECT_FALSE(capabilities_.auth_after_starttls);
}

TEST_F(InlineRun, SilenceWhileTheServerReadsAChunk) {
  // 2^32 + 4: a server that truncates the size to 32 bits reads 4 octets and answers.
  const std::string body = Cat(kGreet,
                               "C: MAIL FROM:<a@${local_domain}>\nS: 250\n"
                               "C: RCPT TO:<${local_user}@${local_domain}>\nS: 250\n"
                               "C!: \"BDAT 4294967300 LAST\\r\\nabcd\"\n");
  const TestResult secure = Run(Cat(body, "S: 5xx|close|silence\n"));
  EXPECT_EQ(secure.verdict, Verdict::kPass) << secure.reason;
  const TestResult strict = Run(Cat(body, "S: 250\n"));
  EXPECT_EQ(strict.verdict, Verdict::kFail);
  EXPECT_THAT(strict.reason, HasSubstr("no reply within 10000 ms"));
  // Silence does not hide a reply nobody asked for.
  const TestResult noop = Run(Cat(kGreet, "C: NOOP\nS: silence\n"));
  EXPECT_EQ(noop.verdict, Verdict::kFail);
  EXPECT_EQ(noop.reason, "line 9 expected silence to 'NOOP', got '250 2.0.0 Ok'");
}

TEST_F(InlineRun, TarpitDelayIsSimulated) {
  const std::string body = Cat(kGreet,
                               "C: MAIL FROM:<a@${remote_domain}>\nS: 250\n"
                               "C: RCPT TO:<${token}@${remote_domain}>\nS: 550 5.7.1\n");
  const TestResult slow = Run(Cat(body, "EXPECT delay>=${tarpit_seconds}s\n"));
  EXPECT_EQ(slow.verdict, Verdict::kPass) << slow.reason;
  EXPECT_LT(slow.duration.count(), 1000);  // nobody waited
  const TestResult fast = Run(Cat(body, "EXPECT delay<1s\n"));
  EXPECT_EQ(fast.verdict, Verdict::kFail);
  EXPECT_THAT(fast.reason, HasSubstr("came after 2000 ms, expected delay<1000 ms"));
  EXPECT_EQ(Run(Cat(body, "EXPECT delay<1s warn\n")).verdict, Verdict::kWarn);
}

TEST_F(InlineRun, SameReplyAs) {
  const std::string body = Cat(kGreet,
                               "C: MAIL FROM:<a@${remote_domain}>\nS: 250\n"
                               "C: RCPT TO:<${local_user}@${local_domain}>\nS[a]: 250\n"
                               "C: RCPT TO:<bob@${local_domain}>\nS: 250\n");
  EXPECT_EQ(Run(Cat(body, "EXPECT same-reply-as a\n")).verdict, Verdict::kPass);
  const std::string differ = Cat(kGreet,
                                 "C: MAIL FROM:<a@${remote_domain}>\nS: 250\n"
                                 "C: RCPT TO:<${local_user}@${local_domain}>\nS[a]: 250\n"
                                 "C: RCPT TO:<zz@${local_domain}>\nS: 550\n");
  EXPECT_EQ(Run(Cat(differ, "EXPECT same-reply-as a\n")).verdict, Verdict::kWarn);
  EXPECT_EQ(Run(Cat(differ, "EXPECT same-reply-as a fail\n")).verdict, Verdict::kFail);
}

TEST_F(InlineRun, SleepIsSimulatedAndReconnectReadsANewBanner) {
  const TestResult r = Run(Cat(kGreet, "SLEEP 30s\nRECONNECT\nS: 220\nC: NOOP\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  EXPECT_LT(r.duration.count(), 5000);
}

TEST_F(InlineRun, ServiceStoppedFailsLaterConnections) {
  const TestResult r = Run(Cat(kGreet,
                               "C!: \"BDAT 4\\r\\nb00m\"\nS: close\nRECONNECT\n"
                               "S: 220\n"),
                           Profile::kMs02012);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_THAT(r.reason, HasSubstr("line 10: cannot connect: service stopped (crash)"));
  EXPECT_THAT(r.evidence, Contains("liveness"));
}

TEST_F(InlineRun, ExplicitAlive) {
  EXPECT_EQ(Run(Cat(kGreet, "EXPECT alive\n")).verdict, Verdict::kPass);
  const TestResult dead =
      Run(Cat(kGreet, "C!: \"BDAT 4\\r\\nb00m\"\nS: any\nEXPECT alive\n"), Profile::kMs02012);
  EXPECT_EQ(dead.verdict, Verdict::kFail);
  EXPECT_THAT(dead.reason, HasSubstr("liveness: service stopped (crash)"));
}

TEST_F(InlineRun, MissingRequirementSkipsBeforeConnecting) {
  target_ = std::make_unique<EmbeddedTarget>(Profile::kSecure);
  const absl::StatusOr<Transcript> t =
      ParseTranscript("@name s\n@title S\n@source x\n@severity low\n@requires chunking\nS: 220\n",
                      "s.smtp", UsableNames(target_->config().variables));
  ASSERT_TRUE(t.ok());
  Capabilities none;
  none.missing["chunking"] = "not in the target's EHLO reply";
  const TestResult r = RunTranscript(*t, *target_, none, "x/s", "x");
  EXPECT_EQ(r.verdict, Verdict::kSkip);
  EXPECT_EQ(r.reason, "requires chunking: not in the target's EHLO reply");
  EXPECT_TRUE(r.exchange.empty());
}

TEST_F(InlineRun, StartTlsStep) {
  const TestResult r = Run(Cat(kGreet,
                               "C: STARTTLS\nS: 220\nSTARTTLS\nC: MAIL FROM:<a@b.test>\n"
                               "S: 503\nC: EHLO ${helo}\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  bool tls = false;
  for (const ExchangeEntry& e : r.exchange) tls = tls || e.data == "TLS established (simulated)";
  EXPECT_TRUE(tls);
}

TEST_F(InlineRun, BulkSendIsRecordedAsItsHeadAndSize) {
  const TestResult r = Run(Cat(kGreet,
                               "C: MAIL FROM:<a@b.test>\nS: 250\nC: RCPT TO:<${local_user}@"
                               "${local_domain}>\nS: 250\nC: DATA\nS: 354\n"
                               "C!: \"${repeat:20000:0123456789\\r\\n}.\\r\\n\"\nS: 250\n"));
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.reason;
  size_t bulk = 0;
  for (const ExchangeEntry& e : r.exchange) {
    if (e.direction != ExchangeEntry::Direction::kClient || e.data.size() < 4096) continue;
    ++bulk;
    EXPECT_LT(e.data.size(), 9000u);  // 4096 octets escaped (CRLF as \r\n) plus the note
    EXPECT_THAT(e.data, ::testing::StartsWith("0123456789\\r\\n0123456789"));
    EXPECT_THAT(e.data, ::testing::EndsWith("... [240003 octets sent; the last 235907 are not "
                                            "recorded]"));
  }
  EXPECT_EQ(bulk, 1u);
}

TEST_F(InlineRun, OracleOutcomesOnTheEmbeddedQueue) {
  const std::string mail =
      Cat(kGreet,
          "C: MAIL FROM:<a@${remote_domain}>\nS: 250\n"
          "C: RCPT TO:<${local_user}@${local_domain}>\nS: 250\n"
          "C: DATA\nS: 354\nC!: \"Subject: ${token}\\r\\n\\r\\n..x\\r\\n.\\r\\n\"\n"
          "S: 250\n");
  EXPECT_EQ(Run(Cat(mail,
                    "EXPECT delivered-local\nEXPECT one-message\n"
                    "EXPECT not-relayed\nEXPECT message-contains \"\\r\\n.x\\r\\n\"\n"
                    "EXPECT message-lacks \"..x\"\n"))
                .verdict,
            Verdict::kPass);
  EXPECT_EQ(Run(Cat(mail, "EXPECT no-message\n")).verdict, Verdict::kFail);
  EXPECT_EQ(Run(Cat(mail, "EXPECT relayed\n")).verdict, Verdict::kFail);
  EXPECT_EQ(Run(Cat(mail, "EXPECT no-message-from <A@${remote_domain}>\n")).verdict,
            Verdict::kFail);
  EXPECT_EQ(Run(Cat(kGreet,
                    "C: MAIL FROM:<a@b.test>\nS: 250\nC: RSET\nS: 250\n"
                    "EXPECT no-message\n"))
                .verdict,
            Verdict::kPass);
}

// A target whose runs have no oracle: relay outcomes must be WARN, never PASS.
class NoOracleTarget : public Target {
 public:
  NoOracleTarget() : inner_(Profile::kSecure) {}
  std::string Describe() const override { return "no-oracle"; }
  const TargetConfig& config() const override { return inner_.config(); }
  bool simulated_time() const override { return true; }
  bool tls_possible() const override { return true; }
  std::unique_ptr<TargetRun> Begin() override {
    class Run : public TargetRun {
     public:
      explicit Run(std::unique_ptr<TargetRun> inner) : inner_(std::move(inner)) {}
      absl::StatusOr<std::unique_ptr<Connection>> Connect() override { return inner_->Connect(); }
      OracleView oracle() const override { return {false, false, true, "none"}; }
      absl::StatusOr<std::vector<OracleMessage>> Messages(std::string_view) override {
        return std::vector<OracleMessage>{};
      }

     private:
      std::unique_ptr<TargetRun> inner_;
    };
    return std::make_unique<Run>(inner_.Begin());
  }

 private:
  EmbeddedTarget inner_;
};

TEST(ConformanceRunnerOracle, NoOracleMeansWarnNeverPass) {
  NoOracleTarget target;
  const absl::StatusOr<Transcript> t =
      LoadTranscript(TestData() + "/relay/kb304897-1-remote-to-remote.smtp",
                     UsableNames(target.config().variables));
  ASSERT_TRUE(t.ok()) << t.status();
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  ASSERT_TRUE(capabilities.ok());
  EXPECT_FALSE(capabilities->present.contains("oracle"));
  const TestResult r = RunTranscript(*t, target, *capabilities, "relay/x", "relay");
  EXPECT_EQ(r.verdict, Verdict::kWarn);
  EXPECT_THAT(r.reason, HasSubstr("no delivery oracle"));
  EXPECT_EQ(r.evidence, std::vector<std::string>{"oracle"});

  // Local-mail outcomes without an oracle rest on the reply sequence, and say so.
  const absl::StatusOr<Transcript> smuggling = LoadTranscript(
      TestData() + "/data/smuggling-lf-dot-lf.smtp", UsableNames(target.config().variables));
  ASSERT_TRUE(smuggling.ok()) << smuggling.status();
  const TestResult s = RunTranscript(*smuggling, target, *capabilities, "data/x", "data");
  EXPECT_EQ(s.verdict, Verdict::kPass) << s.reason;
  EXPECT_THAT(s.reason, HasSubstr("no delivery oracle, so this rests on the reply sequence"));
}

TEST(ConformanceRunnerCapabilities, EhloKeywords) {
  const Reply ehlo{250,
                   "",
                   {"mx greets", "PIPELINING", "AUTH=LOGIN", "auth plain login", "CHUNKING",
                    "STARTTLS", "X-FOO"}};
  const NameSet words = EhloCapabilities(ehlo);
  EXPECT_EQ(words,
            (NameSet{"auth", "auth-login", "auth-plain", "chunking", "pipelining", "starttls"}));
  EmbeddedTarget target(Profile::kSecure);
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  ASSERT_TRUE(capabilities.ok());
  for (std::string_view word :
       {"auth", "auth-plain", "starttls", "chunking", "tarpit", "oracle", "local-oracle"}) {
    EXPECT_TRUE(capabilities->present.contains(word)) << word;
  }
}

TEST(ConformanceRunnerExpansion, CheckExpansionsFindsInputErrorsBeforeRunning) {
  Variables variables = DemoVariables(0);
  variables["count"] = "many";
  const absl::StatusOr<Transcript> t = ParseTranscript(
      "@name e\n@title E\n@source x\n@severity low\nS: 220\nC: ${repeat:${count}:a}\n", "e.smtp",
      UsableNames(variables));
  ASSERT_TRUE(t.ok());
  const absl::Status status = CheckExpansions(*t, variables);
  EXPECT_THAT(status.message(), HasSubstr("e.smtp:6:4: expected a repeat count"));
  variables["wait"] = "soon";
  const absl::StatusOr<Transcript> d =
      ParseTranscript("@name d\n@title D\n@source x\n@severity low\nS: 220\nEXPECT delay<${wait}\n",
                      "d.smtp", UsableNames(variables));
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(CheckExpansions(*d, variables).message(),
              HasSubstr("d.smtp:6:1: expected a duration like 2s or 300ms, got 'soon'"));
}

}  // namespace
}  // namespace smtpgate::conformance
