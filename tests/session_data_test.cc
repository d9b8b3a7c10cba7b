// DATA and BDAT through the session: framing, dot-stuffing, limits, every BDAT
// malformation (MS02-012) and every SMTP smuggling end-of-data sequence.
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "session_fixture.h"

namespace smtpgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SessionDataTest : public SessionFixture {
 protected:
  void SetUp() override {
    Connect();
    Ehlo();
  }
  void Envelope() {
    ASSERT_EQ(Code("MAIL FROM:<sender@remote.invalid>"), 250);
    ASSERT_EQ(Code("RCPT TO:<alice@example.test>"), 250);
  }
};

TEST_F(SessionDataTest, DotStuffingIsUndone) {
  Envelope();
  EXPECT_THAT(Codes("DATA\r\n..leading dot\r\n...two\r\n.\r\n"), ElementsAre(354, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, ".leading dot\r\n..two\r\n");
}

TEST_F(SessionDataTest, EmptyMessage) {
  Envelope();
  EXPECT_THAT(Codes("DATA\r\n.\r\n"), ElementsAre(354, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "");
}

TEST_F(SessionDataTest, ByteByByteFeedingGivesTheSameMessage) {
  Envelope();
  const std::string script = "DATA\r\nA: b\r\n\r\n..x\r\n.\r\nNOOP\r\n";
  std::vector<int> codes;
  for (char c : script) {
    for (const SendReply& r : host_->Feed(std::string(1, c))) codes.push_back(r.reply.code);
  }
  EXPECT_THAT(codes, ElementsAre(354, 250, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "A: b\r\n\r\n.x\r\n");
}

TEST_F(SessionDataTest, OversizeMessageIsRefusedAfterItsEnd) {
  config_.max_message_size = 100;
  Connect();
  Ehlo();
  Envelope();
  EXPECT_EQ(Code("DATA"), 354);
  const Reply reply = One(std::string(200, 'x') + "\r\n.");
  EXPECT_EQ(reply.code, 552);
  EXPECT_EQ(reply.enhanced, "5.3.4");
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_EQ(Code("NOOP"), 250);  // still in sync
}

TEST_F(SessionDataTest, OverlongLineIsRefusedNotSplit) {
  Envelope();
  EXPECT_EQ(Code("DATA"), 354);
  const Reply reply = One(std::string(1100, 'x') + "\r\n.");
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.enhanced, "5.6.0");
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_EQ(Code("NOOP"), 250);
}

TEST_F(SessionDataTest, NulBytesAreKeptAsData) {
  Envelope();
  EXPECT_THAT(Codes(std::string("DATA\r\na\0b\r\n.\r\n", 14)), ElementsAre(354, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, std::string("a\0b\r\n", 5));
}

TEST_F(SessionDataTest, BinaryMimeNeedsBdat) {
  ASSERT_EQ(Code("MAIL FROM:<s@remote.invalid> BODY=BINARYMIME"), 250);
  ASSERT_EQ(Code("RCPT TO:<alice@example.test>"), 250);
  EXPECT_EQ(Code("DATA"), 503);
  EXPECT_THAT(Codes("BDAT 3 LAST\r\n\x01\x02\x03"), ElementsAre(250));
}

// ---- SMTP smuggling (catalogue C1) ----

// hannob/smtpsmug and The-Login SMTP-Smuggling-Tools (CVE-2023-51764/51765/51766).
const std::vector<std::string>& SmugglingSequences() {
  using namespace std::string_literals;
  static const auto* const kSequences = new std::vector<std::string>{
      "\n.\n"s,   "\r.\r"s,   "\r.\n"s,       "\n.\r"s,       "\n.\r\n"s,     "\r\n.\n"s,
      "\r.\r\n"s, "\r\n.\r"s, "\r\n\0.\r\n"s, "\r\n.\0\r\n"s, "\r\n.\r\r\n"s, "\r\r\n.\r\r\n"s,
  };
  return *kSequences;
}

std::string SmugglingPayload(std::string_view sequence) {
  return std::string("DATA\r\nSubject: first\r\n\r\nfirst body") + std::string(sequence) +
         "MAIL FROM:<smuggled@remote.invalid>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
         "Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\n";
}

TEST_F(SessionDataTest, SmugglingSequencesNeverEndDataAndAreRefused) {
  for (const std::string& sequence : SmugglingSequences()) {
    SCOPED_TRACE(testing::PrintToString(sequence));
    Connect();
    Ehlo();
    Envelope();
    const std::vector<int> codes = Codes(SmugglingPayload(sequence));
    // One 354 and one final verdict: the hidden MAIL/RCPT/DATA were never commands.
    ASSERT_EQ(codes.size(), 2u);
    EXPECT_EQ(codes[0], 354);
    // All but the two NUL variants contain a bare CR or LF.
    const bool has_bare = sequence.find('\0') == std::string::npos;
    if (has_bare) {
      EXPECT_EQ(codes[1], 550);  // bare CR/LF: refused (default policy)
      EXPECT_THAT(host_->queued(), IsEmpty());
    } else {
      EXPECT_EQ(codes[1], 250);  // NUL variants: one message, smuggled text inside it
      ASSERT_EQ(host_->queued().size(), 1u);
      EXPECT_THAT(host_->queued()[0].body, HasSubstr("MAIL FROM:<smuggled@remote.invalid>"));
    }
    for (const StoredMessage& m : host_->queued()) {
      EXPECT_EQ(FormatPath(m.envelope.sender), "<sender@remote.invalid>");
    }
    EXPECT_EQ(Code("NOOP"), 250);
  }
}

TEST_F(SessionDataTest, SmugglingSequencesKeptAsDataWhenConfigured) {
  config_.bare_line_endings = BareLineEndings::kKeep;
  for (const std::string& sequence : SmugglingSequences()) {
    SCOPED_TRACE(testing::PrintToString(sequence));
    Connect();
    Ehlo();
    Envelope();
    EXPECT_THAT(Codes(SmugglingPayload(sequence)), ElementsAre(354, 250));
    ASSERT_EQ(host_->queued().size(), 1u);
    EXPECT_EQ(FormatPath(host_->queued()[0].envelope.sender), "<sender@remote.invalid>");
    EXPECT_THAT(host_->queued()[0].body, HasSubstr("smuggled body"));
  }
}

// ---- BDAT (RFC 3030; MS02-012) ----

TEST_F(SessionDataTest, BdatChunksMakeOneMessage) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 5\r\nhelloBDAT 6 LAST\r\n world"), ElementsAre(250, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "hello world");
}

TEST_F(SessionDataTest, BdatByteByByte) {
  Envelope();
  const std::string script = "BDAT 7\r\n\r\n.\r\nabBDAT 0 LAST\r\nNOOP\r\n";
  std::vector<int> codes;
  for (char c : script) {
    for (const SendReply& r : host_->Feed(std::string(1, c))) codes.push_back(r.reply.code);
  }
  EXPECT_THAT(codes, ElementsAre(250, 250, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "\r\n.\r\nab");  // no dot handling in BDAT
}

TEST_F(SessionDataTest, BdatCrlfSplitAcrossChunksIsFine) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 3\r\nab\rBDAT 2 LAST\r\n\nc"), ElementsAre(250, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "ab\r\nc");
}

// Found by fuzz_session: "BDAT 8\r\nabcRSET\r" then "\n..." left a bare CR in a queued
// message, which a DATA-speaking next hop could read as a line end (smuggling).
TEST_F(SessionDataTest, BdatBareLineEndingsAreRefusedUnlessBinaryMime) {
  for (const char* body : {"abc\rx", "abc\nx", "abc\r"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(body)));
    Connect();
    Ehlo();
    Envelope();
    const std::string chunk(body);
    const auto replies = host_->Feed("BDAT " + std::to_string(chunk.size()) + " LAST\r\n" + chunk);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].reply.code, 550);
    EXPECT_EQ(replies[0].reply.enhanced, "5.6.0");
    EXPECT_THAT(host_->queued(), IsEmpty());
  }
  Connect();
  Ehlo();
  ASSERT_EQ(Code("MAIL FROM:<s@remote.invalid> BODY=BINARYMIME"), 250);
  ASSERT_EQ(Code("RCPT TO:<alice@example.test>"), 250);
  EXPECT_THAT(Codes("BDAT 5 LAST\r\na\rb\nc"), ElementsAre(250));
  EXPECT_EQ(host_->queued().size(), 1u);
}

