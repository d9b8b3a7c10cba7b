#include "harness/conformance/parallel_runner.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "harness/conformance/oracle_clock.h"
#include "harness/conformance/runner_internal.h"

namespace smtpgate::conformance {

std::vector<TestResult> RunAll(const std::vector<const SuiteEntry*>& entries, Target& target,
                               const Capabilities& capabilities, int jobs,
                               const std::function<void(const TestResult&)>& report) {
  std::vector<TestResult> results(entries.size());
  std::vector<bool> done(entries.size(), false);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  size_t reported = 0;
  // Negative oracle checks of every test wait for one deadline at the end of the run.
  const TargetConfig& config = target.config();
  OracleClock clock(config.oracle_min_wait, config.oracle_wait);
  std::vector<std::unique_ptr<TranscriptRunner>> pending(entries.size());
  auto complete = [&](size_t i, TestResult result) {  // with `mutex` held
    result.id = entries[i]->id;
    result.area = entries[i]->area;
    results[i] = std::move(result);
    done[i] = true;
    while (reported < entries.size() && done[reported]) {
      if (report) report(results[reported]);
      ++reported;
    }
  };
  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= entries.size()) return;
      auto runner =
          std::make_unique<TranscriptRunner>(entries[i]->transcript, target, capabilities, &clock);
      runner->RunSteps();
      if (runner->pending()) {
        pending[i] = std::move(runner);
        continue;
      }
      TestResult result = runner->Finish();
      std::lock_guard<std::mutex> lock(mutex);
      complete(i, std::move(result));
    }
  };
  const size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(jobs, 1)), 1,
                                            std::max<size_t>(entries.size(), 1));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  std::this_thread::sleep_until(clock.Deadline());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (pending[i] == nullptr) continue;
    TestResult result = pending[i]->Finish();
    pending[i].reset();  // its TargetRun (Maildir snapshot, crash-log offsets) goes too
    complete(i, std::move(result));
  }
  return results;
}

}  // namespace smtpgate::conformance
