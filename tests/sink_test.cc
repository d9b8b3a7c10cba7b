// The sink (delivery oracle) driven by SmtpClient over loopback: it accepts any envelope,
// records exactly the octets sent (dot-unstuffed), answers tokens, and its record file
// survives a round trip through ReadRecord() (binary bodies included).
#include "harness/net/sink.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "asio.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/net/sink_command.h"
#include "harness/net/smtp_client.h"

namespace smtpgate {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sink_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void StartSink(std::string record_path = "") {
    absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start("127.0.0.1:0", record_path);
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = std::move(*sink);
    ASSERT_NE(sink_->port(), 0);
  }

  std::unique_ptr<SmtpClient> Connect() {
    ClientOptions options;
    options.port = sink_->port();
    options.reply_timeout = milliseconds(5000);
    absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    EXPECT_EQ(Code(**client), 220);
    return std::move(*client);
  }

  static int Code(SmtpClient& client) {
    absl::StatusOr<TimedReply> reply = client.ReadReply();
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->reply.code : 0;
  }
  static int Command(SmtpClient& client, std::string_view line) {
    EXPECT_TRUE(client.SendLine(line).ok());
    return Code(client);
  }

  // One whole transaction; `wire_body` is sent as is, then ".\r\n".
  void SendMessage(SmtpClient& client, std::string_view from, std::vector<std::string> to,
                   std::string_view wire_body) {
    ASSERT_EQ(Command(client, std::string("MAIL FROM:") + std::string(from)), 250);
    for (const std::string& rcpt : to) ASSERT_EQ(Command(client, "RCPT TO:" + rcpt), 250);
    ASSERT_EQ(Command(client, "DATA"), 354);
    ASSERT_TRUE(client.Send(std::string(wire_body) + ".\r\n").ok());
    ASSERT_EQ(Code(client), 250);
  }

  std::string dir_;
  std::unique_ptr<Sink> sink_;
};

TEST_F(SinkTest, RecordsAMessageAndFindsItsToken) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->SendLine("EHLO probe.test").ok());
  absl::StatusOr<TimedReply> ehlo = client->ReadReply();
  ASSERT_TRUE(ehlo.ok());
  EXPECT_EQ(ehlo->reply.code, 250);
  EXPECT_THAT(ehlo->reply.lines,
              ElementsAre("sink.smtpgate.test", "PIPELINING", "8BITMIME", StartsWith("SIZE ")));
  SendMessage(*client, "<probe@remote.invalid>", {"<sgtok-0a1b2c@relay.invalid>"},
              "Subject: probe\r\n\r\n..leading dot\r\nbody\r\n");
  EXPECT_EQ(Command(*client, "QUIT"), 221);

  EXPECT_EQ(sink_->count(), 1u);
  EXPECT_TRUE(sink_->SawToken("sgtok-0a1b2c"));
  EXPECT_TRUE(sink_->SawToken("SGTOK-0A1B2C"));  // relays may fold case
  EXPECT_FALSE(sink_->SawToken("sgtok-ffffff"));
  std::vector<SinkMessage> found = sink_->MessagesWithToken("sgtok-0a1b2c");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sender, "probe@remote.invalid");
  EXPECT_THAT(found[0].recipients, ElementsAre("sgtok-0a1b2c@relay.invalid"));
  EXPECT_EQ(found[0].body, "Subject: probe\r\n\r\n.leading dot\r\nbody\r\n");
  EXPECT_THAT(found[0].client, StartsWith("127.0.0.1:"));
  EXPECT_LE(found[0].received, std::chrono::system_clock::now());
  EXPECT_TRUE(sink_->MessagesWithToken("sgtok-ffffff").empty());
}

TEST_F(SinkTest, TokenInSenderOrBodyCounts) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(Command(*client, "HELO probe.test"), 250);
  SendMessage(*client, "<sgtok-5e4d3c@remote.invalid>", {"<x@relay.invalid>"}, "hi\r\n");
  SendMessage(*client, "<>", {"<y@relay.invalid>"}, "X-Token: sgtok-777777\r\n\r\nhi\r\n");
  EXPECT_TRUE(sink_->SawToken("sgtok-5e4d3c"));
  EXPECT_TRUE(sink_->SawToken("sgtok-777777"));
  EXPECT_EQ(sink_->MessagesWithToken("sgtok-777777")[0].sender, "");
  EXPECT_EQ(sink_->count(), 2u);
}

