// SmtpClient against scripted servers on real loopback sockets: segmentation (aiosmtpd
// sends each line of a multi-line reply on its own), pipelining, closes and resets,
// malformed replies, deadlines, timing, STARTTLS, and the reference Session over a socket.
#include "harness/net/smtp_client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "asio/ssl.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/demo_config.h"
#include "harness/core/sasl.h"
#include "tests/client_test_support.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::ScriptConnection;
using ::smtpgate::testing::ScriptServer;
using ::smtpgate::testing::SessionServer;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Sleep(int ms) { std::this_thread::sleep_for(milliseconds(ms)); }

ClientOptions Options(uint16_t port) {
  ClientOptions options;
  options.port = port;
  options.reply_timeout = milliseconds(5000);
  return options;
}

std::unique_ptr<SmtpClient> ConnectTo(uint16_t port, ClientOptions options = {}) {
  options.port = port;
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

int Code(absl::StatusOr<TimedReply> reply) {
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? reply->reply.code : 0;
}

TEST(SmtpClientTest, ReadsMultiLineReplySentLineByLine) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    EXPECT_EQ(c.ReadLine(), "EHLO client.test");
    c.Write("250-mx.example.test\r\n");  // aiosmtpd style: one segment per line
    Sleep(60);
    c.Write("250-PIPELINING\r\n");
    Sleep(60);
    c.Write("250-SIZE 1000");  // even a line split in two
    Sleep(60);
    c.Write("\r\n250 8BITMIME\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("EHLO client.test").ok());
  absl::StatusOr<TimedReply> ehlo = client->ReadReply();
  ASSERT_TRUE(ehlo.ok()) << ehlo.status();
  EXPECT_EQ(ehlo->reply.code, 250);
  EXPECT_THAT(ehlo->reply.lines,
              ElementsAre("mx.example.test", "PIPELINING", "SIZE 1000", "8BITMIME"));
  EXPECT_GE(ehlo->elapsed, milliseconds(150));
  EXPECT_EQ(client->buffered(), 0u);
}

TEST(SmtpClientTest, PipelinedRepliesInOneSegmentStayBuffered) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    const std::string batch = c.ReadSome();
    EXPECT_EQ(batch, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
    c.Write("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  Sleep(50);  // the server reads the batch in one read: it must have been one write
  ASSERT_TRUE(client->Send("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n").ok());
  absl::StatusOr<TimedReply> first = client->ReadReply();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->reply.code, 250);
  EXPECT_EQ(first->reply.enhanced, "2.1.0");
  EXPECT_GT(client->buffered(), 0u);  // the other two arrived with it
  absl::StatusOr<TimedReply> second = client->ReadReply();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->reply.enhanced, "2.1.5");
  EXPECT_EQ(Code(client->ReadReply()), 354);
  EXPECT_EQ(client->buffered(), 0u);
  // Nothing more: a short deadline, not a hang.
  EXPECT_TRUE(absl::IsDeadlineExceeded(client->ReadReply(milliseconds(50)).status()));
}

TEST(SmtpClientTest, CloseWithoutReplyIsUnavailable) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadLine();
    c.Close();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("DATA").ok());
  absl::StatusOr<TimedReply> reply = client->ReadReply();
  EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
  EXPECT_EQ(reply.status().message(), "connection closed by peer");
  EXPECT_EQ(client->Peer(), PeerState::kClosed);
  // Stays closed.
  EXPECT_TRUE(absl::IsUnavailable(client->ReadReply().status()));
}

TEST(SmtpClientTest, RepliesSentBeforeTheCloseAreReadFirst) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadLine();
    c.Write("221 2.0.0 bye\r\n");
    c.Close();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  EXPECT_EQ(client->Peer(), PeerState::kOpen);  // zero wait: a look, no block
  ASSERT_TRUE(client->SendLine("QUIT").ok());
  EXPECT_EQ(client->Peer(milliseconds(2000)), PeerState::kClosed);
  EXPECT_EQ(Code(client->ReadReply()), 221);  // kept while Peer() waited for the EOF
  EXPECT_TRUE(absl::IsUnavailable(client->ReadReply().status()));
}

