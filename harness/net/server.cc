// The reference server's listeners, connection registry and limits, threads and shutdown.
//
// I/O model. bench/serve_bench.cc (release build) measures SMTP round trips per second
// (pipelined MAIL + RCPT + RSET) on loopback, client and server sharing a 2-core VM that
// other jobs were also using (load average ~3), median ± stddev of 5 runs:
//                                  one io_context per thread   one io_context + strands
//   1 I/O thread,   64 sessions        25.5k ± 2.6k /s             20.3k ± 4.0k /s
//   2 I/O threads,  64 sessions        22.2k ± 7.3k /s             21.0k ± 3.7k /s
//   2 I/O threads, 512 sessions        15.2k ± 7.5k /s             17.8k ± 1.6k /s
// The two models are within the noise of this machine (with one thread they are the same
// code path, and differ by 5k/s: that is the noise). One io_context per thread is the
// default: a connection's handlers never migrate between threads (no cross-core cache
// traffic, no contention on the shared scheduler's lock) and it scales with cores on a
// bigger machine; connections are assigned round-robin, which is fair for SMTP's many
// similar, short sessions. The strand stays (it costs nothing measurable on a
// single-threaded context) so cross-thread posts — Shutdown(), commit results — are safe in
// both models. io_threads defaults to 1: one thread serves the 1,000-session load test with
// a 100 MB message streaming and fresh banners within a few ms (tests/server_load_test.cc).
#include "harness/net/server.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio/ip/v6_only.hpp"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "asio/strand.hpp"
#include "harness/core/smtp_status.h"
#include "harness/net/relay_agent.h"
#include "harness/net/tls_server_context.h"

namespace smtpgate {
namespace {

std::string EndpointName(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return absl::StrCat("[", endpoint.address().to_string(), "]:", endpoint.port());
  }
  return absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

// Runs a context until it is out of work; a handler that throws is logged, not fatal.
void RunContext(asio::io_context& context) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "smtpgate serve: unexpected exception in an I/O handler: %s\n",
                   e.what());
    }
  }
}

}  // namespace

absl::Status DeliverRelayedMail(const std::string& spool_dir, const std::string& relay_host) {
  return DeliverOutbound(spool_dir, relay_host);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerConfig& config) {
  return Create(config, Options{});
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerConfig& config,
                                                       Options options) {
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return s;
  absl::StatusOr<Spool> spool = Spool::Open(config.spool_dir);
  if (!spool.ok()) return spool.status();
  std::unique_ptr<Server> server(new Server(config, options, std::move(*spool)));
  if (config.tls_enabled) {
    absl::StatusOr<std::unique_ptr<asio::ssl::context>> tls =
        config.tls.cert_file.empty()
            ? MakeTlsServerContextFromPem(config.tls.cert_pem, config.tls.key_pem)
            : MakeTlsServerContext(config.tls.cert_file, config.tls.key_file);
    if (!tls.ok()) return tls.status();
    server->tls_ = std::move(*tls);
  }
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  if (!server->config_.relay_host.empty()) {
    server->relay_kicked_ = true;  // whatever an earlier run left in outbound/
    server->relay_thread_ = std::thread([s = server.get()] { s->RelayLoop(); });
  }
  return server;
}

Server::Server(const ServerConfig& config, Options options, Spool spool)
    : config_(config), options_(options), spool_(std::move(spool)) {
  // The session offers STARTTLS only when the host can do it (not with implicit TLS: the
  // session then starts with facts.tls set).
  config_.session.tls_available = config_.tls_enabled;
  const int threads = std::max(1, config_.io_threads);
  const int contexts = options_.io_model == IoModel::kContextPerThread ? threads : 1;
  for (int i = 0; i < contexts; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(
        options_.io_model == IoModel::kContextPerThread ? 1 : threads));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  blocking_ = std::make_unique<asio::thread_pool>(std::max(1, config_.commit_threads));
}

Server::~Server() {
  StopImpl(/*abrupt=*/true);
  blocking_->join();
  // Drain what is left (handlers that hold connections) while every member is alive.
  for (auto& context : contexts_) {
    context->restart();
    RunContext(*context);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    relay_cv_.notify_all();
  }
  if (relay_thread_.joinable()) relay_thread_.join();
  listeners_.clear();
  contexts_.clear();
  if (!config_.temporary_dir.empty()) {
    std::error_code ec;
    if (config_.temporary_dir == config_.spool_dir) {
      std::filesystem::remove_all(config_.temporary_dir, ec);
    } else {
      std::filesystem::remove(config_.temporary_dir, ec);  // only if empty
    }
  }
}

