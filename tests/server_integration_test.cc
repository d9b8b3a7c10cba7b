// The Asio reference server over real sockets on 127.0.0.1 (port 0): sessions, pipelining,
// STARTTLS and implicit TLS, AUTH and relaying, the tar pit, limits, timeouts, shutdown,
// the ms02-012 emulation, and "250 means byte-identical on disk".
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/demo_config.h"
#include "harness/core/smtp_status.h"
#include "harness/net/server.h"
#include "harness/net/tls_server_context.h"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::DotStuff;
using ::smtpgate::testing::ListDir;
using ::smtpgate::testing::ReadFileOrEmpty;
using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::TestClient;
using ::smtpgate::testing::WriteFile;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

class ServerTest : public ::testing::Test {
 protected:
  ServerConfig BaseConfig() {
    ServerConfig config;
    config.session = DemoConfig();
    config.account_names = {"relayer", "guest"};
    config.listen = {"127.0.0.1:0"};
    config.spool_dir = tmp_ / "spool";
    return config;
  }

  void StartServer(const ServerConfig& config, Server::Options options = {}) {
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(config, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_FALSE(server_->endpoints().empty());
    endpoint_ = server_->endpoints()[0];
    thread_ = std::thread([this] { server_->Run(); });
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }

  void TearDown() override { StopServer(); }

  std::unique_ptr<TestClient> Open() {
    std::unique_ptr<TestClient> client = TestClient::Connect(endpoint_);
    EXPECT_NE(client, nullptr);
    if (client == nullptr) return nullptr;
    std::optional<Reply> banner = client->Read();
    EXPECT_TRUE(banner.has_value());
    if (banner) {
      EXPECT_EQ(banner->code, 220) << banner->Summary();
    }
    return client;
  }

  // A whole transaction on an EHLO'd connection; returns the queue id ("" on failure).
  static std::string Send(TestClient& c, std::string_view from, std::string_view to,
                          std::string_view body) {
    EXPECT_EQ(c.Cmd(absl::StrCat("MAIL FROM:<", AsAbsl(from), ">")), 250);
    EXPECT_EQ(c.Cmd(absl::StrCat("RCPT TO:<", AsAbsl(to), ">")), 250);
    EXPECT_EQ(c.Cmd("DATA"), 354);
    EXPECT_TRUE(c.Send(DotStuff(body)));
    std::optional<Reply> done = c.Read();
    EXPECT_TRUE(done.has_value());
    if (!done || done->code != 250) {
      ADD_FAILURE() << "final reply: " << (done ? done->Summary() : "none");
      return "";
    }
    return QueueId(*done);
  }

  static std::string QueueId(const Reply& reply) {
    const std::string& text = reply.lines.at(0);
    const size_t at = text.rfind("queued as ");
    return at == std::string::npos ? "" : text.substr(at + 10);
  }

  std::string Spool(std::string_view relative) const {
    return tmp_ / absl::StrCat("spool/", AsAbsl(relative));
  }

  TempDir tmp_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  asio::ip::tcp::endpoint endpoint_;
};

TEST_F(ServerTest, FullSessionStoresTheMessageByteIdentical) {
  StartServer(BaseConfig());
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Line("EHLO client.test"));
  std::optional<Reply> ehlo = c->Read();
  ASSERT_TRUE(ehlo.has_value());
  EXPECT_EQ(ehlo->code, 250);
  EXPECT_THAT(ehlo->lines, ::testing::Contains("PIPELINING"));
  EXPECT_THAT(ehlo->lines, ::testing::Contains("AUTH PLAIN LOGIN"));
  EXPECT_THAT(ehlo->lines, ::testing::Not(::testing::Contains("STARTTLS")));  // no TLS here
  const std::string body =
      "From: a@remote.invalid\r\nSubject: test\r\n\r\n.a line with a leading dot\r\n"
      "..two\r\n8bit \xc3\xa9 and \x01\r\n";
  const std::string id = Send(*c, "a@remote.invalid", "alice@example.test", body);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c->Cmd("QUIT"), 221);
  EXPECT_TRUE(c->Closed());
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/alice/new/" + id)), body);
  EXPECT_THAT(ListDir(Spool("tmp")), IsEmpty());
  EXPECT_THAT(ListDir(Spool("queue")), IsEmpty());
  EXPECT_EQ(server_->stats().messages_queued, 1u);
}

