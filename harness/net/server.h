// `smtpgate serve`: the Asio reference server. It runs the sans-IO Session
// (harness/core/session.h) on real sockets, one Session per connection (connection.h), and
// stores accepted mail in the durable spool (spool.h) before it says 250.
//
// Threading (measured with bench/serve_bench.cc; figures and reasons in server.cc): the
// default is one io_context per I/O thread (ServerConfig::io_threads, default 1), each run
// by one thread; new connections are spread over the contexts round-robin, and each
// connection's handlers run on a strand (cheap on a single-threaded context; it makes
// cross-thread posts — Shutdown, commit results — safe). The alternative, one io_context
// run by all threads with a strand per connection, stays selectable (Options::io_model) for
// the benchmark. Storage (fsync) runs on a 2-thread pool, never on an I/O thread; relayed
// mail is handed to the smarthost from a thread of its own.
//
// Listening is on loopback only unless the config says otherwise; an IPv6 address that
// this machine cannot bind (no ::1) is skipped with a warning when another address works.
#ifndef SMTPGATE_HARNESS_NET_SERVER_H_
#define SMTPGATE_HARNESS_NET_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ssl/context.hpp"
#include "asio/thread_pool.hpp"
#include "harness/net/connection.h"
#include "harness/net/server_config.h"
#include "harness/net/spool.h"

namespace smtpgate {

// Hands the spool's outbound/ messages to the loopback smarthost. Calls the client side's
// relay agent (harness/net/relay_agent.h, DeliverOutbound) when it is built in; otherwise
// returns kUnimplemented and the mail stays in outbound/.
absl::Status DeliverRelayedMail(const std::string& spool_dir, const std::string& relay_host);

class Server final : public ConnectionHost {
 public:
  enum class IoModel {
    kContextPerThread,  // default (measured)
    kSharedContext,     // one io_context, io_threads threads, a strand per connection
  };
  struct Options {
    IoModel io_model = IoModel::kContextPerThread;
    // One stderr line per queued message (`serve` does; tests and benchmarks do not).
    // Warnings and errors are always written.
    bool log_messages = false;
  };

  // Opens the spool (recovering it), loads TLS, binds every listen address. Errors name
  // what failed: "cannot listen on 127.0.0.1:2525: Address already in use".
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerConfig& config);
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerConfig& config,
                                                        Options options);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound addresses (the real ports when the config said port 0).
  std::vector<asio::ip::tcp::endpoint> endpoints() const;

  // Serves until Stop() (or the ms02-012 emulation's ServiceStopped); uses io_threads
  // threads, the caller's included. Returns once every connection is closed.
  void Run();
  // Thread-safe, idempotent. Graceful: stop accepting; sessions finish the message being
  // stored, then get "421 4.3.2 ... shutting down" and are closed (at most 5 s).
  void Stop();
  // True once a session reported ServiceStopped (emulation profile ms02-012): the server
  // stopped at once, without replies, and `serve` exits non-zero.
  bool service_stopped() const { return service_stopped_.load(); }
  std::string service_stopped_reason() const;

  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused = 0;  // over a connection limit
    uint64_t active = 0;
    uint64_t messages_queued = 0;
  };
  Stats stats() const;

  // ConnectionHost.
  const ServerConfig& config() const override { return config_; }
  Spool& spool() override { return spool_; }
  asio::ssl::context* tls_context() override { return tls_.get(); }
  void RunBlocking(std::function<void()> work) override;
  void OnMessageQueued(const MessageQueued& queued) override;
  void OnServiceStopped(const std::string& reason) override;
  void OnConnectionCrashed(const std::string& reason) override;
  void OnConnectionClosed(Connection* connection) override;

 private:
  struct Listener {
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    std::unique_ptr<asio::steady_timer> retry;  // after EMFILE and friends
    asio::ip::tcp::endpoint endpoint;
  };

  Server(const ServerConfig& config, Options options, Spool spool);
  absl::Status Listen();
  void Accept(Listener& listener);
  void OnAccept(Listener& listener, const asio::error_code& ec, asio::ip::tcp::socket socket);
  void StopImpl(bool abrupt);
  void RelayLoop();
  asio::io_context& NextContext();

  ServerConfig config_;
  Options options_;
  Spool spool_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::atomic<size_t> next_context_{0};
  std::vector<Listener> listeners_;
  std::unique_ptr<asio::thread_pool> blocking_;

  mutable std::mutex mu_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  std::unordered_map<std::string, size_t> per_client_;
  bool stopping_ = false;
  std::string stopped_reason_;
  Stats stats_;
  std::atomic<bool> service_stopped_{false};

  // Relayed mail: a thread that runs DeliverRelayedMail when kicked (never on I/O threads).
  std::thread relay_thread_;
  std::condition_variable relay_cv_;
  bool relay_kicked_ = false;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SERVER_H_
