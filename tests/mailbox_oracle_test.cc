// The local-delivery oracle (harness/conformance/mailbox_oracle.h): parsing delivered
// messages and mbox files, the snapshot (only what appears later counts), the target-file
// keys, and the runner deciding local-mail outcomes from real Maildirs written by the
// reference server over TCP.
#include "harness/conformance/mailbox_oracle.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target_file.h"
#include "harness/conformance/tcp_target.h"
#include "harness/net/server.h"
#include "harness/net/server_config.h"
#include "harness/net/sink.h"
#include "tests/source_dir.h"
#include "tests/suite_runs.h"

namespace smtpgate::conformance {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "smtpgate-mailbox-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~ScratchDir() {
    std::error_code error;
    if (!path_.empty()) fs::remove_all(path_, error);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text, bool append = false) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << text;
}

void MakeMaildir(const std::string& dir) {
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(fs::path(dir) / sub);
}

// What Postfix's virtual(8) writes: prepended envelope headers, LF line ends.
const char kPostfixMessage[] =
    "Return-Path: <sender@remote.invalid>\n"
    "X-Original-To: alice@example.test\n"
    "Delivered-To: alice@example.test\n"
    "Received: from client.test (localhost [127.0.0.1])\n"
    "\tby mx.example.test (Postfix) with ESMTP id 4AB12\n"
    "Subject: sgtok-0000abcd\n"
    "\n"
    "first line\n"
    ".x stuffed\n";

TEST(DeliveredMessage, EnvelopeFromTheDeliveryHeadersBodyInSmtpForm) {
  const OracleMessage m = ParseDeliveredMessage(kPostfixMessage, "", "Maildir file f");
  EXPECT_TRUE(m.local);
  EXPECT_FALSE(m.relayed);
  EXPECT_TRUE(m.sender_known);
  EXPECT_EQ(m.sender, "sender@remote.invalid");
  EXPECT_THAT(m.recipients, ElementsAre("alice@example.test"));  // one, not twice
  EXPECT_EQ(m.where, "Maildir file f");
  // The prepended headers are gone; the rest is as sent, with CRLF line ends again.
  EXPECT_EQ(m.body,
            "Received: from client.test (localhost [127.0.0.1])\r\n"
            "\tby mx.example.test (Postfix) with ESMTP id 4AB12\r\n"
            "Subject: sgtok-0000abcd\r\n\r\nfirst line\r\n.x stuffed\r\n");
}

TEST(DeliveredMessage, CrlfFilesStayAsTheyAreAndTheNullSenderIsKnown) {
  const OracleMessage m = ParseDeliveredMessage(
      "Return-Path: <>\r\nDelivered-To: bob@example.test\r\nSubject: x\r\n\r\na\nb\r\n", "", "");
  EXPECT_TRUE(m.sender_known);
  EXPECT_EQ(m.sender, "");
  EXPECT_THAT(m.recipients, ElementsAre("bob@example.test"));
  EXPECT_EQ(m.body, "Subject: x\r\n\r\na\nb\r\n");  // the bare LF is kept: evidence
}

TEST(DeliveredMessage, WithoutReturnPathTheSenderIsNotRecorded) {
  const OracleMessage bare = ParseDeliveredMessage("Subject: x\r\n\r\nbody\r\n", "", "");
  EXPECT_FALSE(bare.sender_known);
  EXPECT_THAT(bare.recipients, IsEmpty());
  EXPECT_EQ(bare.body, "Subject: x\r\n\r\nbody\r\n");
  // An mbox "From " line records it; MAILER-DAEMON is the null sender.
  EXPECT_EQ(ParseDeliveredMessage("Subject: x\n\n", "a@b.test", "").sender, "a@b.test");
  const OracleMessage bounce = ParseDeliveredMessage("Subject: x\n\n", "MAILER-DAEMON", "");
  EXPECT_TRUE(bounce.sender_known);
  EXPECT_EQ(bounce.sender, "");
  // Envelope-To (Exim) may list several recipients.
  EXPECT_THAT(ParseDeliveredMessage("Envelope-To: <a@x.test>, b@x.test\n\n", "", "").recipients,
              ElementsAre("a@x.test", "b@x.test"));
}

