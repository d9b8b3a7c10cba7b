#include "harness/net/spool.h"

#include <sys/stat.h>

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/address.h"
#include "nlohmann/json.hpp"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::ListDir;
using ::smtpgate::testing::ListFilesRecursive;
using ::smtpgate::testing::ReadFileOrEmpty;
using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Path P(std::string_view text, bool reverse = false) {
  AddressOptions options;
  options.reverse_path = reverse;
  absl::StatusOr<Path> path = ParsePath(text, options);
  EXPECT_TRUE(path.ok()) << text << ": " << path.status();
  return path.ok() ? *path : Path{};
}

EnvelopeRecipient R(std::string_view path, Disposition disposition, std::string domain) {
  return EnvelopeRecipient{P(path), std::move(domain), disposition, "test"};
}

Envelope MakeEnvelope(std::vector<EnvelopeRecipient> recipients) {
  Envelope envelope;
  envelope.sender = P("<sender@remote.invalid>", true);
  envelope.parameters.body = BodyType::k8BitMime;
  envelope.recipients = std::move(recipients);
  return envelope;
}

std::string Commit(Spool& spool, std::string_view body, const Envelope& envelope) {
  absl::StatusOr<std::unique_ptr<SpoolWriter>> writer = spool.Begin();
  EXPECT_TRUE(writer.ok()) << writer.status();
  if (!writer.ok()) return "";
  // In pieces, as BodyData arrives.
  for (size_t i = 0; i < body.size(); i += 7) {
    EXPECT_TRUE((*writer)->Append(body.substr(i, 7)).ok());
  }
  absl::StatusOr<std::string> id =
      (*writer)->Commit(envelope, SpoolProvenance{"127.0.0.1", "client.test", "", false});
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : "";
}

TEST(SpoolTest, OpenCreatesTheLayout) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp / "spool");
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_THAT(ListDir(tmp / "spool"),
              ElementsAre("bounces", "lock", "maildir", "outbound", "queue", "tmp"));
}