absl::Status Server::Listen() {
  // Acceptors live on the first context, behind a strand (several threads may run it).
  const asio::any_io_executor executor = asio::make_strand(*contexts_[0]);
  std::vector<std::string> skipped;
  for (const std::string& text : config_.listen) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(text);
    if (!address.ok()) return address.status();
    asio::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(address->host, ec);
    const asio::ip::tcp::endpoint endpoint(ip, address->port);
    Listener listener;
    listener.acceptor = std::make_unique<asio::ip::tcp::acceptor>(executor);
    listener.retry = std::make_unique<asio::steady_timer>(executor);
    asio::ip::tcp::acceptor& acceptor = *listener.acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      const bool unavailable_v6 =
          address->ipv6 && (ec == asio::error::address_family_not_supported ||
                            ec.value() == EADDRNOTAVAIL || ec == asio::error::no_protocol_option);
      if (unavailable_v6) {
        skipped.push_back(absl::StrCat(text, " (", ec.message(), ")"));
        continue;
      }
      return absl::UnavailableError(absl::StrCat("cannot listen on ", text, ": ", ec.message()));
    }
    listener.endpoint = acceptor.local_endpoint(ec);
    listeners_.push_back(std::move(listener));
  }
  if (listeners_.empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on any address: ", absl::StrJoin(skipped, ", ")));
  }
  for (const std::string& s : skipped) {
    std::fprintf(stderr, "smtpgate serve: warning: skipping %s\n", s.c_str());
  }
  for (Listener& listener : listeners_) Accept(listener);
  return absl::OkStatus();
}

std::vector<asio::ip::tcp::endpoint> Server::endpoints() const {
  std::vector<asio::ip::tcp::endpoint> out;
  for (const Listener& listener : listeners_) out.push_back(listener.endpoint);
  return out;
}

asio::io_context& Server::NextContext() {
  const size_t i = next_context_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
  return *contexts_[i];
}

void Server::Accept(Listener& listener) {
  const asio::any_io_executor executor = asio::make_strand(NextContext());
  listener.acceptor->async_accept(
      executor, [this, &listener](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        OnAccept(listener, ec, std::move(socket));
      });
}

void Server::OnAccept(Listener& listener, const asio::error_code& ec,
                      asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !listener.acceptor->is_open()) return;
  if (ec) {
    // Out of descriptors or memory: wait a little instead of spinning; other errors
    // (a connection reset before it was accepted) concern one client only.
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory || ec.value() == ENFILE) {
      std::fprintf(stderr, "smtpgate serve: accept on %s: %s (retrying in 100 ms)\n",
                   EndpointName(listener.endpoint).c_str(), ec.message().c_str());
      listener.retry->expires_after(std::chrono::milliseconds(100));
      listener.retry->async_wait([this, &listener](const asio::error_code& wait_ec) {
        if (!wait_ec && listener.acceptor->is_open()) Accept(listener);
      });
      return;
    }
    Accept(listener);
    return;
  }
  asio::error_code peer_ec;
  const asio::ip::tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  if (peer_ec) {
    Accept(listener);
    return;  // already gone
  }
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  const std::string client = address.to_string();
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // the socket closes; no more accepting
    std::string reject;
    if (stats_.active >= config_.max_connections) {
      reject = "too many connections, try again later";
    } else if (per_client_[client] >= config_.max_connections_per_client) {
      reject = absl::StrCat("too many connections from ", client, ", try again later");
    }
    if (!reject.empty()) {
      ++stats_.refused;
      if (per_client_[client] == 0) per_client_.erase(client);
      connection = std::make_shared<Connection>(*this, std::move(socket), client, reject);
    } else {
      ++stats_.accepted;
      ++stats_.active;
      ++per_client_[client];
      connection = std::make_shared<Connection>(*this, std::move(socket), client);
      connections_.emplace(connection.get(), connection);
    }
  }
  connection->Start();
  Accept(listener);
}

