// libFuzzer target for SMTP reply formatting and parsing (harness/core/reply.h).
//
// Input: byte 0 is a control byte, the rest is what a server sent.
//   bit 0     read mode: 0 strict, 1 lenient
//   bits 1-2  line cap / line count cap: 0 → 4096/256, 1 → 512/64, 2 → 64/16, 3 → 8/4
//   bits 3-7  seed for how the rest is cut into Feed() chunks
// ('0' = strict, 4096; '1' = lenient, 4096; '4' / '5' = strict / lenient with a 64-octet cap.)
//
// Invariants (abort with a message when violated):
// - every parsed Reply has a code in 200..599 and at least one line;
// - FormatReply(reply) has CRLF only at line ends, no bare CR or LF, no NUL, one line per
//   reply line, and ParseReply(FormatReply(reply), kStrict) succeeds and equals reply;
// - buffered() never exceeds max(max_line_length, 3) + 1 after a Feed();
// - the chunked reader gives exactly the results (replies and error messages) of a reader fed
//   the whole input at once;
// - FormatReply on arbitrary text (taken from the input) parses strictly back to the
//   sanitized reply.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/reply.h"

namespace smtpgate {
namespace {

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_reply invariant violated: %s\n  detail: ", what);
  for (char c : detail.substr(0, 512)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", u);
    }
  }
  std::fputc('\n', stderr);
  std::abort();
}

std::string Show(const Reply& reply) {
  std::string out = std::to_string(reply.code) + " [" + reply.enhanced + "]";
  for (const std::string& line : reply.lines) out += " |" + line;
  return out;
}

struct Outcome {
  bool ok = false;
  Reply reply;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

// Wire form: CRLF-terminated lines, no other CR or LF, no NUL; returns the line count.
size_t CheckWire(std::string_view wire) {
  if (wire.size() < 2 || wire.substr(wire.size() - 2) != "\r\n") Die("wire not CRLF-ended", wire);
  size_t lines = 0;
  for (size_t i = 0; i < wire.size(); ++i) {
    const char c = wire[i];
    if (c == '\0') Die("NUL on the wire", wire);
    if (c == '\r' && (i + 1 >= wire.size() || wire[i + 1] != '\n')) Die("bare CR on wire", wire);
    if (c == '\n') {
      if (i == 0 || wire[i - 1] != '\r') Die("bare LF on the wire", wire);
      ++lines;
    }
  }
  return lines;
}

void CheckFormatsAndParsesBack(const Reply& expected, const Reply& input) {
  const std::string wire = FormatReply(input);
  if (CheckWire(wire) != expected.lines.size()) Die("wire line count", wire);
  const absl::StatusOr<Reply> parsed = ParseReply(wire, ReadMode::kStrict);
  if (!parsed.ok()) Die("formatted reply does not parse strictly", wire);
  if (!(*parsed == expected)) Die("round trip differs", Show(*parsed) + " vs " + Show(expected));
  const std::string summary = input.Summary();
  if (summary.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    Die("summary not on one line", summary);
  }
}

void CheckParsedReply(const Reply& reply) {
  if (reply.code < 200 || reply.code > 599) Die("code out of range", Show(reply));
  if (reply.lines.empty()) Die("reply without lines", Show(reply));
  CheckFormatsAndParsesBack(reply, reply);
}

// What FormatReply + strict ParseReply must make of an arbitrary Reply (the documented
// sanitizing: bad code → 451 internal error, bad enhanced code dropped, control octets → SP,
// no lines → one empty line; an enhanced code on every line of text is recognised as such).
Reply Canonical(const Reply& in) {
  const bool code_ok = in.code >= 200 && in.code <= 599 && (in.code / 10) % 10 <= 5;
  if (!code_ok) {
    return {451, "4.3.0", {"internal error: bad reply code " + std::to_string(in.code)}};
  }
  Reply out{in.code, "", {}};
  if (SplitEnhancedCode(in.code, in.enhanced) == std::pair(in.enhanced, std::string())) {
    out.enhanced = in.enhanced;
  }
  for (const std::string& line : in.lines) {
    std::string text;
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      text.push_back((u < 0x20 && c != '\t') || u == 0x7f ? ' ' : c);
    }
    out.lines.push_back(text);
  }
  if (out.lines.empty()) out.lines.emplace_back();
  if (out.enhanced.empty()) {
    const std::string first = SplitEnhancedCode(out.code, out.lines[0]).first;
    bool all = !first.empty();
    for (const std::string& line : out.lines) {
      all = all && SplitEnhancedCode(out.code, line).first == first;
    }
    if (all) {
      out.enhanced = first;
      for (std::string& line : out.lines) line = SplitEnhancedCode(out.code, line).second;
    }
  }
  return out;
}