TEST_F(SessionDataTest, BdatZeroLastAloneIsAnEmptyMessage) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 0 LAST\r\n"), ElementsAre(250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "");
}

TEST_F(SessionDataTest, BdatWithoutTransactionConsumesTheChunkThenRefuses) {
  // Nessus 10885 (MS02-012): the 4 octets are data, AUTH LOGIN is the next command.
  EXPECT_THAT(Codes("BDAT 4\r\nb00mAUTH LOGIN\r\n"), ElementsAre(503, 334));
  EXPECT_EQ(Code("*"), 501);
  EXPECT_THAT(Codes("MAIL FROM:<a@example.test>\r\nBDAT 3\r\nxyzNOOP\r\n"),
              ElementsAre(250, 503, 250));  // no recipient yet
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_FALSE(host_->service_stopped());
}

TEST_F(SessionDataTest, BdatAfterHeloIsConsumedThenRefused) {
  Connect();
  ASSERT_EQ(Code("HELO client.test"), 250);
  Envelope();
  EXPECT_THAT(Codes("BDAT 4 LAST\r\nQUITNOOP\r\n"), ElementsAre(503, 250));
  EXPECT_THAT(host_->queued(), IsEmpty());
}

TEST_F(SessionDataTest, MalformedBdatIsRefusedAndClosed) {
  for (const char* line :
       {"BDAT abc", "BDAT -1", "BDAT 99999999999999999999", "BDAT", "BDAT 10 FIRST", "BDAT 1.5"}) {
    Connect();
    Ehlo();
    Envelope();
    const std::vector<SendReply> replies = host_->Line(line);
    ASSERT_EQ(replies.size(), 1u) << line;
    EXPECT_EQ(replies[0].reply.code, 501) << line;
    EXPECT_TRUE(host_->closed()) << line;
    EXPECT_FALSE(host_->service_stopped()) << line;
    EXPECT_THAT(host_->queued(), IsEmpty());
  }
}