TEST(SmtpClientTest, CloseInsideAReplySaysSo) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("250-first\r\n250-sec");
    c.Close();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  absl::StatusOr<TimedReply> reply = client->ReadReply();
  EXPECT_TRUE(absl::IsUnavailable(reply.status()));
  EXPECT_THAT(reply.status().message(), HasSubstr("closed by peer"));
  EXPECT_THAT(reply.status().message(), HasSubstr("incomplete reply"));
}

TEST(SmtpClientTest, ResetIsReported) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadLine();
    c.Reset();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("BDAT 1000000000000").ok());
  absl::StatusOr<TimedReply> reply = client->ReadReply();
  EXPECT_TRUE(absl::IsUnavailable(reply.status()));
  EXPECT_EQ(reply.status().message(), "connection reset by peer");
  EXPECT_EQ(client->Peer(), PeerState::kReset);
}

TEST(SmtpClientTest, MalformedReplyIsInvalidArgumentAndReadingResumes) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadLine();
    c.Write("hello there\r\n250 ok\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("NOOP").ok());
  absl::StatusOr<TimedReply> bad = client->ReadReply();
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("malformed reply"));
  EXPECT_THAT(bad.status().message(), HasSubstr("no 3-digit reply code"));
  EXPECT_EQ(Code(client->ReadReply()), 250);
}

TEST(SmtpClientTest, StrictModeRefusesBareLfLenientTakesIt) {
  auto script = [](ScriptConnection& c) {
    c.Write("220 ready\n");
    c.ReadToEof();
  };
  ScriptServer strict_server(script);
  ClientOptions strict = Options(strict_server.port());
  strict.mode = ReadMode::kStrict;
  auto strict_client = ConnectTo(strict_server.port(), strict);
  ASSERT_NE(strict_client, nullptr);
  absl::StatusOr<TimedReply> reply = strict_client->ReadReply();
  EXPECT_TRUE(absl::IsInvalidArgument(reply.status()));
  EXPECT_THAT(reply.status().message(), HasSubstr("bare LF"));

  ScriptServer lenient_server(script);
  auto lenient_client = ConnectTo(lenient_server.port(), Options(lenient_server.port()));
  ASSERT_NE(lenient_client, nullptr);
  EXPECT_EQ(Code(lenient_client->ReadReply()), 220);
}

// Timing margins are wide on purpose (ASan, a loaded 2-core CI machine): each bound only
// has to tell two events seconds apart.
TEST(SmtpClientTest, SlowReplyTimesOutAndTheConnectionStaysUsable) {
  ScriptServer server([](ScriptConnection& c) {
    Sleep(3000);
    c.Write("220 late\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TimedReply> reply = client->ReadReply(milliseconds(100));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(reply.status())) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("no complete reply within 100 ms"));
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, milliseconds(2500));  // returned at the deadline, not at the reply
  EXPECT_EQ(client->Peer(), PeerState::kOpen);
  absl::StatusOr<TimedReply> late = client->ReadReply(milliseconds(6000));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->reply.lines, std::vector<std::string>{"late"});
  EXPECT_GE(late->elapsed, milliseconds(2950));  // measured from connect for the banner
}

TEST(SmtpClientTest, ElapsedMeasuresTheTarPit) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadLine();
    c.Write("250 quick\r\n");
    c.ReadLine();
    Sleep(2000);
    c.Write("550 5.7.1 slow\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  absl::StatusOr<TimedReply> banner = client->ReadReply();
  ASSERT_TRUE(banner.ok());
  EXPECT_LT(banner->elapsed, milliseconds(1500));
  Sleep(2000);  // time between replies does not count: the clock restarts at Send()
  ASSERT_TRUE(client->SendLine("MAIL FROM:<a@b.test>").ok());
  absl::StatusOr<TimedReply> quick = client->ReadReply();
  ASSERT_TRUE(quick.ok());
  EXPECT_LT(quick->elapsed, milliseconds(1500));
  ASSERT_TRUE(client->SendLine("RCPT TO:<x@remote.invalid>").ok());
  absl::StatusOr<TimedReply> slow = client->ReadReply();
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->reply.code, 550);
  EXPECT_GE(slow->elapsed, milliseconds(2000));
  EXPECT_LT(slow->elapsed, milliseconds(8000));
}

TEST(SmtpClientTest, ConnectionRefused) {
  uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(Options(port));
  EXPECT_TRUE(absl::IsUnavailable(client.status()));
  EXPECT_EQ(client.status().message(), "connection refused to 127.0.0.1:" + std::to_string(port));
}