void Collect(ReplyReader& reader, std::vector<Outcome>& out) {
  while (std::optional<absl::StatusOr<Reply>> next = reader.Next()) {
    if (next->ok()) {
      CheckParsedReply(**next);
      out.push_back({true, **next, ""});
    } else {
      if (next->status().message().empty()) Die("error without a reason", "");
      out.push_back({false, {}, std::string(next->status().message())});
    }
  }
}

void FuzzReader(uint8_t control, std::string_view stream) {
  static constexpr size_t kCaps[4] = {4096, 512, 64, 8};
  static constexpr size_t kLines[4] = {256, 64, 16, 4};
  ReplyReaderOptions options;
  options.mode = (control & 1) ? ReadMode::kLenient : ReadMode::kStrict;
  options.max_line_length = kCaps[(control >> 1) & 3];
  options.max_lines = kLines[(control >> 1) & 3];
  const size_t bound = std::max<size_t>(options.max_line_length, 3) + 1;

  ReplyReader chunked(options);
  std::vector<Outcome> chunked_results;
  uint32_t state = (static_cast<uint32_t>(control >> 3) + 1) * 2654435761u ^
                   static_cast<uint32_t>(stream.size());
  size_t pos = 0;
  while (pos < stream.size()) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    static constexpr uint32_t kMaxChunk[4] = {1, 8, 64, 1024};
    const size_t size = 1 + (state >> 2) % kMaxChunk[state & 3];
    chunked.Feed(stream.substr(pos, size));
    pos += size;
    if (chunked.buffered() > bound) Die("buffered() over its bound", stream);
    Collect(chunked, chunked_results);
  }

  ReplyReader whole(options);
  whole.Feed(stream);
  if (whole.buffered() > bound) Die("buffered() over its bound (whole)", stream);
  std::vector<Outcome> whole_results;
  Collect(whole, whole_results);
  if (chunked_results != whole_results || chunked.buffered() != whole.buffered()) {
    Die("chunked and whole reads differ", stream);
  }

  // The input as one whole reply, for ParseReply's own paths (trailing data, incomplete...).
  const absl::StatusOr<Reply> one = ParseReply(stream, options.mode);
  if (one.ok()) CheckParsedReply(*one);
}

void FuzzFormat(std::string_view data) {
  if (data.size() < 2) return;
  const int code = static_cast<int>((static_cast<unsigned>(static_cast<uint8_t>(data[0])) << 8 |
                                     static_cast<uint8_t>(data[1])) %
                                    800) -
                   100;
  const std::string_view text = data.substr(2);
  Reply reply{code, std::string(text.substr(0, text.find(' '))).substr(0, 12), {}};
  size_t start = 0;
  while (start <= text.size()) {
    size_t lf = text.find('\n', start);
    if (lf == std::string_view::npos) lf = text.size();
    reply.lines.emplace_back(text.substr(start, lf - start));
    start = lf + 1;
  }
  CheckFormatsAndParsesBack(Canonical(reply), reply);
  // The whole text (LFs included) as one line, no enhanced code; and no lines at all.
  const Reply one_line{code, "", {std::string(text)}};
  CheckFormatsAndParsesBack(Canonical(one_line), one_line);
  const Reply empty{code, reply.enhanced, {}};
  CheckFormatsAndParsesBack(Canonical(empty), empty);
}

}  // namespace
}  // namespace smtpgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  smtpgate::FuzzReader(data[0], rest);
  smtpgate::FuzzFormat(rest);
  return 0;
}
