// SMTP replies (RFC 5321 4.2, enhanced status codes RFC 3463): formatting for the
// server side, and an incremental reader for the client side that survives broken servers.
#ifndef SMTPGATE_HARNESS_CORE_REPLY_H_
#define SMTPGATE_HARNESS_CORE_REPLY_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpgate {

struct Reply {
  int code = 0;                    // 200..599
  std::string enhanced;            // "2.1.0" or empty
  std::vector<std::string> lines;  // text of each line, without code and enhanced code

  // "250 2.1.0 Ok" for the first line; handy in logs and reports.
  std::string Summary() const;
  bool operator==(const Reply&) const = default;
};

// Wire form with CRLF after every line: "250-first\r\n250 last\r\n", the enhanced code
// (when set) after the code on every line. Text is sanitized: CR, LF, NUL and other
// control bytes become spaces, so a reply never injects a line. A reply with no lines
// is written as a single line with no text.
std::string FormatReply(const Reply& reply);

// Splits "5.7.1 Relay denied" into ("5.7.1", "Relay denied") when the text starts with an
// RFC 3463 code whose class digit matches `code`'s first digit; otherwise ("", text).
std::pair<std::string, std::string> SplitEnhancedCode(int code, std::string_view text);

enum class ReadMode {
  // RFC 5321 exactly: CRLF line ends, "NNN-" continuations, "NNN " or "NNN" last line,
  // the same code on every line, first digit 2..5, second digit 0..5.
  kStrict,
  // What a test harness needs against broken servers: bare LF accepted, a continuation
  // code that differs is tolerated (the first line's code wins), over-long lines are
  // truncated at the line cap. A line with no 3-digit code is still an error.
  kLenient,
};

struct ReplyReaderOptions {
  ReadMode mode = ReadMode::kStrict;
  size_t max_line_length = 4096;  // per line, excluding CRLF
  size_t max_lines = 256;         // per reply
};

// Feed bytes as they arrive; take complete replies with Next(). Errors are sticky for the
// reply they occur in: Next() returns the error once, then reading resumes at the next line.
class ReplyReader {
 public:
  explicit ReplyReader(ReplyReaderOptions options = {});

  void Feed(std::string_view bytes);
  // A complete reply, an error for a malformed one, or nullopt when more bytes are needed.
  std::optional<absl::StatusOr<Reply>> Next();
  // Bytes received but not yet part of a complete reply.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  enum class LineEnd { kCrlf, kBareLf, kCut };
  void Line(std::string_view content, LineEnd end);
  void Fail(std::string reason, std::string_view content);
  void AppendPartialLine(std::string_view piece);

  ReplyReaderOptions options_;
  std::string buffer_;  // the incomplete line being received (complete lines are parsed in Feed)
  size_t consumed_ = 0;
  std::optional<Reply> partial_;
  bool discarding_ = false;  // skipping the rest of an over-long line (both modes)
  bool skipping_ = false;    // dropping the remaining lines of a reply that had an error
  std::deque<absl::StatusOr<Reply>> ready_;  // parsed replies and errors not yet taken
};

// Parses one complete reply (all its lines, with their line ends). The whole text is in hand,
// so no line-length or line-count cap applies; anything after the reply's last line is an error.
absl::StatusOr<Reply> ParseReply(std::string_view text, ReadMode mode = ReadMode::kStrict);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_REPLY_H_
