// The reference session: greeting, command order, relay policy (KB 304897, nmap forms),
// AUTH (MS02-011: authentication is not authorization), limits.
#include <algorithm>
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "session_fixture.h"

namespace smtpgate {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class SessionTest : public SessionFixture {
 protected:
  void SetUp() override { Connect(); }
};

TEST_F(SessionTest, EhloAdvertisesTheExtensions) {
  const Reply reply = One("EHLO client.test");
  EXPECT_EQ(reply.code, 250);
  EXPECT_THAT(reply.lines, Contains("PIPELINING"));
  EXPECT_THAT(reply.lines, Contains("SIZE 10485760"));
  EXPECT_THAT(reply.lines, Contains("8BITMIME"));
  EXPECT_THAT(reply.lines, Contains("CHUNKING"));
  EXPECT_THAT(reply.lines, Contains("ENHANCEDSTATUSCODES"));
  EXPECT_THAT(reply.lines, Contains("AUTH PLAIN LOGIN"));
  EXPECT_THAT(reply.lines, Not(Contains("STARTTLS")));  // no TLS in this config
}

TEST_F(SessionTest, EhloHidesAuthUntilTlsWhenConfigured) {
  config_.tls_available = true;
  config_.auth_requires_tls = true;
  Connect();
  const Reply reply = One("EHLO client.test");
  EXPECT_THAT(reply.lines, Contains("STARTTLS"));
  EXPECT_THAT(reply.lines, Not(Contains("AUTH PLAIN LOGIN")));
  EXPECT_EQ(Code(PlainAuth("relayer", "relayer-pass")), 538);
}

TEST_F(SessionTest, LocalDeliveryQueuesTheExactMessage) {
  Ehlo();
  EXPECT_EQ(Code("MAIL FROM:<someone@remote.invalid>"), 250);
  EXPECT_EQ(Code("RCPT TO:<alice@example.test>"), 250);
  EXPECT_EQ(Code("DATA"), 354);
  EXPECT_EQ(One("Subject: hi\r\n\r\n..dot\r\nline\r\n.").code, 250);
  ASSERT_EQ(host_->queued().size(), 1u);
  const StoredMessage& m = host_->queued()[0];
  EXPECT_EQ(m.body, "Subject: hi\r\n\r\n.dot\r\nline\r\n");
  ASSERT_EQ(m.envelope.recipients.size(), 1u);
  EXPECT_EQ(m.envelope.recipients[0].disposition, Disposition::kDeliverLocal);
  EXPECT_EQ(m.envelope.recipients[0].routing_domain, "example.test");
  EXPECT_TRUE(host_->Relayed().empty());
}

TEST_F(SessionTest, CommandOrderIsEnforced) {
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 503);  // before EHLO
  Ehlo();
  EXPECT_EQ(Code("RCPT TO:<alice@example.test>"), 503);  // before MAIL
  EXPECT_EQ(Code("DATA"), 503);
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 250);
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 503);  // nested MAIL
  EXPECT_EQ(Code("DATA"), 503);                        // no recipients
  EXPECT_EQ(Code("RSET"), 250);
  EXPECT_EQ(Code("RCPT TO:<alice@example.test>"), 503);  // RSET ended the transaction
}

TEST_F(SessionTest, OutOfSequenceReplySaysWhy) {
  Ehlo();
  const Reply reply = One("RCPT TO:<alice@example.test>");
  EXPECT_EQ(reply.code, 503);
  EXPECT_EQ(reply.enhanced, "5.5.1");
  EXPECT_THAT(reply.lines[0], HasSubstr("send MAIL first"));
}

TEST_F(SessionTest, PipelinedCommandsAreAnsweredInOrder) {
  EXPECT_THAT(Codes("EHLO c.test\r\nMAIL FROM:<a@remote.invalid>\r\nRCPT TO:<bob@example.test>\r\n"
                    "RCPT TO:<x@remote.invalid>\r\nDATA\r\n"),
              ElementsAre(250, 250, 250, 550, 354));
  EXPECT_THAT(Codes("hi\r\n.\r\nMAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\n"
                    "DATA\r\nsecond\r\n.\r\nQUIT\r\n"),
              ElementsAre(250, 250, 250, 354, 250, 221));
  ASSERT_EQ(host_->queued().size(), 2u);
  EXPECT_EQ(host_->queued()[1].body, "second\r\n");
}

