#include "harness/net/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <list>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "harness/core/command.h"
#include "harness/core/data_receiver.h"
#include "harness/core/reply.h"
#include "harness/core/sasl.h"
#include "harness/core/smtp_status.h"
#include "harness/net/smtp_client.h"
#include "nlohmann/json.hpp"

namespace smtpgate {
namespace {

using asio::ip::tcp;

constexpr std::string_view kSinkName = "sink.smtpgate.test";
constexpr uint64_t kMaxMessageSize = uint64_t{64} * 1024 * 1024;
constexpr size_t kMaxCommandLine = size_t{64} * 1024;
constexpr std::string_view kTimeFormat = "%Y-%m-%dT%H:%M:%E6SZ";
constexpr std::string_view kTimeParseFormat = "%Y-%m-%dT%H:%M:%E*SZ";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && Lower(haystack[i + j]) == Lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// RFC 3629 UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

std::string FormatReceived(std::chrono::system_clock::time_point t) {
  return absl::FormatTime(AsAbsl(kTimeFormat), absl::FromChrono(t), absl::UTCTimeZone());
}

std::string RecordLine(const SinkMessage& message) {
  nlohmann::json json = nlohmann::json::object();
  json["sender"] = message.sender;
  json["recipients"] = message.recipients;
  json["body_b64"] = EncodeBase64(message.body);
  if (IsValidUtf8(message.body)) json["body"] = message.body;
  json["received"] = FormatReceived(message.received);
  json["client"] = message.client;
  // Addresses come from the command parser (ASCII, or UTF-8 it validated); "replace" only
  // guarantees that dump() can never throw.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

absl::Status AppendDurably(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  absl::Status status;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status =
          absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
      break;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status =
        absl::UnavailableError(absl::StrCat("cannot fsync ", path, ": ", std::strerror(errno)));
  }
  ::close(fd);
  return status;
}

}  // namespace

bool MessageHasToken(const SinkMessage& message, std::string_view token) {
  if (ContainsIgnoreCase(message.sender, token)) return true;
  for (const std::string& r : message.recipients) {
    if (ContainsIgnoreCase(r, token)) return true;
  }
  return ContainsIgnoreCase(message.body, token);
}

// One SMTP connection to the sink. Lives on the sink's thread only; kept alive by the
// shared_ptr in its pending handler (there is always exactly one: a read or a write).
class SinkConnection : public std::enable_shared_from_this<SinkConnection> {
 public:
  SinkConnection(tcp::socket socket, Sink* sink, uint64_t id)
      : socket_(std::move(socket)), sink_(sink), id_(id) {
    asio::error_code ec;
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    client_ = ec ? "unknown" : FormatHostPort(remote.address().to_string(), remote.port());
  }

  void Start() {
    Reply(220, "", absl::StrCat(AsAbsl(kSinkName), " ESMTP smtpgate sink (delivery oracle)"));
    Write();
  }