TEST_F(ServerTest, PipelinedRepliesComeBackInOrder) {
  StartServer(BaseConfig());
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(
      "EHLO client.test\r\nMAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\n"
      "RCPT TO:<nobody@example.test>\r\nRCPT TO:<x@remote.invalid>\r\nRCPT TO:<bob@example.test>"
      "\r\nDATA\r\n"));
  std::vector<int> codes;
  for (int i = 0; i < 7; ++i) codes.push_back(c->Code());
  EXPECT_THAT(codes, ElementsAre(250, 250, 250, 550, 550, 250, 354));
  const std::string body = "Subject: pipelined\r\n\r\nhello\r\n";
  ASSERT_TRUE(c->Send(DotStuff(body) + "NOOP\r\nQUIT\r\n"));
  std::optional<Reply> queued = c->Read();
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->code, 250);
  EXPECT_EQ(c->Code(), 250);  // NOOP: processed after the commit, in order
  EXPECT_EQ(c->Code(), 221);
  EXPECT_TRUE(c->Closed());
  const std::string id = QueueId(*queued);
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/alice/new/" + id)), body);
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/bob/new/" + id)), body);
  EXPECT_THAT(ListDir(Spool("outbound")), IsEmpty());  // the relay recipient was refused
}

TEST_F(ServerTest, BdatAndLargeMessagesAreByteIdentical) {
  ServerConfig config = BaseConfig();
  config.session.max_message_size = 8 << 20;
  StartServer(config);
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_EQ(c->Cmd("MAIL FROM:<a@remote.invalid> BODY=BINARYMIME"), 250);
  ASSERT_EQ(c->Cmd("RCPT TO:<bob@example.test>"), 250);
  const std::string chunks =
      std::string("BDAT 6\r\nab\r\n") + std::string("\0\n", 2) + "BDAT 5 LAST\r\n.\r\n\r.";
  ASSERT_TRUE(c->Send(chunks));
  EXPECT_EQ(c->Code(), 250);
  std::optional<Reply> last = c->Read();
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->code, 250) << last->Summary();
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/bob/new/" + QueueId(*last))),
            std::string("ab\r\n\0\n.\r\n\r.", 11));

  // 3 MB through DATA.
  std::string big;
  for (int i = 0; big.size() < (3u << 20); ++i) {
    absl::StrAppend(&big, i % 17 == 0 ? "." : "", "line ", i, " of a big message\r\n");
  }
  const std::string id = Send(*c, "a@remote.invalid", "alice@example.test", big);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/alice/new/" + id)), big);
}

TEST_F(ServerTest, StartTlsThenAuthAndMail) {
  absl::StatusOr<PemCertificate> cert = GenerateSelfSignedCertificate("mx.example.test", 1);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFile(tmp_ / "cert.pem", cert->cert_pem));
  ASSERT_TRUE(WriteFile(tmp_ / "key.pem", cert->key_pem));
  ServerConfig config = BaseConfig();
  config.tls_enabled = true;
  config.tls.cert_file = tmp_ / "cert.pem";
  config.tls.key_file = tmp_ / "key.pem";
  config.session.auth_requires_tls = true;
  StartServer(config);

  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Line("EHLO client.test"));
  std::optional<Reply> ehlo = c->Read();
  ASSERT_TRUE(ehlo.has_value());
  EXPECT_THAT(ehlo->lines, ::testing::Contains("STARTTLS"));
  EXPECT_THAT(ehlo->lines, ::testing::Not(::testing::Contains("AUTH PLAIN LOGIN")));
  // A command pipelined after STARTTLS is plaintext injection (CVE-2011-0411): dropped.
  ASSERT_TRUE(c->Send("STARTTLS\r\nMAIL FROM:<injected@remote.invalid>\r\n"));
  EXPECT_EQ(c->Code(), 220);
  ASSERT_TRUE(c->StartTls());
  ASSERT_TRUE(c->Line("EHLO client.test"));
  ehlo = c->Read();
  ASSERT_TRUE(ehlo.has_value());
  EXPECT_EQ(ehlo->code, 250) << ehlo->Summary();
  EXPECT_THAT(ehlo->lines, ::testing::Not(::testing::Contains("STARTTLS")));
  EXPECT_THAT(ehlo->lines, ::testing::Contains("AUTH PLAIN LOGIN"));
  EXPECT_EQ(c->Cmd(TestClient::PlainAuth("relayer", "relayer-pass")), 235);
  const std::string body = "Subject: over TLS\r\n\r\nsecret\r\n";
  const std::string id = Send(*c, "relayer@example.test", "carol@remote.invalid", body);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c->Cmd("QUIT"), 221);
  EXPECT_EQ(ReadFileOrEmpty(Spool("outbound/" + id + ".eml")), body);
  absl::StatusOr<SpooledEnvelope> env = ReadSpooledEnvelope(Spool("outbound/" + id + ".env"));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->authenticated_as, "relayer");
  ASSERT_EQ(env->recipients.size(), 1u);
  EXPECT_EQ(env->recipients[0].address, "carol@remote.invalid");
  // The provenance records TLS.
  EXPECT_THAT(ReadFileOrEmpty(Spool("outbound/" + id + ".env")), HasSubstr("\"tls\": true"));
}

