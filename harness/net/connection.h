// One client connection of the reference server: drives one Session over an Asio socket,
// exactly as InProcessHost drives it in memory (harness/core/in_process_host.cc):
//   Start → banner; bytes read → Feed; SendReply → written in order (a tar-pit delay waits
//   on a timer and delays the replies after it, never another connection); BodyData → the
//   spool writer; MessageReady → Commit on the blocking pool (fsync never runs on an I/O
//   thread) → Session::Commit(id or error); MessageDiscarded → drop; StartTls → after the
//   220 is written, the TLS handshake, then Session::TlsEstablished; CloseConnection →
//   close once the replies before it are written; ServiceStopped → the whole server stops.
//
// Every handler runs on the connection's strand. Reading pauses while the session waits
// for the host (commit, TLS), while a delayed reply is pending and while more than 64 KiB
// of replies wait to be written (TCP back-pressure). More than
// max_buffered_per_connection octets pending (replies not yet written plus input the
// session holds) → 421 and close. Idle timeouts (command_timeout, data_timeout in DATA and
// BDAT chunks) → Session::Timeout (421). A connection that is closing sends FIN and drains
// the client's input for up to 2 s before closing, so the last reply is not lost to a RST.
#ifndef SMTPGATE_HARNESS_NET_CONNECTION_H_
#define SMTPGATE_HARNESS_NET_CONNECTION_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "asio/any_io_executor.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ssl/context.hpp"
#include "asio/ssl/stream.hpp"
#include "asio/steady_timer.hpp"
#include "harness/core/session.h"
#include "harness/net/server_config.h"
#include "harness/net/spool.h"

namespace smtpgate {

class Connection;

// What a connection needs from its server (implemented by Server).
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  virtual const ServerConfig& config() const = 0;
  virtual Spool& spool() = 0;
  virtual asio::ssl::context* tls_context() = 0;  // nullptr without TLS
  // Runs `work` off the I/O threads (storage: fsync may take long).
  virtual void RunBlocking(std::function<void()> work) = 0;
  virtual void OnMessageQueued(const MessageQueued& queued) = 0;
  virtual void OnServiceStopped(const std::string& reason) = 0;
  // Emulation profile per-connection-crash: this connection's handler "died".
  virtual void OnConnectionCrashed(const std::string& reason) = 0;
  // The connection's session is over (it is closing or closed); called once, on its strand
  // or from its destructor.
  virtual void OnConnectionClosed(Connection* connection) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `socket` is bound to a strand executor. A non-empty `reject` means: write "421 4.7.0
  // <reject>" and close without a session (connection limits).
  Connection(ConnectionHost& host, asio::ip::tcp::socket socket, std::string client_address,
             std::string reject = "");
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Thread-safe. Graceful: the current message is finished (a commit in flight completes
  // and its reply is sent), then "421 4.3.2 ... shutting down" and close within 5 s.
  // Abrupt (the emulated service crash): the socket is closed now, nothing more is sent.
  void Shutdown(bool abrupt);

  const std::string& client_address() const { return client_address_; }

 private:
  enum class Phase {
    kRunning,    // the session is fed
    kClosing,    // a close is queued behind the replies; input is ignored
    kLingering,  // FIN sent; draining input until EOF (at most 2 s)
    kClosed,     // socket closed
  };
  struct Pending {
    enum class Kind { kWrite, kStartTls, kClose };
    Kind kind = Kind::kWrite;
    std::string bytes;
    std::chrono::milliseconds delay{0};
  };

  void Begin();  // banner (after the implicit-TLS handshake)
  void Process(SessionOutputs outputs);
  void StartCommit(const MessageReady& ready);
  void OnCommitted(absl::StatusOr<std::string> result);
  void Enqueue(Pending pending);
  void EnqueueFinal(std::string reply_line);  // a reply of our own (not the session's) + close
  void PumpWrites();
  void OnWritten(const asio::error_code& ec, size_t bytes);
  void StartTlsHandshake(bool implicit);
  void MaybeStartRead();
  void OnRead(const asio::error_code& ec, size_t bytes);
  void CheckPending();
  void StartLinger();
  void CloseSocket();
  void Unregister();  // tells the host once that this connection no longer counts
  void ArmTimer(std::chrono::steady_clock::time_point at);
  void CloseBy(std::chrono::steady_clock::time_point at);  // a hard deadline (only earlier)
  void OnTimer(const asio::error_code& ec);
  void DoShutdown(bool abrupt);
  std::chrono::milliseconds IdleTimeout() const;
  bool WaitingOnServer() const;

  ConnectionHost& host_;
  const ServerConfig& config_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string client_address_;
  std::string reject_;
  Session session_;
  Phase phase_ = Phase::kRunning;

  // Output, in order.
  std::deque<Pending> queue_;
  size_t queued_bytes_ = 0;
  std::string write_buffer_;
  bool writing_ = false;   // a write, a tar-pit wait or a handshake is in progress
  bool delaying_ = false;  // the tar-pit wait
  bool handshaking_ = false;
  asio::steady_timer delay_timer_;

  // Input.
  bool reading_ = false;
  bool tls_pending_ = false;  // STARTTLS accepted, handshake not done: no plaintext reads
  std::unique_ptr<std::array<char, 16384>> read_buffer_;

  // The message being received.
  std::unique_ptr<SpoolWriter> writer_;
  absl::Status spool_error_;
  bool commit_in_flight_ = false;
  std::string helo_;
  std::string identity_;

  // Timeouts.
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::optional<std::chrono::steady_clock::time_point> hard_deadline_;
  bool timed_out_ = false;
  bool shutdown_requested_ = false;
  bool unregistered_ = false;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_CONNECTION_H_