TEST(SmtpClientTest, ResolvesLocalhostAndNamesThePeer) {
  ScriptServer server([](ScriptConnection& c) { c.Write("220 ready\r\n"); });
  ClientOptions options = Options(server.port());
  options.host = "localhost";
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
  // A machine without "localhost" in /etc/hosts (a minbase chroot) cannot resolve it: then
  // the client must say so, not hang.
  asio::io_context io;
  asio::error_code resolve_error;
  asio::ip::tcp::resolver(io).resolve("localhost", "25", resolve_error);
  if (resolve_error) {
    EXPECT_FALSE(client.ok());
    EXPECT_THAT(client.status().message(), HasSubstr("localhost"));
    return;
  }
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->peer_name(), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(Code((*client)->ReadReply()), 220);
}

TEST(SmtpClientTest, AcceptsABracketedIpv6Host) {
  asio::io_context io;
  asio::error_code ec;
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("::1"), 0);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(1, ec);
  ASSERT_FALSE(ec) << "this test needs the IPv6 loopback ::1: " << ec.message();
  ClientOptions options = Options(acceptor.local_endpoint().port());
  options.host = "[::1]";
  absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->peer_name(), "[::1]:" + std::to_string(options.port));
}

TEST(SmtpClientTest, CloseIsFinal) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadToEof();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  client->Close();
  client->Close();
  EXPECT_TRUE(absl::IsFailedPrecondition(client->ReadReply().status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(client->SendLine("NOOP")));
  EXPECT_EQ(client->Peer(), PeerState::kClosed);
}

TEST(SmtpClientTest, PlainAuthLine) {
  const std::string line = SmtpClient::PlainAuthLine("alice", "secret");
  ASSERT_EQ(line.rfind("AUTH PLAIN ", 0), 0u);
  absl::StatusOr<std::string> decoded = DecodeBase64(line.substr(11));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, std::string("\0alice\0secret", 13));
  EXPECT_EQ(SmtpClient::PlainAuthLine("guest", "pw", "relayer"),
            "AUTH PLAIN " + EncodeBase64(std::string("relayer\0guest\0pw", 16)));
}

TEST(SmtpClientTest, HostPortParsing) {
  absl::StatusOr<HostPort> v4 = ParseHostPort("127.0.0.1:2526", 25);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 2526);
  absl::StatusOr<HostPort> v6 = ParseHostPort("[::1]:2526", 25);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 2526);
  absl::StatusOr<HostPort> bare = ParseHostPort("::1", 25);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "::1");
  EXPECT_EQ(bare->port, 25);
  EXPECT_FALSE(ParseHostPort("127.0.0.1:", 25).ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:65536", 25).ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:+25", 25).ok());
  EXPECT_FALSE(ParseHostPort(":25", 25).ok());
  EXPECT_FALSE(ParseHostPort("[::1", 25).ok());
  EXPECT_EQ(FormatHostPort("::1", 25), "[::1]:25");
  EXPECT_EQ(FormatHostPort("127.0.0.1", 25), "127.0.0.1:25");

  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));  // names: no DNS
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackAddress("192.0.2.1"));
  EXPECT_FALSE(IsLoopbackAddress("::"));
  EXPECT_FALSE(IsLoopbackAddress("128.0.0.1"));
}

// --- STARTTLS ---------------------------------------------------------------------------

// A server SSL_CTX with a fresh self-signed EC P-256 certificate (the test owns it).
SSL_CTX* MakeTestServerContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mx.example.test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

