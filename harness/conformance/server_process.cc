#include "harness/conformance/server_process.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/net/smtp_client.h"

namespace smtpgate::conformance {
namespace {

// The running server's process group, for the interrupt handler: an interrupted `conform`
// must not leave the server it started behind (it runs in its own process group, so the
// terminal's SIGINT does not reach it).
std::atomic<pid_t> g_server_group{-1};

void OnInterrupt(int signal_number) {
  const pid_t group = g_server_group.load();
  if (group > 0) kill(-group, SIGTERM);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void InstallInterruptCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal_number, &action, nullptr);
  });
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")",
                        WCOREDUMP(status) ? ", core dumped" : "");
  }
  return absl::StrCat("stopped (wait status ", status, ")");
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    std::string command, std::string host, uint16_t port, std::chrono::milliseconds ready_timeout) {
  std::unique_ptr<ServerProcess> process(
      new ServerProcess(std::move(command), std::move(host), port, ready_timeout));
  std::lock_guard<std::mutex> lock(process->mutex_);
  if (absl::Status launched = process->Launch(); !launched.ok()) return launched;
  return process;
}

absl::Status ServerProcess::Launch() {
  const pid_t pid = fork();
  if (pid < 0) return absl::UnavailableError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  pid_ = pid;
  g_server_group.store(pid);
  InstallInterruptCleanup();
  death_.reset();
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout_;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("server command '", command_, "' ",
                                                 DescribeWaitStatus(status),
                                                 " before accepting connections"));
    }
    ClientOptions options;
    options.host = host_;
    options.port = port_;
    options.connect_timeout = std::chrono::milliseconds(500);
    if (absl::StatusOr<std::unique_ptr<SmtpClient>> client = SmtpClient::Connect(options);
        client.ok()) {
      (*client)->Close();
      return absl::OkStatus();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError(absl::StrCat("server command '", command_, "' did not accept ",
                                                 "connections on ", FormatHostPort(host_, port_),
                                                 " within ", ready_timeout_.count(), " ms"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ServerProcess::Reap() {
  if (pid_ <= 0 || death_) return;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    death_ = absl::StrCat("server process ", pid_, " ", DescribeWaitStatus(status));
    pid_ = -1;
  }
}

int ServerProcess::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

std::optional<std::string> ServerProcess::Dead(int generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) return "server process died (and was restarted)";
  Reap();
  return death_;
}

int ServerProcess::EnsureRunning() {
  std::lock_guard<std::mutex> lock(mutex_);
  Reap();
  if (death_) {
    ++generation_;
    (void)Launch();  // a failed restart shows as a dead server to the next tests
    if (pid_ < 0 && !death_) death_ = "server process could not be restarted";
  }
  return generation_;
}

ServerProcess::~ServerProcess() {
  std::lock_guard<std::mutex> lock(mutex_);
  g_server_group.store(-1);
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

}  // namespace smtpgate::conformance
