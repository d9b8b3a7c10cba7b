// The BDAT chunk receiver (RFC 3030), sans-IO.
//
// "BDAT <chunk-size> [LAST]" is followed by exactly chunk-size octets of message: no
// dot-stuffing, no end mark, no line structure (CR, LF, NUL and "." are plain data). The
// session hands a BdatReceiver every byte that arrives until finished(); the octets after the
// chunk (Consume() returns less than it was given) are the next command. The chunk is always
// consumed in full, even past the size limit, so the stream never desynchronises (MS02-012,
// CVE-2017-16943/16944 are both about a chunk end that the server lost track of).
//
// Any uint64_t chunk size is handled without overflow (the session decides whether to accept
// a huge one); memory stays bounded by max_message_size whatever the chunk size is.
#ifndef SMTPGATE_HARNESS_CORE_BDAT_RECEIVER_H_
#define SMTPGATE_HARNESS_CORE_BDAT_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smtpgate {

class BdatReceiver {
 public:
  // `already_stored` is the size of the message so far (earlier chunks), `max_message_size` its
  // limit.
  BdatReceiver(uint64_t chunk_size, uint64_t already_stored, uint64_t max_message_size);

  // Consumes min(remaining(), input.size()) octets and returns that count. The octets are
  // appended to *out (null: discarded) only while the message stays within max_message_size:
  // *out receives the chunk octets whose message offset is below the limit, nothing beyond.
  size_t Consume(std::string_view input, std::string* out);

  // All chunk_size octets consumed (immediately true for size 0).
  bool finished() const { return remaining_ == 0; }
  uint64_t remaining() const { return remaining_; }
  uint64_t chunk_size() const { return chunk_size_; }
  uint64_t consumed() const { return chunk_size_ - remaining_; }
  // The message is over max_message_size: already_stored plus the octets consumed so far
  // exceed it (true from the start when already_stored does).
  bool too_large() const { return too_large_; }

 private:
  uint64_t chunk_size_;
  uint64_t remaining_;
  uint64_t room_;  // octets that may still be appended before the limit
  bool too_large_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_BDAT_RECEIVER_H_
