// Parser throughput: commands/s and addresses/s over a realistic mix of inputs
// (client traffic, relay probes from catalogue.md, malformed lines).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "harness/core/address.h"
#include "harness/core/command.h"
#include "harness/core/reply.h"

namespace smtpgate {
namespace {

const std::vector<std::string>& CommandMix() {
  static const auto* const kMix = new std::vector<std::string>{
      "EHLO client.example.test",
      "MAIL FROM:<alice@example.test> SIZE=10240 BODY=8BITMIME",
      "RCPT TO:<bob@example.test>",
      "RCPT TO:<victim@remote.invalid> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;victim@remote.invalid",
      "DATA",
      "BDAT 65536",
      "BDAT 0 LAST",
      "RSET",
      "NOOP",
      "AUTH PLAIN AGd1ZXN0AGd1ZXN0LXBhc3M=",
      "RCPT TO:<\"to@remote.invalid\"@[127.0.0.1]>",
      "RCPT TO:<@[127.0.0.1]:to@remote.invalid>",
      "MAIL FROM:localuser",
      "BDAT 99999999999999999999",
      "XYZZY plugh",
      "QUIT",
  };
  return *kMix;
}

const std::vector<std::string>& AddressMix() {
  static const auto* const kMix = new std::vector<std::string>{
      "<alice@example.test>",
      "<Very.Long.Local-Part+tag@mail.sub.example.test>",
      "<\"quoted local\\\"part\"@example.test>",
      "<to%remote.invalid@[127.0.0.1]>",
      "<@a.example,@b.example:to@remote.invalid>",
      "<user@[IPv6:2001:db8::1]>",
      "<remote.invalid!to@example.test>",
      "<to@remote.invalid@[127.0.0.1]>",
  };
  return *kMix;
}

void BM_ParseCommand(benchmark::State& state) {
  const auto& mix = CommandMix();
  size_t i = 0;
  for (auto _ : state) {
    auto command = ParseCommand(mix[i]);
    benchmark::DoNotOptimize(command);
    i = (i + 1) % mix.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["commands/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseCommand);

void BM_ParsePath(benchmark::State& state) {
  const auto& mix = AddressMix();
  AddressOptions options;
  size_t i = 0;
  for (auto _ : state) {
    auto path = ParsePath(mix[i], options);
    benchmark::DoNotOptimize(path);
    i = (i + 1) % mix.size();
  }
  state.counters["addresses/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParsePath);

void BM_ReadReplies(benchmark::State& state) {
  const std::string ehlo =
      "250-smtp.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
      "250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"
      "550 5.7.1 Relay access denied\r\n";
  for (auto _ : state) {
    ReplyReader reader;
    reader.Feed(ehlo);
    while (auto reply = reader.Next()) benchmark::DoNotOptimize(reply);
  }
  state.counters["replies/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 2), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadReplies);

}  // namespace
}  // namespace smtpgate

BENCHMARK_MAIN();
