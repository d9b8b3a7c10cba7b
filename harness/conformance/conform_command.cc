#include "harness/conformance/conform_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/conformance/console.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/parallel_runner.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/server_process.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target_file.h"
#include "harness/conformance/tcp_target.h"
#include "harness/core/profile.h"
#include "harness/net/sink.h"
#include "harness/net/smtp_client.h"
#include "harness/report/report_outputs.h"

#ifndef SMTPGATE_VERSION
#define SMTPGATE_VERSION "0.0.0"
#endif
#ifndef SMTPGATE_SOURCE_DIR
#define SMTPGATE_SOURCE_DIR "."
#endif

namespace smtpgate::conformance {
namespace {

// The catalogue --suite defaults to, wherever smtpgate is run from: ./conformance, else the
// installed one (<prefix>/share/smtpgate/conformance for <prefix>/bin/smtpgate), else the
// source tree the binary was built from.
std::string DefaultSuite() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory("conformance", ec)) return "conformance";
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path candidates[] = {exe.parent_path().parent_path() / "share/smtpgate/conformance",
                                 fs::path(SMTPGATE_SOURCE_DIR) / "conformance"};
  for (const fs::path& candidate : candidates) {
    std::error_code missing;
    if (fs::is_directory(candidate, missing)) return candidate.lexically_normal().string();
  }
  return "conformance";  // LoadSuite then names it in its error
}

constexpr auto kServerReadyTimeout = std::chrono::seconds(15);

int Usage(const std::string& message) {
  std::fprintf(stderr, "smtpgate conform: %s\n", message.c_str());
  return kConformUsage;
}

std::string NowRfc3339() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

// What a TCP run needs besides the target: the sink and the watched server process.
struct TcpParts {
  std::unique_ptr<Sink> sink;
  std::unique_ptr<ServerProcess> process;
};

// Builds the target; on failure returns the exit code.
std::variant<std::unique_ptr<Target>, int> MakeTarget(const ConformOptions& options,
                                                      TcpParts& parts) {
  if (options.embedded) {
    const std::optional<Profile> profile = ParseProfile(options.profile);
    if (!profile) {
      return Usage(absl::StrCat("unknown profile '", options.profile,
                                "' (secure, open-relay, auth-implies-relay, ms02-012, "
                                "bare-lf-eod)"));
    }
    if (!options.server_cmd.empty()) {
      std::fprintf(stderr, "smtpgate conform: warning: --server-cmd is ignored with --embedded\n");
    }
    return std::make_unique<EmbeddedTarget>(*profile);
  }
  if (options.profile != "secure" && !options.profile.empty()) {
    std::fprintf(stderr,
                 "smtpgate conform: warning: --profile applies to --embedded only; ignored\n");
  }
  TargetConfig config;
  if (!options.target_file.empty()) {
    absl::StatusOr<TargetConfig> loaded = LoadTargetFile(options.target_file);
    if (!loaded.ok()) return Usage(std::string(loaded.status().message()));
    config = *std::move(loaded);
  }
  if (!options.target.empty()) {
    absl::StatusOr<HostPort> address = ParseHostPort(options.target, 25);
    if (!address.ok()) {
      return Usage(absl::StrCat("--target ", options.target, ": ", address.status().message()));
    }
    if (options.target_file.empty()) config = DemoTarget(address->host, address->port);
    config.host = address->host;
    config.port = address->port;
  }
  if (config.oracle.start_sink) {
    absl::StatusOr<std::unique_ptr<Sink>> sink =
        Sink::Start(config.oracle.sink.empty() ? "127.0.0.1:0" : config.oracle.sink);
    if (!sink.ok()) return Usage(absl::StrCat("cannot start the sink: ", sink.status().message()));
    parts.sink = *std::move(sink);
  }
  if (!options.server_cmd.empty()) {
    const std::string command = absl::StrReplaceAll(
        options.server_cmd, {{"{sink}", parts.sink ? parts.sink->address() : std::string()}});
    absl::StatusOr<std::unique_ptr<ServerProcess>> process =
        ServerProcess::Start(command, config.host, config.port, kServerReadyTimeout);
    if (!process.ok()) {
      std::fprintf(stderr, "smtpgate conform: target unreachable: %s\n",
                   std::string(process.status().message()).c_str());
      return kConformUnreachable;
    }
    parts.process = *std::move(process);
  }
  return std::make_unique<TcpTarget>(std::move(config), parts.sink.get(), parts.process.get());
}

