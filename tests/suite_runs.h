// Runs a loaded suite against a target through the runner `smtpgate conform` uses
// (harness/conformance/parallel_runner.h), for the conformance tests.
#ifndef SMTPGATE_TESTS_SUITE_RUNS_H_
#define SMTPGATE_TESTS_SUITE_RUNS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "harness/conformance/parallel_runner.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::conformance {

// Every transcript of `suite` on `jobs` threads, in suite order, after probing the target.
inline std::vector<TestResult> RunSuite(const Suite& suite, Target& target, int jobs) {
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  EXPECT_TRUE(capabilities.ok()) << capabilities.status();
  if (!capabilities.ok()) return {};
  std::vector<const SuiteEntry*> entries;
  for (const SuiteEntry& entry : suite.entries) entries.push_back(&entry);
  return RunAll(entries, target, *capabilities, jobs, [](const TestResult&) {});
}

// The same on one thread, by test id ("area/name").
inline std::map<std::string, TestResult> RunSuiteById(const Suite& suite, Target& target) {
  std::map<std::string, TestResult> results;
  for (TestResult& result : RunSuite(suite, target, 1)) results[result.id] = std::move(result);
  return results;
}

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_TESTS_SUITE_RUNS_H_
