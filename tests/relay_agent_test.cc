// The outbound relay agent: spool files written by hand (the layout of harness/net/spool.h)
// are delivered to a Sink byte-identically and removed; failures leave them in place; only
// loopback smarthosts are ever contacted.
#include "harness/net/relay_agent.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/address.h"
#include "harness/core/session_output.h"
#include "harness/net/sink.h"
#include "harness/net/spool.h"
#include "tests/client_test_support.h"

namespace smtpgate {
namespace {

namespace fs = std::filesystem;
using ::smtpgate::testing::ScriptConnection;
using ::smtpgate::testing::ScriptServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RelayAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "relay_agent_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    spool_ = pattern;
    fs::create_directories(fs::path(spool_) / "outbound");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(spool_, ec);
  }

  void StartSink() {
    absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = std::move(*sink);
  }

  fs::path Outbound(const std::string& name) const { return fs::path(spool_) / "outbound" / name; }

  // As the spool writes them (spool.h): the .eml, then the .env "ready" marker.
  void SpoolByHand(const std::string& id, const std::string& sender,
                   const std::vector<std::string>& recipients, const std::string& body) {
    std::ofstream(Outbound(id + ".eml"), std::ios::binary) << body;
    std::string json = "{\"version\":1,\"id\":\"" + id +
                       "\",\"size\":" + std::to_string(body.size()) + ",\"sender\":\"" + sender +
                       "\",\"sender_path\":\"<" + sender + ">\",\"recipients\":[";
    for (size_t i = 0; i < recipients.size(); ++i) {
      const std::string& r = recipients[i];
      json += (i ? "," : "") + std::string("{\"address\":\"") + r + "\",\"path\":\"<" + r +
              ">\",\"routing_domain\":\"" + r.substr(r.find('@') + 1) +
              "\",\"disposition\":\"relay\",\"reason\":\"test\"}";
    }
    json += "]}";
    std::ofstream(Outbound(id + ".env"), std::ios::binary) << json;
  }

  bool Spooled(const std::string& id) const {
    return fs::exists(Outbound(id + ".eml")) && fs::exists(Outbound(id + ".env"));
  }

  std::string spool_;
  std::unique_ptr<Sink> sink_;
};