  void Close() {
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](const asio::error_code& ec, size_t n) {
      if (ec) return self->Close();
      self->input_.append(self->buffer_.data(), n);
      self->Process();
      if (self->output_.empty()) {
        self->Read();
      } else {
        self->Write();
      }
    });
  }

  void Write() {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(output_), [self](const asio::error_code& ec, size_t) {
      self->output_.clear();
      if (ec || self->quit_) return self->Close();
      self->Read();
    });
  }

  void Reply(int code, std::string_view enhanced, std::string_view text) {
    smtpgate::Reply reply;
    reply.code = code;
    reply.enhanced = std::string(enhanced);
    reply.lines.emplace_back(text);
    output_ += FormatReply(reply);
  }

  void ResetTransaction() {
    has_mail_ = false;
    sender_.clear();
    recipients_.clear();
  }

  // Everything complete in input_, in order (a pipelined batch gets all its replies at once).
  void Process() {
    while (!quit_) {
      if (data_.has_value()) {
        const size_t used = data_->Consume(input_, &body_);
        input_.erase(0, used);
        if (!data_->finished()) return;
        FinishMessage();
        continue;
      }
      const size_t lf = input_.find('\n');
      if (lf == std::string::npos) {
        if (input_.size() > kMaxCommandLine) {
          Reply(500, "5.5.6", "command line too long; closing");
          quit_ = true;
        }
        return;
      }
      std::string line = input_.substr(0, lf);
      input_.erase(0, lf + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      Dispatch(line);
    }
  }

  void Dispatch(std::string_view line) {
    CommandOptions options;
    options.max_line_length = kMaxCommandLine;
    options.smtputf8_transaction = true;  // accept anything parseable
    absl::StatusOr<Command> command = ParseCommand(line, options);
    if (!command.ok()) {
      const SmtpError error = SmtpErrorOf(command.status());
      Reply(error.code, error.enhanced, error.reason);
      return;
    }
    switch (command->verb) {
      case Verb::kHelo:
        Reply(250, "", kSinkName);
        return;
      case Verb::kEhlo: {
        smtpgate::Reply reply;
        reply.code = 250;
        reply.lines = {std::string(kSinkName), "PIPELINING", "8BITMIME",
                       absl::StrCat("SIZE ", kMaxMessageSize)};
        output_ += FormatReply(reply);
        return;
      }
      case Verb::kMail:
        if (has_mail_) return Reply(503, "5.5.1", "nested MAIL command");
        has_mail_ = true;
        sender_ = PathAddress(command->path);
        recipients_.clear();
        return Reply(250, "2.1.0", "sender ok");
      case Verb::kRcpt:
        if (!has_mail_) return Reply(503, "5.5.1", "need MAIL before RCPT");
        recipients_.push_back(PathAddress(command->path));
        return Reply(250, "2.1.5", "recipient ok");
      case Verb::kData:
        if (!has_mail_) return Reply(503, "5.5.1", "need MAIL before DATA");
        if (recipients_.empty()) return Reply(554, "5.5.1", "no valid recipients");
        data_.emplace(DataReceiverOptions{.max_message_size = kMaxMessageSize,
                                          .max_line_length = std::numeric_limits<size_t>::max(),
                                          .bare_line_endings = BareLineEndings::kKeep,
                                          .lf_dot_lf_ends_data = false});
        body_.clear();
        return Reply(354, "", "end data with <CR><LF>.<CR><LF>");
      case Verb::kRset:
        ResetTransaction();
        return Reply(250, "2.0.0", "reset");
      case Verb::kNoop:
        return Reply(250, "2.0.0", "ok");
      case Verb::kQuit:
        quit_ = true;
        return Reply(221, "2.0.0", "bye");
      case Verb::kVrfy:
        return Reply(252, "2.5.0", "cannot verify, but will accept");
      case Verb::kExpn:
        return Reply(502, "5.5.1", "EXPN: the sink has no lists");
      case Verb::kHelp:
        return Reply(214, "2.0.0",
                     "smtpgate sink: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
      // Not in the EHLO reply: a relaying server must not use them (RFC 3207, 4954, 3030).
      case Verb::kStartTls:
      case Verb::kAuth:
      case Verb::kBdat:
        return Reply(502, "5.5.1",
                     absl::StrCat(AsAbsl(VerbName(command->verb)), " is not offered by the sink"));
    }
    return Reply(500, "5.5.1", "unknown verb");  // every Verb is handled above
  }

  void FinishMessage() {
    const DataVerdict verdict = data_->verdict();
    const std::string problem(data_->problem());
    data_.reset();
    if (verdict == DataVerdict::kTooLarge) {
      Reply(552, "5.3.4", problem);
    } else if (verdict != DataVerdict::kAccepted) {
      Reply(554, "5.6.0", problem);
    } else {
      SinkMessage message{.sender = sender_,
                          .recipients = recipients_,
                          .body = std::move(body_),
                          .received = std::chrono::system_clock::now(),
                          .client = client_};
      const absl::Status status = sink_->Record(std::move(message));
      if (status.ok()) {
        Reply(250, "2.0.0", absl::StrCat("recorded as S", id_, ".", ++messages_));
      } else {
        Reply(451, "4.3.0", absl::StrCat("cannot record the message: ", status.message()));
      }
    }
    body_.clear();
    ResetTransaction();
  }

  tcp::socket socket_;
  Sink* sink_;
  uint64_t id_;
  uint64_t messages_ = 0;
  std::string client_;
  std::array<char, 16384> buffer_{};
  std::string input_;
  std::string output_;
  bool quit_ = false;
  bool has_mail_ = false;
  std::string sender_;
  std::vector<std::string> recipients_;
  std::optional<DataReceiver> data_;
  std::string body_;
};

class Sink::Server {
 public:
  explicit Server(Sink* sink) : sink_(sink) {}

  asio::io_context io;
  tcp::acceptor acceptor{io};

  void Accept() {
    acceptor.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;  // stopping
      if (!ec) {
        connections_.remove_if([](const std::weak_ptr<SinkConnection>& c) { return c.expired(); });
        auto connection = std::make_shared<SinkConnection>(std::move(socket), sink_, ++next_id_);
        connections_.push_back(connection);
        connection->Start();
      }
      Accept();
    });
  }

  // On the sink's thread: after this, io.run() returns once the aborted handlers ran.
  void CloseAll() {
    asio::error_code ignored;
    acceptor.close(ignored);
    for (const std::weak_ptr<SinkConnection>& weak : connections_) {
      if (auto connection = weak.lock()) connection->Close();
    }
    connections_.clear();
  }

 private:
  Sink* sink_;
  uint64_t next_id_ = 0;
  std::list<std::weak_ptr<SinkConnection>> connections_;
};