TEST(SpoolTest, LocalRecipientsGetByteIdenticalMaildirLinks) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok()) << spool.status();
  const std::string body = "Subject: hi\r\n\r\n.leading dot kept\r\nbinary \x01\xff\r\n";
  const std::string id =
      Commit(*spool, body,
             MakeEnvelope({R("<alice@example.test>", Disposition::kDeliverLocal, "example.test"),
                           R("<Bob@example.test>", Disposition::kDeliverLocal, "example.test"),
                           R("<ALICE@example.test>", Disposition::kDeliverLocal, "example.test"),
                           R("<Postmaster>", Disposition::kDeliverLocal, "example.test")}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/alice/new/" + id), body);
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/bob/new/" + id), body);
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/postmaster/new/" + id), body);
  EXPECT_THAT(ListDir(tmp / "maildir/alice"), ElementsAre("cur", "new", "tmp"));
  // One link per user (alice twice → once), all the same inode.
  struct stat st;
  ASSERT_EQ(stat((tmp / "maildir/alice/new/" + id).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
  EXPECT_THAT(ListDir(tmp / "maildir/alice/new"), ElementsAre(id));
  // Nothing left behind.
  EXPECT_THAT(ListDir(tmp / "tmp"), IsEmpty());
  EXPECT_THAT(ListDir(tmp / "queue"), IsEmpty());
  EXPECT_THAT(ListDir(tmp / "outbound"), IsEmpty());
}

TEST(SpoolTest, RelayedAndBouncedRecipientsGetTheirOwnEnvelopes) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok()) << spool.status();
  const std::string body = "Subject: out\r\n\r\nbody\r\n";
  const std::string id =
      Commit(*spool, body,
             MakeEnvelope({R("<carol@remote.invalid>", Disposition::kRelay, "remote.invalid"),
                           R("<nobody@example.test>", Disposition::kNdr, "example.test"),
                           R("<alice@example.test>", Disposition::kDeliverLocal, "example.test"),
                           R("<x@y.invalid>", Disposition::kReject, "y.invalid")}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ReadFileOrEmpty(tmp / "outbound/" + id + ".eml"), body);
  EXPECT_EQ(ReadFileOrEmpty(tmp / "bounces/" + id + ".eml"), body);
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/alice/new/" + id), body);
  absl::StatusOr<std::vector<std::string>> outbound = ListSpooled(tmp.path(), "outbound");
  ASSERT_TRUE(outbound.ok());
  EXPECT_THAT(*outbound, ElementsAre(id));

  absl::StatusOr<SpooledEnvelope> out = ReadSpooledEnvelope(tmp / "outbound/" + id + ".env");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, id);
  EXPECT_EQ(out->sender, "sender@remote.invalid");
  EXPECT_EQ(out->sender_path, "<sender@remote.invalid>");
  EXPECT_EQ(out->size, body.size());
  EXPECT_EQ(out->client_address, "127.0.0.1");
  ASSERT_EQ(out->recipients.size(), 1u);
  EXPECT_EQ(out->recipients[0].address, "carol@remote.invalid");
  EXPECT_EQ(out->recipients[0].routing_domain, "remote.invalid");
  EXPECT_EQ(out->recipients[0].disposition, "relay");

  absl::StatusOr<SpooledEnvelope> bounce = ReadSpooledEnvelope(tmp / "bounces/" + id + ".env");
  ASSERT_TRUE(bounce.ok()) << bounce.status();
  ASSERT_EQ(bounce->recipients.size(), 1u);
  EXPECT_EQ(bounce->recipients[0].address, "nobody@example.test");
  EXPECT_EQ(bounce->recipients[0].disposition, "ndr");

  // The raw JSON carries the parameters (for the relay agent's BODY=).
  const nlohmann::json raw =
      nlohmann::json::parse(ReadFileOrEmpty(tmp / "outbound/" + id + ".env"));
  EXPECT_EQ(raw["parameters"]["body"], "8BITMIME");
  EXPECT_EQ(raw["version"], 1);
}

TEST(SpoolTest, EmptyMessageAndNullSender) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok());
  Envelope envelope =
      MakeEnvelope({R("<alice@example.test>", Disposition::kDeliverLocal, "example.test"),
                    R("<dave@remote.invalid>", Disposition::kRelay, "remote.invalid")});
  envelope.sender = P("<>", true);
  const std::string id = Commit(*spool, "", envelope);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/alice/new/" + id), "");
  absl::StatusOr<SpooledEnvelope> out = ReadSpooledEnvelope(tmp / "outbound/" + id + ".env");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->sender, "");
  EXPECT_EQ(out->sender_path, "<>");
}

TEST(SpoolTest, DiscardAndDestructionLeaveNothing) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok());
  {
    absl::StatusOr<std::unique_ptr<SpoolWriter>> writer = spool->Begin();
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("partial").ok());
    EXPECT_EQ(ListDir(tmp / "tmp").size(), 1u);  // being written: only in tmp/
    (*writer)->Discard();
    EXPECT_THAT(ListDir(tmp / "tmp"), IsEmpty());
    EXPECT_FALSE((*writer)->Append("more").ok());
    EXPECT_FALSE((*writer)->Commit(MakeEnvelope({})).ok());
  }
  {
    absl::StatusOr<std::unique_ptr<SpoolWriter>> writer = spool->Begin();
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("never committed").ok());
  }
  EXPECT_THAT(ListDir(tmp / "tmp"), IsEmpty());
  std::vector<std::string> files;
  ListFilesRecursive(tmp.path(), "", &files);
  EXPECT_THAT(files, ElementsAre("lock"));
}

TEST(SpoolTest, IdsAreUnique) {
  TempDir tmp;
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok());
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ids.insert(Commit(
        *spool, "x\r\n",
        MakeEnvelope({R("<alice@example.test>", Disposition::kDeliverLocal, "example.test")})));
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(ListDir(tmp / "maildir/alice/new").size(), 50u);
}

TEST(SpoolTest, OneProcessPerSpool) {
  TempDir tmp;
  absl::StatusOr<Spool> first = Spool::Open(tmp.path());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<Spool> second = Spool::Open(tmp.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), ::testing::HasSubstr("in use"));
  EXPECT_FALSE(first->dir().empty());  // `first` holds the lock until here
}

TEST(SpoolTest, ReopenAfterCloseWorks) {
  TempDir tmp;
  { ASSERT_TRUE(Spool::Open(tmp.path()).ok()); }
  EXPECT_TRUE(Spool::Open(tmp.path()).ok());
}

