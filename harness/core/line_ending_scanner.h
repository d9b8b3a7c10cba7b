// Finds the first bare CR or bare LF in a byte stream fed in pieces: a CR not followed by
// LF, or an LF not preceded by CR. Used for BDAT messages, whose chunks may split a CRLF
// anywhere (the DATA receiver has the same rule built in).
#ifndef SMTPGATE_HARNESS_CORE_LINE_ENDING_SCANNER_H_
#define SMTPGATE_HARNESS_CORE_LINE_ENDING_SCANNER_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpgate {

class LineEndingScanner {
 public:
  void Scan(std::string_view bytes) {
    for (const char c : bytes) {
      if (!found_) {
        if (pending_cr_ && c != '\n') found_ = offset_ - 1;  // the CR before this byte
        if (!pending_cr_ && c == '\n') found_ = offset_;
      }
      pending_cr_ = c == '\r';
      ++offset_;
    }
  }
  // The offset of the first bare CR or LF, once the stream has ended (a final CR is bare).
  std::optional<uint64_t> Finish() const {
    if (!found_ && pending_cr_) return offset_ - 1;
    return found_;
  }

 private:
  uint64_t offset_ = 0;
  bool pending_cr_ = false;
  std::optional<uint64_t> found_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_LINE_ENDING_SCANNER_H_
