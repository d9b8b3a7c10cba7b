// SMTP reply formatting and parsing (RFC 5321 4.2, RFC 3463 enhanced status codes).
//
// Wire syntax (RFC 5321 4.2):
//   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
//   Reply-code = %x32-35 %x30-35 %x30-39
// Enhanced status code (RFC 3463 2): class "." subject "." detail, class = "2" / "4" / "5",
// subject = 1*3digit, detail = 1*3digit; we recognise it at the start of a line's text when it
// is followed by SP or the end of the text and its class is the reply code's first digit.
//
// Design of ReplyReader:
// - Complete lines are parsed as soon as Feed() sees their LF; finished replies and errors
//   queue in ready_ until Next() takes them. buffer_ only ever holds the incomplete last
//   line, so buffered() <= max(max_line_length, 3) + 1 at all times (content plus the CR of
//   a CRLF whose LF has not arrived yet) and nothing is ever re-scanned.
// - An incomplete line that grows past the cap is handled at once: strict mode reports the
//   error, lenient mode takes its first max_line_length octets as the line; either way the
//   rest of it is dropped up to the next LF (discarding_). A line that arrives whole is
//   handled by the same code, so the results never depend on how the input was split.
// - After an error the reply is abandoned and its remaining lines are dropped (skipping_):
//   when the bad line was a continuation ("NNN-"), or a line without a code inside a
//   multi-line reply, everything up to and including the next final line ("NNN" / "NNN ...")
//   belongs to the bad reply. Otherwise the next line starts a new reply. So a bad reply
//   yields exactly one error and reading resumes at the next line after it.
#include "harness/core/reply.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

enum class Kind { kGarbage, kContinuation, kFinal };

// RFC 5321 Reply-code digits.
bool ValidCodeDigits(std::string_view s) {
  return s.size() >= 3 && s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' &&
         s[2] <= '9';
}

bool ValidCode(int code) { return code >= 200 && code <= 599 && (code / 10) % 10 <= 5; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Control bytes that may not appear in reply text: everything below SP but HT, and DEL.
bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && u != '\t') || u == 0x7f;
}

void AppendSanitized(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(IsControl(c) ? ' ' : c);
}

// A printable, bounded excerpt of untrusted bytes for an error message.
std::string Excerpt(std::string_view s) {
  constexpr size_t kMax = 24;
  std::string out = absl::CHexEscape(AsAbsl(s.substr(0, kMax)));
  if (s.size() > kMax) out += "...";
  return out;
}

// Whether a line (without its line end) is a continuation, a final line, or neither. Looks
// at the first four octets only, so a prefix of an over-long line classifies like the whole.
Kind KindOf(std::string_view content) {
  if (!ValidCodeDigits(content)) return Kind::kGarbage;
  if (content.size() == 3 || content[3] == ' ') return Kind::kFinal;
  if (content[3] == '-') return Kind::kContinuation;
  return Kind::kGarbage;
}

// Length of the RFC 3463 code at the start of `text` (0 if there is none, or if its class is
// not `code`'s first digit, or if it is not followed by SP or the end of the text).
size_t EnhancedCodeLength(int code, std::string_view text) {
  if (code < 200 || code > 599) return 0;
  const char cls = static_cast<char>('0' + code / 100);
  if (cls == '3' || text.size() < 5 || text[0] != cls || text[1] != '.') return 0;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const size_t start = i;
    while (i < text.size() && i - start < 4 && IsDigit(text[i])) ++i;
    if (i == start || i - start > 3) return 0;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

// Sets reply.enhanced and strips it from the lines. Strict: every line must start with the
// same code. Lenient: the first line decides, and the code is stripped where present.
void ApplyEnhancedCode(Reply& reply, ReadMode mode) {
  const size_t length = EnhancedCodeLength(reply.code, reply.lines.front());
  if (length == 0) return;
  const std::string enhanced = reply.lines.front().substr(0, length);
  auto starts_with_it = [&](std::string_view line) {
    return EnhancedCodeLength(reply.code, line) == length &&
           line.substr(0, length) == std::string_view(enhanced);
  };
  if (mode == ReadMode::kStrict &&
      !std::all_of(reply.lines.begin(), reply.lines.end(),
                   [&](const std::string& l) { return starts_with_it(l); })) {
    return;
  }
  for (std::string& line : reply.lines) {
    if (starts_with_it(line)) line.erase(0, std::min(line.size(), length + 1));
  }
  reply.enhanced = enhanced;
}

}  // namespace

std::string Reply::Summary() const {
  std::string out = absl::StrCat(code);
  if (!enhanced.empty()) {
    out += ' ';
    AppendSanitized(out, enhanced);
  }
  if (!lines.empty() && !lines.front().empty()) {
    out += ' ';
    AppendSanitized(out, lines.front());
  }
  return out;
}

