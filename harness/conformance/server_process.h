// --server-cmd: the runner starts the server under test itself (/bin/sh -c CMD in its own
// process group), waits until its port accepts connections, watches its exit status
// (waitpid WNOHANG) and restarts it after a crash so later tests still have a server.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_SERVER_PROCESS_H_
#define SMTPGATE_HARNESS_CONFORMANCE_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace smtpgate::conformance {

// "exited with status 1", "killed by signal 11 (Segmentation fault)".
std::string DescribeWaitStatus(int status);

class ServerProcess {
 public:
  // Starts `command` and waits up to `ready_timeout` for host:port to accept a connection.
  // Fails (kUnavailable) when the process exits first or the port never opens.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::string command, std::string host, uint16_t port,
      std::chrono::milliseconds ready_timeout);
  ~ServerProcess();  // SIGTERM to the group, then SIGKILL after 3 s
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Incremented by every restart.
  int generation() const;
  // Why the process of `generation` is gone ("server process 1234 killed by signal 11
  // (Segmentation fault)"), or nullopt while it runs.
  std::optional<std::string> Dead(int generation);
  // Restarts the server if the current one is dead. Returns the current generation.
  int EnsureRunning();
  const std::string& command() const { return command_; }

 private:
  ServerProcess(std::string command, std::string host, uint16_t port,
                std::chrono::milliseconds ready_timeout)
      : command_(std::move(command)),
        host_(std::move(host)),
        port_(port),
        ready_timeout_(ready_timeout) {}
  absl::Status Launch();  // mutex_ held
  void Reap();            // mutex_ held

  std::string command_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds ready_timeout_;
  mutable std::mutex mutex_;
  pid_t pid_ = -1;
  int generation_ = 0;
  std::optional<std::string> death_;  // of the current generation
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_SERVER_PROCESS_H_