TEST_F(ServerTest, ImplicitTls) {
  ServerConfig config = BaseConfig();
  absl::StatusOr<PemCertificate> cert = GenerateSelfSignedCertificate("mx.example.test", 1);
  ASSERT_TRUE(cert.ok());
  config.tls_enabled = true;
  config.tls.implicit = true;
  config.tls.cert_pem = cert->cert_pem;
  config.tls.key_pem = cert->key_pem;
  StartServer(config);
  std::unique_ptr<TestClient> c = TestClient::Connect(endpoint_);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->StartTls());
  EXPECT_EQ(c->Code(), 220);
  ASSERT_TRUE(c->Line("EHLO client.test"));
  std::optional<Reply> ehlo = c->Read();
  ASSERT_TRUE(ehlo.has_value());
  EXPECT_THAT(ehlo->lines, ::testing::Not(::testing::Contains("STARTTLS")));
  EXPECT_EQ(c->Cmd("STARTTLS"), 503);  // TLS already active
  EXPECT_EQ(c->Cmd("QUIT"), 221);
}

TEST_F(ServerTest, AuthorizationNotAuthenticationDecidesRelaying) {
  StartServer(BaseConfig());
  {
    std::unique_ptr<TestClient> guest = Open();
    ASSERT_NE(guest, nullptr);
    ASSERT_EQ(guest->Cmd("EHLO client.test"), 250);
    EXPECT_EQ(guest->Cmd(TestClient::PlainAuth("guest", "wrong")), 535);
    EXPECT_EQ(guest->Cmd(TestClient::PlainAuth("guest", "guest-pass")), 235);
    EXPECT_EQ(guest->Cmd("MAIL FROM:<guest@example.test>"), 250);
    EXPECT_EQ(guest->Cmd("RCPT TO:<carol@remote.invalid>"), 550);  // MS02-011
  }
  std::unique_ptr<TestClient> relayer = Open();
  ASSERT_NE(relayer, nullptr);
  ASSERT_EQ(relayer->Cmd("EHLO client.test"), 250);
  EXPECT_EQ(relayer->Cmd(TestClient::PlainAuth("relayer", "relayer-pass")), 235);
  const std::string id = Send(*relayer, "relayer@example.test", "carol@remote.invalid", "x\r\n");
  ASSERT_FALSE(id.empty());
  absl::StatusOr<std::vector<std::string>> outbound = ListSpooled(tmp_ / "spool", "outbound");
  ASSERT_TRUE(outbound.ok());
  EXPECT_THAT(*outbound, ElementsAre(id));
}

TEST_F(ServerTest, TarpitDelaysOnlyAnonymousFiveHundreds) {
  ServerConfig config = BaseConfig();
  // A 3 s tar pit against 1.5 s bounds: wide margins for ASan on a loaded CI machine.
  config.session.tarpit = milliseconds(3000);
  StartServer(config);
  std::unique_ptr<TestClient> anonymous = Open();
  std::unique_ptr<TestClient> authenticated = Open();
  ASSERT_NE(anonymous, nullptr);
  ASSERT_NE(authenticated, nullptr);
  ASSERT_EQ(anonymous->Cmd("EHLO anon.test"), 250);
  ASSERT_EQ(authenticated->Cmd("EHLO auth.test"), 250);
  ASSERT_EQ(authenticated->Cmd(TestClient::PlainAuth("guest", "guest-pass")), 235);
  ASSERT_EQ(anonymous->Cmd("MAIL FROM:<a@remote.invalid>"), 250);
  ASSERT_EQ(authenticated->Cmd("MAIL FROM:<guest@example.test>"), 250);

  // Both ask for an unknown user at the same time; only the anonymous one waits.
  milliseconds anonymous_took{0};
  int anonymous_code = 0;
  std::thread slow([&] {
    const auto start = Clock::now();
    anonymous_code = anonymous->Cmd("RCPT TO:<nobody@example.test>");
    anonymous_took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  });
  std::this_thread::sleep_for(milliseconds(50));  // the anonymous reply is now being delayed
  const auto start = Clock::now();
  EXPECT_EQ(authenticated->Cmd("RCPT TO:<nobody@example.test>"), 550);
  const auto authenticated_took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  slow.join();
  EXPECT_EQ(anonymous_code, 550);
  EXPECT_GE(anonymous_took.count(), 2900);
  EXPECT_LT(authenticated_took.count(), 1500);

  // A 2xx to the anonymous client is not delayed.
  const auto ok_start = Clock::now();
  EXPECT_EQ(anonymous->Cmd("RCPT TO:<alice@example.test>"), 250);
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(Clock::now() - ok_start).count(), 1500);
}

