#include "harness/core/bdat_receiver.h"

#include <algorithm>

namespace smtpgate {

BdatReceiver::BdatReceiver(uint64_t chunk_size, uint64_t already_stored, uint64_t max_message_size)
    : chunk_size_(chunk_size),
      remaining_(chunk_size),
      room_(already_stored < max_message_size ? max_message_size - already_stored : 0),
      too_large_(already_stored > max_message_size) {}

size_t BdatReceiver::Consume(std::string_view input, std::string* out) {
  // remaining_ may be far beyond SIZE_MAX; the comparison is done in uint64_t.
  const size_t take = remaining_ < input.size() ? static_cast<size_t>(remaining_) : input.size();
  const uint64_t keep = std::min<uint64_t>(take, room_);
  if (out != nullptr && keep != 0) {
    out->append(input.data(), static_cast<size_t>(keep));
  }
  room_ -= keep;
  if (take > keep) {
    too_large_ = true;
  }
  remaining_ -= take;
  return take;
}

}  // namespace smtpgate
