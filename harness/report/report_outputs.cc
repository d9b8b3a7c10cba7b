#include "harness/report/report_outputs.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "harness/report/baseline_diff.h"
#include "harness/report/html_writer.h"
#include "harness/report/junit_writer.h"
#include "harness/report/results_json.h"
#include "harness/report/sarif_writer.h"

namespace smtpgate::report {

using conformance::RunResults;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRegressed = 1;
constexpr int kExitUsage = 2;

}  // namespace

absl::StatusOr<std::optional<Baseline>> PrepareGate(const ReportOptions& options) {
  if (options.write_baseline && options.baseline_path.empty()) {
    return absl::InvalidArgumentError("--write-baseline needs --baseline FILE (where to write it)");
  }
  if (options.baseline_path.empty()) return std::nullopt;
  absl::StatusOr<Baseline> baseline = ReadBaseline(options.baseline_path);
  if (baseline.ok()) return std::optional<Baseline>(*std::move(baseline));
  if (options.write_baseline) {
    if (!absl::IsNotFound(baseline.status())) {
      std::fprintf(stderr, "warning: the old baseline is replaced: %s\n",
                   std::string(baseline.status().message()).c_str());
    }
    return std::nullopt;
  }
  if (absl::IsNotFound(baseline.status())) {
    return absl::NotFoundError(absl::StrCat("baseline ", options.baseline_path,
                                            " does not exist (record one with --write-baseline)"));
  }
  return baseline.status();
}

int WriteReports(const ReportOptions& options, const std::vector<RunResults>& runs,
                 const std::optional<Baseline>& baseline, int code, std::string_view command) {
  bool write_error = false;
  auto check = [&](const absl::Status& status) {
    if (status.ok()) return;
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 std::string(status.message()).c_str());
    write_error = true;
  };
  if (!options.json_path.empty() && runs.size() == 1) {
    check(WriteResultsJson(options.json_path, runs[0]));
  }
  if (!options.junit_path.empty()) check(WriteJUnit(options.junit_path, runs, options.strict));
  if (!options.sarif_path.empty()) check(WriteSarif(options.sarif_path, runs));
  if (!options.html_path.empty()) check(WriteHtml(options.html_path, runs));

  if (!options.baseline_path.empty() && runs.size() == 1) {
    if (baseline) {
      const GateResult gate = CompareWithBaseline(*baseline, runs[0], options.strict);
      std::fputs(FormatGate(gate, options.baseline_path, *baseline).c_str(), stdout);
      if (options.write_baseline) {
        std::fputs("(the baseline is replaced by this run)\n", stdout);
      } else {
        std::fputs(GateVerdict(gate).c_str(), stdout);
        code = gate.Passed() ? kExitOk : kExitRegressed;
      }
    }
    if (options.write_baseline) {
      const absl::Status written = WriteBaseline(options.baseline_path, BaselineFrom(runs[0]));
      check(written);
      if (written.ok()) {
        std::printf("baseline written: %s (%zu tests)\n", options.baseline_path.c_str(),
                    runs[0].tests.size());
        code = kExitOk;
      }
    }
  }
  std::fflush(stdout);
  return write_error ? kExitUsage : code;
}

}  // namespace smtpgate::report
