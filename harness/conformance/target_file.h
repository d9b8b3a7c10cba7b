// Target files (conformance/targets/*.toml): how to reach a server under test, the values of
// the transcript variables, timeouts, and where the delivery oracle is. See
// docs/transcripts.md, "Target files".
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TARGET_FILE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TARGET_FILE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/conformance/template.h"

namespace smtpgate::conformance {

enum class TlsMode { kNone, kStartTls, kImplicit };
std::string_view TlsModeName(TlsMode mode);

struct OracleConfig {
  // Start a sink in the runner, listening on `sink` ("127.0.0.1:2526"), or on a free port
  // when `sink` is empty (then only useful with --server-cmd and its {sink} placeholder).
  bool start_sink = false;
  std::string sink;
  // Read the record file of a sink run elsewhere (`smtpgate sink --record FILE`).
  std::string sink_record;
  // The target also hands local mail to the oracle (so it sees every message).
  bool sees_local = false;
  // Local mailboxes the runner reads itself (mailbox_oracle.h): Maildir roots (a Maildir,
  // or a directory with Maildirs up to three levels below) and mbox files. Absolute paths
  // (relative ones in the file are resolved against the file's directory). Either makes
  // the oracle see local deliveries.
  std::vector<std::string> maildirs;
  std::vector<std::string> mboxes;
  bool reads_mailboxes() const { return !maildirs.empty() || !mboxes.empty(); }
};

// The server's crash log ([server] in the target file, crash_log.h): lines matching
// `crash_pattern` (case-insensitive) that appear during a test are a per-connection crash.
inline constexpr std::string_view kDefaultCrashPattern =
    "panic|segmentation|segfault|signal 11|killed by signal|core dumped|fatal";
struct CrashLogConfig {
  std::vector<std::string> files;  // absolute, as the maildirs
  std::string pattern = std::string(kDefaultCrashPattern);
};

struct TargetConfig {
  std::string file;  // where it was loaded from (empty for built-in defaults)
  std::string host = "127.0.0.1";
  uint16_t port = 25;
  TlsMode tls = TlsMode::kStartTls;
  // Every standard variable (variables.h) plus the file's [variables].
  Variables variables;
  int tarpit_seconds = 0;
  // The server's idle timeout (RFC 5321 §4.5.3.2: at least 5 minutes by default), as its
  // configuration says: > 0 enables @requires idle-timeout (the server must close an idle
  // connection within it).
  int idle_timeout_seconds = 0;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reply_timeout{10000};
  // How long the oracle is given for mail to arrive (relays may deliver after the
  // session). A single transcript's negative checks wait this long; a suite run waits once,
  // at a shared deadline after its last session, calibrated from its positive controls
  // within oracle_min_wait..oracle_wait (oracle_clock.h).
  std::chrono::milliseconds oracle_wait{2000};
  std::chrono::milliseconds oracle_min_wait{250};
  // At the end of a connection whose last step read a reply: how long to wait for a reply
  // nobody asked for (a desynchronised stream).
  std::chrono::milliseconds grace{200};
  OracleConfig oracle;
  CrashLogConfig crash_log;
  // [server] auth_over_starttls: run the AUTH tests inside TLS (the runner inserts STARTTLS)
  // even when the capability probe does not find AUTH offered only there.
  bool auth_over_starttls = false;
  // [capabilities] overrides: a @requires word → present (true) or absent (false),
  // instead of what the EHLO probe found.
  std::map<std::string, bool, std::less<>> capabilities;
};

// The reference server's demo configuration at host:port (bare --target HOST:PORT).
TargetConfig DemoTarget(std::string host, uint16_t port);

// Parses a target file's text. Errors: InvalidArgument "FILE:LINE:COLUMN: ..." naming the
// key (unknown keys, wrong types and bad values are all errors).
absl::StatusOr<TargetConfig> ParseTargetFile(std::string_view text, std::string_view path);
absl::StatusOr<TargetConfig> LoadTargetFile(const std::string& path);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TARGET_FILE_H_