TEST(Mbox, SplitsUnquotesAndDropsTheSeparator) {
  const std::vector<MboxEntry> entries = SplitMbox(
      "From sender@remote.invalid  Mon Dec  7 01:00:00 2026\n"
      "Subject: one\n\n>From the start\n>>From kept once\n\n"
      "From MAILER-DAEMON  Mon Dec  7 01:00:01 2026\n"
      "Subject: two\n\nbody\n\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].from_line_sender, "sender@remote.invalid");
  EXPECT_EQ(entries[0].text, "Subject: one\n\nFrom the start\n>From kept once\n");
  EXPECT_EQ(entries[1].from_line_sender, "MAILER-DAEMON");
  EXPECT_EQ(entries[1].text, "Subject: two\n\nbody\n");
}

TEST(Maildirs, ARootIsAMaildirOrHoldsThemUpToThreeLevelsDown) {
  ScratchDir dir;
  MakeMaildir(dir / "single");
  EXPECT_THAT(FindMaildirs(dir / "single"), ElementsAre(dir / "single"));
  MakeMaildir(dir / "base/example.test/alice");
  MakeMaildir(dir / "base/example.test/bob");
  MakeMaildir(dir / "base/.hidden/x");
  MakeMaildir(dir / "base/a/b/c/too-deep");
  EXPECT_THAT(FindMaildirs(dir / "base"),
              ElementsAre(dir / "base/example.test/alice", dir / "base/example.test/bob"));
  EXPECT_THAT(FindMaildirs(dir / "missing"), IsEmpty());
}

TEST(MailboxOracle, OnlyWhatAppearsAfterTheSnapshotCounts) {
  ScratchDir dir;
  const std::string alice = dir / "mail/example.test/alice";
  MakeMaildir(alice);
  Write(alice + "/new/1.old", "Subject: sgtok-0000abcd old\n\n");
  Write(dir / "box.mbox", "From old@x.test Mon Dec  7 01:00:00 2026\nSubject: sgtok-0000abcd\n\n");

  MailboxOracle oracle({dir / "mail"}, {dir / "box.mbox", dir / "later.mbox"});
  EXPECT_EQ(oracle.Describe(), "1 Maildir root and 2 mbox files");
  absl::StatusOr<std::vector<OracleMessage>> none = oracle.MessagesWithToken("sgtok-0000abcd");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());

  // A new message, in a Maildir that did not exist at the snapshot (bob's first mail).
  const std::string bob = dir / "mail/example.test/bob";
  MakeMaildir(bob);
  Write(bob + "/new/2.new", kPostfixMessage);
  Write(alice + "/new/3.other", "Subject: sgtok-ffffffff\n\n");  // another test's token
  Write(dir / "box.mbox",
        "From smuggled@remote.invalid Mon Dec  7 01:00:02 2026\nSubject: sgtok-0000abcd 2\n\n",
        /*append=*/true);
  absl::StatusOr<std::vector<OracleMessage>> found = oracle.MessagesWithToken("sgtok-0000abcd");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].sender, "sender@remote.invalid");
  EXPECT_EQ((*found)[0].where, "Maildir file " + bob + "/new/2.new");
  EXPECT_EQ((*found)[1].sender, "smuggled@remote.invalid");
  EXPECT_EQ((*found)[1].where, "mbox " + (dir / "box.mbox"));

  // A reader moves the message to cur/ and flags it: still the same one message. The old
  // message, moved too, stays out.
  fs::rename(bob + "/new/2.new", bob + "/cur/2.new:2,S");
  fs::rename(alice + "/new/1.old", alice + "/cur/1.old:2,S");
  found = oracle.MessagesWithToken("sgtok-0000abcd");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);
  // An mbox created after the snapshot is read from its start.
  Write(dir / "later.mbox", "From a@b.test Mon Dec  7 01:00:03 2026\nSubject: sgtok-0000abcd\n\n");
  found = oracle.MessagesWithToken("sgtok-0000abcd");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 3u);
}

TEST(MailboxOracle, AMissingMaildirRootIsAnError) {
  MailboxOracle oracle({"/nonexistent/maildir"}, {});
  const absl::StatusOr<std::vector<OracleMessage>> found = oracle.MessagesWithToken("x");
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.status().message(),
              HasSubstr("Maildir root /nonexistent/maildir does not exist"));
}