TEST_F(SessionTest, QuitClosesAndNothingIsReadAfterIt) {
  EXPECT_THAT(Codes("QUIT\r\nEHLO c.test\r\n"), ElementsAre(221));
  EXPECT_TRUE(host_->closed());
  EXPECT_TRUE(host_->Feed("NOOP\r\n").empty());
}

TEST_F(SessionTest, BareLfCommandIsRefused) {
  EXPECT_THAT(Codes("EHLO c.test\nNOOP\r\n"), ElementsAre(500, 250));
}

TEST_F(SessionTest, OverlongCommandLineIsRefusedAndTheStreamResyncs) {
  Ehlo();
  EXPECT_EQ(Code("NOOP " + std::string(600, 'x')), 500);
  EXPECT_EQ(Code("NOOP"), 250);
  // Without a line end, the session does not buffer more than the limit.
  EXPECT_THAT(Codes(std::string(100000, 'y')), ElementsAre(500));
  EXPECT_LE(host_->session().buffered(), 1024u);
  EXPECT_THAT(Codes("zzz\r\nNOOP\r\n"), ElementsAre(250));
}

TEST_F(SessionTest, VrfyAndExpnNeverTellWhetherAUserExists) {
  Ehlo();
  const Reply known = One("VRFY alice");
  const Reply unknown = One("VRFY nosuchuser");
  EXPECT_EQ(known.code, 252);
  EXPECT_EQ(known, unknown);
  EXPECT_EQ(One("EXPN alice"), One("EXPN nosuchuser"));
}

TEST_F(SessionTest, TooManyErrorsEndsTheSession) {
  config_.max_errors = 3;
  Connect();
  EXPECT_THAT(Codes("FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n"), ElementsAre(500, 500, 500, 421));
  EXPECT_TRUE(host_->closed());
}

TEST_F(SessionTest, RecipientLimit) {
  Ehlo();
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 250);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Code("RCPT TO:<alice@example.test>"), 250) << i;
  const Reply over = One("RCPT TO:<bob@example.test>");
  EXPECT_EQ(over.code, 452);
  EXPECT_EQ(over.enhanced, "4.5.3");
}

TEST_F(SessionTest, SizeLimitAtMail) {
  Ehlo();
  const Reply reply = One("MAIL FROM:<a@example.test> SIZE=99999999999");
  EXPECT_EQ(reply.code, 552);
  EXPECT_EQ(reply.enhanced, "5.3.4");
  EXPECT_EQ(Code("MAIL FROM:<a@example.test> SIZE=1000 BODY=8BITMIME"), 250);
}

TEST_F(SessionTest, Utf8AddressNeedsSmtputf8) {
  Ehlo();
  EXPECT_EQ(Code("MAIL FROM:<j\xc3\xb6rg@example.test>"), 553);
  EXPECT_EQ(Code("MAIL FROM:<j\xc3\xb6rg@example.test> SMTPUTF8"), 250);
  EXPECT_EQ(Code("RCPT TO:<alice@example.test>"), 250);
}

TEST_F(SessionTest, CommitFailureIsA451AndNothingIsQueued) {
  Ehlo();
  host_->set_storage_ok(false);
  EXPECT_EQ(SendMail("<a@example.test>", "<alice@example.test>"), 451);
  EXPECT_TRUE(host_->queued().empty());
  EXPECT_EQ(Code("NOOP"), 250);
}

TEST_F(SessionTest, TimeoutSends421AndCloses) {
  Ehlo();
  const SessionOutputs out = host_->session().Timeout();
  ASSERT_FALSE(out.empty());
  ASSERT_TRUE(std::holds_alternative<SendReply>(out[0]));
  EXPECT_EQ(std::get<SendReply>(out[0]).reply.code, 421);
  EXPECT_TRUE(host_->session().closed());
}

// ---- relay: KB 304897 ----

struct RelayCase {
  const char* name;
  const char* mail_from;
  const char* rcpt_to;
};

std::string CaseName(const ::testing::TestParamInfo<RelayCase>& param) { return param.param.name; }

class Kb304897RejectTest : public SessionFixture,
                           public ::testing::WithParamInterface<RelayCase> {};

