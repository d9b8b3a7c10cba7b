#include "harness/net/server_config.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/net/tls_server_context.h"
#include "server_test_client.h"
#include "tests/source_dir.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(text, "serve.toml");
  EXPECT_FALSE(config.ok()) << "config was accepted:\n" << text;
  return config.ok() ? "" : std::string(config.status().message());
}

constexpr char kGood[] = R"(# a complete config
hostname = "mx.test.example"
listen = ["127.0.0.1:0", "[::1]:2600"]
profile = "auth-implies-relay"
spool_dir = "/var/tmp/smtpgate-spool"
relay_host = "127.0.0.1:2626"
tarpit_seconds = 1.5
io_threads = 2
commit_threads = 3

[limits]
max_message_size = 1048576
max_recipients = 7
max_errors = 3
max_line_length = 1000
max_connections = 50
max_connections_per_client = 5
max_buffered_per_connection = 65536
command_timeout_ms = 1500
data_timeout_ms = 2500

[policy]
local_domains = ["test.example", "Other.Example"]
relay_domains = ["backup.example"]
local_literals = ["[127.0.0.1]"]
trusted_networks = ["192.0.2.0/24", "::1"]
local_mailboxes = ["alice", "bob"]
recipient_filtering = false
sender_login_match = true
require_tls = false
auth_requires_tls = false
auth_required = true
auth_enabled = true
bare_line_endings = "keep"

[[users]]
name = "relayer"
password = "relayer-pass"
may_relay = true
allowed_senders = ["relayer@test.example", "@other.example"]

[[users]]
name = "guest"
password = "guest-pass"
may_act_for = ["guest2"]
)";

TEST(ServerConfigTest, ReadsEveryKey) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(kGood, "serve.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const SessionConfig& s = config->session;
  EXPECT_EQ(s.hostname, "mx.test.example");
  EXPECT_THAT(config->listen, ElementsAre("127.0.0.1:0", "[::1]:2600"));
  EXPECT_EQ(s.policy.profile, Profile::kAuthImpliesRelay);
  EXPECT_EQ(config->spool_dir, "/var/tmp/smtpgate-spool");
  EXPECT_EQ(config->relay_host, "127.0.0.1:2626");
  EXPECT_EQ(s.tarpit, std::chrono::milliseconds(1500));
  EXPECT_EQ(config->io_threads, 2);
  EXPECT_EQ(config->commit_threads, 3);
  EXPECT_EQ(s.max_message_size, 1048576u);
  EXPECT_EQ(s.max_recipients, 7u);
  EXPECT_EQ(s.max_errors, 3);
  EXPECT_EQ(s.command.max_line_length, 1000u);
  EXPECT_EQ(config->max_connections, 50u);
  EXPECT_EQ(config->max_connections_per_client, 5u);
  EXPECT_EQ(config->max_buffered_per_connection, 65536u);
  EXPECT_EQ(config->command_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config->data_timeout, std::chrono::milliseconds(2500));
  EXPECT_THAT(s.policy.local_domains, ElementsAre("test.example", "Other.Example"));
  EXPECT_THAT(s.policy.relay_domains, ElementsAre("backup.example"));
  EXPECT_THAT(s.policy.local_literals, ElementsAre("[127.0.0.1]"));
  EXPECT_THAT(s.policy.trusted_networks, ElementsAre("192.0.2.0/24", "::1"));
  EXPECT_THAT(s.policy.local_mailboxes, ElementsAre("alice", "bob"));
  EXPECT_FALSE(s.policy.recipient_filtering);
  EXPECT_TRUE(s.policy.sender_login_match);
  EXPECT_FALSE(s.require_tls);
  EXPECT_FALSE(s.auth_requires_tls);
  EXPECT_TRUE(s.auth_required);
  EXPECT_TRUE(s.auth_enabled);
  EXPECT_EQ(s.bare_line_endings, BareLineEndings::kKeep);
  ASSERT_EQ(s.users.size(), 2u);
  const UserAccount* relayer = s.users.Find("relayer");
  ASSERT_NE(relayer, nullptr);
  EXPECT_TRUE(relayer->may_relay);
  EXPECT_EQ(relayer->password, "relayer-pass");
  EXPECT_THAT(relayer->allowed_senders, ElementsAre("relayer@test.example", "@other.example"));
  const UserAccount* guest = s.users.Find("guest");
  ASSERT_NE(guest, nullptr);
  EXPECT_FALSE(guest->may_relay);
  EXPECT_THAT(guest->may_act_for, ElementsAre("guest2"));
  EXPECT_THAT(config->account_names, ElementsAre("relayer", "guest"));
  EXPECT_FALSE(config->tls_enabled);
}

TEST(ServerConfigTest, DefaultsWhenKeysAreMissing) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig("spool_dir = \"/x\"\n", "min.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->listen, ElementsAre("127.0.0.1:2525"));
  EXPECT_EQ(config->session.policy.profile, Profile::kSecure);
  EXPECT_EQ(config->command_timeout, std::chrono::minutes(5));
  EXPECT_EQ(config->data_timeout, std::chrono::minutes(3));
  EXPECT_EQ(config->max_connections, 2000u);
  // spool_dir may be left to the command line.
  EXPECT_TRUE(ParseServerConfig("", "empty.toml").ok());
}