TEST(MailboxOracle, CopiesOfOneMessageCountOnce) {
  OracleMessage relayed{
      .sender = "s@x.test", .recipients = {"r@remote.invalid"}, .body = "B", .relayed = true};
  OracleMessage alice = ParseDeliveredMessage("Delivered-To: alice@example.test\n\nB", "", "f1");
  alice.body = "B";
  OracleMessage bob = alice;
  bob.recipients = {"bob@example.test"};
  OracleMessage other = alice;
  other.body = "C";
  std::vector<OracleMessage> messages = {relayed, relayed, alice, bob, other};
  MergeLocalCopies(messages);
  ASSERT_EQ(messages.size(), 3u);  // two relayed messages are never merged
  EXPECT_TRUE(messages[0].relayed);
  EXPECT_TRUE(messages[0].local);
  EXPECT_EQ(messages[0].sender, "s@x.test");
  EXPECT_THAT(messages[0].recipients,
              ElementsAre("r@remote.invalid", "alice@example.test", "bob@example.test"));
  EXPECT_EQ(messages[2].body, "C");
}

TEST(MailboxOracle, TargetFileKeysResolvePathsAgainstTheFile) {
  const std::string base = "port = 25\nlocal_domain = \"d\"\nlocal_user = \"u\"\n";
  const absl::StatusOr<TargetConfig> config = ParseTargetFile(
      base +
          "[oracle]\nsink = \"127.0.0.1:2626\"\nmaildir = [\"../mail\", \"/abs/mail\"]\n"
          "mbox = [\"box\"]\n",
      "conformance/targets/t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->oracle.maildirs, ElementsAre("conformance/mail", "/abs/mail"));
  EXPECT_THAT(config->oracle.mboxes, ElementsAre("conformance/targets/box"));
  EXPECT_TRUE(config->oracle.reads_mailboxes());
  auto error = [&](const std::string& text) {
    const absl::StatusOr<TargetConfig> bad = ParseTargetFile(base + text, "t.toml");
    EXPECT_FALSE(bad.ok()) << text;
    return std::string(bad.status().message());
  };
  EXPECT_THAT(error("[oracle]\nmaildir = \"mail\"\n"),
              HasSubstr("t.toml:5:11: key 'oracle.maildir': expected an array of strings"));
  EXPECT_THAT(error("[oracle]\nmbox = [\"a\", 3]\n"),
              HasSubstr("t.toml:5:14: key 'oracle.mbox[1]': expected a string"));
  EXPECT_THAT(error("[oracle]\nmaildir = [\"\"]\n"),
              HasSubstr("key 'oracle.maildir[0]': expected a file name"));
  EXPECT_THAT(error("[oracle]\noracle_sees_local = true\nmaildir = [\"m\"]\n"),
              HasSubstr("t.toml:6:11: key 'oracle.maildir': the local mailboxes are read"));
}

// The reference server over TCP, its local mail in the Maildirs of its spool, relayed mail
// at a sink: every local-mail outcome is decided by the stored messages.
class MaildirOverTcp : public ::testing::Test {
 protected:
  std::map<std::string, TestResult> Run(Profile profile, const std::vector<std::string>& suite,
                                        bool with_sink = true) {
    absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start("127.0.0.1:0");
    EXPECT_TRUE(sink.ok()) << sink.status();
    if (!sink.ok()) return {};
    ServerConfig server_config = DemoServerConfig(profile);
    server_config.listen = {"127.0.0.1:0"};
    server_config.relay_host = (*sink)->address();  // relayed mail goes there either way
    const std::string maildir_root = server_config.spool_dir + "/maildir";
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(server_config);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return {};
    std::thread thread([&] { (*server)->Run(); });
    TargetConfig config = DemoTarget("127.0.0.1", (*server)->endpoints().at(0).port());
    config.oracle_wait = std::chrono::milliseconds(500);
    config.grace = std::chrono::milliseconds(50);
    config.oracle.maildirs = {maildir_root};
    TcpTarget target(config, with_sink ? sink->get() : nullptr, nullptr);
    const Suite loaded = LoadSuite(suite, UsableNames(config.variables));
    EXPECT_TRUE(loaded.errors.empty());
    std::map<std::string, TestResult> results = RunSuiteById(loaded, target);
    (*server)->Stop();
    thread.join();
    return results;
  }
  const std::string catalogue_ = SourceDir() + "/conformance";
};

TEST_F(MaildirOverTcp, LocalOracleTestsRunAndPassOnTheSecureServer) {
  auto results = Run(Profile::kSecure, {catalogue_ + "/data/data-dot-stuffing.smtp",
                                        catalogue_ + "/data/data-disconnect-mid-data.smtp",
                                        catalogue_ + "/data/smuggling-lf-dot-lf.smtp"});
  ASSERT_EQ(results.size(), 3u);
  const TestResult& stuffing = results.at("data/data-dot-stuffing");
  EXPECT_EQ(stuffing.verdict, Verdict::kPass) << stuffing.reason;  // not SKIP
  EXPECT_THAT(stuffing.reason, HasSubstr("delivered locally (oracle: sink 127.0.0.1:"));
  EXPECT_THAT(stuffing.reason, HasSubstr("+ 1 Maildir root"));
  EXPECT_EQ(results.at("data/data-disconnect-mid-data").verdict, Verdict::kPass);
  const TestResult& smuggling = results.at("data/smuggling-lf-dot-lf");
  EXPECT_EQ(smuggling.verdict, Verdict::kPass) << smuggling.reason;
  // Refused (bare LF in DATA): no message, seen in the mailboxes themselves.
  EXPECT_THAT(smuggling.reason, HasSubstr("0 message(s) carrying the token (oracle: sink"));
  EXPECT_EQ(smuggling.evidence, std::vector<std::string>({"reply sequence", "oracle", "liveness"}));
}

TEST_F(MaildirOverTcp, MailboxesAloneDoNotDecideRelaying) {
  auto results = Run(Profile::kOpenRelay,
                     {catalogue_ + "/relay/kb304897-1-remote-to-remote.smtp",
                      catalogue_ + "/data/data-dot-stuffing.smtp"},
                     /*with_sink=*/false);
  // The relay went to a sink nobody reads: the mailboxes cannot tell, so WARN, not PASS.
  const TestResult& relay = results.at("relay/kb304897-1-remote-to-remote");
  EXPECT_EQ(relay.verdict, Verdict::kWarn) << relay.reason;
  EXPECT_THAT(relay.reason, HasSubstr("no delivery oracle for relayed mail (the oracle reads "
                                      "only 1 Maildir root): cannot check EXPECT not-relayed"));
  const TestResult& stuffing = results.at("data/data-dot-stuffing");
  EXPECT_EQ(stuffing.verdict, Verdict::kPass) << stuffing.reason;
  EXPECT_THAT(stuffing.reason, HasSubstr("delivered locally (oracle: 1 Maildir root"));
}

TEST_F(MaildirOverTcp, TheSmuggledLocalMessageIsTheEvidence) {
  auto results = Run(Profile::kBareLfEod, {catalogue_ + "/data/smuggling-lf-dot-lf.smtp"});
  const TestResult& smuggling = results.at("data/smuggling-lf-dot-lf");
  EXPECT_EQ(smuggling.verdict, Verdict::kFail);
  EXPECT_THAT(smuggling.evidence, ::testing::Contains("oracle"));
  EXPECT_THAT(smuggling.reason, HasSubstr("2 messages carry the token: a second message"));
  EXPECT_THAT(smuggling.reason, HasSubstr("(Maildir file "));
  // The reference server stores messages as received, without Return-Path: the sender
  // check says it cannot read the envelope sender (and does not pass it by the oracle).
  bool sender_check = false;
  for (const Finding& finding : smuggling.findings) {
    if (!absl::StrContains(finding.reason, "EXPECT no-message-from")) continue;
    sender_check = true;
    EXPECT_EQ(finding.evidence, Evidence::kReplySequence);
    EXPECT_THAT(finding.reason, HasSubstr("do not record their envelope sender (no Return-Path)"));
  }
  EXPECT_TRUE(sender_check);
}

}  // namespace
}  // namespace smtpgate::conformance