void Server::OnConnectionClosed(Connection* connection) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;  // a refused connection: never counted
  connections_.erase(it);
  if (stats_.active > 0) --stats_.active;
  auto client = per_client_.find(connection->client_address());
  if (client != per_client_.end() && --client->second == 0) per_client_.erase(client);
}

void Server::Run() {
  std::vector<std::thread> threads;
  const int count = std::max(1, config_.io_threads);
  for (int i = 1; i < count; ++i) {
    asio::io_context& context =
        options_.io_model == IoModel::kContextPerThread ? *contexts_[i] : *contexts_[0];
    threads.emplace_back([&context] { RunContext(context); });
  }
  RunContext(*contexts_[0]);
  for (std::thread& t : threads) t.join();
}

void Server::Stop() { StopImpl(/*abrupt=*/false); }

void Server::StopImpl(bool abrupt) {
  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !abrupt) return;
    stopping_ = true;
    for (auto& [raw, weak] : connections_) {
      if (std::shared_ptr<Connection> c = weak.lock()) connections.push_back(std::move(c));
    }
    for (auto& guard : guards_) guard.reset();
    relay_cv_.notify_all();
  }
  for (Listener& listener : listeners_) {
    asio::post(listener.acceptor->get_executor(), [&listener] {
      asio::error_code ec;
      listener.acceptor->close(ec);
      listener.retry->cancel();
    });
  }
  for (const std::shared_ptr<Connection>& c : connections) c->Shutdown(abrupt);
}

void Server::OnServiceStopped(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_reason_.empty()) stopped_reason_ = reason;
  }
  service_stopped_ = true;
  std::fprintf(stderr, "smtpgate serve: SERVICE STOPPED (emulation profile %s): %s\n",
               std::string(ProfileName(config_.session.policy.profile)).c_str(), reason.c_str());
  StopImpl(/*abrupt=*/true);  // a dead service says nothing more to anyone
}

void Server::OnConnectionCrashed(const std::string& reason) {
  // What a forking MTA's master logs when a child dies, so a crash log pattern finds it;
  // the listener and every other connection go on.
  std::fprintf(stderr,
               "smtpgate serve: connection handler killed by signal 11 (SIGSEGV; emulation "
               "profile %s): %s\n",
               std::string(ProfileName(config_.session.policy.profile)).c_str(), reason.c_str());
}

std::string Server::service_stopped_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_reason_;
}

Server::Stats Server::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Server::RunBlocking(std::function<void()> work) { asio::post(*blocking_, std::move(work)); }

void Server::OnMessageQueued(const MessageQueued& queued) {
  bool relay = false;
  for (const EnvelopeRecipient& r : queued.envelope.recipients) relay = relay || r.relay();
  if (options_.log_messages) {
    std::vector<std::string> to;
    for (const EnvelopeRecipient& r : queued.envelope.recipients) {
      to.push_back(
          absl::StrCat(FormatPath(r.path), " (", AsAbsl(DispositionName(r.disposition)), ")"));
    }
    std::fprintf(stderr, "smtpgate serve: queued %s: %llu octets from %s to %s\n",
                 queued.queue_id.c_str(), static_cast<unsigned long long>(queued.size),
                 FormatPath(queued.envelope.sender).c_str(), absl::StrJoin(to, ", ").c_str());
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.messages_queued;
  if (relay && !config_.relay_host.empty()) {
    relay_kicked_ = true;
    relay_cv_.notify_all();
  }
}

void Server::RelayLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  bool retry = false;  // the last attempt left mail behind
  while (!stopping_) {
    const bool kicked = relay_cv_.wait_for(lock, std::chrono::seconds(30),
                                           [this] { return relay_kicked_ || stopping_; });
    if (stopping_) break;
    if (!kicked && !retry) continue;
    relay_kicked_ = false;
    lock.unlock();
    const absl::Status status = DeliverRelayedMail(spool_.dir(), config_.relay_host);
    if (!status.ok()) {
      std::fprintf(stderr, "smtpgate serve: relaying to %s: %s (retrying in 30 s)\n",
                   config_.relay_host.c_str(), std::string(status.message()).c_str());
    }
    lock.lock();
    retry = !status.ok();
  }
}

}  // namespace smtpgate