TEST(ServerConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  const std::string error = ErrorOf("hostname = \"mx.example.test\"\nlisten = [\"127.0.0.1:1\"\n");
  EXPECT_THAT(error, HasSubstr("serve.toml:"));
  EXPECT_THAT(error, ::testing::MatchesRegex("serve\\.toml:[23]:[0-9]+: .+"));
}

TEST(ServerConfigTest, WrongTypeNamesLineAndKey) {
  EXPECT_EQ(ErrorOf("[[users]]\nname = \"alice\"\npassword = \"x\"\n\n"
                    "[[users]]\nname = \"guest\"\npassword = \"y\"\nmay_relay = \"yes\"\n"),
            "serve.toml:8:13: key 'users.guest.may_relay': expected a boolean");
  EXPECT_EQ(ErrorOf("hostname = 42\n"), "serve.toml:1:12: key 'hostname': expected a string");
  EXPECT_EQ(ErrorOf("\n\n[limits]\nmax_recipients = \"ten\"\n"),
            "serve.toml:4:18: key 'limits.max_recipients': expected an integer");
  EXPECT_EQ(ErrorOf("[policy]\nlocal_domains = [\"a.example\",\n  7]\n"),
            "serve.toml:3:3: key 'policy.local_domains[1]': expected a string");
  EXPECT_EQ(ErrorOf("limits = 3\n"), "serve.toml:1:10: key 'limits': expected a table");
  EXPECT_EQ(ErrorOf("[limits]\nmax_connections = 0\n"),
            "serve.toml:2:19: key 'limits.max_connections': out of range (1..1000000)");
  EXPECT_EQ(ErrorOf("io_threads = 1\ncommit_threads = 0\n"),
            "serve.toml:2:18: key 'commit_threads': out of range (1..64)");
}

