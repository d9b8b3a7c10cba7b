// The DATA body receiver (RFC 5321 4.1.1.4, 4.5.2, 4.5.3.1.6), sans-IO.
//
// The session switches to a DataReceiver after its 354 reply and hands it every byte that
// arrives until finished(); the octets after the end-of-data mark (Consume() returns less
// than it was given) are the next commands. The receiver never allocates per octet beyond
// appending to the caller's string, never rescans and keeps O(1) state, so any chunking of
// the same bytes (down to one octet per call) gives the same result.
//
// Framing. Only <CRLF>.<CRLF> ends the data. The receiver starts at a line start (the
// CRLF of the DATA command precedes the first octet), so ".\r\n" at once is an empty
// message. The message is every octet before the final ".\r\n", so it ends with the CRLF
// before the dot (when not empty). Lines are delimited by CRLF only: a bare LF or bare CR
// never starts a line, so none of the SMTP smuggling sequences (\n.\n, \r.\r, \r\n.\n,
// \r\n.\r\r\n, ...; CVE-2023-51764/5/6) can end the data or be taken for an end mark.
//
// Dot-unstuffing (4.5.2). A line that starts with "." loses that first "."; the line that
// is exactly "." is the end mark. ".\r" followed by anything but LF is therefore the
// unstuffed line "\r..." (a bare CR).
//
// Problems. The first one seen decides the verdict; the receiver still consumes up to the
// end mark (the stream never desynchronises) and the session refuses the message after it.
//  - kBareLineEnding: an LF not preceded by CR, or a CR not followed by LF, inside the
//    message (only with BareLineEndings::kReject; kKeep keeps them as data). "\r\r\n" is a
//    bare CR followed by a CRLF. A CR that ends one Consume() call is resolved by the next.
//  - kLineTooLong: a line whose wire length, including its stuffing dot and its CRLF, is
//    more than max_line_length octets. Measured on the wire (before unstuffing) because
//    the limit protects line buffers, which see the wire line. The end-mark line is exempt.
//  - kTooLarge: more than max_message_size message (unstuffed) octets.
// Each problem is located at one message octet (problem_offset()): the octet that is
// bare, the first octet of the line beyond max_line_length (the first message octet of the
// line when only the stuffing dot lies beyond it), or octet max_message_size. When
// several problems fall on the same octet, kLineTooLong wins over kTooLarge, which wins
// over kBareLineEnding. *out receives exactly the message octets before that octet: after a
// problem nothing more is appended (bounded memory), so *out is a prefix of the message.
//
// Emulation profile bare-lf-eod (lf_dot_lf_ends_data): a deliberate flaw, in one marked
// branch. Any LF (bare or in CRLF) then ends a line, and a line "." ended by LF or CRLF
// ends the data; unstuffing and line lengths follow those lines.
#ifndef SMTPGATE_HARNESS_CORE_DATA_RECEIVER_H_
#define SMTPGATE_HARNESS_CORE_DATA_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smtpgate {

enum class BareLineEndings { kReject, kKeep };

struct DataReceiverOptions {
  // Octets after dot-unstuffing (RFC 1870 SIZE).
  uint64_t max_message_size = uint64_t{10} * 1024 * 1024;
  // Octets incl. CRLF (RFC 5321 4.5.3.1.6), measured on the wire (stuffing dot included).
  size_t max_line_length = 1000;
  BareLineEndings bare_line_endings = BareLineEndings::kReject;
  // Profile::kBareLfEod ONLY (a deliberate flaw for the conformance suite): a line ending made of
  // a bare LF or CRLF, then ".", then LF or CRLF, ends the data. Never set in the secure profile.
  bool lf_dot_lf_ends_data = false;
};

enum class DataVerdict { kAccepted, kTooLarge, kLineTooLong, kBareLineEnding };

// "accepted", "too-large", "line-too-long", "bare-line-ending".
std::string_view DataVerdictName(DataVerdict verdict);

class DataReceiver {
 public:
  explicit DataReceiver(DataReceiverOptions options);

  // Consumes input up to and including the end-of-data mark; returns the number of octets
  // consumed (less than input.size() only when end-of-data was reached inside input: the rest
  // belongs to the next command; 0 once finished). Message octets (dot-unstuffed; the final
  // CRLF before "." is part of the message) are appended to *out, but only while the message
  // has no problem: after the first problem nothing more is appended (bounded memory) and the
  // input is still consumed to the end-of-data mark so the stream never desynchronises.
  // `out` may be null to discard the message.
  size_t Consume(std::string_view input, std::string* out);

  bool finished() const { return state_ == State::kDone; }
  // Meaningful once finished(); kAccepted until a problem is seen.
  DataVerdict verdict() const { return verdict_; }
  // Octets of message seen (unstuffed), counted even past the limit.
  uint64_t message_size() const { return message_size_; }
  // Human reason for a non-accepted verdict, e.g. "bare LF at message octet 123 (SMTP
  // smuggling defence)"; empty while kAccepted.
  std::string_view problem() const { return problem_; }
  // The message octet the problem was found at (see above); 0 while kAccepted.
  uint64_t problem_offset() const { return problem_offset_; }
  const DataReceiverOptions& options() const { return options_; }

 private:
  enum class State : uint8_t {
    kLineStart,  // at the start of a line (also the initial state)
    kDot,        // "." at line start: the end mark or a stuffing dot, dropped either way
    kDotCr,      // ".\r" at line start: the end mark if LF follows
    kMiddle,     // inside a line
    kCr,         // a CR inside the message (already counted): CRLF if LF follows, else bare
    kDone,       // the end mark has been consumed
  };

  // Counts `count` message octets arriving at the current position and checks the line and
  // size limits; returns how many of them may be appended: 0 when a problem was seen before,
  // else those before the first problem found among them (all of them when none is).
  uint64_t CountOctets(uint64_t count);
  // A bare CR or LF at message octet `offset` (kReject only).
  void BareLineEnding(char what, uint64_t offset);
  void Problem(DataVerdict verdict, uint64_t offset);
  bool accepting() const { return verdict_ == DataVerdict::kAccepted; }

  DataReceiverOptions options_;
  State state_ = State::kLineStart;
  DataVerdict verdict_ = DataVerdict::kAccepted;
  uint64_t message_size_ = 0;
  uint64_t line_length_ = 0;  // wire octets of the current line so far
  uint64_t problem_offset_ = 0;
  std::string problem_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_DATA_RECEIVER_H_
