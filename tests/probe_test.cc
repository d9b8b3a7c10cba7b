// `smtpgate probe` against the reference server over TCP with STARTTLS (what `smtpgate
// serve` runs), in several configurations: the target file it writes has the values the
// server shows, loads with the target-file parser, and `conform --target-file` runs it
// unchanged. Unreachable servers and bad flags give conform's exit codes.
#include "harness/conformance/probe.h"

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/conform_command.h"
#include "harness/conformance/probe_command.h"
#include "harness/conformance/target_file.h"
#include "harness/net/server.h"
#include "harness/net/server_config.h"
#include "nlohmann/json.hpp"
#include "running_server.h"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::conformance::ParseTargetFile;
using ::smtpgate::conformance::TargetConfig;
using ::smtpgate::conformance::TlsMode;
using ::smtpgate::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// The demo server (DemoServerConfig: STARTTLS with an ephemeral certificate) on a free
// loopback port, changed by `tweak`, handing relayed mail to `relay_host`.
class ProbedServer : public RunningServer {
 public:
  ProbedServer(const std::function<void(ServerConfig&)>& tweak, const std::string& relay_host)
      : RunningServer(Profile::kSecure, relay_host, 0, tweak) {}
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
};

// A loopback port nobody listens on (bound, then released).
uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string SuiteDir() { return std::string(SMTPGATE_TEST_SOURCE_DIR) + "/conformance"; }

// `smtpgate conform --target-file FILE --tags TAGS --json J`: the exit code and the summary.
int Conform(const std::string& file, const std::vector<std::string>& tags, TempDir& tmp,
            nlohmann::json* summary) {
  ConformOptions options;
  options.target_file = file;
  options.suites = {SuiteDir()};
  options.tags = tags;
  options.json_path = tmp / "results.json";
  const int code = RunConform(options);
  *summary = nlohmann::json::parse(ReadAll(options.json_path), nullptr, false);
  if (!summary->is_discarded()) *summary = (*summary)["summary"]["by_verdict"];
  return code;
}

TEST(ProbeTest, AuthBeforeTlsWithSinkAndAccounts) {
  TempDir tmp;
  const std::string sink = "127.0.0.1:" + std::to_string(FreePort());
  ProbedServer server([](ServerConfig&) {}, sink);
  ProbeCommandOptions options;
  options.target = server.address();
  options.out_path = tmp / "probed.toml";
  options.local_user = "alice";
  options.authorized = "relayer:relayer-pass";
  options.unauthorized = "guest:guest-pass";
  options.sink = sink;
  options.maildirs = {tmp / "mail", (tmp / "a") + "," + (tmp / "b")};
  ASSERT_EQ(RunProbe(options), kProbeOk);

  const std::string text = ReadAll(options.out_path);
  EXPECT_THAT(text, HasSubstr("banner:          220 mx.example.test ESMTP"));
  EXPECT_THAT(text, HasSubstr("STARTTLS:        offered; the handshake succeeded"));
  EXPECT_THAT(text, HasSubstr("AUTH:            before TLS: PLAIN LOGIN; inside TLS: PLAIN LOGIN"));
  EXPECT_THAT(text, Not(HasSubstr("only after STARTTLS")));
  EXPECT_THAT(text, HasSubstr("SIZE:            10485760 octets"));
  EXPECT_THAT(text, HasSubstr("RCPT TO:<probe-x@remote.invalid> 550 5.7.1"));
  EXPECT_THAT(text, HasSubstr("no tar pit"));
  EXPECT_THAT(text, HasSubstr("What you must still check:"));

  absl::StatusOr<TargetConfig> config = ParseTargetFile(text, options.out_path);
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << text;
  EXPECT_EQ(config->port, std::stoi(server.address().substr(10)));
  EXPECT_EQ(config->tls, TlsMode::kStartTls);
  EXPECT_EQ(config->tarpit_seconds, 0);
  EXPECT_EQ(config->variables.at("server_name"), "mx.example.test");
  EXPECT_EQ(config->variables.at("local_domain"), "example.test");
  EXPECT_EQ(config->variables.at("local_user"), "alice");
  EXPECT_EQ(config->variables.at("remote_domain"), "remote.invalid");
  EXPECT_EQ(config->variables.at("helo"), "client.test");
  EXPECT_EQ(config->variables.at("authorized_user"), "relayer");
  EXPECT_EQ(config->variables.at("unauthorized_password"), "guest-pass");
  EXPECT_EQ(config->oracle.sink, sink);
  EXPECT_THAT(config->oracle.maildirs, ::testing::ElementsAre(tmp / "mail", tmp / "a", tmp / "b"));

  // The file as written is a working conform target: the relay tests PASS by the sink.
  // (Without the Maildirs: the demo server keeps its mail in its own spool.)
  std::string without_maildirs = text.substr(0, text.find("maildir = ["));
  std::ofstream(tmp / "no-maildir.toml") << without_maildirs;
  nlohmann::json verdicts;
  EXPECT_EQ(Conform(tmp / "no-maildir.toml", {"kb304897"}, tmp, &verdicts), kConformOk);
  EXPECT_EQ(verdicts["PASS"], 7) << verdicts.dump();
}