TEST(ServerConfigTest, UnknownKeyNamesLineAndKey) {
  EXPECT_THAT(ErrorOf("hostname = \"a.example\"\nlisten_on = [\"127.0.0.1:25\"]\n"),
              HasSubstr("serve.toml:2:1: key 'listen_on': unknown key"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_size = 5\n"),
              HasSubstr("serve.toml:2:1: key 'limits.max_size': unknown key (known here: "));
  EXPECT_THAT(ErrorOf("[[users]]\nname = \"bob\"\npassword = \"p\"\nrelay = true\n"),
              HasSubstr("serve.toml:4:1: key 'users.bob.relay': unknown key"));
  EXPECT_THAT(ErrorOf("[tls]\ncert = \"a\"\nkey = \"b\"\nstarttls = true\n"),
              HasSubstr("serve.toml:4:1: key 'tls.starttls': unknown key"));
}

TEST(ServerConfigTest, SemanticErrorsNameLineAndKey) {
  EXPECT_THAT(ErrorOf("\nprofile = \"wide-open\"\n"),
              HasSubstr("serve.toml:2:11: key 'profile': unknown profile \"wide-open\" (expected "
                        "one of: secure, open-relay, auth-implies-relay, ms02-012, "
                        "bare-lf-eod, null-session-auth, per-connection-crash, strict)"));
  EXPECT_THAT(ErrorOf("listen = [\"127.0.0.1:2525\", \"localhost:25\"]\n"),
              HasSubstr("serve.toml:1:29: key 'listen[1]': \"localhost:25\""));
  EXPECT_THAT(ErrorOf("listen = [\"127.0.0.1:99999\"]\n"),
              HasSubstr("key 'listen[0]': \"127.0.0.1:99999\": bad port"));
  EXPECT_THAT(ErrorOf("listen = [\n  \"192.0.2.1:25\",\n]\n"),
              HasSubstr("serve.toml:2:3: key 'listen[0]': \"192.0.2.1:25\" is not a loopback "
                        "address"));
  EXPECT_THAT(ErrorOf("listen = []\n"), HasSubstr("key 'listen': at least one address"));
  EXPECT_THAT(ErrorOf("relay_host = \"192.0.2.1:25\"\n"),
              HasSubstr("serve.toml:1:14: key 'relay_host': expected a loopback"));
  EXPECT_THAT(ErrorOf("[policy]\ntrusted_networks = [\n  \"10.0.0.0/8\",\n  \"10.0.0.0/33\",\n]\n"),
              HasSubstr("serve.toml:4:3: key 'policy.trusted_networks[1]': "));
  EXPECT_THAT(ErrorOf("[policy]\nlocal_domains = [\"bad..domain\"]\n"),
              HasSubstr("serve.toml:2:18: key 'policy.local_domains[0]': "));
  EXPECT_THAT(ErrorOf("[policy]\nbare_line_endings = \"fix\"\n"),
              HasSubstr("serve.toml:2:21: key 'policy.bare_line_endings': expected \"reject\" or "
                        "\"keep\""));
  EXPECT_THAT(ErrorOf("[[users]]\npassword = \"p\"\n"),
              HasSubstr("serve.toml:1:1: key 'users[0].name': required"));
  EXPECT_THAT(ErrorOf("[[users]]\nname = \"a\"\npassword = \"p\"\n[[users]]\nname = \"a\"\n"
                      "password = \"q\"\n"),
              HasSubstr("serve.toml:5:8: key 'users.a.name': a user of this name already exists"));
  EXPECT_THAT(ErrorOf("[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"\n"),
              HasSubstr("serve.toml:2:8: key 'tls.cert': cannot read \"/nonexistent/cert.pem\""));
  EXPECT_THAT(ErrorOf("[tls]\nimplicit = true\n"),
              HasSubstr("key 'tls.cert': required when [tls] is present"));
  EXPECT_THAT(ErrorOf("tarpit_seconds = -1\n"), HasSubstr("key 'tarpit_seconds': out of range"));
  EXPECT_THAT(ErrorOf("hostname = \"bad host\"\n"), HasSubstr("key 'hostname': not a valid"));
}

TEST(ServerConfigTest, NonLoopbackNeedsExplicitPermission) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(
      "allow_non_loopback = true\nlisten = [\"192.0.2.1:25\"]\nspool_dir = \"/x\"\n", "a.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->allow_non_loopback);
}

TEST(ServerConfigTest, LoadsFilesAndResolvesRelativePaths) {
  TempDir tmp;
  absl::StatusOr<PemCertificate> cert = GenerateSelfSignedCertificate("mx.example.test", 1);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFile(tmp / "cert.pem", cert->cert_pem));
  ASSERT_TRUE(WriteFile(tmp / "key.pem", cert->key_pem));
  ASSERT_TRUE(WriteFile(tmp / "serve.toml",
                        "spool_dir = \"spool\"\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n"));
  absl::StatusOr<ServerConfig> config = LoadServerConfig(tmp / "serve.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spool_dir, tmp / "spool");
  EXPECT_EQ(config->tls.cert_file, tmp / "cert.pem");
  EXPECT_TRUE(config->tls_enabled);
  EXPECT_TRUE(config->session.tls_available);

  ASSERT_TRUE(WriteFile(tmp / "bad.toml", "\n\n[policy]\nrequire_tls = 1\n"));
  absl::StatusOr<ServerConfig> bad = LoadServerConfig(tmp / "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            tmp / "bad.toml" + ":4:15: key 'policy.require_tls': expected a boolean");

  absl::StatusOr<ServerConfig> missing = LoadServerConfig(tmp / "missing.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing.toml"));
}

TEST(ServerConfigTest, ExampleFileLoads) {
  absl::StatusOr<ServerConfig> config =
      LoadServerConfig(SourceDir() + "/scripts/serve.example.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->session.hostname, "mx.example.test");
  EXPECT_NE(config->session.users.Find("relayer"), nullptr);
}

TEST(ServerConfigTest, ParseListenAddress) {
  absl::StatusOr<ListenAddress> v4 = ParseListenAddress("127.0.0.1:2525");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 2525);
  EXPECT_TRUE(v4->loopback);
  EXPECT_FALSE(v4->ipv6);
  absl::StatusOr<ListenAddress> v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->ipv6);
  EXPECT_TRUE(v6->loopback);
  EXPECT_TRUE(ParseListenAddress("127.1.2.3:25")->loopback);
  EXPECT_FALSE(ParseListenAddress("192.0.2.1:25")->loopback);
  EXPECT_FALSE(ParseListenAddress("::1:25").ok());  // IPv6 needs brackets
  EXPECT_FALSE(ParseListenAddress("localhost:25").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:65536").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:+25").ok());
  EXPECT_FALSE(ParseListenAddress("[::1]").ok());
}

TEST(ServerConfigTest, DemoConfigAndDescription) {
  ServerConfig demo = DemoServerConfig(Profile::kOpenRelay);
  EXPECT_THAT(demo.listen, ElementsAre("127.0.0.1:2525", "[::1]:2525"));
  EXPECT_FALSE(demo.spool_dir.empty());
  EXPECT_EQ(demo.session.policy.profile, Profile::kOpenRelay);
  EXPECT_TRUE(demo.tls_enabled);
  EXPECT_FALSE(demo.tls.cert_pem.empty());
  EXPECT_TRUE(ValidateServerConfig(demo).ok());
  const std::string text = DescribeServerConfig(demo);
  EXPECT_THAT(text, HasSubstr("relayer (may relay)"));
  EXPECT_THAT(text, HasSubstr("guest (may not relay)"));
  EXPECT_THAT(text, HasSubstr("example.test"));
  EXPECT_THAT(text, HasSubstr(demo.spool_dir));
  EXPECT_THAT(text, HasSubstr("open-relay"));
  EXPECT_THAT(text, Not(HasSubstr("relayer-pass")));
  EXPECT_THAT(text, Not(HasSubstr("guest-pass")));
  TempDir::RemoveTree(demo.spool_dir);
}

}  // namespace
}  // namespace smtpgate