TEST_F(SinkTest, AnswersAPipelinedBatchInOrder) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client
                  ->Send("EHLO probe.test\r\nMAIL FROM:<a@remote.invalid>\r\n"
                         "RCPT TO:<b@relay.invalid>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n")
                  .ok());
  EXPECT_EQ(Code(*client), 250);
  EXPECT_EQ(Code(*client), 250);
  EXPECT_EQ(Code(*client), 250);
  EXPECT_EQ(Code(*client), 250);
  EXPECT_EQ(Code(*client), 354);
  // The body and the next command in one write: the sink splits them at the end mark.
  ASSERT_TRUE(client->Send("one\r\n.\r\nNOOP\r\n").ok());
  EXPECT_EQ(Code(*client), 250);
  EXPECT_EQ(Code(*client), 250);
  ASSERT_EQ(sink_->count(), 1u);
  EXPECT_THAT(sink_->messages()[0].recipients, ElementsAre("b@relay.invalid", "Postmaster"));
  EXPECT_EQ(sink_->messages()[0].body, "one\r\n");
}

TEST_F(SinkTest, RsetAndRefusalsRecordNothing) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Command(*client, "RCPT TO:<b@relay.invalid>"), 503);
  EXPECT_EQ(Command(*client, "MAIL FROM:<a@remote.invalid>"), 250);
  EXPECT_EQ(Command(*client, "MAIL FROM:<a@remote.invalid>"), 503);
  EXPECT_EQ(Command(*client, "DATA"), 554);
  EXPECT_EQ(Command(*client, "RCPT TO:<sgtok-aborted@relay.invalid>"), 250);
  EXPECT_EQ(Command(*client, "RSET"), 250);
  EXPECT_EQ(Command(*client, "DATA"), 503);
  EXPECT_EQ(Command(*client, "NOOP"), 250);
  EXPECT_EQ(Command(*client, "VRFY alice"), 252);
  EXPECT_EQ(Command(*client, "STARTTLS"), 502);  // not in the sink's EHLO reply
  EXPECT_EQ(Command(*client, "AUTH PLAIN AGEAYg=="), 502);
  EXPECT_EQ(Command(*client, "BDAT 0 LAST"), 502);
  EXPECT_EQ(Command(*client, "EXPN staff"), 502);
  EXPECT_EQ(Command(*client, "HELP"), 214);
  EXPECT_EQ(Command(*client, "FROB"), 500);
  EXPECT_EQ(Command(*client, "MAIL FROM:<a@@b>") / 100, 5);
  EXPECT_EQ(Command(*client, "QUIT"), 221);
  EXPECT_EQ(client->Peer(milliseconds(2000)), PeerState::kClosed);
  EXPECT_EQ(sink_->count(), 0u);
  EXPECT_FALSE(sink_->SawToken("sgtok-aborted"));
}

TEST_F(SinkTest, KeepsBareLineEndingsAndBinaryOctets) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  std::string body = "bare\nLF and bare\rCR\r\n";
  for (int c = 0; c < 256; ++c) body.push_back(static_cast<char>(c));
  body += "\r\n";
  // Only <CRLF>.<CRLF> ends DATA: the smuggling sequences are data here.
  body += "\n.\nstill data\r\n";
  std::string wire;
  for (size_t i = 0; i < body.size(); ++i) {  // dot-stuff after CRLF and at the start
    if (body[i] == '.' && (i == 0 || (i >= 2 && body[i - 2] == '\r' && body[i - 1] == '\n'))) {
      wire.push_back('.');
    }
    wire.push_back(body[i]);
  }
  SendMessage(*client, "<a@remote.invalid>", {"<b@relay.invalid>"}, wire);
  ASSERT_EQ(sink_->count(), 1u);
  EXPECT_EQ(sink_->messages()[0].body, body);
}

TEST_F(SinkTest, RecordFileRoundTrip) {
  const std::string record = dir_ + "/sink.jsonl";
  StartSink(record);
  EXPECT_EQ(sink_->record_path(), record);
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  SendMessage(*client, "<probe@remote.invalid>", {"<sgtok-1@relay.invalid>", "<c@d.invalid>"},
              "Subject: text\r\n\r\nh\xc3\xa9llo\r\n");
  const std::string binary("\0\x01\xff\xfe not utf-8 \x80\r\n", 18);
  SendMessage(*client, "<>", {"<sgtok-2@relay.invalid>"}, binary);
  EXPECT_EQ(Command(*client, "QUIT"), 221);

  // A 250 from the sink means the line is already on disk.
  absl::StatusOr<std::vector<SinkMessage>> read = Sink::ReadRecord(record);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  const std::vector<SinkMessage> live = sink_->messages();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*read)[i].sender, live[i].sender);
    EXPECT_EQ((*read)[i].recipients, live[i].recipients);
    EXPECT_EQ((*read)[i].body, live[i].body);
    EXPECT_EQ((*read)[i].client, live[i].client);
    EXPECT_LT(std::chrono::abs((*read)[i].received - live[i].received), milliseconds(1));
  }
  EXPECT_EQ((*read)[1].body, binary);
  EXPECT_TRUE(MessageHasToken((*read)[0], "sgtok-1"));
  EXPECT_TRUE(MessageHasToken((*read)[1], "sgtok-2"));

  // Each line is JSON with the documented keys; "body" only for UTF-8 bodies.
  std::ifstream in(record);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_THAT(first, HasSubstr("\"body_b64\":"));
  EXPECT_THAT(first, HasSubstr("\"body\":"));
  EXPECT_THAT(first, HasSubstr("\"sender\":\"probe@remote.invalid\""));
  EXPECT_THAT(second, HasSubstr("\"body_b64\":"));
  EXPECT_THAT(second, ::testing::Not(HasSubstr("\"body\":")));

  // A write in progress (no newline yet) is not a record; a broken line is an error.
  {
    std::ofstream out(record, std::ios::app);
    out << "{\"sender\": \"half";
  }
  read = Sink::ReadRecord(record);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 2u);
  {
    std::ofstream out(record, std::ios::app);
    out << "\n";
  }
  read = Sink::ReadRecord(record);
  EXPECT_TRUE(absl::IsDataLoss(read.status()));
  EXPECT_THAT(read.status().message(), HasSubstr("sink.jsonl:3"));

  EXPECT_TRUE(absl::IsNotFound(Sink::ReadRecord(dir_ + "/missing.jsonl").status()));
}

