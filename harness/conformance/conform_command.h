// `smtpgate conform`: load the transcripts, pick the target, run, report, exit code.
//   0 no FAIL (and no ERROR); 1 at least one FAIL or ERROR (WARN too with --strict);
//   2 usage or input error (bad transcript, bad target file, unknown variable, missing or
//     malformed baseline) before any test ran, or a report that cannot be written;
//   3 target unreachable.
// With --baseline F the exit code is 1 only when a test regressed against F (see
// harness/report/baseline_diff.h); with --write-baseline the run is recorded in F (exit 0).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_CONFORM_COMMAND_H_
#define SMTPGATE_HARNESS_CONFORMANCE_CONFORM_COMMAND_H_

#include <string>
#include <vector>

namespace smtpgate {

struct ConformOptions {
  bool embedded = false;
  std::string profile = "secure";  // --embedded only
  std::string target;              // HOST:PORT
  std::string target_file;
  std::vector<std::string> suites;  // directories or files; default "conformance"
  std::vector<std::string> tags;
  // Transcripts run in parallel; 0: the default, 2 embedded (CPU-bound) and 16 over TCP
  // (mostly waiting: replies, tar pits, the oracle; 16 stays below the usual per-client
  // connection limits, e.g. Postfix's smtpd_client_connection_count_limit of 50).
  int jobs = 0;
  std::string json_path;
  std::string junit_path;
  std::string server_cmd;
  std::string sarif_path;
  std::string html_path;
  std::string baseline_path;    // gate: exit 1 only on regressions against this baseline
  bool write_baseline = false;  // record this run as the baseline (exit 0)
  bool strict = false;
  bool verbose = false;
};

inline constexpr int kConformOk = 0;
inline constexpr int kConformFailed = 1;
inline constexpr int kConformUsage = 2;
inline constexpr int kConformUnreachable = 3;

int RunConform(const ConformOptions& options);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CONFORMANCE_CONFORM_COMMAND_H_
