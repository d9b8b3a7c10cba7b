#include "harness/net/smtp_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "asio/ssl.hpp"
#include "harness/core/sasl.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

std::chrono::milliseconds Millis(Clock::duration d) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(d));
}

bool IsEof(const asio::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

std::string_view PeerStateName(PeerState state) {
  switch (state) {
    case PeerState::kOpen:
      return "open";
    case PeerState::kClosed:
      return "closed";
    case PeerState::kReset:
      return "reset";
  }
  return "?";
}

struct SmtpClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  std::unique_ptr<asio::ssl::context> ssl_context;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  std::array<char, 16384> buffer{};
  std::string error_text;  // why the peer is kReset

  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

  // Runs one async operation until it completes or `deadline` passes; then `cancel()` is
  // called and the operation completes with operation_aborted. `start` receives the
  // completion callback to call with the operation's error_code. *timed_out tells a
  // cancellation by the deadline from any other failure.
  template <typename Start, typename Cancel>
  asio::error_code Run(Clock::time_point deadline, Start&& start, Cancel&& cancel,
                       bool* timed_out) {
    bool done = false;
    asio::error_code result;
    *timed_out = false;
    asio::steady_timer timer(io);
    timer.expires_at(deadline);
    start([&](const asio::error_code& ec) {
      done = true;
      result = ec;
      timer.cancel();
    });
    timer.async_wait([&](const asio::error_code& ec) {
      if (ec || done) return;
      *timed_out = true;
      cancel();
    });
    io.restart();
    io.run();
    if (!result) *timed_out = false;
    return result;
  }

  // The same for an operation on the connection: the deadline cancels the socket's I/O.
  template <typename Start>
  asio::error_code Run(Clock::time_point deadline, Start&& start, bool* timed_out) {
    return Run(
        deadline, std::forward<Start>(start),
        [this] {
          asio::error_code ignored;
          lowest().cancel(ignored);
        },
        timed_out);
  }

  asio::error_code ReadSome(Clock::time_point deadline, size_t* count, bool* timed_out) {
    *count = 0;
    return Run(
        deadline,
        [&](auto complete) {
          auto handler = [count, complete](const asio::error_code& ec, size_t n) {
            *count = n;
            complete(ec);
          };
          if (tls) {
            tls->async_read_some(asio::buffer(buffer), handler);
          } else {
            socket.async_read_some(asio::buffer(buffer), handler);
          }
        },
        timed_out);
  }
};

SmtpClient::SmtpClient(ClientOptions options, std::unique_ptr<Impl> impl, std::string peer_name)
    : options_(std::move(options)),
      impl_(std::move(impl)),
      peer_name_(std::move(peer_name)),
      reader_(ReplyReaderOptions{.mode = options_.mode}),
      mark_(Clock::now()) {}

SmtpClient::~SmtpClient() { Close(); }

absl::StatusOr<std::unique_ptr<SmtpClient>> SmtpClient::Connect(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  const Clock::time_point deadline = Clock::now() + options.connect_timeout;
  bool timed_out = false;

  std::vector<tcp::endpoint> endpoints;
  asio::error_code ec;
  std::string host = options.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string target = FormatHostPort(host, options.port);
  const asio::ip::address literal = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, options.port);
  } else {
    tcp::resolver resolver(impl->io);
    tcp::resolver::results_type results;
    ec = impl->Run(
        deadline,
        [&](auto complete) {
          resolver.async_resolve(
              host, std::to_string(options.port),
              [&results, complete](const asio::error_code& e, tcp::resolver::results_type r) {
                results = std::move(r);
                complete(e);
              });
        },
        [&] { resolver.cancel(); }, &timed_out);
    if (timed_out) {
      return absl::DeadlineExceededError(absl::StrCat(
          "resolving ", options.host, " timed out after ", options.connect_timeout.count(), " ms"));
    }
    if (ec) {
      return absl::NotFoundError(absl::StrCat("cannot resolve ", options.host, ": ", ec.message()));
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) {
      return absl::NotFoundError(absl::StrCat("cannot resolve ", options.host, ": no address"));
    }
  }

  tcp::endpoint connected;
  ec = impl->Run(
      deadline,
      [&](auto complete) {
        asio::async_connect(impl->socket, endpoints,
                            [&connected, complete](const asio::error_code& e, tcp::endpoint ep) {
                              connected = ep;
                              complete(e);
                            });
      },
      [&] {
        asio::error_code ignored;
        impl->socket.close(ignored);
      },
      &timed_out);
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("connect to ", target, " timed out after ",
                                                    options.connect_timeout.count(), " ms"));
  }
  if (ec == asio::error::connection_refused) {
    return absl::UnavailableError(absl::StrCat("connection refused to ", target));
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", target, ": ", ec.message()));
  }
  asio::error_code ignored;
  impl->socket.set_option(tcp::no_delay(true), ignored);
  std::string peer = FormatHostPort(connected.address().to_string(), connected.port());
  return std::unique_ptr<SmtpClient>(new SmtpClient(options, std::move(impl), std::move(peer)));
}