// Tests 1-5: refused at RCPT with 550 5.7.1.
TEST_P(Kb304897RejectTest, RefusedAtRcptWith550_5_7_1) {
  Connect();
  EXPECT_EQ(Code("EHLO client.test"), 250);
  EXPECT_EQ(Code("RSET"), 250);
  EXPECT_EQ(Code(std::string("MAIL FROM:") + GetParam().mail_from), 250);
  const Reply reply = One(std::string("RCPT TO:") + GetParam().rcpt_to);
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.enhanced, "5.7.1");
  EXPECT_EQ(Code("DATA"), 503);
  EXPECT_TRUE(host_->Relayed().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Kb304897, Kb304897RejectTest,
    ::testing::Values(RelayCase{"t1_remote_to_remote", "user@remote.invalid",
                                "victim@other.invalid"},
                      RelayCase{"t2_domainless_sender", "alice", "victim@remote.invalid"},
                      RelayCase{"t3_null_sender", "<>", "victim@remote.invalid"},
                      RelayCase{"t4_local_sender", "alice@example.test", "user@remote.invalid"},
                      RelayCase{"t5_ip_literal_sender", "user@[127.0.0.1]", "user@remote.invalid"}),
    CaseName);

// Tests 6 and 7: completed to the local domain; never relayed (550 5.1.1 with recipient
// filtering; accepted and bounced without it).
TEST_F(SessionTest, Kb304897Tests6And7AreNeverRelayed) {
  for (const char* rcpt : {"user%remote.invalid", "\"user@remote.invalid\""}) {
    Connect();
    Ehlo();
    const Reply filtered = [&] {
      EXPECT_EQ(Code("MAIL FROM:alice"), 250);
      return One(std::string("RCPT TO:") + rcpt);
    }();
    EXPECT_EQ(filtered.code, 550) << rcpt;
    EXPECT_EQ(filtered.enhanced, "5.1.1") << rcpt;
  }
  config_.policy.recipient_filtering = false;
  for (const char* rcpt : {"user%remote.invalid", "\"user@remote.invalid\""}) {
    Connect();
    Ehlo();
    EXPECT_EQ(SendMail("alice", rcpt), 250) << rcpt;
    ASSERT_EQ(host_->queued().size(), 1u);
    const EnvelopeRecipient& r = host_->queued()[0].envelope.recipients[0];
    EXPECT_EQ(r.disposition, Disposition::kNdr) << rcpt;
    EXPECT_EQ(r.routing_domain, "example.test") << rcpt;
    EXPECT_TRUE(host_->Relayed().empty());
    EXPECT_TRUE(std::any_of(host_->events().begin(), host_->events().end(),
                            [](const auto& e) { return std::holds_alternative<NdrQueued>(e); }));
  }
}

// The 16 nmap / Metasploit forms and the OpenVAS extras: nothing is ever relayed.
TEST_F(SessionTest, ScannerRelayFormsAreNeverRelayed) {
  const char* const kForms[][2] = {
      {"<>", "<to@remote.invalid>"},
      {"<from@remote.invalid>", "<to@remote.invalid>"},
      {"<from@mx.example.test>", "<to@remote.invalid>"},
      {"<from@[127.0.0.1]>", "<to@remote.invalid>"},
      {"<from@[127.0.0.1]>", "<to%remote.invalid@[127.0.0.1]>"},
      {"<from@[127.0.0.1]>", "<to%remote.invalid@mx.example.test>"},
      {"<from@[127.0.0.1]>", "<\"to@remote.invalid\">"},
      {"<from@[127.0.0.1]>", "<\"to%remote.invalid\">"},
      {"<from@[127.0.0.1]>", "<to@remote.invalid@[127.0.0.1]>"},
      {"<from@[127.0.0.1]>", "<\"to@remote.invalid\"@[127.0.0.1]>"},
      {"<from@[127.0.0.1]>", "<to@remote.invalid@mx.example.test>"},
      {"<from@[127.0.0.1]>", "<@[127.0.0.1]:to@remote.invalid>"},
      {"<from@[127.0.0.1]>", "<@mx.example.test:to@remote.invalid>"},
      {"<from@[127.0.0.1]>", "<remote.invalid!to>"},
      {"<from@[127.0.0.1]>", "<remote.invalid!to@[127.0.0.1]>"},
      {"<from@[127.0.0.1]>", "<remote.invalid!to@mx.example.test>"},
      {"<nobody@remote.invalid>", "<nobody@remote.invalid>"},
      {"<u@localhost>", "<nobody@remote.invalid>"},
      {"<postmaster@mx.example.test>", "<nobody@remote.invalid>"},
      {"<u@example.test>", "<nobody@REMOTE.INVALID>"},
      {"<u@example.test>", "<@a.invalid,@b.invalid:to@remote.invalid>"},
      {"<u@example.test>", "<postmaster@remote.invalid>"},
      {"<u@example.test>", "<\"IMCEASMTP-to+40remote+2Einvalid\"@example.test>"},
  };
  for (const auto& form : kForms) {
    Connect();
    Ehlo();
    int rcpt = 0;
    SendMail(form[0], form[1], &rcpt);
    EXPECT_NE(rcpt, 250) << form[0] << " -> " << form[1];
    EXPECT_TRUE(host_->Relayed().empty()) << form[0] << " -> " << form[1];
  }
}