TEST(ProbeTest, AuthOnlyAfterStartTlsAndATarPit) {
  TempDir tmp;
  ProbedServer server(
      [](ServerConfig& config) {
        config.session.auth_requires_tls = true;
        config.session.tarpit = std::chrono::seconds(1);
      },
      "");
  ProbeCommandOptions options;
  options.target = server.address();
  options.out_path = tmp / "probed.toml";
  ASSERT_EQ(RunProbe(options), kProbeOk);

  const std::string text = ReadAll(options.out_path);
  EXPECT_THAT(text, HasSubstr("AUTH:            before TLS: none; inside TLS: PLAIN LOGIN"));
  EXPECT_THAT(text, HasSubstr("AUTH offered only after STARTTLS"));
  EXPECT_THAT(text, HasSubstr(": a tar pit"));
  EXPECT_THAT(text, HasSubstr("No [accounts] table"));
  EXPECT_THAT(text, HasSubstr("No delivery oracle"));
  EXPECT_THAT(text, Not(HasSubstr("\n[accounts.")));
  EXPECT_THAT(text, Not(HasSubstr("\n[oracle]")));

  absl::StatusOr<TargetConfig> config = ParseTargetFile(text, options.out_path);
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << text;
  EXPECT_EQ(config->tls, TlsMode::kStartTls);
  EXPECT_GE(config->tarpit_seconds, 1);  // a 1 s tar pit, measured
  EXPECT_EQ(config->variables.at("local_user"), "postmaster");
  EXPECT_EQ(config->variables.at("local_domain"), "example.test");
  for (const char* word : {"auth", "auth-plain", "auth-login"}) {  // no [accounts]
    EXPECT_FALSE(config->capabilities.at(word)) << word;
  }
  EXPECT_GT(config->reply_timeout, std::chrono::seconds(config->tarpit_seconds));

  // conform runs it unchanged: the tar-pit tests run (tarpit_seconds > 0), the anonymous
  // ones PASS (the relay refusal is WARN: no oracle), the three that authenticate SKIP (no
  // accounts).
  nlohmann::json verdicts;
  EXPECT_EQ(Conform(options.out_path, {"tarpit"}, tmp, &verdicts), kConformOk);
  EXPECT_GE(verdicts["PASS"], 2) << verdicts.dump();
  EXPECT_EQ(verdicts["SKIP"], 3) << verdicts.dump();
  EXPECT_EQ(verdicts["FAIL"], 0) << verdicts.dump();
  EXPECT_EQ(verdicts["ERROR"], 0) << verdicts.dump();
}

TEST(ProbeTest, NoTlsOnStdout) {
  ProbedServer server(
      [](ServerConfig& config) {
        config.tls_enabled = false;
        config.session.tls_available = false;
      },
      "");
  ProbeCommandOptions options;
  options.target = server.address();
  options.local_domain = "example.test";
  ::testing::internal::CaptureStdout();
  const int code = RunProbe(options);
  const std::string text = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(code, kProbeOk);
  EXPECT_THAT(text, HasSubstr("STARTTLS:        not offered"));
  EXPECT_THAT(text, HasSubstr("tls = \"none\""));
  absl::StatusOr<TargetConfig> config = ParseTargetFile(text, "stdout.toml");
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << text;
  EXPECT_EQ(config->tls, TlsMode::kNone);
  EXPECT_EQ(config->tarpit_seconds, 0);
}

