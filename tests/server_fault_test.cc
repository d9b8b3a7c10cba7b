// Crash safety of the reference server's spool: the server runs in a child process, 20
// clients send messages, the child is killed with SIGKILL mid-flight, and a restart on the
// same spool must show every message that got its 250, byte-identical, and nothing partial
// outside tmp/.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/demo_config.h"
#include "harness/net/server.h"
#include "harness/net/spool.h"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::DotStuff;
using ::smtpgate::testing::ListDir;
using ::smtpgate::testing::ListFilesRecursive;
using ::smtpgate::testing::ReadFileOrEmpty;
using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::TestClient;
using std::chrono::milliseconds;
using ::testing::IsEmpty;

ServerConfig FaultConfig(const std::string& spool_dir) {
  ServerConfig config;
  config.session = DemoConfig();
  config.session.max_message_size = 4 << 20;
  config.account_names = {"relayer", "guest"};
  config.listen = {"127.0.0.1:0"};
  config.spool_dir = spool_dir;
  return config;
}

// Forks; the child runs a server on `spool_dir` and writes its port to the pipe. Returns the
// child's pid and the port (0 on failure).
std::pair<pid_t, uint16_t> StartChildServer(const std::string& spool_dir) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, 0};
  const pid_t pid = fork();
  if (pid == 0) {
    // The child: no gtest from here on, and _exit() so that no atexit handler (gtest's,
    // the leak checker's) runs.
    close(fds[0]);
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(FaultConfig(spool_dir));
    uint16_t port = 0;
    if (server.ok()) port = (*server)->endpoints()[0].port();
    if (write(fds[1], &port, sizeof(port)) != sizeof(port) || port == 0) _exit(1);
    close(fds[1]);
    (*server)->Run();
    _exit(0);
  }
  close(fds[1]);
  uint16_t port = 0;
  pollfd p{fds[0], POLLIN, 0};
  if (poll(&p, 1, 20000) == 1 && read(fds[0], &port, sizeof(port)) != sizeof(port)) port = 0;
  close(fds[0]);
  return {pid, port};
}

// A unique, recognisable body of about `size` octets.
std::string MakeBody(int client, int seq, size_t size) {
  std::string body = absl::StrCat("Message-ID: <c", client, ".m", seq, "@fault.test>\r\n\r\n");
  for (int line = 0; body.size() < size; ++line) {
    absl::StrAppend(&body, line % 11 == 0 ? "." : "", "client ", client, " message ", seq, " line ",
                    line, " of some filler text\r\n");
  }
  return body;
}

struct Sent {
  std::string id;
  std::string body;
  bool relay = false;
};

