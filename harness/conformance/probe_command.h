// `smtpgate probe HOST:PORT`: probes a server (probe.h) and prints a ready target file
// (docs/transcripts.md, "Target files") on stdout or to --out FILE, with comments saying
// what was found and what the user must still check. What one anonymous session cannot
// learn comes from flags with defaults (see ProbeCommandOptions).
//   0 the file was written; 2 usage error (bad flags, unwritable --out);
//   3 target unreachable (no connection, no banner within the timeout, a refusing banner).
// The same codes as `conform`.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_PROBE_COMMAND_H_
#define SMTPGATE_HARNESS_CONFORMANCE_PROBE_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/conformance/probe.h"

namespace smtpgate {

struct ProbeCommandOptions {
  std::string target;        // HOST:PORT (port 25 when omitted)
  std::string out_path;      // empty: stdout
  std::string local_domain;  // empty: the banner host without its first label, else host
  std::string local_user = "postmaster";  // RFC 5321 4.5.1: must exist
  std::string remote_domain = "remote.invalid";
  std::string helo = "client.test";
  std::string authorized;             // USER:PASS, may relay
  std::string unauthorized;           // USER:PASS, can authenticate, must not relay
  std::string sink;                   // HOST:PORT for [oracle] sink
  std::vector<std::string> maildirs;  // [oracle] maildir (made absolute)
  int timeout_seconds = 10;  // connect and each reply (the relay attempt gets 60 s or more)
};

inline constexpr int kProbeOk = 0;
inline constexpr int kProbeUsage = 2;
inline constexpr int kProbeUnreachable = 3;

int RunProbe(const ProbeCommandOptions& options);

namespace conformance {

// The target file's text for `result`, with the values of `options` (already checked by
// RunProbe: accounts are USER:PASS). Exposed for tests.
std::string RenderTargetFile(const ProbeResult& result, const ProbeCommandOptions& options,
                             const std::string& host, uint16_t port);

// --local-domain's default: "mx.example.test" → "example.test"; a name of two labels or
// fewer stays as it is; no banner host name → `host`.
std::string DefaultLocalDomain(const std::string& banner_host, const std::string& host);

}  // namespace conformance
}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CONFORMANCE_PROBE_COMMAND_H_
