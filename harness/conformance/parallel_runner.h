// Runs many transcripts on `jobs` threads (each transcript on one thread, start to end).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_PARALLEL_RUNNER_H_
#define SMTPGATE_HARNESS_CONFORMANCE_PARALLEL_RUNNER_H_

#include <functional>
#include <vector>

#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::conformance {

// Results in the order of `entries`. `report` is called once per result, in that order, as
// soon as the result and all before it are done (never concurrently).
std::vector<TestResult> RunAll(const std::vector<const SuiteEntry*>& entries, Target& target,
                               const Capabilities& capabilities, int jobs,
                               const std::function<void(const TestResult&)>& report);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_PARALLEL_RUNNER_H_
