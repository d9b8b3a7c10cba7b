// The sink: smtpgate's delivery oracle (docs: "The delivery oracle").
//
// An SMTP listener on loopback that accepts any syntactically parseable envelope and records
// every message it receives. A target under test routes all non-local mail to the sink; each
// relay probe carries a unique token ("sgtok-<hex>") in a recipient's local part, the sender
// or the body; afterwards the runner asks whether the token arrived. So relaying is decided by
// fact, not by reply code.
//
// Protocol. 220 banner; EHLO → 250 with PIPELINING, 8BITMIME, SIZE; HELO; MAIL and RCPT → 250
// for anything ParseCommand() accepts with lenient options (no policy at all); DATA with the
// core DataReceiver (only <CRLF>.<CRLF> ends it; bare CR/LF kept as data); RSET, NOOP, QUIT;
// VRFY → 252; anything else → 502. Replies to a pipelined batch go out in one write.
//
// Cross-process protocol. There is no query port: with a record path, the sink appends one
// JSON line per message to that file and fsyncs it *before* its 250 to DATA, so a runner in
// another process reads it with Sink::ReadRecord() (a "250" from the sink means "on disk").
// Each line is an object:
//   {"sender": "a@b", "recipients": ["c@d", ...], "body_b64": "<base64 of the exact body>",
//    "body": "<the body, only when it is valid UTF-8>", "received": "2024-05-01T12:00:00.123456Z",
//    "client": "127.0.0.1:40000"}
// Addresses are written as "local@domain" (no angle brackets; "" for the null sender,
// "Postmaster" for <Postmaster>). body_b64 is authoritative (JSON strings must be UTF-8, and a
// body may hold any octet). A last line without its newline is a write in progress and is
// skipped by ReadRecord().
//
// Thread safety. The sink runs its own io_context on a background thread; every query takes a
// mutex and may be called from any thread.
#ifndef SMTPGATE_HARNESS_NET_SINK_H_
#define SMTPGATE_HARNESS_NET_SINK_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace smtpgate {

struct SinkMessage {
  std::string sender;                   // "local@domain", "" for the null sender
  std::vector<std::string> recipients;  // "local@domain" (or "Postmaster")
  std::string body;                     // exactly the octets received (dot-unstuffed)
  std::chrono::system_clock::time_point received;
  std::string client;  // "127.0.0.1:40000"
};

// Whether `token` occurs (ASCII case-insensitively: relays may fold case) in the sender, a
// recipient or the body.
bool MessageHasToken(const SinkMessage& message, std::string_view token);

class Sink {
 public:
  // Listens on `listen` ("127.0.0.1:0" picks a free port; "[::1]:2526"), which must be a
  // loopback IP address: kInvalidArgument otherwise (also for a record file that cannot be
  // opened; kUnavailable when the address cannot be bound). With `record_path`, messages are also
  // appended to that file (created if missing) as described above.
  static absl::StatusOr<std::unique_ptr<Sink>> Start(std::string listen = "127.0.0.1:0",
                                                     std::string record_path = "");
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT" / "[::1]:PORT".
  std::string address() const;
  const std::string& record_path() const { return record_path_; }

  bool SawToken(std::string_view token) const;
  std::vector<SinkMessage> MessagesWithToken(std::string_view token) const;
  std::vector<SinkMessage> messages() const;
  size_t count() const;
  // Waits up to `timeout` for a message carrying `token` (relays deliver after the session).
  bool WaitForToken(std::string_view token, std::chrono::milliseconds timeout) const;
  // Waits up to `timeout` until count() >= n; returns count().
  size_t WaitForCount(size_t n, std::chrono::milliseconds timeout) const;
  // Forgets the messages received so far (the record file is left alone).
  void Clear();

  // Closes the listener and every connection, and joins the thread. Idempotent.
  void Stop();

  // Reads a record file written by a sink (possibly in another process, possibly still
  // running). kNotFound when the file does not exist; kDataLoss naming the line for a line
  // that is not a valid record.
  static absl::StatusOr<std::vector<SinkMessage>> ReadRecord(const std::string& path);

 private:
  class Server;  // the Asio part (sink.cc)
  friend class SinkConnection;

  Sink() = default;
  // Called on the sink's thread for each complete message; OK once it is recorded.
  absl::Status Record(SinkMessage message);

  std::string host_;
  uint16_t port_ = 0;
  std::string record_path_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<SinkMessage> messages_;  // guarded by mutex_
  bool stopped_ = false;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SINK_H_
