// Test servers for the client-side tests (smtp_client_test, sink_test, relay_agent_test):
// real sockets on 127.0.0.1, port 0.
//  - ScriptServer: accepts one connection and runs a scripted function on it with blocking
//    Asio calls (send a reply line by line, close, reset, stall, ...).
//  - SessionServer: the reference sans-IO Session (through an InProcessHost) on one socket.
#ifndef SMTPGATE_TESTS_CLIENT_TEST_SUPPORT_H_
#define SMTPGATE_TESTS_CLIENT_TEST_SUPPORT_H_

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "asio.hpp"
#include "harness/core/in_process_host.h"
#include "harness/core/reply.h"
#include "harness/core/session.h"

namespace smtpgate::testing {

// One accepted connection, seen from the scripted server.
class ScriptConnection {
 public:
  explicit ScriptConnection(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  asio::ip::tcp::socket& socket() { return socket_; }

  // One write call with exactly these bytes.
  void Write(std::string_view bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  // A line without its line end; "" at EOF or error (eof() then tells).
  std::string ReadLine() {
    asio::error_code ec;
    const size_t n = asio::read_until(socket_, asio::dynamic_buffer(buffer_), '\n', ec);
    if (ec) {
      eof_ = true;
      return "";
    }
    std::string line = buffer_.substr(0, n);
    buffer_.erase(0, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }
  // Whatever arrives in one read (after what is already buffered).
  std::string ReadSome() {
    if (!buffer_.empty()) return std::exchange(buffer_, {});
    std::string out(65536, '\0');
    asio::error_code ec;
    const size_t n = socket_.read_some(asio::buffer(out), ec);
    if (ec) eof_ = true;
    out.resize(n);
    return out;
  }
  // Reads until the peer closes; returns everything read.
  std::string ReadToEof() {
    std::string all = std::exchange(buffer_, {});
    while (!eof_) all += ReadSome();
    return all;
  }
  void Close() {
    asio::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  // Closes with an RST (SO_LINGER with a zero timeout).
  void Reset() {
    asio::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }
  bool eof() const { return eof_; }

 private:
  asio::ip::tcp::socket socket_;
  std::string buffer_;
  bool eof_ = false;
};

// Accepts `connections` connections, one after the other, and runs `script` on each.
class ScriptServer {
 public:
  using Script = std::function<void(ScriptConnection&)>;

  explicit ScriptServer(Script script, int connections = 1) : acceptor_(io_) {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    asio::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    acceptor_.bind(endpoint, ec);
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    thread_ = std::thread([this, script = std::move(script), connections] {
      for (int i = 0; i < connections; ++i) {
        asio::ip::tcp::socket socket(io_);
        asio::error_code error;
        acceptor_.accept(socket, error);
        if (error) return;
        ScriptConnection connection(std::move(socket));
        script(connection);
      }
    });
  }
  // Wakes a thread still blocked in accept() (no client came, e.g. the test's connect
  // failed) so the test ends instead of hanging: on Linux, shutdown() of a listening socket
  // makes accept() return. Connections already accepted are not affected.
  ~ScriptServer() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    Join();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// The reference Session behind a socket: one connection, replies written as the session
// produces them (tar-pit delays ignored). After Join(): what the session queued.
class SessionServer {
 public:
  explicit SessionServer(SessionConfig config)
      : config_(std::move(config)),
        host_(std::make_unique<InProcessHost>(config_)),
        server_([this](ScriptConnection& c) { Serve(c); }) {}

  uint16_t port() const { return server_.port(); }
  void Join() { server_.Join(); }
  // Valid after Join().
  const std::vector<StoredMessage>& queued() const { return host_->queued(); }

 private:
  static std::string Wire(const std::vector<SendReply>& replies) {
    std::string out;
    for (const SendReply& r : replies) out += FormatReply(r.reply);
    return out;
  }
  void Serve(ScriptConnection& c) {
    c.Write(Wire(host_->Start()));
    while (!host_->closed()) {
      const std::string bytes = c.ReadSome();
      if (bytes.empty() && c.eof()) return;
      const std::string out = Wire(host_->Feed(bytes));
      if (!out.empty()) c.Write(out);
    }
    c.Close();
  }

  SessionConfig config_;
  std::unique_ptr<InProcessHost> host_;
  ScriptServer server_;
};

}  // namespace smtpgate::testing

#endif  // SMTPGATE_TESTS_CLIENT_TEST_SUPPORT_H_