void SmtpClient::Feed(std::string_view bytes) {
  reader_.Feed(bytes);
  const Clock::time_point now = Clock::now();
  while (std::optional<absl::StatusOr<Reply>> next = reader_.Next()) {
    ready_.push_back(Received{std::move(*next), now});
  }
}

absl::Status SmtpClient::ReadSome(Clock::time_point deadline) {
  size_t count = 0;
  bool timed_out = false;
  const asio::error_code ec = impl_->ReadSome(deadline, &count, &timed_out);
  if (count > 0) Feed(std::string_view(impl_->buffer.data(), count));
  if (!ec) return absl::OkStatus();
  if (timed_out) return absl::DeadlineExceededError("timed out");
  if (IsEof(ec)) {
    peer_ = PeerState::kClosed;
  } else {
    peer_ = PeerState::kReset;
    impl_->error_text = ec == asio::error::connection_reset
                            ? "connection reset by peer"
                            : absl::StrCat("connection error: ", ec.message());
  }
  return PeerGoneStatus();
}

absl::Status SmtpClient::PeerGoneStatus() const {
  std::string text = peer_ == PeerState::kClosed ? "connection closed by peer" : impl_->error_text;
  if (reader_.buffered() > 0) {
    absl::StrAppend(&text, " (after ", reader_.buffered(), " octets of an incomplete reply)");
  }
  return absl::UnavailableError(text);
}

absl::StatusOr<TimedReply> SmtpClient::ReadReply() { return ReadReply(options_.reply_timeout); }

absl::StatusOr<TimedReply> SmtpClient::ReadReply(std::chrono::milliseconds timeout) {
  if (closed_) return absl::FailedPreconditionError("client is closed");
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (!ready_.empty()) {
      Received received = std::move(ready_.front());
      ready_.pop_front();
      if (!received.reply.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed reply: ", received.reply.status().message()));
      }
      return TimedReply{std::move(*received.reply), Millis(received.arrived - mark_)};
    }
    if (peer_ != PeerState::kOpen) return PeerGoneStatus();
    const absl::Status status = ReadSome(deadline);
    if (absl::IsDeadlineExceeded(status)) {
      std::string text = absl::StrCat("no complete reply within ", timeout.count(), " ms");
      if (reader_.buffered() > 0) {
        absl::StrAppend(&text, " (", reader_.buffered(), " octets of an incomplete line received)");
      }
      return absl::DeadlineExceededError(text);
    }
    // Other errors: loop once more so replies that arrived with the EOF come first.
  }
}

absl::Status SmtpClient::Send(std::string_view bytes) {
  if (closed_) return absl::FailedPreconditionError("client is closed");
  bool timed_out = false;
  Impl& impl = *impl_;
  const asio::error_code ec = impl.Run(
      Clock::now() + options_.reply_timeout,
      [&](auto complete) {
        auto handler = [complete](const asio::error_code& e, size_t) { complete(e); };
        if (impl.tls) {
          asio::async_write(*impl.tls, asio::buffer(bytes.data(), bytes.size()), handler);
        } else {
          asio::async_write(impl.socket, asio::buffer(bytes.data(), bytes.size()), handler);
        }
      },
      &timed_out);
  mark_ = Clock::now();
  if (!ec) return absl::OkStatus();
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("sending ", bytes.size(),
                                                    " octets timed out after ",
                                                    options_.reply_timeout.count(), " ms"));
  }
  if (ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
    if (peer_ == PeerState::kOpen) {
      peer_ = PeerState::kReset;
      impl.error_text = "connection reset by peer";
    }
    return absl::UnavailableError(
        absl::StrCat("send failed: connection reset by peer (", ec.message(), ")"));
  }
  return absl::UnavailableError(absl::StrCat("send failed: ", ec.message()));
}

absl::Status SmtpClient::SendLine(std::string_view line) {
  std::string bytes;
  bytes.reserve(line.size() + 2);
  bytes.append(line);
  bytes.append("\r\n");
  return Send(bytes);
}

