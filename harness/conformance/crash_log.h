// Crash evidence from the server's own logs ([server] crash_log in the target file): the
// lines matching a pattern that were appended to the log files while a test ran. Most MTAs
// fork a process per connection, so a crashed session leaves the daemon alive (liveness
// PASSes) and only the log says what happened ("smtpd pid 1234 killed by signal 11").
#ifndef SMTPGATE_HARNESS_CONFORMANCE_CRASH_LOG_H_
#define SMTPGATE_HARNESS_CONFORMANCE_CRASH_LOG_H_

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpgate::conformance {

// A case-insensitive ECMAScript regular expression, searched for in each log line.
class CrashPattern {
 public:
  // InvalidArgument with the regex library's message for a bad pattern.
  static absl::StatusOr<CrashPattern> Compile(std::string_view pattern);
  bool Matches(std::string_view line) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const std::regex> regex_;  // shared by every test's CrashLog
};

class CrashLog {
 public:
  // Notes where each file ends now: only what is appended later is read. A file that does
  // not exist yet is read from its start once it appears.
  CrashLog(std::vector<std::string> files, CrashPattern pattern);

  // The complete lines appended since the last call (or the construction) that match,
  // each as "FILE: LINE". A file that shrank (rotated, truncated) is read from its start.
  // Errors: a file that exists but cannot be read.
  absl::StatusOr<std::vector<std::string>> NewMatches();

  bool empty() const { return files_.empty(); }

 private:
  struct File {
    std::string path;
    uint64_t offset = 0;  // the end of the last complete line read
  };
  std::vector<File> files_;
  CrashPattern pattern_;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_CRASH_LOG_H_
