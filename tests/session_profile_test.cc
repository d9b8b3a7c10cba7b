// STARTTLS (CVE-2011-0411, RFC 3207), the tar pit (KB 842851) and the emulation profiles:
// each profile shows its one flaw and only that flaw.
#include <chrono>
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "session_fixture.h"

namespace smtpgate {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class SessionTlsTest : public SessionFixture {
 protected:
  void SetUp() override {
    config_.tls_available = true;
    config_.auth_requires_tls = true;
    Connect();
    Ehlo();
  }
};

TEST_F(SessionTlsTest, CommandsPipelinedAfterStarttlsAreDiscarded) {
  const std::vector<SendReply> replies =
      host_->Feed("STARTTLS\r\nRSET\r\nMAIL FROM:<a@example.test>\r\n");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].reply.code, 220);
  EXPECT_TRUE(host_->session().facts().tls);
  // The injected MAIL was not executed: after TLS the client must EHLO again.
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 503);
}

TEST_F(SessionTlsTest, InjectedAuthIsDiscardedToo) {
  const std::vector<SendReply> replies =
      host_->Feed("STARTTLS\r\nEHLO x\r\n" + PlainAuth("relayer", "relayer-pass") + "\r\n");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(host_->session().facts().authenticated);
}

TEST_F(SessionTlsTest, TlsForgetsThePastAndOffersAuth) {
  EXPECT_EQ(Code("STARTTLS"), 220);
  const Reply ehlo = One("EHLO client.test");
  EXPECT_THAT(ehlo.lines, Not(Contains("STARTTLS")));
  EXPECT_THAT(ehlo.lines, Contains("AUTH PLAIN LOGIN"));
  EXPECT_EQ(Code("STARTTLS"), 503);  // inside TLS
  Login("relayer", "relayer-pass");
}

TEST_F(SessionTlsTest, StarttlsRules) {
  EXPECT_EQ(Code("STARTTLS now"), 501);
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 250);
  EXPECT_EQ(Code("STARTTLS"), 503);  // inside a transaction
}

TEST_F(SessionTlsTest, RequiredTls) {
  config_.require_tls = true;
  Connect();
  Ehlo();
  const Reply reply = One("MAIL FROM:<a@example.test>");
  EXPECT_EQ(reply.code, 530);
  EXPECT_EQ(reply.enhanced, "5.7.0");
}

TEST(SessionStarttlsUnavailable, IsRefused) {
  SessionConfig config = DemoConfig();
  InProcessHost host(config);
  host.Start();
  host.Line("EHLO c.test");
  const auto replies = host.Line("STARTTLS");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].reply.code, 502);
}

// ---- tar pit ----

class TarpitTest : public SessionFixture {
 protected:
  void SetUp() override {
    config_.tarpit = milliseconds(5000);
    Connect();
    Ehlo();
  }
  SendReply Last(std::string_view line) {
    const auto replies = host_->Line(line);
    EXPECT_EQ(replies.size(), 1u);
    return replies.back();
  }
};

TEST_F(TarpitTest, DelaysOnlyFiveHundredsToAnonymousSessions) {
  EXPECT_EQ(Last("MAIL FROM:<a@example.test>").delay, milliseconds(0));
  const SendReply denied = Last("RCPT TO:<v@remote.invalid>");
  EXPECT_EQ(denied.reply.code, 550);
  EXPECT_EQ(denied.delay, milliseconds(5000));
  const SendReply unknown = Last("RCPT TO:<nosuchuser@example.test>");
  EXPECT_EQ(unknown.reply.code, 550);
  EXPECT_EQ(unknown.delay, milliseconds(5000));
  EXPECT_EQ(Last("RCPT TO:<alice@example.test>").delay, milliseconds(0));
  const SendReply too_many = Last("XYZZY");
  EXPECT_EQ(too_many.delay, milliseconds(5000));
}

TEST_F(TarpitTest, NeverDelaysAuthenticatedSessions) {
  Login("guest", "guest-pass");
  EXPECT_EQ(Last("MAIL FROM:<guest@example.test>").delay, milliseconds(0));
  const SendReply denied = Last("RCPT TO:<v@remote.invalid>");
  EXPECT_EQ(denied.reply.code, 550);
  EXPECT_EQ(denied.delay, milliseconds(0));
}

TEST_F(TarpitTest, FailedAuthIsDelayed) {
  const SendReply failed = Last(PlainAuth("relayer", "nope"));
  EXPECT_EQ(failed.reply.code, 535);
  EXPECT_EQ(failed.delay, milliseconds(5000));
}

// ---- emulation profiles: each shows its flaw and only that flaw ----

struct ProbeResults {
  bool anonymous_relayed = false;
  bool guest_relayed = false;
  bool percent_hack_relayed = false;
  bool malformed_bdat_stopped_service = false;
  bool lf_dot_lf_smuggled = false;  // a second message with the hidden envelope was queued
};