TEST_F(RelayAgentTest, DeliversByteIdenticalAndRemovesTheFiles) {
  StartSink();
  // Lines that need dot-stuffing, a lone "." line, a bare LF and 8-bit octets.
  const std::string body =
      ".starts with a dot\r\nSubject: sgtok-a1\r\n\r\n.\r\n..two\r\nbare\nLF\r\n\xc3\xa9\xff\r\n";
  SpoolByHand("000001", "probe@remote.invalid", {"sgtok-a1@relay.invalid", "other@relay.invalid"},
              body);
  SpoolByHand("000002", "", {"sgtok-a2@relay.invalid"}, "second\r\n");
  RelayReport report;
  const absl::Status status = DeliverOutbound(spool_, sink_->address(), RelayOptions{}, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report.delivered, ElementsAre("000001", "000002"));
  EXPECT_TRUE(report.failed.empty());
  EXPECT_TRUE(fs::is_empty(fs::path(spool_) / "outbound"));

  std::vector<SinkMessage> first = sink_->MessagesWithToken("sgtok-a1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].body, body);
  EXPECT_EQ(first[0].sender, "probe@remote.invalid");
  EXPECT_THAT(first[0].recipients, ElementsAre("sgtok-a1@relay.invalid", "other@relay.invalid"));
  std::vector<SinkMessage> second = sink_->MessagesWithToken("sgtok-a2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].sender, "");  // the null sender stays null
  EXPECT_EQ(second[0].body, "second\r\n");

  // Nothing left: a second run is a no-op.
  EXPECT_TRUE(DeliverOutbound(spool_, sink_->address()).ok());
  EXPECT_EQ(sink_->count(), 2u);
}

TEST_F(RelayAgentTest, BodyWithoutFinalCrlfGetsOne) {
  StartSink();
  SpoolByHand("000003", "a@remote.invalid", {"b@relay.invalid"}, "no line end");
  ASSERT_TRUE(DeliverOutbound(spool_, sink_->address()).ok());
  ASSERT_EQ(sink_->count(), 1u);
  EXPECT_EQ(sink_->messages()[0].body, "no line end\r\n");
}

TEST_F(RelayAgentTest, RefusesNonLoopbackRelayHosts) {
  SpoolByHand("000004", "a@remote.invalid", {"b@relay.invalid"}, "x\r\n");
  for (const char* host : {"192.0.2.1:25", "192.0.2.1", "example.com:25", "localhost:2526",
                           "0.0.0.0:25", "[::]:25", "[2001:db8::1]:25", ""}) {
    const absl::Status status = DeliverOutbound(spool_, host);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << host << ": " << status;
  }
  EXPECT_THAT(DeliverOutbound(spool_, "192.0.2.1:25").message(), HasSubstr("not a loopback"));
  EXPECT_TRUE(Spooled("000004"));
}

TEST_F(RelayAgentTest, AStoppedSinkLeavesTheFilesInPlace) {
  StartSink();
  const std::string address = sink_->address();
  sink_->Stop();
  SpoolByHand("000005", "a@remote.invalid", {"b@relay.invalid"}, "x\r\n");
  RelayReport report;
  const absl::Status status = DeliverOutbound(spool_, address, RelayOptions{}, &report);
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("000005"));
  EXPECT_THAT(status.message(), HasSubstr("connection refused"));
  EXPECT_THAT(report.failed, ElementsAre("000005"));
  EXPECT_TRUE(Spooled("000005"));
}

TEST_F(RelayAgentTest, ARefusedRecipientLeavesTheMessage) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 smarthost\r\n");
    EXPECT_THAT(c.ReadLine(), ::testing::StartsWith("EHLO "));
    c.Write("250-smarthost\r\n250 SIZE 1000\r\n");
    EXPECT_EQ(c.ReadLine(), "MAIL FROM:<a@remote.invalid> SIZE=3");
    c.Write("250 ok\r\n");
    EXPECT_EQ(c.ReadLine(), "RCPT TO:<b@relay.invalid>");
    c.Write("550 5.7.1 relaying denied\r\n");
    c.ReadToEof();
  });
  SpoolByHand("000006", "a@remote.invalid", {"b@relay.invalid"}, "x\r\n");
  const absl::Status status = DeliverOutbound(spool_, server.address());
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("000006"));
  EXPECT_THAT(status.message(), HasSubstr("550 5.7.1 relaying denied"));
  EXPECT_THAT(status.message(), HasSubstr("RCPT TO:<b@relay.invalid>"));
  EXPECT_TRUE(Spooled("000006"));
}

TEST_F(RelayAgentTest, FallsBackToHelo) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 old smarthost\r\n");
    c.ReadLine();
    c.Write("502 5.5.1 EHLO? never heard of it\r\n");
    EXPECT_THAT(c.ReadLine(), ::testing::StartsWith("HELO "));
    c.Write("250 hello\r\n");
    EXPECT_EQ(c.ReadLine(), "MAIL FROM:<a@remote.invalid>");  // no ESMTP parameters
    c.Write("250 ok\r\n");
    c.ReadLine();
    c.Write("250 ok\r\n");
    EXPECT_EQ(c.ReadLine(), "DATA");
    c.Write("354 go\r\n");
    EXPECT_EQ(c.ReadLine(), "..x");
    EXPECT_EQ(c.ReadLine(), ".");
    c.Write("250 queued\r\n");
    EXPECT_EQ(c.ReadLine(), "QUIT");
    c.Write("221 bye\r\n");
  });
  SpoolByHand("000007", "a@remote.invalid", {"b@relay.invalid"}, ".x\r\n");
  const absl::Status status = DeliverOutbound(spool_, server.address());
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_FALSE(fs::exists(Outbound("000007.env")));
  EXPECT_FALSE(fs::exists(Outbound("000007.eml")));
}

TEST_F(RelayAgentTest, OnlyCompleteEntriesAreDelivered) {
  StartSink();
  std::ofstream(Outbound("000008.eml")) << "in progress\r\n";  // no .env yet
  SpoolByHand("000009", "a@remote.invalid", {"b@relay.invalid"}, "done\r\n");
  ASSERT_TRUE(DeliverOutbound(spool_, sink_->address()).ok());
  EXPECT_EQ(sink_->count(), 1u);
  EXPECT_TRUE(fs::exists(Outbound("000008.eml")));
  // A malformed envelope is reported and left alone; the others still go.
  std::ofstream(Outbound("000010.env")) << "{\"sender\": 1}";
  std::ofstream(Outbound("000010.eml")) << "x\r\n";
  SpoolByHand("000011", "a@remote.invalid", {"b@relay.invalid"}, "fine\r\n");
  const absl::Status status = DeliverOutbound(spool_, sink_->address());
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("1 of 2 outbound messages not delivered: 000010"));
  EXPECT_EQ(sink_->count(), 2u);
  EXPECT_TRUE(fs::exists(Outbound("000010.env")));
}