TEST(ServerFaultTest, KillDashNineKeepsEveryAcknowledgedMessage) {
  TempDir tmp;
  const std::string spool = tmp / "spool";
  const auto [pid, port] = StartChildServer(spool);
  ASSERT_GT(pid, 0);
  ASSERT_NE(port, 0) << "the child server did not start";
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);

  std::mutex mu;
  std::vector<Sent> acknowledged;
  std::set<std::string> attempted;  // every body a client started to send
  std::atomic<bool> stop{false};
  std::atomic<int> acks{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 20; ++client) {
    clients.emplace_back([&, client] {
      std::unique_ptr<TestClient> c = TestClient::Connect(endpoint);
      if (c == nullptr || c->Code() != 220 || c->Cmd("EHLO fault.test") != 250) return;
      const bool relay = client % 2 == 1;
      if (relay && c->Cmd(TestClient::PlainAuth("relayer", "relayer-pass")) != 235) return;
      for (int seq = 0; !stop.load(); ++seq) {
        // Sizes from 1 KiB to ~600 KiB, so the kill lands in every phase.
        const size_t size = 1024 + static_cast<size_t>((client * 7919 + seq * 104729) % 600000);
        const std::string body = MakeBody(client, seq, size);
        if (c->Cmd(relay ? "MAIL FROM:<relayer@example.test>" : "MAIL FROM:<a@remote.invalid>") !=
                250 ||
            c->Cmd(relay ? "RCPT TO:<carol@remote.invalid>" : "RCPT TO:<alice@example.test>") !=
                250 ||
            (!relay && c->Cmd("RCPT TO:<bob@example.test>") != 250) || c->Cmd("DATA") != 354) {
          return;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          attempted.insert(body);
        }
        if (!c->Send(DotStuff(body))) return;
        std::optional<Reply> reply = c->Read();
        if (!reply || reply->code != 250) return;
        const std::string& text = reply->lines.at(0);
        const std::string id = text.substr(text.rfind(' ') + 1);
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.push_back(Sent{id, body, relay});
        ++acks;
      }
    });
  }
  // Let some messages through, then kill the server in the middle of the traffic.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (acks.load() < 40 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::this_thread::sleep_for(milliseconds(37));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  stop = true;
  for (std::thread& t : clients) t.join();
  ASSERT_GE(acknowledged.size(), 40u) << "too few messages before the kill";

  // What the crash left: outside tmp/ and queue/, only complete messages.
  std::vector<std::string> before;
  ListFilesRecursive(spool, "", &before);
  int in_tmp = 0;
  for (const std::string& file : before) {
    if (file.rfind("tmp/", 0) == 0) ++in_tmp;
  }

  // Restart on the same spool: recovery runs, the server works.
  absl::StatusOr<std::unique_ptr<Server>> restarted = Server::Create(FaultConfig(spool));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_THAT(ListDir(spool + "/tmp"), IsEmpty());
  EXPECT_THAT(ListDir(spool + "/queue"), IsEmpty());

  // Every acknowledged message is there, byte-identical, for each of its destinations.
  for (const Sent& sent : acknowledged) {
    if (sent.relay) {
      EXPECT_EQ(ReadFileOrEmpty(spool + "/outbound/" + sent.id + ".eml"), sent.body) << sent.id;
      absl::StatusOr<SpooledEnvelope> env =
          ReadSpooledEnvelope(spool + "/outbound/" + sent.id + ".env");
      ASSERT_TRUE(env.ok()) << env.status();
      ASSERT_EQ(env->recipients.size(), 1u);
      EXPECT_EQ(env->recipients[0].address, "carol@remote.invalid");
    } else {
      EXPECT_EQ(ReadFileOrEmpty(spool + "/maildir/alice/new/" + sent.id), sent.body) << sent.id;
      EXPECT_EQ(ReadFileOrEmpty(spool + "/maildir/bob/new/" + sent.id), sent.body) << sent.id;
    }
  }
  // Every message file is one complete message that a client sent; every .env parses and
  // has its .eml.
  std::vector<std::string> after;
  ListFilesRecursive(spool, "", &after);
  size_t messages = 0;
  for (const std::string& file : after) {
    if (file == "lock") continue;
    const std::string path = spool + "/" + file;
    if (file.size() > 4 && file.compare(file.size() - 4, 4, ".env") == 0) {
      EXPECT_TRUE(ReadSpooledEnvelope(path).ok()) << file;
      EXPECT_FALSE(ReadFileOrEmpty(path.substr(0, path.size() - 4) + ".eml").empty()) << file;
      continue;
    }
    ++messages;
    EXPECT_EQ(attempted.count(ReadFileOrEmpty(path)), 1u) << "partial or unknown file " << file;
  }
  EXPECT_GE(messages, acknowledged.size());
  std::printf(
      "fault test: %zu messages acknowledged before SIGKILL, %zu message files after "
      "restart, %d temporary files cleaned, %d queue entries completed\n",
      acknowledged.size(), messages, in_tmp,
      (*restarted)->spool().recovery().queue_entries_completed);

  // The restarted server takes mail again.
  std::thread run([&] { (*restarted)->Run(); });
  std::unique_ptr<TestClient> c = TestClient::Connect((*restarted)->endpoints()[0]);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Code(), 220);
  EXPECT_EQ(c->Cmd("EHLO again.test"), 250);
  EXPECT_EQ(c->Cmd("MAIL FROM:<a@remote.invalid>"), 250);
  EXPECT_EQ(c->Cmd("RCPT TO:<alice@example.test>"), 250);
  EXPECT_EQ(c->Cmd("DATA"), 354);
  ASSERT_TRUE(c->Send(DotStuff("after the crash\r\n")));
  EXPECT_EQ(c->Code(), 250);
  (*restarted)->Stop();
  run.join();
}

}  // namespace
}  // namespace smtpgate