TEST_F(ServerTest, ConnectionLimitsAnswer421) {
  ServerConfig config = BaseConfig();
  config.max_connections = 2;
  StartServer(config);
  std::unique_ptr<TestClient> a = Open();
  std::unique_ptr<TestClient> b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::unique_ptr<TestClient> c = TestClient::Connect(endpoint_);
  ASSERT_NE(c, nullptr);
  std::optional<Reply> refused = c->Read();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->code, 421);
  EXPECT_EQ(refused->enhanced, "4.7.0");
  EXPECT_THAT(refused->lines.at(0), HasSubstr("too many connections"));
  EXPECT_TRUE(c->Closed());
  EXPECT_EQ(server_->stats().refused, 1u);
  // A slot frees up when a client leaves.
  EXPECT_EQ(a->Cmd("QUIT"), 221);
  EXPECT_TRUE(a->Closed());
  for (int i = 0; i < 50 && server_->stats().active > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::unique_ptr<TestClient> d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->Cmd("NOOP"), 250);
}

TEST_F(ServerTest, PerClientLimitAnswers421) {
  ServerConfig config = BaseConfig();
  config.max_connections_per_client = 1;
  StartServer(config);
  std::unique_ptr<TestClient> a = Open();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<TestClient> b = TestClient::Connect(endpoint_);
  ASSERT_NE(b, nullptr);
  std::optional<Reply> refused = b->Read();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->code, 421);
  EXPECT_THAT(refused->lines.at(0), HasSubstr("too many connections from 127.0.0.1"));
  EXPECT_EQ(a->Cmd("NOOP"), 250);
}

TEST_F(ServerTest, TooMuchPendingOutputAnswers421) {
  ServerConfig config = BaseConfig();
  config.max_buffered_per_connection = 4096;
  config.session.max_errors = 1000000;
  StartServer(config);
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  // 2,000 NOOPs in one write: their replies are far more than 4 KiB.
  std::string noops;
  for (int i = 0; i < 2000; ++i) noops += "NOOP\r\n";
  ASSERT_TRUE(c->Send(noops));
  int last = 0;
  int count = 0;
  while (std::optional<Reply> r = c->Read(milliseconds(5000))) {
    last = r->code;
    ++count;
  }
  EXPECT_EQ(last, 421);
  EXPECT_LT(count, 2001);
  EXPECT_TRUE(c->Closed());
}

TEST_F(ServerTest, IdleTimeoutsAnswer421) {
  ServerConfig config = BaseConfig();
  config.command_timeout = milliseconds(300);
  config.data_timeout = milliseconds(600);
  StartServer(config);
  {
    std::unique_ptr<TestClient> c = Open();
    ASSERT_NE(c, nullptr);
    const auto start = Clock::now();
    std::optional<Reply> r = c->Read(milliseconds(5000));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code, 421);
    EXPECT_EQ(r->enhanced, "4.4.2");
    EXPECT_GE(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count(), 250);
    EXPECT_TRUE(c->Closed());
  }
  {
    std::unique_ptr<TestClient> c = Open();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
    ASSERT_EQ(c->Cmd("MAIL FROM:<a@remote.invalid>"), 250);
    ASSERT_EQ(c->Cmd("RCPT TO:<alice@example.test>"), 250);
    ASSERT_EQ(c->Cmd("DATA"), 354);
    ASSERT_TRUE(c->Send("Subject: stalled\r\n"));
    const auto start = Clock::now();
    std::optional<Reply> r = c->Read(milliseconds(5000));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code, 421);
    EXPECT_GE(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count(), 500);
  }
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_THAT(ListDir(Spool("tmp")), IsEmpty());  // the stalled message was dropped
  EXPECT_THAT(ListDir(Spool("maildir")), IsEmpty());
}