// Formatting rules (see reply_test.cc for examples):
// - Every line but the last is "NNN-", the last "NNN ", then the enhanced code (when set) and
//   SP, then the text, then CRLF: "250-2.0.0 first\r\n250 2.0.0 last\r\n".
// - A line with empty text has no trailing SP: "NNN-" / "NNN" without an enhanced code,
//   "NNN-2.0.0" / "NNN 2.0.0" with one (RFC 5321 allows Reply-code CRLF; a trailing SP
//   before an empty textstring is not in the grammar).
// - A reply with no lines is one line with empty text.
// - Text is sanitized: control bytes (< 0x20 except HT, and DEL) become SP, so text can never
//   end a line or inject another one. Octets >= 0x80 (UTF-8) pass through.
// - FormatReply is total. A code that is not a valid RFC 5321 Reply-code (200..599, second
//   digit 0..5) is a programming error upstream; rather than put it on the wire the reply
//   becomes "451 4.3.0 internal error: bad reply code N". An enhanced code that is not a valid
//   RFC 3463 code of the reply's class is left out (the line keeps its code and text).
std::string FormatReply(const Reply& reply) {
  if (!ValidCode(reply.code)) {
    return absl::StrCat("451 4.3.0 internal error: bad reply code ", reply.code, "\r\n");
  }
  const std::string_view enhanced =
      !reply.enhanced.empty() &&
              EnhancedCodeLength(reply.code, reply.enhanced) == reply.enhanced.size()
          ? std::string_view(reply.enhanced)
          : std::string_view();
  const char code[3] = {static_cast<char>('0' + reply.code / 100),
                        static_cast<char>('0' + reply.code / 10 % 10),
                        static_cast<char>('0' + reply.code % 10)};
  const size_t count = std::max<size_t>(reply.lines.size(), 1);
  size_t size = 0;
  for (const std::string& line : reply.lines) size += line.size();
  std::string out;
  out.reserve(size + count * (enhanced.size() + 7));
  for (size_t i = 0; i < count; ++i) {
    const std::string_view text = i < reply.lines.size() ? reply.lines[i] : std::string_view();
    const bool last = i + 1 == count;
    out.append(code, 3);
    if (enhanced.empty() && text.empty()) {
      if (!last) out += '-';
    } else {
      out += last ? ' ' : '-';
      if (!enhanced.empty()) {
        out.append(enhanced);
        if (!text.empty()) out += ' ';
      }
      AppendSanitized(out, text);
    }
    out += "\r\n";
  }
  return out;
}

std::pair<std::string, std::string> SplitEnhancedCode(int code, std::string_view text) {
  const size_t length = EnhancedCodeLength(code, text);
  if (length == 0) return {std::string(), std::string(text)};
  return {std::string(text.substr(0, length)),
          std::string(text.substr(std::min(text.size(), length + 1)))};
}

ReplyReader::ReplyReader(ReplyReaderOptions options) : options_(options) {}

void ReplyReader::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t lf = bytes.find('\n');
    if (discarding_) {  // the rest of an over-long line, already handled
      if (lf == std::string_view::npos) return;
      bytes.remove_prefix(lf + 1);
      discarding_ = false;
      continue;
    }
    if (lf == std::string_view::npos) {
      AppendPartialLine(bytes);
      return;
    }
    std::string_view raw = bytes.substr(0, lf);
    bytes.remove_prefix(lf + 1);
    if (!buffer_.empty()) {
      AppendPartialLine(raw);
      if (discarding_) {  // it was over-long and has been handled; this LF ends it
        discarding_ = false;
        continue;
      }
      raw = buffer_;
    }
    if (!raw.empty() && raw.back() == '\r') {
      Line(raw.substr(0, raw.size() - 1), LineEnd::kCrlf);
    } else {
      Line(raw, LineEnd::kBareLf);
    }
    buffer_.clear();
  }
}

// Keeps at most max(cap, 3) + 1 octets of an incomplete line: enough for a line of cap octets
// plus the CR of its CRLF. One octet more proves the line over-long (and, as the cap is at
// least 3, gives KindOf() its four octets); it is then handled at once and the rest dropped.
void ReplyReader::AppendPartialLine(std::string_view piece) {
  const size_t cap = std::max<size_t>(options_.max_line_length, 3);
  const size_t keep = cap == std::numeric_limits<size_t>::max() ? cap : cap + 1;
  if (piece.size() <= keep - buffer_.size()) {
    buffer_.append(piece);
    return;
  }
  buffer_.append(piece.substr(0, keep + 1 - buffer_.size()));
  Line(buffer_, LineEnd::kCut);
  buffer_.clear();
  discarding_ = true;
}

void ReplyReader::Fail(std::string reason, std::string_view content) {
  ready_.emplace_back(absl::InvalidArgumentError(reason));
  const Kind kind = KindOf(content);
  skipping_ = kind == Kind::kContinuation || (kind == Kind::kGarbage && partial_.has_value());
  partial_.reset();
}

