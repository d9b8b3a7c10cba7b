#include "harness/net/connection.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "asio/buffer.hpp"
#include "asio/post.hpp"
#include "asio/write.hpp"
#include "harness/core/reply.h"

namespace smtpgate {
namespace {

using Clock = std::chrono::steady_clock;

// Reading stops while this much output waits for the client (TCP back-pressure).
constexpr size_t kWriteHighWater = 64 * 1024;
// After FIN, how long the client's input is drained before the socket is closed.
constexpr auto kLinger = std::chrono::seconds(2);
// After a timeout or a graceful shutdown, how long the last replies may take.
constexpr auto kCloseGrace = std::chrono::seconds(5);

}  // namespace

Connection::Connection(ConnectionHost& host, asio::ip::tcp::socket socket,
                       std::string client_address, std::string reject)
    : host_(host),
      config_(host.config()),
      socket_(std::move(socket)),
      client_address_(std::move(client_address)),
      reject_(std::move(reject)),
      session_(config_.session, SessionFacts{.client_address = client_address_,
                                             .authenticated = false,
                                             .identity = {},
                                             .tls = config_.tls_enabled && config_.tls.implicit}),
      delay_timer_(socket_.get_executor()),
      read_buffer_(std::make_unique<std::array<char, 16384>>()),
      timer_(socket_.get_executor()),
      last_activity_(Clock::now()) {}

Connection::~Connection() {
  // Normally CloseSocket() has run; this covers a connection dropped before Start().
  Unregister();
}

void Connection::Start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    asio::error_code ec;
    self->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    self->ArmTimer(Clock::now() + self->IdleTimeout());
    if (!self->reject_.empty()) {
      if (self->config_.tls_enabled && self->config_.tls.implicit) {
        self->CloseSocket();  // no TLS session to say it in
        return;
      }
      self->EnqueueFinal(
          absl::StrCat("421 4.7.0 ", self->config_.session.hostname, " ", self->reject_, "\r\n"));
      return;
    }
    if (self->config_.tls_enabled && self->config_.tls.implicit) {
      self->StartTlsHandshake(/*implicit=*/true);
      return;
    }
    self->Begin();
  });
}

void Connection::Begin() {
  Process(session_.Start());
  MaybeStartRead();
}

void Connection::Shutdown(bool abrupt) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), abrupt] { self->DoShutdown(abrupt); });
}

void Connection::DoShutdown(bool abrupt) {
  if (phase_ == Phase::kClosed) return;
  if (abrupt || handshaking_) {
    CloseSocket();
    return;
  }
  if (phase_ != Phase::kRunning) {
    CloseBy(Clock::now() + kCloseGrace);  // already closing: just bound the time it may take
    return;
  }
  if (commit_in_flight_) {
    shutdown_requested_ = true;  // after the message's reply (OnCommitted)
    return;
  }
  writer_.reset();  // an unfinished message is dropped (it never got its 250)
  for (Pending& p : queue_) p.delay = std::chrono::milliseconds(0);
  if (delaying_) delay_timer_.cancel();
  EnqueueFinal(absl::StrCat("421 4.3.2 ", config_.session.hostname,
                            " service shutting down, closing connection\r\n"));
  CloseBy(Clock::now() + kCloseGrace);
}

void Connection::CloseBy(Clock::time_point at) {
  if (hard_deadline_ && *hard_deadline_ <= at) return;
  hard_deadline_ = at;
  ArmTimer(at);
}