TEST_F(ServerTest, AbandonedMessageLeavesNothing) {
  StartServer(BaseConfig());
  {
    std::unique_ptr<TestClient> c = Open();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
    ASSERT_EQ(c->Cmd("MAIL FROM:<a@remote.invalid>"), 250);
    ASSERT_EQ(c->Cmd("RCPT TO:<alice@example.test>"), 250);
    ASSERT_EQ(c->Cmd("DATA"), 354);
    ASSERT_TRUE(c->Send("Subject: half\r\n\r\nand then the client vanishes"));
    EXPECT_FALSE(c->Read(milliseconds(200)).has_value());  // still in DATA
  }
  std::unique_ptr<TestClient> c = Open();  // the server is fine
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 50 && !ListDir(Spool("tmp")).empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_THAT(ListDir(Spool("tmp")), IsEmpty());
  EXPECT_THAT(ListDir(Spool("maildir")), IsEmpty());
}

TEST_F(ServerTest, StorageFailureAnswers451) {
  StartServer(BaseConfig());
  ASSERT_EQ(rmdir(Spool("tmp").c_str()), 0);  // writes to the spool now fail
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_EQ(c->Cmd("MAIL FROM:<a@remote.invalid>"), 250);
  ASSERT_EQ(c->Cmd("RCPT TO:<alice@example.test>"), 250);
  ASSERT_EQ(c->Cmd("DATA"), 354);
  ASSERT_TRUE(c->Send(DotStuff("lost\r\n")));
  std::optional<Reply> r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, 451);
  EXPECT_EQ(c->Cmd("NOOP"), 250);  // the session goes on
  ASSERT_EQ(mkdir(Spool("tmp").c_str(), 0750), 0);
  EXPECT_FALSE(Send(*c, "a@remote.invalid", "alice@example.test", "kept\r\n").empty());
}

TEST_F(ServerTest, GracefulStopSays421AndRunReturns) {
  StartServer(BaseConfig());
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  const auto start = Clock::now();
  server_->Stop();
  std::optional<Reply> r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, 421);
  EXPECT_EQ(r->enhanced, "4.3.2");
  EXPECT_TRUE(c->Closed());
  thread_.join();  // Run() returned
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count(), 4000);
  EXPECT_FALSE(server_->service_stopped());
  server_.reset();
  EXPECT_EQ(TestClient::Connect(endpoint_, milliseconds(1000)), nullptr);  // not listening
}

TEST_F(ServerTest, Ms02012ProfileStopsTheService) {
  ServerConfig config = BaseConfig();
  config.session.policy.profile = Profile::kMs02012;
  StartServer(config);
  std::unique_ptr<TestClient> bystander = Open();
  ASSERT_NE(bystander, nullptr);
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_TRUE(c->Line("BDAT 10"));  // out of sequence: the emulated crash
  EXPECT_TRUE(c->Closed());
  thread_.join();  // Run() returned by itself
  EXPECT_TRUE(server_->service_stopped());
  EXPECT_THAT(server_->service_stopped_reason(), HasSubstr("BDAT"));
  EXPECT_TRUE(bystander->Closed());  // the whole service is gone
  server_.reset();
}

TEST_F(ServerTest, SeveralIoThreadsInBothModels) {
  for (const Server::IoModel model :
       {Server::IoModel::kContextPerThread, Server::IoModel::kSharedContext}) {
    ServerConfig config = BaseConfig();
    config.io_threads = 3;
    config.spool_dir = tmp_ / absl::StrCat("spool-", static_cast<int>(model));
    StartServer(config, Server::Options{model, false});
    std::atomic<int> stored{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 8; ++i) {
      clients.emplace_back([&, i] {
        std::unique_ptr<TestClient> c = TestClient::Connect(endpoint_);
        if (c == nullptr || c->Code() != 220 || c->Cmd("EHLO client.test") != 250) return;
        for (int m = 0; m < 4; ++m) {
          const std::string body = absl::StrCat("Subject: ", i, "/", m, "\r\n\r\nbody\r\n");
          const std::string id = Send(*c, "a@remote.invalid", "alice@example.test", body);
          if (!id.empty() &&
              ReadFileOrEmpty(absl::StrCat(config.spool_dir, "/maildir/alice/new/", id)) == body) {
            ++stored;
          }
        }
        c->Cmd("QUIT");
      });
    }
    for (std::thread& t : clients) t.join();
    EXPECT_EQ(stored.load(), 32) << "model " << static_cast<int>(model);
    StopServer();
  }
}