// One line without its line end (or the first octets of an over-long one, LineEnd::kCut).
void ReplyReader::Line(std::string_view content, LineEnd end) {
  if (skipping_) {  // a line of a reply that already failed
    if (KindOf(content) == Kind::kFinal) skipping_ = false;
    return;
  }
  const bool strict = options_.mode == ReadMode::kStrict;
  const size_t number = (partial_.has_value() ? partial_->lines.size() : 0) + 1;
  if (content.size() > options_.max_line_length) {
    if (strict) {
      return Fail(
          absl::StrCat("reply line ", number, " longer than ", options_.max_line_length, " octets"),
          content);
    }
    content = content.substr(0, options_.max_line_length);
    end = LineEnd::kCut;
  }
  if (strict && end == LineEnd::kBareLf) {
    return Fail(absl::StrCat("reply line ", number, ": bare LF (strict mode)"), content);
  }
  if (number > options_.max_lines) {
    return Fail(absl::StrCat("reply line ", number, ": more than ", options_.max_lines,
                             " lines in one reply"),
                content);
  }
  if (content.size() < 3 || !IsDigit(content[0]) || !IsDigit(content[1]) || !IsDigit(content[2])) {
    return Fail(absl::StrCat("reply line ", number, ": no 3-digit reply code at the start of \"",
                             Excerpt(content), "\""),
                content);
  }
  if (!ValidCodeDigits(content)) {
    return Fail(
        absl::StrCat("reply line ", number, ": invalid reply code ", AsAbsl(content.substr(0, 3)),
                     " (first digit must be 2-5, second 0-5)"),
        content);
  }
  const Kind kind = KindOf(content);
  if (kind == Kind::kGarbage) {
    return Fail(
        absl::StrCat("reply line ", number, ": expected SP, '-' or line end after code ",
                     AsAbsl(content.substr(0, 3)), ", got '", Excerpt(content.substr(3, 1)), "'"),
        content);
  }
  const int code = (content[0] - '0') * 100 + (content[1] - '0') * 10 + (content[2] - '0');
  if (strict && partial_.has_value() && code != partial_->code) {
    return Fail(
        absl::StrCat("reply line ", number, ": code ", code, " differs from ", partial_->code),
        content);
  }
  const std::string_view text = content.substr(std::min<size_t>(content.size(), 4));
  if (strict) {
    const auto bad = std::find_if(text.begin(), text.end(), IsControl);
    if (bad != text.end()) {
      const size_t column = 5 + static_cast<size_t>(bad - text.begin());
      if (*bad == '\r') {
        return Fail(
            absl::StrCat("reply line ", number, ": bare CR at column ", column, " (strict mode)"),
            content);
      }
      return Fail(absl::StrCat("reply line ", number, ": control octet 0x",
                               absl::Hex(static_cast<unsigned char>(*bad), absl::kZeroPad2),
                               " at column ", column, " (strict mode)"),
                  content);
    }
  }
  if (!partial_.has_value()) {
    partial_.emplace();
    partial_->code = code;
  }
  std::string& line = partial_->lines.emplace_back();
  line.reserve(text.size());
  AppendSanitized(line, text);  // lenient: control octets become SP, as FormatReply would
  if (kind == Kind::kFinal) {
    Reply reply = std::move(*partial_);
    partial_.reset();
    ApplyEnhancedCode(reply, options_.mode);
    ready_.emplace_back(std::move(reply));
  }
}

std::optional<absl::StatusOr<Reply>> ReplyReader::Next() {
  if (ready_.empty()) return std::nullopt;
  std::optional<absl::StatusOr<Reply>> next(std::move(ready_.front()));
  ready_.pop_front();
  return next;
}

// The whole text is in hand, so no line-length or line-count cap applies; the text must be
// exactly one reply, every line (the last included) ended by its line end.
absl::StatusOr<Reply> ParseReply(std::string_view text, ReadMode mode) {
  ReplyReaderOptions options;
  options.mode = mode;
  options.max_line_length = text.size();
  options.max_lines = text.size() + 1;
  ReplyReader reader(options);
  size_t lines = 0;
  while (!text.empty()) {
    const size_t lf = text.find('\n');
    if (lf == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("reply line ", lines + 1, ": no line end (incomplete reply)"));
    }
    ++lines;
    reader.Feed(text.substr(0, lf + 1));
    text.remove_prefix(lf + 1);
    if (std::optional<absl::StatusOr<Reply>> next = reader.Next()) {
      if (!next->ok()) return next->status();
      if (!text.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("data after the reply's last line (line ",
                                                       lines, "): \"", Excerpt(text), "\""));
      }
      return std::move(**next);
    }
  }
  if (lines == 0) return absl::InvalidArgumentError("empty reply");
  return absl::InvalidArgumentError(absl::StrCat("incomplete reply: line ", lines,
                                                 " is a continuation and no final line follows"));
}

}  // namespace smtpgate