void Connection::Process(SessionOutputs outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    SessionOutput& output = outputs[i];
    if (phase_ == Phase::kClosed) return;
    if (auto* send = std::get_if<SendReply>(&output)) {
      Enqueue(Pending{Pending::Kind::kWrite, FormatReply(send->reply), send->delay});
    } else if (auto* data = std::get_if<BodyData>(&output)) {
      if (!spool_error_.ok()) continue;
      if (!writer_) {
        absl::StatusOr<std::unique_ptr<SpoolWriter>> writer = host_.spool().Begin();
        if (!writer.ok()) {
          spool_error_ = writer.status();
          continue;
        }
        writer_ = std::move(*writer);
      }
      if (absl::Status s = writer_->Append(data->bytes); !s.ok()) {
        spool_error_ = s;
        writer_.reset();
      }
    } else if (auto* ready = std::get_if<MessageReady>(&output)) {
      // The session may refuse the message in the same breath (too much pipelined input):
      // then it was never accepted and must not be stored.
      const bool discarded = std::any_of(
          outputs.begin() + static_cast<std::ptrdiff_t>(i) + 1, outputs.end(),
          [](const SessionOutput& o) { return std::holds_alternative<MessageDiscarded>(o); });
      if (!discarded) StartCommit(*ready);
    } else if (std::holds_alternative<MessageDiscarded>(output)) {
      writer_.reset();
      spool_error_ = absl::OkStatus();
    } else if (auto* queued = std::get_if<MessageQueued>(&output)) {
      host_.OnMessageQueued(*queued);
    } else if (auto* greeted = std::get_if<Greeted>(&output)) {
      helo_ = greeted->domain;
    } else if (auto* auth = std::get_if<AuthSucceeded>(&output)) {
      identity_ = auth->identity;
    } else if (std::holds_alternative<StartTls>(output)) {
      tls_pending_ = true;  // no plaintext read from now on
      Enqueue(Pending{Pending::Kind::kStartTls, {}, {}});
    } else if (auto* stopped = std::get_if<ServiceStopped>(&output)) {
      host_.OnServiceStopped(stopped->reason);
    } else if (auto* crashed = std::get_if<ConnectionCrashed>(&output)) {
      host_.OnConnectionCrashed(crashed->reason);
    } else if (std::holds_alternative<CloseConnection>(output)) {
      if (phase_ == Phase::kRunning) phase_ = Phase::kClosing;
      Enqueue(Pending{Pending::Kind::kClose, {}, {}});
    }
    // Other events (MailAccepted, RecipientAccepted, ...) need nothing from the host.
  }
}

void Connection::StartCommit(const MessageReady& ready) {
  commit_in_flight_ = true;
  std::shared_ptr<SpoolWriter> writer = std::move(writer_);
  absl::Status error = std::exchange(spool_error_, absl::OkStatus());
  if (error.ok() && !writer) {  // an empty message: no BodyData at all
    absl::StatusOr<std::unique_ptr<SpoolWriter>> begun = host_.spool().Begin();
    if (begun.ok()) {
      writer = std::shared_ptr<SpoolWriter>(std::move(*begun));
    } else {
      error = begun.status();
    }
  }
  SpoolProvenance provenance{client_address_, helo_, identity_, session_.facts().tls};
  // The work guard keeps the I/O context alive until the result is posted back.
  host_.RunBlocking([self = shared_from_this(), writer = std::move(writer),
                     error = std::move(error), envelope = ready.envelope,
                     provenance = std::move(provenance),
                     guard = asio::make_work_guard(socket_.get_executor())]() {
    absl::StatusOr<std::string> result =
        error.ok() ? writer->Commit(envelope, provenance) : absl::StatusOr<std::string>(error);
    if (writer) writer->Discard();  // no-op after a commit
    asio::post(self->socket_.get_executor(), [self, result = std::move(result)]() mutable {
      self->OnCommitted(std::move(result));
    });
  });
}

void Connection::OnCommitted(absl::StatusOr<std::string> result) {
  commit_in_flight_ = false;
  last_activity_ = Clock::now();
  if (!result.ok()) {
    std::fprintf(stderr, "smtpgate serve: %s: storing a message failed: %s\n",
                 client_address_.c_str(), std::string(result.status().message()).c_str());
  }
  if (phase_ == Phase::kClosed) return;
  Process(session_.Commit(std::move(result)));
  CheckPending();
  if (shutdown_requested_) {
    shutdown_requested_ = false;
    DoShutdown(/*abrupt=*/false);
    return;
  }
  MaybeStartRead();
}

void Connection::Enqueue(Pending pending) {
  queued_bytes_ += pending.bytes.size();
  queue_.push_back(std::move(pending));
  PumpWrites();
}