TEST_F(SessionTest, PostmasterIsAlwaysAccepted) {
  Ehlo();
  EXPECT_EQ(Code("MAIL FROM:<>"), 250);
  EXPECT_EQ(Code("RCPT TO:<postmaster>"), 250);
  EXPECT_EQ(Code("RCPT TO:<Postmaster@example.test>"), 250);
  EXPECT_EQ(Code("RCPT TO:<postmaster@remote.invalid>"), 550);
}

// ---- AUTH: MS02-011 ----

TEST_F(SessionTest, GuestAuthenticatesButMayNotRelay) {
  Ehlo();
  Login("guest", "guest-pass");
  EXPECT_TRUE(host_->session().facts().authenticated);
  EXPECT_EQ(Code("MAIL FROM:<guest@example.test>"), 250);
  const Reply reply = One("RCPT TO:<victim@remote.invalid>");
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.enhanced, "5.7.1");
  EXPECT_THAT(reply.lines[0], HasSubstr("guest"));
  EXPECT_TRUE(host_->Relayed().empty());
}

TEST_F(SessionTest, RelayerMayRelay) {
  Ehlo();
  Login("relayer", "relayer-pass");
  EXPECT_EQ(SendMail("<relayer@example.test>", "<victim@remote.invalid>"), 250);
  const auto relayed = host_->Relayed();
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].routing_domain, "remote.invalid");
}

TEST_F(SessionTest, LoginMechanismWorks) {
  Ehlo();
  EXPECT_EQ(Code("AUTH LOGIN"), 334);
  EXPECT_EQ(Code(EncodeBase64("relayer")), 334);
  EXPECT_EQ(Code(EncodeBase64("relayer-pass")), 235);
  EXPECT_EQ(SendMail("<relayer@example.test>", "<v@remote.invalid>"), 250);
  EXPECT_EQ(host_->Relayed().size(), 1u);
}

TEST_F(SessionTest, FailedAuthLeavesTheSessionAnonymous) {
  Ehlo();
  const Reply reply = One(PlainAuth("relayer", "wrong"));
  EXPECT_EQ(reply.code, 535);
  EXPECT_EQ(reply.enhanced, "5.7.8");
  EXPECT_THAT(reply.lines[0], Not(HasSubstr("wrong")));
  EXPECT_FALSE(host_->session().facts().authenticated);
  int rcpt = 0;
  SendMail("<a@example.test>", "<v@remote.invalid>", &rcpt);
  EXPECT_EQ(rcpt, 550);
  // Unknown user and wrong password look the same.
  EXPECT_EQ(One(PlainAuth("nosuchuser", "x")), reply);
}

TEST_F(SessionTest, CancelledAuthLeavesTheSessionAnonymous) {
  Ehlo();
  EXPECT_EQ(Code("AUTH LOGIN"), 334);
  EXPECT_EQ(Code("*"), 501);
  EXPECT_EQ(Code("AUTH LOGIN"), 334);
  EXPECT_EQ(Code(EncodeBase64("relayer")), 334);
  EXPECT_EQ(Code("*"), 501);
  EXPECT_EQ(Code("AUTH PLAIN"), 334);
  EXPECT_EQ(Code("*"), 501);
  EXPECT_FALSE(host_->session().facts().authenticated);
  int rcpt = 0;
  SendMail("<a@example.test>", "<v@remote.invalid>", &rcpt);
  EXPECT_EQ(rcpt, 550);
}

TEST_F(SessionTest, AuthzidImpersonationIsRefused) {
  Ehlo();
  EXPECT_EQ(Code(PlainAuth("guest", "guest-pass", "relayer")), 535);
  EXPECT_FALSE(host_->session().facts().authenticated);
  int rcpt = 0;
  SendMail("<a@example.test>", "<v@remote.invalid>", &rcpt);
  EXPECT_EQ(rcpt, 550);
  EXPECT_EQ(Code(PlainAuth("guest", "guest-pass", "guest")), 235);
}

