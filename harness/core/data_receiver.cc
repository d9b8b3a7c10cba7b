#include "harness/core/data_receiver.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace smtpgate {
namespace {

// Appends message octets to *out (when out is not null), joining adjacent octets of the
// input into one append so that the common case is one append per line or per call.
class Emitter {
 public:
  Emitter(std::string_view input, std::string* out) : input_(input), out_(out) {}

  void FromInput(size_t pos, size_t len) {
    if (len == 0) {
      return;
    }
    if (run_len_ != 0 && run_pos_ + run_len_ == pos) {
      run_len_ += len;
      return;
    }
    Flush();
    run_pos_ = pos;
    run_len_ = len;
  }
  // A CR that arrived in an earlier Consume() call.
  void EarlierCr() {
    Flush();
    if (out_ != nullptr) {
      out_->push_back('\r');
    }
  }
  void Flush() {
    if (run_len_ != 0 && out_ != nullptr) {
      out_->append(input_.data() + run_pos_, run_len_);
    }
    run_len_ = 0;
  }

 private:
  std::string_view input_;
  std::string* out_;
  size_t run_pos_ = 0;
  size_t run_len_ = 0;
};

// The position of the first `c` in input at or after `from`, or input.size().
size_t Find(std::string_view input, char c, size_t from) {
  const void* hit = std::memchr(input.data() + from, c, input.size() - from);
  return hit == nullptr ? input.size() : static_cast<const char*>(hit) - input.data();
}

}  // namespace

std::string_view DataVerdictName(DataVerdict verdict) {
  switch (verdict) {
    case DataVerdict::kAccepted:
      return "accepted";
    case DataVerdict::kTooLarge:
      return "too-large";
    case DataVerdict::kLineTooLong:
      return "line-too-long";
    case DataVerdict::kBareLineEnding:
      return "bare-line-ending";
  }
  return "accepted";
}

DataReceiver::DataReceiver(DataReceiverOptions options) : options_(options) {}

size_t DataReceiver::Consume(std::string_view input, std::string* out) {
  Emitter emit(input, out);
  const bool keep_bare = options_.bare_line_endings == BareLineEndings::kKeep;
  const size_t n = input.size();
  size_t i = 0;
  // Where the next CR and LF at or after i are (n: none), once looked up; see kMiddle.
  size_t next_cr = 0;
  size_t next_lf = 0;
  bool looked_up = false;
  // In kCr and kDotCr the CR is the octet just before input[i]: in this call, or an earlier one.
  auto emit_cr = [&] {
    if (i > 0) {
      emit.FromInput(i - 1, 1);
    } else {
      emit.EarlierCr();
    }
  };
  while (i < n && state_ != State::kDone) {
    const char c = input[i];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          ++line_length_;  // a wire octet of the line, never a message octet
          state_ = State::kDot;
          ++i;
        } else {
          state_ = State::kMiddle;  // CR and LF at line start are handled there too
        }
        break;

      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
          ++i;
        } else if (c == '\n' && options_.lf_dot_lf_ends_data) {
          // DELIBERATE FLAW (Profile::kBareLfEod only): "." ended by a bare LF ends the data.
          state_ = State::kDone;
          ++i;
        } else {
          state_ = State::kMiddle;  // the dot was a stuffing dot: dropped
        }
        break;

      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;  // <CRLF>.<CRLF> (or, in bare-lf-eod, <LF>.<CRLF>)
          ++i;
        } else {
          // ".\r" + anything else: the dot was a stuffing dot and the CR is bare message data.
          CountOctets(1);
          if (!keep_bare) {
            BareLineEnding('\r', message_size_ - 1);
          }
          if (accepting()) {
            emit_cr();
          }
          state_ = State::kMiddle;  // c is looked at again there
        }
        break;

      case State::kCr:
        if (c == '\n') {
          if (accepting()) {
            emit_cr();
          }
          if (CountOctets(1) == 1) {
            emit.FromInput(i, 1);
          }
          line_length_ = 0;
          state_ = State::kLineStart;
          ++i;
        } else {
          if (!keep_bare) {
            BareLineEnding('\r', message_size_ - 1);
          }
          if (accepting()) {
            emit_cr();
          }
          state_ = State::kMiddle;  // c is looked at again there
        }
        break;

      case State::kMiddle: {
        // The next CR and LF are found with memchr and remembered, so that every octet is
        // scanned at most once per character (O(n) for any line structure).
        if (!looked_up || next_cr < i) {
          next_cr = Find(input, '\r', i);
        }
        if (!looked_up || next_lf < i) {
          next_lf = Find(input, '\n', i);
        }
        looked_up = true;
        const size_t j = std::min(next_cr, next_lf);
        if (j > i) {
          emit.FromInput(i, CountOctets(j - i));
          i = j;
        } else if (c == '\r') {
          CountOctets(1);  // emitted once the next octet shows whether it is bare
          state_ = State::kCr;
          ++i;
        } else {  // a bare LF
          CountOctets(1);
          if (!keep_bare) {
            BareLineEnding('\n', message_size_ - 1);
          }
          if (accepting()) {
            emit.FromInput(i, 1);
          }
          if (options_.lf_dot_lf_ends_data) {
            // DELIBERATE FLAW (Profile::kBareLfEod only): a bare LF ends a line, so a "." after
            // it can be taken for an end mark.
            line_length_ = 0;
            state_ = State::kLineStart;
          }
          ++i;
        }
        break;
      }

      case State::kDone:
        break;
    }
  }
  emit.Flush();
  return i;
}

uint64_t DataReceiver::CountOctets(uint64_t count) {
  const uint64_t offset = message_size_;
  const uint64_t line = line_length_;
  message_size_ += count;
  line_length_ += count;
  if (!accepting()) {
    return 0;
  }
  uint64_t good = count;
  DataVerdict verdict = DataVerdict::kAccepted;
  const uint64_t max_line = options_.max_line_length;
  const uint64_t line_room = line >= max_line ? 0 : max_line - line;
  if (line_room < good) {
    good = line_room;
    verdict = DataVerdict::kLineTooLong;
  }
  const uint64_t max_size = options_.max_message_size;
  const uint64_t size_room = offset >= max_size ? 0 : max_size - offset;
  if (size_room < good) {  // a tie goes to the line length
    good = size_room;
    verdict = DataVerdict::kTooLarge;
  }
  if (verdict != DataVerdict::kAccepted) {
    Problem(verdict, offset + good);
  }
  return good;
}

void DataReceiver::BareLineEnding(char what, uint64_t offset) {
  if (!accepting()) {
    return;
  }
  verdict_ = DataVerdict::kBareLineEnding;
  problem_offset_ = offset;
  problem_ = absl::StrCat("bare ", what == '\r' ? "CR" : "LF", " at message octet ", offset,
                          " (SMTP smuggling defence)");
}

void DataReceiver::Problem(DataVerdict verdict, uint64_t offset) {
  verdict_ = verdict;
  problem_offset_ = offset;
  if (verdict == DataVerdict::kTooLarge) {
    problem_ =
        absl::StrCat("message larger than ", options_.max_message_size, " octets (RFC 1870 SIZE)");
  } else {
    problem_ =
        absl::StrCat("line longer than ", options_.max_line_length,
                     " octets including CRLF at message octet ", offset, " (RFC 5321 4.5.3.1.6)");
  }
}

}  // namespace smtpgate