absl::StatusOr<std::unique_ptr<Sink>> Sink::Start(std::string listen, std::string record_path) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(listen, 0);
  if (!host_port.ok()) return host_port.status();
  if (!IsLoopbackAddress(host_port->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the sink listens on loopback only (127.0.0.0/8 or ::1), not \"", listen, "\""));
  }
  if (!record_path.empty()) {
    // Fail now rather than at the first message.
    if (absl::Status status = AppendDurably(record_path, ""); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("record file unusable: ", status.message()));
    }
  }
  std::unique_ptr<Sink> sink(new Sink());
  sink->host_ = host_port->host;
  sink->record_path_ = std::move(record_path);
  sink->server_ = std::make_unique<Server>(sink.get());
  Server& server = *sink->server_;

  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host_port->host, ec);
  const tcp::endpoint endpoint(address, host_port->port);
  const std::string where = FormatHostPort(host_port->host, host_port->port);
  server.acceptor.open(endpoint.protocol(), ec);
  if (!ec) server.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) server.acceptor.bind(endpoint, ec);
  if (!ec) server.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ", ec.message()));
  }
  sink->port_ = server.acceptor.local_endpoint(ec).port();
  server.Accept();
  sink->thread_ = std::thread([&server] {
    try {
      server.io.run();
    } catch (const std::exception& e) {
      std::cerr << "smtpgate sink: stopped by an exception: " << e.what() << "\n";
    }
  });
  return sink;
}

Sink::~Sink() { Stop(); }

void Sink::Stop() {
  if (server_ == nullptr) return;
  Server* server = server_.get();
  asio::post(server->io, [server] { server->CloseAll(); });
  if (thread_.joinable()) thread_.join();
  server_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  arrived_.notify_all();
}

std::string Sink::address() const { return FormatHostPort(host_, port_); }

absl::Status Sink::Record(SinkMessage message) {
  if (!record_path_.empty()) {
    if (absl::Status status = AppendDurably(record_path_, RecordLine(message)); !status.ok()) {
      return status;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  messages_.push_back(std::move(message));
  arrived_.notify_all();
  return absl::OkStatus();
}

bool Sink::SawToken(std::string_view token) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const SinkMessage& message : messages_) {
    if (MessageHasToken(message, token)) return true;
  }
  return false;
}

std::vector<SinkMessage> Sink::MessagesWithToken(std::string_view token) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<SinkMessage> out;
  for (const SinkMessage& message : messages_) {
    if (MessageHasToken(message, token)) out.push_back(message);
  }
  return out;
}

std::vector<SinkMessage> Sink::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

size_t Sink::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.size();
}

bool Sink::WaitForToken(std::string_view token, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] {
    for (const SinkMessage& message : messages_) {
      if (MessageHasToken(message, token)) return true;
    }
    return stopped_;
  }) && !stopped_;
}

size_t Sink::WaitForCount(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return messages_.size() >= n || stopped_; });
  return messages_.size();
}

void Sink::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  messages_.clear();
}

absl::StatusOr<std::vector<SinkMessage>> Sink::ReadRecord(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (::access(path.c_str(), F_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("no sink record at ", path));
    }
    return absl::UnavailableError(absl::StrCat("cannot read ", path));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<SinkMessage> out;
  size_t start = 0;
  size_t number = 0;
  while (start < text.size()) {
    const size_t lf = text.find('\n', start);
    if (lf == std::string::npos) break;  // a write in progress
    ++number;
    const std::string_view line(text.data() + start, lf - start);
    start = lf + 1;
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return absl::DataLossError(absl::StrCat(path, ":", number, ": ", AsAbsl(why)));
    };
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return bad("not a JSON object");
    SinkMessage message;
    const auto sender = json.find("sender");
    if (sender == json.end() || !sender->is_string()) return bad("no \"sender\" string");
    message.sender = sender->get<std::string>();
    const auto recipients = json.find("recipients");
    if (recipients == json.end() || !recipients->is_array()) return bad("no \"recipients\" array");
    for (const nlohmann::json& r : *recipients) {
      if (!r.is_string()) return bad("a recipient is not a string");
      message.recipients.push_back(r.get<std::string>());
    }
    const auto body_b64 = json.find("body_b64");
    const auto body = json.find("body");
    if (body_b64 != json.end() && body_b64->is_string()) {
      absl::StatusOr<std::string> decoded = DecodeBase64(body_b64->get<std::string>());
      if (!decoded.ok()) return bad(absl::StrCat("bad body_b64: ", decoded.status().message()));
      message.body = std::move(*decoded);
    } else if (body != json.end() && body->is_string()) {
      message.body = body->get<std::string>();
    } else {
      return bad("no \"body_b64\" or \"body\" string");
    }
    const auto received = json.find("received");
    if (received != json.end() && received->is_string()) {
      absl::Time t;
      std::string error;
      if (!absl::ParseTime(AsAbsl(kTimeParseFormat), received->get<std::string>(), &t, &error)) {
        return bad(absl::StrCat("bad \"received\": ", error));
      }
      message.received = absl::ToChronoTime(t);
    }
    const auto client = json.find("client");
    if (client != json.end() && client->is_string()) message.client = client->get<std::string>();
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace smtpgate
