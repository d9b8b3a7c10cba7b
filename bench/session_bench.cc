// Complete sessions per second through the sans-IO Session, in-process:
// banner, EHLO, MAIL, RCPT, DATA with a 10 KB body, QUIT (the reference workload),
// fed as a client would send it (one write per command, the body in 4 KB writes).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"

namespace smtpgate {
namespace {

std::string TenKilobyteBody() {
  std::string body = "Subject: benchmark\r\n\r\n";
  while (body.size() < 10 * 1024) body += std::string(76, 'x') + "\r\n";
  return body + ".\r\n";
}

void BM_CompleteSession(benchmark::State& state) {
  const SessionConfig config = DemoConfig();
  const std::string body = TenKilobyteBody();
  const std::vector<std::string> commands = {"EHLO client.example.test\r\n",
                                             "MAIL FROM:<sender@remote.invalid>\r\n",
                                             "RCPT TO:<alice@example.test>\r\n", "DATA\r\n"};
  int64_t bytes = 0;
  for (auto _ : state) {
    InProcessHost host(config);
    host.Start();
    for (const std::string& c : commands) host.Feed(c);
    for (size_t pos = 0; pos < body.size(); pos += 4096) host.Feed(body.substr(pos, 4096));
    host.Feed("QUIT\r\n");
    if (host.queued().size() != 1) state.SkipWithError("message not queued");
    bytes += static_cast<int64_t>(body.size());
  }
  state.SetBytesProcessed(bytes);
  state.counters["sessions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CompleteSession);

}  // namespace
}  // namespace smtpgate

BENCHMARK_MAIN();