TEST(SpoolTest, RecoveryDropsUncommittedAndCompletesCommitted) {
  TempDir tmp;
  { ASSERT_TRUE(Spool::Open(tmp.path()).ok()); }
  // A crash left: a temp file; a queue .eml without its .env (not committed); a committed
  // entry whose fan-out had not run; an .env without .eml.
  ASSERT_TRUE(WriteFile(tmp / "tmp/1.M1P1Q1.eml", "half a mess"));
  ASSERT_TRUE(WriteFile(tmp / "queue/2.M2P2Q2.eml", "uncommitted"));
  ASSERT_TRUE(WriteFile(tmp / "queue/4.M4P4Q4.env", "{}"));
  const std::string body = "committed\r\n";
  ASSERT_TRUE(WriteFile(tmp / "queue/3.M3P3Q3.eml", body));
  nlohmann::json record = {
      {"version", 1},
      {"id", "3.M3P3Q3"},
      {"sender", "a@b.invalid"},
      {"recipients",
       {{{"address", "alice@example.test"}, {"disposition", "deliver-local"}, {"user", "alice"}},
        {{"address", "c@remote.invalid"}, {"disposition", "relay"}}}}};
  ASSERT_TRUE(WriteFile(tmp / "queue/3.M3P3Q3.env", record.dump()));

  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ(spool->recovery().temp_files_removed, 1);
  EXPECT_EQ(spool->recovery().queue_entries_completed, 1);
  EXPECT_EQ(spool->recovery().queue_files_removed, 2);
  EXPECT_THAT(ListDir(tmp / "tmp"), IsEmpty());
  EXPECT_THAT(ListDir(tmp / "queue"), IsEmpty());
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/alice/new/3.M3P3Q3"), body);
  EXPECT_EQ(ReadFileOrEmpty(tmp / "outbound/3.M3P3Q3.eml"), body);
  absl::StatusOr<SpooledEnvelope> out = ReadSpooledEnvelope(tmp / "outbound/3.M3P3Q3.env");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->recipients.size(), 1u);
  EXPECT_EQ(out->recipients[0].address, "c@remote.invalid");
}

TEST(SpoolTest, FanOutIsIdempotentWhenRerun) {
  TempDir tmp;
  std::string id;
  const std::string body = "again\r\n";
  {
    absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
    ASSERT_TRUE(spool.ok());
    id = Commit(
        *spool, body,
        MakeEnvelope({R("<alice@example.test>", Disposition::kDeliverLocal, "example.test")}));
  }
  // Simulate a crash after the maildir link but before the queue entry was removed.
  ASSERT_EQ(link((tmp / "maildir/alice/new/" + id).c_str(), (tmp / "queue/" + id + ".eml").c_str()),
            0);
  nlohmann::json record = {{"id", id},
                           {"recipients", {{{"disposition", "deliver-local"}, {"user", "alice"}}}}};
  ASSERT_TRUE(WriteFile(tmp / "queue/" + id + ".env", record.dump()));
  absl::StatusOr<Spool> spool = Spool::Open(tmp.path());
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_THAT(ListDir(tmp / "maildir/alice/new"), ElementsAre(id));
  EXPECT_EQ(ReadFileOrEmpty(tmp / "maildir/alice/new/" + id), body);
  EXPECT_THAT(ListDir(tmp / "queue"), IsEmpty());
}

TEST(SpoolTest, MaildirUserIsSanitized) {
  EXPECT_EQ(Spool::MaildirUser(P("<Alice@example.test>")), "alice");
  EXPECT_EQ(Spool::MaildirUser(P("<Postmaster>")), "postmaster");
  EXPECT_EQ(Spool::MaildirUser(P("<\"../etc\"@example.test>")), ".._etc");
  EXPECT_EQ(Spool::MaildirUser(P("<a/b@example.test>")), "a_b");
  EXPECT_EQ(Spool::MaildirUser(P("<\"..\"@example.test>")), "_..");
}

TEST(SpoolTest, UnwritableDirectoryIsAnError) {
  absl::StatusOr<Spool> spool = Spool::Open("/proc/definitely/not/here");
  EXPECT_FALSE(spool.ok());
}

}  // namespace
}  // namespace smtpgate