report::ReportOptions Outputs(const ConformOptions& options) {
  report::ReportOptions outputs;
  outputs.json_path = options.json_path;
  outputs.junit_path = options.junit_path;
  outputs.sarif_path = options.sarif_path;
  outputs.html_path = options.html_path;
  outputs.baseline_path = options.baseline_path;
  outputs.write_baseline = options.write_baseline;
  outputs.strict = options.strict;
  return outputs;
}

int ExitCode(const RunResults& results, bool strict) {
  for (const TestResult& test : results.tests) {
    if (test.verdict == Verdict::kFail || test.verdict == Verdict::kError ||
        (strict && test.verdict == Verdict::kWarn)) {
      return kConformFailed;
    }
  }
  return kConformOk;
}

int Conform(const ConformOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string started = NowRfc3339();
  const int modes = (options.embedded ? 1 : 0) +
                    ((!options.target.empty() || !options.target_file.empty()) ? 1 : 0);
  if (modes != 1) {
    return Usage(
        "choose a target: --embedded [--profile P], --target HOST:PORT or "
        "--target-file F");
  }
  if (options.jobs < 0 || options.jobs > 256) return Usage("--jobs must be 1..256");
  const int jobs = options.jobs != 0 ? options.jobs : options.embedded ? 2 : 16;
  const report::ReportOptions outputs = Outputs(options);
  // A missing or malformed baseline is an input error: found before anything runs.
  absl::StatusOr<std::optional<report::Baseline>> baseline = report::PrepareGate(outputs);
  if (!baseline.ok()) return Usage(std::string(baseline.status().message()));

  TcpParts parts;
  std::variant<std::unique_ptr<Target>, int> made = MakeTarget(options, parts);
  if (const int* code = std::get_if<int>(&made)) return *code;
  Target& target = *std::get<std::unique_ptr<Target>>(made);

  const std::vector<std::string> roots =
      options.suites.empty() ? std::vector<std::string>{DefaultSuite()} : options.suites;
  const Suite suite = LoadSuite(roots, UsableNames(target.config().variables));
  for (const std::string& error : suite.errors) std::fprintf(stderr, "%s\n", error.c_str());
  if (!suite.errors.empty()) {
    return Usage(
        absl::StrCat(suite.errors.size(), " error(s) in the transcripts; nothing was run"));
  }
  std::vector<const SuiteEntry*> selected;
  for (const SuiteEntry& entry : suite.entries) {
    if (SelectedByTags(entry.transcript, options.tags)) selected.push_back(&entry);
  }
  if (selected.empty()) return Usage("no transcripts selected (check --suite and --tags)");
  bool input_errors = false;
  for (const SuiteEntry* entry : selected) {
    if (absl::Status status = CheckExpansions(entry->transcript, target.config().variables);
        !status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
      input_errors = true;
    }
  }
  if (input_errors) return Usage("errors in the transcripts; nothing was run");

  absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  if (!capabilities.ok()) {
    std::fprintf(stderr, "smtpgate conform: target %s unreachable: %s\n", target.Describe().c_str(),
                 std::string(capabilities.status().message()).c_str());
    return kConformUnreachable;
  }
  std::printf("smtpgate conform: %zu transcript(s) against %s, %d job(s)\n", selected.size(),
              target.Describe().c_str(), jobs);
  if (!capabilities->ehlo.empty()) std::printf("  EHLO: %s\n", capabilities->ehlo.c_str());
  if (parts.sink) std::printf("  oracle: sink on %s\n", parts.sink->address().c_str());
  std::printf("\n");
  std::fflush(stdout);

  RunResults results;
  results.smtpgate_version = SMTPGATE_VERSION;
  results.target = target.Describe();
  results.profile = options.embedded ? options.profile : "";
  results.started = started;
  results.tests = RunAll(selected, target, *capabilities, jobs, [&](const TestResult& test) {
    std::fputs(FormatTest(test, options.verbose).c_str(), stdout);
    std::fflush(stdout);
  });
  results.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::fputs(FormatSummary(results).c_str(), stdout);

  return report::WriteReports(outputs, {results}, *baseline, ExitCode(results, options.strict),
                              "smtpgate conform");
}

}  // namespace
}  // namespace smtpgate::conformance

namespace smtpgate {

int RunConform(const ConformOptions& options) { return conformance::Conform(options); }

}  // namespace smtpgate