// The issue asks for IPv6 too; a machine without ::1 fails here rather than skipping, so a
// server that silently stopped binding ::1 cannot pass.
TEST_F(ServerTest, ListensOnIpv6Loopback) {
  ServerConfig config = BaseConfig();
  config.listen = {"127.0.0.1:0", "[::1]:0"};
  StartServer(config);
  const std::vector<asio::ip::tcp::endpoint> endpoints = server_->endpoints();
  ASSERT_EQ(endpoints.size(), 2u) << "127.0.0.1 and ::1 must both be bound (is ::1 configured?)";
  EXPECT_TRUE(endpoints[0].address().is_v4());
  EXPECT_TRUE(endpoints[1].address().is_v6());
  std::unique_ptr<TestClient> c = TestClient::Connect(endpoints[1]);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Code(), 220);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  const std::string id = Send(*c, "a@remote.invalid", "alice@[IPv6:::1]", "v6\r\n");
  EXPECT_EQ(ReadFileOrEmpty(Spool("maildir/alice/new/" + id)), "v6\r\n");
}

TEST_F(ServerTest, RelayedMailReachesTheLoopbackSmarthost) {
  // The smarthost is a second reference server, local for remote.invalid.
  TempDir smarthost_dir;
  ServerConfig smarthost_config = BaseConfig();
  smarthost_config.spool_dir = smarthost_dir / "spool";
  smarthost_config.session.policy.local_domains = {"remote.invalid"};
  smarthost_config.session.policy.local_mailboxes = {"carol"};
  absl::StatusOr<std::unique_ptr<Server>> smarthost = Server::Create(smarthost_config);
  ASSERT_TRUE(smarthost.ok()) << smarthost.status();
  std::thread smarthost_thread([&] { (*smarthost)->Run(); });

  ServerConfig config = BaseConfig();
  config.relay_host = absl::StrCat("127.0.0.1:", (*smarthost)->endpoints()[0].port());
  StartServer(config);
  std::unique_ptr<TestClient> c = Open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_EQ(c->Cmd(TestClient::PlainAuth("relayer", "relayer-pass")), 235);
  const std::string body = "Subject: relayed\r\n\r\n.dot\r\nbody\r\n";
  const std::string id = Send(*c, "relayer@example.test", "carol@remote.invalid", body);
  ASSERT_FALSE(id.empty());

  std::vector<std::string> delivered;
  for (int i = 0; i < 200 && delivered.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    delivered = ListDir(smarthost_dir / "spool/maildir/carol/new");
  }
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(ReadFileOrEmpty(smarthost_dir / "spool/maildir/carol/new/" + delivered[0]), body);
  for (int i = 0; i < 100 && !ListDir(Spool("outbound")).empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_THAT(ListDir(Spool("outbound")), IsEmpty());
  (*smarthost)->Stop();
  smarthost_thread.join();
}

}  // namespace
}  // namespace smtpgate

namespace smtpgate {
namespace {

TEST(ServerDemoTest, DemoConfigOffersStartTlsAndRemovesItsTemporarySpool) {
  ServerConfig config = DemoServerConfig();
  config.listen = {"127.0.0.1:0"};
  const std::string dir = config.spool_dir;
  {
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(config);
    ASSERT_TRUE(server.ok()) << server.status();
    std::thread run([&] { (*server)->Run(); });
    std::unique_ptr<TestClient> c = TestClient::Connect((*server)->endpoints()[0]);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->Code(), 220);
    EXPECT_EQ(c->Cmd("EHLO client.test"), 250);
    EXPECT_EQ(c->Cmd("STARTTLS"), 220);
    EXPECT_TRUE(c->StartTls());  // the ephemeral self-signed certificate
    EXPECT_EQ(c->Cmd("EHLO client.test"), 250);
    EXPECT_EQ(c->Cmd("QUIT"), 221);
    EXPECT_EQ(access((dir + "/maildir").c_str(), F_OK), 0);
    (*server)->Stop();
    run.join();
  }
  EXPECT_NE(access(dir.c_str(), F_OK), 0) << dir << " was not removed";
}

}  // namespace
}  // namespace smtpgate
