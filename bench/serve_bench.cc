// The reference server's I/O models compared on real loopback sockets: SMTP round trips per
// second (a pipelined MAIL + RCPT + RSET, three replies) over N concurrent sessions, for
//   model 0: one io_context per I/O thread (connections spread round-robin), and
//   model 1: one io_context run by every I/O thread, a strand per connection.
// The client side runs on the benchmark thread (one io_context, all sessions async), so on
// a small machine it competes with the server for the cores, as real clients would.
//   build/release/bench/serve_bench --benchmark_min_time=2
// No message is stored (fsync would dominate and measure the disk, not the I/O model).
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "asio/buffer.hpp"
#include "asio/connect.hpp"
#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/read_until.hpp"
#include "asio/write.hpp"
#include "benchmark/benchmark.h"
#include "harness/core/demo_config.h"
#include "harness/net/server.h"

namespace smtpgate {
namespace {

constexpr char kRound[] =
    "MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\nRSET\r\n";
constexpr char kRoundEnd[] = "250 2.0.0 Ok\r\n";  // the reply to RSET

struct ClientSession {
  explicit ClientSession(asio::io_context& io) : socket(io) {}
  asio::ip::tcp::socket socket;
  std::string in;
};

void BM_RoundTrips(benchmark::State& state) {
  const auto model =
      state.range(0) == 0 ? Server::IoModel::kContextPerThread : Server::IoModel::kSharedContext;
  const int threads = static_cast<int>(state.range(1));
  const int sessions = static_cast<int>(state.range(2));
  char spool[] = "/tmp/smtpgate-bench-XXXXXX";
  if (mkdtemp(spool) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  ServerConfig config;
  config.session = DemoConfig();
  config.listen = {"127.0.0.1:0"};
  config.spool_dir = spool;
  config.io_threads = threads;
  config.max_connections_per_client = 10000;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Create(config, Server::Options{model, false});
  if (!server.ok()) {
    state.SkipWithError(std::string(server.status().message()).c_str());
    return;
  }
  const asio::ip::tcp::endpoint endpoint = (*server)->endpoints()[0];
  std::thread run([&] { (*server)->Run(); });

  asio::io_context io;
  std::vector<std::unique_ptr<ClientSession>> clients;
  for (int i = 0; i < sessions; ++i) {
    clients.push_back(std::make_unique<ClientSession>(io));
    ClientSession& c = *clients.back();
    asio::error_code ec;
    c.socket.connect(endpoint, ec);
    if (!ec) asio::write(c.socket, asio::buffer(std::string("EHLO bench.test\r\n")), ec);
    if (!ec) asio::read_until(c.socket, asio::dynamic_buffer(c.in), "\r\n250 ", ec);
    if (ec) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
    c.in.clear();
  }
  for (auto _ : state) {
    int pending = sessions;
    for (auto& client : clients) {
      ClientSession& c = *client;
      asio::async_write(c.socket, asio::buffer(kRound, sizeof(kRound) - 1),
                        [&c, &pending, &state](const asio::error_code& ec, size_t) {
                          if (ec) {
                            state.SkipWithError(ec.message().c_str());
                            --pending;
                            return;
                          }
                          asio::async_read_until(c.socket, asio::dynamic_buffer(c.in), kRoundEnd,
                                                 [&c, &pending](const asio::error_code&, size_t) {
                                                   c.in.clear();
                                                   --pending;
                                                 });
                        });
    }
    io.restart();
    io.run();
    benchmark::DoNotOptimize(pending);
  }
  state.counters["round_trips/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * sessions, benchmark::Counter::kIsRate);
  clients.clear();
  (*server)->Stop();
  run.join();
  server->reset();
  std::system((std::string("rm -rf ") + spool).c_str());
}

// model (0 per-thread contexts, 1 shared context + strands), io_threads, sessions.
BENCHMARK(BM_RoundTrips)
    ->ArgNames({"model", "threads", "sessions"})
    ->Args({0, 1, 64})
    ->Args({1, 1, 64})
    ->Args({0, 2, 64})
    ->Args({1, 2, 64})
    ->Args({0, 2, 512})
    ->Args({1, 2, 512})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace smtpgate

BENCHMARK_MAIN();