void Connection::EnqueueFinal(std::string reply_line) {
  if (phase_ == Phase::kRunning) phase_ = Phase::kClosing;
  Enqueue(Pending{Pending::Kind::kWrite, std::move(reply_line), {}});
  Enqueue(Pending{Pending::Kind::kClose, {}, {}});
}

void Connection::PumpWrites() {
  if (writing_ || queue_.empty() || phase_ == Phase::kClosed || phase_ == Phase::kLingering) {
    return;
  }
  Pending& front = queue_.front();
  switch (front.kind) {
    case Pending::Kind::kStartTls:
      queue_.pop_front();
      StartTlsHandshake(/*implicit=*/false);
      return;
    case Pending::Kind::kClose:
      queue_.clear();
      StartLinger();
      return;
    case Pending::Kind::kWrite:
      break;
  }
  if (front.delay.count() > 0) {
    // The tar pit: this reply, and every one after it, waits. Other connections do not.
    writing_ = true;
    delaying_ = true;
    delay_timer_.expires_after(front.delay);
    delay_timer_.async_wait([self = shared_from_this()](const asio::error_code&) {
      self->writing_ = false;
      self->delaying_ = false;
      if (!self->queue_.empty()) self->queue_.front().delay = std::chrono::milliseconds(0);
      self->last_activity_ = Clock::now();
      self->PumpWrites();
      self->MaybeStartRead();
    });
    return;
  }
  // Coalesce the undelayed replies at the head into one write (pipelined replies).
  write_buffer_.clear();
  while (!queue_.empty() && queue_.front().kind == Pending::Kind::kWrite &&
         queue_.front().delay.count() == 0) {
    write_buffer_ += queue_.front().bytes;
    queue_.pop_front();
  }
  writing_ = true;
  auto handler = [self = shared_from_this()](const asio::error_code& ec, size_t bytes) {
    self->OnWritten(ec, bytes);
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(write_buffer_), std::move(handler));
  } else {
    asio::async_write(socket_, asio::buffer(write_buffer_), std::move(handler));
  }
}

void Connection::OnWritten(const asio::error_code& ec, size_t bytes) {
  writing_ = false;
  queued_bytes_ -= std::min(queued_bytes_, write_buffer_.size());
  (void)bytes;
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    CloseSocket();  // the client is gone
    return;
  }
  last_activity_ = Clock::now();
  PumpWrites();
  MaybeStartRead();
}

void Connection::StartTlsHandshake(bool implicit) {
  asio::ssl::context* context = host_.tls_context();
  if (context == nullptr) {
    CloseSocket();
    return;
  }
  try {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *context);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtpgate serve: %s: cannot start TLS: %s\n", client_address_.c_str(),
                 e.what());
    CloseSocket();
    return;
  }
  writing_ = true;
  handshaking_ = true;
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this(), implicit](const asio::error_code& ec) {
                          self->writing_ = false;
                          self->handshaking_ = false;
                          if (self->phase_ == Phase::kClosed) return;
                          if (ec) {
                            // A failed handshake leaves no channel to reply on.
                            self->CloseSocket();
                            return;
                          }
                          self->last_activity_ = Clock::now();
                          self->tls_pending_ = false;
                          if (implicit) {
                            self->Begin();
                            return;
                          }
                          self->Process(self->session_.TlsEstablished());
                          self->PumpWrites();
                          self->MaybeStartRead();
                        });
}

bool Connection::WaitingOnServer() const { return commit_in_flight_ || delaying_; }

void Connection::MaybeStartRead() {
  if (reading_ || phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kRunning &&
      (tls_pending_ || handshaking_ || WaitingOnServer() || queued_bytes_ > kWriteHighWater)) {
    return;
  }
  if (phase_ == Phase::kClosing) return;  // input is ignored; it is drained when lingering
  reading_ = true;
  auto handler = [self = shared_from_this()](const asio::error_code& ec, size_t bytes) {
    self->OnRead(ec, bytes);
  };
  asio::mutable_buffer buffer(read_buffer_->data(), read_buffer_->size());
  if (tls_ && phase_ != Phase::kLingering) {
    tls_->async_read_some(buffer, std::move(handler));
  } else {
    socket_.async_read_some(buffer, std::move(handler));
  }
}