TEST_F(SinkTest, ListensOnLoopbackOnly) {
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start("0.0.0.0:0").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start("192.0.2.1:2526").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start("localhost:0").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start("127.0.0.1:99999").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(Sink::Start("127.0.0.1:0", dir_ + "/no/such/dir/r").status()));
  // The port is taken: kUnavailable.
  StartSink();
  absl::StatusOr<std::unique_ptr<Sink>> twice = Sink::Start(sink_->address());
  EXPECT_TRUE(absl::IsUnavailable(twice.status())) << twice.status();
}

TEST_F(SinkTest, WaitForTokenSeesALaterDelivery) {
  StartSink();
  std::thread sender([this] {
    std::this_thread::sleep_for(milliseconds(100));
    auto client = Connect();
    if (client == nullptr) return;
    SendMessage(*client, "<a@remote.invalid>", {"<sgtok-late@relay.invalid>"}, "x\r\n");
  });
  EXPECT_FALSE(sink_->WaitForToken("sgtok-late", milliseconds(10)));
  EXPECT_TRUE(sink_->WaitForToken("sgtok-late", milliseconds(5000)));
  sender.join();
  EXPECT_EQ(sink_->WaitForCount(1, milliseconds(10)), 1u);
  sink_->Clear();
  EXPECT_EQ(sink_->count(), 0u);
}

TEST_F(SinkTest, StopClosesOpenConnections) {
  StartSink();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(Command(*client, "MAIL FROM:<a@remote.invalid>"), 250);
  sink_->Stop();  // must not wait for the client
  EXPECT_EQ(client->Peer(milliseconds(2000)), PeerState::kClosed);
  sink_->Stop();  // idempotent
  EXPECT_EQ(sink_->count(), 0u);
  EXPECT_FALSE(sink_->WaitForToken("anything", milliseconds(10)));
}

TEST(RunSinkTest, RefusesBadOrNonLoopbackAddresses) {
  EXPECT_EQ(RunSink(SinkOptions{.listen = "0.0.0.0:2526", .record_path = ""}), 2);
  EXPECT_EQ(RunSink(SinkOptions{.listen = "192.0.2.1:2526", .record_path = ""}), 2);
  EXPECT_EQ(RunSink(SinkOptions{.listen = "127.0.0.1:port", .record_path = ""}), 2);
  EXPECT_EQ(RunSink(SinkOptions{.listen = "127.0.0.1:0", .record_path = "/nonexistent/dir/r"}), 2);
}

TEST(RunSinkTest, ServesUntilSigterm) {
  uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  // Until RunSink's signal_set is installed, a SIGTERM must not kill the test.
  struct sigaction ignore {};
  ignore.sa_handler = [](int) {};
  sigaction(SIGTERM, &ignore, nullptr);
  std::atomic<int> result{-1};
  ::testing::internal::CaptureStdout();
  std::thread sink([&] {
    result = RunSink(SinkOptions{.listen = "127.0.0.1:" + std::to_string(port), .record_path = ""});
  });
  // Wait until it accepts, deliver one message, then stop it.
  std::unique_ptr<SmtpClient> client;
  for (int i = 0; i < 100 && client == nullptr; ++i) {
    ClientOptions options;
    options.port = port;
    absl::StatusOr<std::unique_ptr<SmtpClient>> c = SmtpClient::Connect(options);
    if (c.ok()) {
      client = std::move(*c);
    } else {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->ReadReply()->reply.code, 220);
  client.reset();
  std::this_thread::sleep_for(milliseconds(200));
  for (int i = 0; i < 50 && result == -1; ++i) {
    if (i % 10 == 0) kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(milliseconds(100));
  }
  sink.join();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(result, 0);
  EXPECT_THAT(out,
              HasSubstr("sink listening on 127.0.0.1:" + std::to_string(port) + ", not recording"));
}

}  // namespace
}  // namespace smtpgate