TEST(SmtpClientTest, StartTlsDiscardsInjectedPlaintextAndTalksTls) {
  std::string sni_seen;
  std::string ehlo_seen;
  int version_seen = 0;
  ScriptServer server([&](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    EXPECT_EQ(c.ReadLine(), "STARTTLS");
    // A reply injected after the 220 (in the same segment) must not survive the handshake.
    c.Write("220 2.0.0 go ahead\r\n250 injected\r\n");
    asio::ssl::context context(MakeTestServerContext());
    asio::ssl::stream<asio::ip::tcp::socket&> tls(c.socket(), context);
    asio::error_code ec;
    tls.handshake(asio::ssl::stream_base::server, ec);
    ASSERT_FALSE(ec) << ec.message();
    const char* sni = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
    sni_seen = sni == nullptr ? "" : sni;
    version_seen = SSL_version(tls.native_handle());
    std::string buffer;
    const size_t n = asio::read_until(tls, asio::dynamic_buffer(buffer), "\r\n", ec);
    ehlo_seen = buffer.substr(0, n);
    asio::write(tls, asio::buffer(std::string("250-mx.example.test\r\n250 AUTH PLAIN\r\n")), ec);
    asio::read_until(tls, asio::dynamic_buffer(buffer), "QUIT\r\n", ec);
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("STARTTLS").ok());
  EXPECT_EQ(Code(client->ReadReply()), 220);
  Sleep(50);  // let the injected line arrive before the handshake
  EXPECT_FALSE(client->tls());
  ASSERT_TRUE(client->StartTls("mx.example.test").ok());
  EXPECT_TRUE(client->tls());
  EXPECT_EQ(client->plaintext_discarded(), std::string("250 injected\r\n").size());
  ASSERT_TRUE(client->SendLine("EHLO client.test").ok());
  absl::StatusOr<TimedReply> ehlo = client->ReadReply();
  ASSERT_TRUE(ehlo.ok()) << ehlo.status();
  EXPECT_THAT(ehlo->reply.lines, ElementsAre("mx.example.test", "AUTH PLAIN"));
  ASSERT_TRUE(client->SendLine("QUIT").ok());
  EXPECT_EQ(client->Peer(milliseconds(3000)), PeerState::kClosed);
  server.Join();
  EXPECT_EQ(sni_seen, "mx.example.test");
  EXPECT_EQ(ehlo_seen, "EHLO client.test\r\n");
  EXPECT_GE(version_seen, TLS1_2_VERSION);
}

TEST(SmtpClientTest, StartTlsAgainstAPlaintextServerFails) {
  ScriptServer server([](ScriptConnection& c) {
    c.Write("220 ready\r\n");
    c.ReadSome();  // the ClientHello
    c.Write("500 5.5.1 what is this\r\n");
    c.Close();
  });
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  const absl::Status status = client->StartTls();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("TLS handshake failed"));
}

// --- The reference Session over a socket ------------------------------------------------

TEST(SmtpClientTest, TalksToTheReferenceSession) {
  SessionServer server(DemoConfig());
  auto client = ConnectTo(server.port(), Options(server.port()));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Code(client->ReadReply()), 220);
  ASSERT_TRUE(client->SendLine("EHLO client.test").ok());
  absl::StatusOr<TimedReply> ehlo = client->ReadReply();
  ASSERT_TRUE(ehlo.ok());
  EXPECT_EQ(ehlo->reply.code, 250);
  EXPECT_GT(ehlo->reply.lines.size(), 2u);
  // A pipelined batch: one reply each, in order.
  ASSERT_TRUE(client
                  ->Send("MAIL FROM:<probe@remote.invalid>\r\n"
                         "RCPT TO:<alice@example.test>\r\n"
                         "RCPT TO:<sgtok-1@remote.invalid>\r\n"
                         "DATA\r\n")
                  .ok());
  EXPECT_EQ(Code(client->ReadReply()), 250);
  EXPECT_EQ(Code(client->ReadReply()), 250);
  absl::StatusOr<TimedReply> relay = client->ReadReply();
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(relay->reply.code / 100, 5);  // no relaying for an anonymous client
  EXPECT_EQ(Code(client->ReadReply()), 354);
  ASSERT_TRUE(client->Send("Subject: hi\r\n\r\n..dot\r\n.\r\n").ok());
  EXPECT_EQ(Code(client->ReadReply()), 250);
  ASSERT_TRUE(client->SendLine(SmtpClient::PlainAuthLine("guest", "guest-pass")).ok());
  EXPECT_EQ(Code(client->ReadReply()), 235);
  ASSERT_TRUE(client->SendLine("QUIT").ok());
  EXPECT_EQ(Code(client->ReadReply()), 221);
  EXPECT_EQ(client->Peer(milliseconds(2000)), PeerState::kClosed);
  server.Join();
  ASSERT_EQ(server.queued().size(), 1u);
  EXPECT_EQ(server.queued()[0].body, "Subject: hi\r\n\r\n.dot\r\n");
}

}  // namespace
}  // namespace smtpgate