TEST_F(SessionDataTest, BdatAfterLastAndDataAfterBdat) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 2\r\nabDATA\r\nBDAT 1 LAST\r\nc"), ElementsAre(250, 503, 250));
  ASSERT_EQ(host_->queued().size(), 1u);
  EXPECT_EQ(host_->queued()[0].body, "abc");
  EXPECT_THAT(Codes("BDAT 1 LAST\r\nx"), ElementsAre(503));  // the transaction is over
  EXPECT_EQ(Code("NOOP"), 250);
}

TEST_F(SessionDataTest, RsetMidBdatDiscardsTheMessage) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 3\r\nabcRSET\r\n"), ElementsAre(250, 250));
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_EQ(host_->pending_body(), 0u);
  EXPECT_THAT(Codes("BDAT 1 LAST\r\nx"), ElementsAre(503));
}

TEST_F(SessionDataTest, DisconnectMidChunkQueuesNothing) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 100 LAST\r\nonly part of it"), IsEmpty());
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_EQ(host_->session().state(), SessionState::kBdatChunk);
}

TEST_F(SessionDataTest, OversizeChunkIsConsumedThenRefused) {
  config_.max_message_size = 10;
  Connect();
  Ehlo();
  Envelope();
  EXPECT_THAT(Codes("BDAT 20\r\n" + std::string(20, 'z') + "NOOP\r\n"), ElementsAre(552, 250));
  EXPECT_THAT(host_->queued(), IsEmpty());
  EXPECT_THAT(Codes("BDAT 1 LAST\r\nz"), ElementsAre(503));  // the transaction was ended
}

TEST_F(SessionDataTest, HugeChunkSizeIsReadAsDataNotCommands) {
  Envelope();
  EXPECT_THAT(Codes("BDAT 18446744073709551615\r\nRSET\r\nQUIT\r\n"), IsEmpty());
  EXPECT_FALSE(host_->closed());
  EXPECT_EQ(host_->session().state(), SessionState::kBdatChunk);
}

}  // namespace
}  // namespace smtpgate
