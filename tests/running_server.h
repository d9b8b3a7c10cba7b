// The reference server (what `smtpgate serve` runs: Server + DemoServerConfig) on a thread,
// on a loopback port, handing relayed mail to `relay_host`. For end-to-end tests over TCP.
#ifndef SMTPGATE_TESTS_RUNNING_SERVER_H_
#define SMTPGATE_TESTS_RUNNING_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "harness/core/profile.h"
#include "harness/net/server.h"
#include "harness/net/server_config.h"

namespace smtpgate {

class RunningServer {
 public:
  // port 0: any free port (see port()). `tweak` changes the configuration before the start.
  RunningServer(Profile profile, const std::string& relay_host, uint16_t port = 0,
                const std::function<void(ServerConfig&)>& tweak = nullptr) {
    ServerConfig config = DemoServerConfig(profile);
    config.listen = {"127.0.0.1:" + std::to_string(port)};
    config.relay_host = relay_host;
    if (tweak) tweak(config);
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(config);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return;
    server_ = *std::move(server);
    port_ = server_->endpoints().at(0).port();
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningServer() {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  uint16_t port() const { return port_; }
  // The ms02-012 emulation stopped the service (or it never started).
  bool stopped() const { return server_ == nullptr || server_->service_stopped(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace smtpgate

#endif  // SMTPGATE_TESTS_RUNNING_SERVER_H_