absl::Status SmtpClient::StartTls(std::string_view sni) {
  if (closed_) return absl::FailedPreconditionError("client is closed");
  if (impl_->tls) return absl::FailedPreconditionError("TLS is already active");
  if (peer_ != PeerState::kOpen) return PeerGoneStatus();
  // RFC 3207 4.2: nothing received before the handshake may be trusted (or read) after it.
  plaintext_discarded_ = reader_.buffered();
  for (const Received& received : ready_) {
    if (received.reply.ok()) plaintext_discarded_ += FormatReply(*received.reply).size();
  }
  ready_.clear();
  reader_ = ReplyReader(ReplyReaderOptions{.mode = options_.mode});

  Impl& impl = *impl_;
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) return absl::InternalError("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);  // a test harness talks to test certs
  try {
    impl.ssl_context = std::make_unique<asio::ssl::context>(raw);  // takes ownership
    impl.tls =
        std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(impl.socket), *impl.ssl_context);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("TLS setup failed: ", e.what()));
  }
  if (!sni.empty()) {
    const std::string name(sni);
    SSL_set_tlsext_host_name(impl.tls->native_handle(), name.c_str());
  }
  bool timed_out = false;
  const asio::error_code ec = impl.Run(
      Clock::now() + options_.reply_timeout,
      [&](auto complete) { impl.tls->async_handshake(asio::ssl::stream_base::client, complete); },
      &timed_out);
  mark_ = Clock::now();
  if (!ec) return absl::OkStatus();
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("TLS handshake timed out after ", options_.reply_timeout.count(), " ms"));
  }
  if (IsEof(ec)) {
    peer_ = PeerState::kClosed;
    return absl::UnavailableError("TLS handshake failed: connection closed by peer");
  }
  if (ec == asio::error::connection_reset) {
    peer_ = PeerState::kReset;
    impl.error_text = "connection reset by peer";
  }
  return absl::UnavailableError(absl::StrCat("TLS handshake failed: ", ec.message()));
}

PeerState SmtpClient::Peer(std::chrono::milliseconds wait) {
  if (closed_) return PeerState::kClosed;
  const Clock::time_point deadline = Clock::now() + wait;
  constexpr size_t kMaxBuffered = size_t{1} << 20;  // stop reading a flood
  while (peer_ == PeerState::kOpen && buffered() < kMaxBuffered) {
    if (absl::IsDeadlineExceeded(ReadSome(deadline))) break;
  }
  return peer_;
}

bool SmtpClient::tls() const { return impl_ != nullptr && impl_->tls != nullptr; }

size_t SmtpClient::buffered() const {
  size_t total = reader_.buffered();
  for (const Received& received : ready_) {
    if (received.reply.ok()) total += FormatReply(*received.reply).size();
  }
  return total;
}

void SmtpClient::Close() {
  if (closed_ || impl_ == nullptr) return;
  closed_ = true;
  asio::error_code ignored;
  impl_->lowest().shutdown(tcp::socket::shutdown_both, ignored);
  impl_->lowest().close(ignored);
}

std::string SmtpClient::PlainAuthLine(std::string_view user, std::string_view password,
                                      std::string_view authzid) {
  std::string message;
  message.reserve(authzid.size() + user.size() + password.size() + 2);
  message.append(authzid);
  message.push_back('\0');
  message.append(user);
  message.push_back('\0');
  message.append(password);
  return absl::StrCat("AUTH PLAIN ", EncodeBase64(message));
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  HostPort out;
  out.port = default_port;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("missing ']' in \"", AsAbsl(text), "\""));
    }
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("expected ':' after ']' in \"", AsAbsl(text), "\""));
      }
      port_text = rest.substr(1);
      if (port_text.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("empty port in \"", AsAbsl(text), "\""));
      }
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') == colon) {  // one ':' → host:port
      out.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      if (port_text.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("empty port in \"", AsAbsl(text), "\""));
      }
    } else {
      out.host = std::string(text);  // a name, an IPv4 literal, or a bare IPv6 literal
    }
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no host in \"", AsAbsl(text), "\""));
  }
  if (!port_text.empty()) {
    uint32_t port = 0;
    if (!std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(AsAbsl(port_text), &port) || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port \"", AsAbsl(port_text), "\" in \"", AsAbsl(text), "\""));
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return absl::StrCat("[", AsAbsl(host), "]:", port);
  return absl::StrCat(AsAbsl(host), ":", port);
}

bool IsLoopbackAddress(std::string_view host) {
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

}  // namespace smtpgate
