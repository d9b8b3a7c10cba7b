#include "harness/report/report_command.h"

#include <cstdio>

#include "harness/conformance/console.h"
#include "harness/report/results_reader.h"

namespace smtpgate {
namespace {

constexpr int kUsage = 2;
constexpr char kCommand[] = "smtpgate report";

int Usage(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kCommand, message.c_str());
  return kUsage;
}

}  // namespace

int RunReport(const ReportCommandOptions& options) {
  const report::ReportOptions& out = options.outputs;
  if (options.inputs.empty()) {
    return Usage("give one or more results JSON files (from smtpgate conform --json)");
  }
  if (out.json_path.empty() && out.junit_path.empty() && out.sarif_path.empty() &&
      out.html_path.empty() && out.baseline_path.empty()) {
    return Usage("nothing to do: give --json, --junit, --sarif, --html or --baseline");
  }
  if (options.inputs.size() > 1 && !out.json_path.empty()) {
    return Usage("--json takes one results file (it rewrites it in the current schema)");
  }
  if (options.inputs.size() > 1 && !out.baseline_path.empty()) {
    return Usage("--baseline takes one results file");
  }
  absl::StatusOr<std::optional<report::Baseline>> baseline = report::PrepareGate(out);
  if (!baseline.ok()) return Usage(std::string(baseline.status().message()));

  std::vector<conformance::RunResults> runs;
  for (const std::string& input : options.inputs) {
    absl::StatusOr<conformance::RunResults> results = report::ReadResultsJson(input);
    if (!results.ok()) return Usage(std::string(results.status().message()));
    std::printf("%s:", input.c_str());
    std::fputs(conformance::FormatSummary(*results).c_str(), stdout);
    runs.push_back(*std::move(results));
  }
  return report::WriteReports(out, runs, *baseline, 0, kCommand);
}

}  // namespace smtpgate