void Connection::OnRead(const asio::error_code& ec, size_t bytes) {
  reading_ = false;
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    // EOF or reset. A message in progress was never acknowledged: it is dropped (a commit
    // already in flight still completes: the client may retry and get a duplicate, which
    // SMTP permits).
    CloseSocket();
    return;
  }
  if (phase_ == Phase::kLingering) {
    MaybeStartRead();  // draining until EOF
    return;
  }
  last_activity_ = Clock::now();
  if (phase_ != Phase::kRunning) return;
  Process(session_.Feed(std::string_view(read_buffer_->data(), bytes)));
  CheckPending();
  MaybeStartRead();
}

void Connection::CheckPending() {
  if (phase_ != Phase::kRunning) return;
  const size_t pending = queued_bytes_ + session_.buffered();
  if (pending <= config_.max_buffered_per_connection) return;
  // The client sends faster than it reads: refuse to buffer more (the replies it has not
  // read are dropped; the connection is closed anyway).
  while (!queue_.empty()) {
    queued_bytes_ -= std::min(queued_bytes_, queue_.back().bytes.size());
    queue_.pop_back();
  }
  writer_.reset();
  EnqueueFinal(absl::StrCat("421 4.7.0 ", config_.session.hostname,
                            " too much pending data, closing connection\r\n"));
  CloseBy(Clock::now() + kCloseGrace);
}

void Connection::StartLinger() {
  if (phase_ == Phase::kClosed || phase_ == Phase::kLingering) return;
  phase_ = Phase::kLingering;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    CloseSocket();
    return;
  }
  // The session is over: its slot in the connection limits is free again.
  Unregister();
  CloseBy(Clock::now() + kLinger);
  MaybeStartRead();
}

void Connection::CloseSocket() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  asio::error_code ec;
  timer_.cancel();
  delay_timer_.cancel();
  socket_.close(ec);
  writer_.reset();
  queue_.clear();
  queued_bytes_ = 0;
  Unregister();
}

void Connection::Unregister() {
  if (unregistered_) return;
  unregistered_ = true;
  host_.OnConnectionClosed(this);
}

std::chrono::milliseconds Connection::IdleTimeout() const {
  const SessionState state = session_.state();
  if (state == SessionState::kData || state == SessionState::kBdatChunk) {
    return config_.data_timeout;
  }
  return config_.command_timeout;
}

void Connection::ArmTimer(Clock::time_point at) {
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) { self->OnTimer(ec); });
}

void Connection::OnTimer(const asio::error_code& ec) {
  if (ec == asio::error::operation_aborted || phase_ == Phase::kClosed) return;
  const Clock::time_point now = Clock::now();
  if (hard_deadline_ && now >= *hard_deadline_) {
    CloseSocket();
    return;
  }
  if (handshaking_ && now >= last_activity_ + IdleTimeout()) {
    CloseSocket();  // a stalled TLS handshake
    return;
  }
  if (WaitingOnServer()) last_activity_ = now;  // the client is not the one to blame
  Clock::time_point next = last_activity_ + IdleTimeout();
  if (now >= next) {
    if (phase_ != Phase::kRunning || timed_out_) {
      CloseSocket();  // stuck while closing: the client takes nothing more
      return;
    }
    // RFC 5321 4.5.3.2: the client was silent too long.
    timed_out_ = true;
    writer_.reset();
    Process(session_.Timeout());
    if (phase_ == Phase::kClosed) return;
    if (!hard_deadline_ || *hard_deadline_ > now + kCloseGrace) hard_deadline_ = now + kCloseGrace;
    next = now + IdleTimeout();
  }
  if (hard_deadline_ && *hard_deadline_ < next) next = *hard_deadline_;
  ArmTimer(next);
}

}  // namespace smtpgate
