#include "harness/conformance/parallel_runner.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace smtpgate::conformance {

std::vector<TestResult> RunAll(const std::vector<const SuiteEntry*>& entries, Target& target,
                               const Capabilities& capabilities, int jobs,
                               const std::function<void(const TestResult&)>& report) {
  std::vector<TestResult> results(entries.size());
  std::vector<bool> done(entries.size(), false);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  size_t reported = 0;
  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= entries.size()) return;
      TestResult result = RunTranscript(entries[i]->transcript, target, capabilities,
                                        entries[i]->id, entries[i]->area);
      std::lock_guard<std::mutex> lock(mutex);
      results[i] = std::move(result);
      done[i] = true;
      while (reported < entries.size() && done[reported]) {
        if (report) report(results[reported]);
        ++reported;
      }
    }
  };
  const size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(jobs, 1)), 1,
                                            std::max<size_t>(entries.size(), 1));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  return results;
}

}  // namespace smtpgate::conformance
