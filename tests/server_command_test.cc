// `smtpgate serve` (RunServe): exit codes for bad configurations, a graceful SIGTERM, and the
// ms02-012 emulation's non-zero exit. The serving cases run RunServe in a forked child.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/net/serve_command.h"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::TestClient;
using ::smtpgate::testing::WriteFile;
using std::chrono::milliseconds;

// A port that was free a moment ago.
uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

pid_t ForkServe(const ServeOptions& options) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);  // the configuration summary
    dup2(null, 2);
    _exit(RunServe(options));  // no gtest teardown in the child
  }
  return pid;
}

std::unique_ptr<TestClient> ConnectWithRetry(uint16_t port) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < 200; ++i) {
    if (std::unique_ptr<TestClient> c = TestClient::Connect(endpoint, milliseconds(500))) {
      return c;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return nullptr;
}

int WaitExit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 400; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(milliseconds(25));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

TEST(ServeCommandTest, BadConfigurationExitsTwo) {
  TempDir tmp;
  ASSERT_TRUE(WriteFile(tmp / "bad.toml", "[[users]]\nname = \"a\"\npassword = 1\n"));
  ServeOptions options;
  options.config_path = tmp / "bad.toml";
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunServe(options), 2);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(tmp / "bad.toml" + ":3:12: key 'users.a.password': expected a string"),
            std::string::npos)
      << err;

  options.config_path = tmp / "missing.toml";
  EXPECT_EQ(RunServe(options), 2);
  options.config_path.clear();
  options.profile = "no-such-profile";
  EXPECT_EQ(RunServe(options), 2);
  options.profile.clear();
  options.listen = {"192.0.2.1:25"};
  options.spool_dir = tmp / "spool";
  EXPECT_EQ(RunServe(options), 2);  // not loopback
}

TEST(ServeCommandTest, SigtermStopsGracefullyWithZero) {
  TempDir tmp;
  const uint16_t port = FreePort();
  ServeOptions options;
  options.listen = {absl::StrCat("127.0.0.1:", port)};
  options.spool_dir = tmp / "spool";
  const pid_t pid = ForkServe(options);
  ASSERT_GT(pid, 0);
  std::unique_ptr<TestClient> c = ConnectWithRetry(port);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Code(), 220);
  EXPECT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::optional<Reply> bye = c->Read();
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(bye->code, 421);
  EXPECT_EQ(WaitExit(pid), 0);
}

TEST(ServeCommandTest, Ms02012ServiceStopExitsSeventy) {
  TempDir tmp;
  const uint16_t port = FreePort();
  ServeOptions options;
  options.listen = {absl::StrCat("127.0.0.1:", port)};
  options.spool_dir = tmp / "spool";
  options.profile = "ms02-012";
  const pid_t pid = ForkServe(options);
  ASSERT_GT(pid, 0);
  std::unique_ptr<TestClient> c = ConnectWithRetry(port);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Code(), 220);
  EXPECT_EQ(c->Cmd("EHLO client.test"), 250);
  ASSERT_TRUE(c->Line("BDAT 5"));
  EXPECT_TRUE(c->Closed());
  EXPECT_EQ(WaitExit(pid), kServeExitServiceStopped);
}

}  // namespace
}  // namespace smtpgate