TEST(ProbeTest, UnreachableIsExit3WithAMessage) {
  ProbeCommandOptions options;
  options.target = "127.0.0.1:" + std::to_string(FreePort());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunProbe(options), kProbeUnreachable);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("target unreachable: cannot connect to " + options.target));
  EXPECT_THAT(err, HasSubstr("connection refused"));
}

TEST(ProbeTest, NoBannerIsExit3) {
  // Listening but never accepting: the kernel completes the handshake, nothing is sent.
  asio::io_context io;
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  ProbeCommandOptions options;
  options.target = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  options.timeout_seconds = 1;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunProbe(options), kProbeUnreachable);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("no banner from " + options.target + " within 1000 ms"));
}

TEST(ProbeTest, BadFlagsAreExit2) {
  auto run = [](const std::function<void(ProbeCommandOptions&)>& change) {
    ProbeCommandOptions options;
    options.target = "127.0.0.1:2525";
    change(options);
    ::testing::internal::CaptureStderr();
    const int code = RunProbe(options);
    return std::make_pair(code, ::testing::internal::GetCapturedStderr());
  };
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.target = ""; }).first, kProbeUsage);
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.target = "127.0.0.1:99999"; }).first, kProbeUsage);
  const auto account = run([](ProbeCommandOptions& o) { o.authorized = "relayer"; });
  EXPECT_EQ(account.first, kProbeUsage);
  EXPECT_THAT(account.second, HasSubstr("--authorized takes USER:PASS"));
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.unauthorized = ":x"; }).first, kProbeUsage);
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.sink = "127.0.0.1"; }).first, kProbeUsage);
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.timeout_seconds = 0; }).first, kProbeUsage);
  EXPECT_EQ(run([](ProbeCommandOptions& o) { o.local_user = ""; }).first, kProbeUsage);
}

TEST(ProbeTest, AccountsWithAnyCharactersRoundTrip) {
  conformance::ProbeResult result;
  result.banner = Reply{220, "", {"mx.example.test ESMTP \"quoted\" \x01 text"}};
  result.banner_host = "mx.example.test";
  ProbeCommandOptions options;
  options.local_domain = "example.test";
  options.authorized = "r\xc3\xa9layer:pa\"ss\\w:rd\t";
  const std::string text = conformance::RenderTargetFile(result, options, "::1", 2525);
  absl::StatusOr<TargetConfig> config = ParseTargetFile(text, "x.toml");
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << text;
  EXPECT_EQ(config->variables.at("authorized_user"), "r\xc3\xa9layer");
  EXPECT_EQ(config->variables.at("authorized_password"), "pa\"ss\\w:rd\t");
  EXPECT_EQ(config->variables.at("server_ip_literal"), "[IPv6:::1]");
  EXPECT_EQ(config->host, "::1");
  EXPECT_TRUE(config->capabilities.empty());  // accounts given: AUTH tests may run
}

TEST(ProbeTest, LocalDomainDefault) {
  using conformance::DefaultLocalDomain;
  EXPECT_EQ(DefaultLocalDomain("mx.example.test", "127.0.0.1"), "example.test");
  EXPECT_EQ(DefaultLocalDomain("example.test", "127.0.0.1"), "example.test");
  EXPECT_EQ(DefaultLocalDomain("localhost", "127.0.0.1"), "localhost");
  EXPECT_EQ(DefaultLocalDomain("", "mail.example.org"), "mail.example.org");
}

TEST(ProbeTest, ParseEhlo) {
  Reply reply{
      250, "", {"mx.example.test", "AUTH=LOGIN", "auth plain cram-md5", "SIZE", "STARTTLS"}};
  const conformance::EhloFacts facts = conformance::ParseEhlo(reply);
  EXPECT_THAT(facts.auth, ::testing::ElementsAre("LOGIN", "PLAIN", "CRAM-MD5"));
  EXPECT_TRUE(facts.starttls);
  ASSERT_TRUE(facts.size.has_value());
  EXPECT_EQ(*facts.size, 0u);
  EXPECT_EQ(facts.keywords.size(), 4u);
}

}  // namespace
}  // namespace smtpgate