ProbeResults Probe(Profile profile) {
  const SessionConfig config = DemoConfig(profile);
  ProbeResults results;
  {
    InProcessHost host(config);
    host.Start();
    host.Line("EHLO c.test");
    host.Feed("MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<v@remote.invalid>\r\nDATA\r\nx\r\n.\r\n");
    results.anonymous_relayed = !host.Relayed().empty();
  }
  {
    InProcessHost host(config);
    host.Start();
    host.Line("EHLO c.test");
    host.Line("AUTH PLAIN " + EncodeBase64(std::string("\0guest\0guest-pass", 17)));
    host.Feed("MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<v@remote.invalid>\r\nDATA\r\nx\r\n.\r\n");
    results.guest_relayed = !host.Relayed().empty();
  }
  {
    SessionConfig no_filter = config;
    no_filter.policy.recipient_filtering = false;
    InProcessHost host(no_filter);
    host.Start();
    host.Line("EHLO c.test");
    host.Feed("MAIL FROM:alice\r\nRCPT TO:user%remote.invalid\r\nDATA\r\nx\r\n.\r\n");
    results.percent_hack_relayed = !host.Relayed().empty();
  }
  {
    InProcessHost host(config);
    host.Start();
    host.Line("EHLO c.test");
    host.Feed("MAIL FROM:<a@example.test>\r\nRCPT TO:<alice@example.test>\r\nBDAT abc\r\n");
    results.malformed_bdat_stopped_service = host.service_stopped();
  }
  {
    InProcessHost host(config);
    host.Start();
    host.Line("EHLO c.test");
    host.Feed(
        "MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nfirst\n.\n"
        "MAIL FROM:<smuggled@remote.invalid>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
        "hidden\r\n.\r\n");
    for (const StoredMessage& m : host.queued()) {
      if (FormatPath(m.envelope.sender) == "<smuggled@remote.invalid>") {
        results.lf_dot_lf_smuggled = true;
      }
    }
  }
  return results;
}

TEST(ProfileTest, SecureShowsNoFlaw) {
  const ProbeResults r = Probe(Profile::kSecure);
  EXPECT_FALSE(r.anonymous_relayed);
  EXPECT_FALSE(r.guest_relayed);
  EXPECT_FALSE(r.percent_hack_relayed);
  EXPECT_FALSE(r.malformed_bdat_stopped_service);
  EXPECT_FALSE(r.lf_dot_lf_smuggled);
}

TEST(ProfileTest, OpenRelayRelaysForAnyoneAndNothingElse) {
  const ProbeResults r = Probe(Profile::kOpenRelay);
  EXPECT_TRUE(r.anonymous_relayed);
  EXPECT_TRUE(r.guest_relayed);
  EXPECT_FALSE(r.percent_hack_relayed);  // still completed to the local domain
  EXPECT_FALSE(r.malformed_bdat_stopped_service);
  EXPECT_FALSE(r.lf_dot_lf_smuggled);
}

TEST(ProfileTest, AuthImpliesRelayRelaysForGuestOnly) {
  const ProbeResults r = Probe(Profile::kAuthImpliesRelay);
  EXPECT_FALSE(r.anonymous_relayed);
  EXPECT_TRUE(r.guest_relayed);
  EXPECT_FALSE(r.percent_hack_relayed);
  EXPECT_FALSE(r.malformed_bdat_stopped_service);
  EXPECT_FALSE(r.lf_dot_lf_smuggled);
}

TEST(ProfileTest, Ms02012StopsTheServiceOnMalformedBdatOnly) {
  const ProbeResults r = Probe(Profile::kMs02012);
  EXPECT_FALSE(r.anonymous_relayed);
  EXPECT_FALSE(r.guest_relayed);
  EXPECT_FALSE(r.percent_hack_relayed);
  EXPECT_TRUE(r.malformed_bdat_stopped_service);
  EXPECT_FALSE(r.lf_dot_lf_smuggled);
}

TEST(ProfileTest, Ms02012StopsOnOutOfSequenceBdat) {
  const SessionConfig config = DemoConfig(Profile::kMs02012);
  InProcessHost host(config);
  host.Start();
  host.Line("EHLO c.test");
  EXPECT_THAT(host.Feed("BDAT 4\r\nb00mAUTH LOGIN\r\n"), IsEmpty());
  EXPECT_TRUE(host.service_stopped());
  for (const SessionOutput& e : host.events()) {
    if (const auto* stopped = std::get_if<ServiceStopped>(&e)) {
      EXPECT_THAT(stopped->reason, testing::HasSubstr("BDAT"));
      EXPECT_THAT(stopped->reason, testing::HasSubstr("send MAIL and RCPT first"));
    }
  }
  EXPECT_TRUE(host.closed());
}

TEST(ProfileTest, BareLfEodAcceptsTheSmuggledMessageOnly) {
  const ProbeResults r = Probe(Profile::kBareLfEod);
  EXPECT_FALSE(r.anonymous_relayed);
  EXPECT_FALSE(r.guest_relayed);
  EXPECT_FALSE(r.percent_hack_relayed);
  EXPECT_FALSE(r.malformed_bdat_stopped_service);
  EXPECT_TRUE(r.lf_dot_lf_smuggled);
}

TEST(ProfileTest, NamesRoundTrip) {
  for (Profile p : kAllProfiles) EXPECT_EQ(ParseProfile(ProfileName(p)), p);
  EXPECT_EQ(ParseProfile("insecure"), std::nullopt);
}

}  // namespace
}  // namespace smtpgate