TEST_F(SessionTest, NullCredentialsAreRefused) {
  Ehlo();
  EXPECT_EQ(Code("AUTH PLAIN ="), 501);
  EXPECT_EQ(Code("AUTH PLAIN " + EncodeBase64(std::string("\0\0", 2))), 501);
  EXPECT_EQ(Code("AUTH PLAIN !!!!"), 501);
  EXPECT_FALSE(host_->session().facts().authenticated);
}

TEST_F(SessionTest, AuthSequenceRules) {
  EXPECT_EQ(Code(PlainAuth("relayer", "relayer-pass")), 503);  // before EHLO
  EXPECT_EQ(Code("HELO client.test"), 250);
  EXPECT_EQ(Code(PlainAuth("relayer", "relayer-pass")), 503);  // HELO is not EHLO
  Ehlo();
  EXPECT_EQ(Code("AUTH CRAM-MD5"), 504);
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 250);
  EXPECT_EQ(Code(PlainAuth("relayer", "relayer-pass")), 503);  // inside a transaction
  EXPECT_EQ(Code("RSET"), 250);
  Login("relayer", "relayer-pass");
  EXPECT_EQ(Code(PlainAuth("relayer", "relayer-pass")), 503);  // twice
}

TEST_F(SessionTest, MailAuthParameterIsNotAuthentication) {
  Ehlo();
  EXPECT_EQ(Code("MAIL FROM:<relayer@example.test> AUTH=relayer@example.test"), 250);
  EXPECT_EQ(Code("RCPT TO:<v@remote.invalid>"), 550);
}

TEST_F(SessionTest, SenderLoginMismatchIsRefused) {
  config_.policy.sender_login_match = true;
  Connect();
  Ehlo();
  Login("guest", "guest-pass");
  const Reply reply = One("MAIL FROM:<alice@example.test>");
  EXPECT_EQ(reply.code, 553);
  EXPECT_EQ(reply.enhanced, "5.7.1");
  EXPECT_EQ(Code("MAIL FROM:<guest@example.test>"), 250);
}

TEST_F(SessionTest, AuthRequiredMode) {
  config_.auth_required = true;
  Connect();
  Ehlo();
  const Reply reply = One("MAIL FROM:<a@example.test>");
  EXPECT_EQ(reply.code, 530);
  EXPECT_EQ(reply.enhanced, "5.7.0");
  Login("guest", "guest-pass");
  EXPECT_EQ(Code("MAIL FROM:<a@example.test>"), 250);
}

TEST_F(SessionTest, OverlongSaslLineFailsTheExchange) {
  Ehlo();
  EXPECT_EQ(Code("AUTH PLAIN"), 334);
  const Reply reply = One(std::string(20000, 'A'));
  EXPECT_EQ(reply.code, 500);
  EXPECT_EQ(reply.enhanced, "5.5.6");
  EXPECT_EQ(Code("NOOP"), 250);
  EXPECT_FALSE(host_->session().facts().authenticated);
}

TEST_F(SessionTest, TrustedNetworkMayRelayWithoutAuth) {
  config_.policy.trusted_networks = {"127.0.0.0/8"};
  Connect("127.0.0.5");
  Ehlo();
  EXPECT_EQ(SendMail("<a@example.test>", "<v@remote.invalid>"), 250);
  EXPECT_EQ(host_->Relayed().size(), 1u);
  Connect("::1");
  Ehlo();
  int rcpt = 0;
  SendMail("<a@example.test>", "<v@remote.invalid>", &rcpt);
  EXPECT_EQ(rcpt, 550);
}

TEST_F(SessionTest, EveryReplyIsWellFormed) {
  const std::string script =
      "EHLO c.test\r\nMAIL FROM:<a@b.test> FOO=1\r\nMAIL FROM:<a\r\nRCPT TO:<x>\r\nBDAT x\r\n";
  for (const SendReply& r : host_->Feed(script)) {
    const std::string wire = FormatReply(r.reply);
    const auto parsed = ParseReply(wire, ReadMode::kStrict);
    ASSERT_TRUE(parsed.ok()) << wire << parsed.status();
    EXPECT_EQ(*parsed, r.reply);
  }
}

}  // namespace
}  // namespace smtpgate