// The contract with the real spool (harness/net/spool.h): what it puts in outbound/ is
// delivered byte-identically, local recipients are not relayed, and the entry is consumed.
TEST_F(RelayAgentTest, DeliversWhatTheRealSpoolWrites) {
  StartSink();
  absl::StatusOr<Spool> spool = Spool::Open(spool_);
  ASSERT_TRUE(spool.ok()) << spool.status();
  absl::StatusOr<std::unique_ptr<SpoolWriter>> writer = spool->Begin();
  ASSERT_TRUE(writer.ok()) << writer.status();
  const std::string body = "Subject: sgtok-spool\r\n\r\n.dot\r\n\xff\r\n";
  ASSERT_TRUE((*writer)->Append(body).ok());
  auto path = [](std::string_view text) {
    absl::StatusOr<Path> parsed = ParsePath(text, AddressOptions{});
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : Path{};
  };
  Envelope envelope;
  envelope.sender = path("<probe@remote.invalid>");
  envelope.recipients.push_back(EnvelopeRecipient{.path = path("<sgtok-spool@relay.invalid>"),
                                                  .routing_domain = "relay.invalid",
                                                  .disposition = Disposition::kRelay,
                                                  .reason = "test"});
  envelope.recipients.push_back(EnvelopeRecipient{.path = path("<alice@example.test>"),
                                                  .routing_domain = "example.test",
                                                  .disposition = Disposition::kDeliverLocal,
                                                  .reason = "test"});
  absl::StatusOr<std::string> id = (*writer)->Commit(envelope);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Spooled(*id));

  RelayReport report;
  const absl::Status status = DeliverOutbound(spool_, sink_->address(), RelayOptions{}, &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(report.delivered, ElementsAre(*id));
  EXPECT_FALSE(fs::exists(Outbound(*id + ".env")));
  EXPECT_FALSE(fs::exists(Outbound(*id + ".eml")));
  std::vector<SinkMessage> got = sink_->MessagesWithToken("sgtok-spool");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, body);
  EXPECT_EQ(got[0].sender, "probe@remote.invalid");
  EXPECT_THAT(got[0].recipients, ElementsAre("sgtok-spool@relay.invalid"));
}

TEST_F(RelayAgentTest, MissingOutboundDirectoryIsNothingToDo) {
  EXPECT_TRUE(DeliverOutbound(spool_ + "/nowhere", "127.0.0.1:1").ok());
}

TEST(DotStuffTest, DoublesDotsAtLineStartsOnly) {
  EXPECT_EQ(DotStuff(""), "");
  EXPECT_EQ(DotStuff(".\r\n"), "..\r\n");
  EXPECT_EQ(DotStuff("a.b\r\n.c\r\n..d\r\n"), "a.b\r\n..c\r\n...d\r\n");
  // Bare LF and CR do not start a line (as in the core DataReceiver).
  EXPECT_EQ(DotStuff("a\n.b\r.c"), "a\n.b\r.c");
  EXPECT_EQ(DotStuff("\r\n."), "\r\n..");
}

TEST(OutboundEnvelopeTest, ParsesTheSpoolFormat) {
  absl::StatusOr<OutboundEnvelope> envelope = ParseOutboundEnvelope(
      R"({"sender":"","recipients":[{"address":"x@y","routing_domain":"y"},"<z@w>"]})");
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->sender, "<>");
  EXPECT_THAT(envelope->recipients, ElementsAre("<x@y>", "<z@w>"));
  EXPECT_FALSE(ParseOutboundEnvelope("not json").ok());
  EXPECT_FALSE(ParseOutboundEnvelope(R"({"sender":"a@b","recipients":[]})").ok());
  EXPECT_FALSE(
      ParseOutboundEnvelope(R"({"sender":"a@b","recipients":[{"address":"x@y\r\nDATA"}]})").ok());
}

}  // namespace
}  // namespace smtpgate
