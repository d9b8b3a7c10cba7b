// fuzz_data: the DATA and BDAT receivers against deliberately simple whole-buffer reference
// models, under arbitrary chunking.
//
// Input: 5 header octets, then the body.
//   [0] mode: bits 0-1: 0 DATA kReject, 1 DATA kKeep, 2 DATA (kKeep) in profile bits 4-6,
//       3 BDAT; bits 4-6: the emulation profile whose wiring is used (0: secure). DATA options
//       come from the session's own wiring (DataReceiverOptionsFor), so a profile's option
//       cannot be flipped unseen: only the bare-lf-eod profile may end DATA anywhere but
//       right after <CRLF>.<CRLF>.
//   [1] max_line_length: 0x80 set → 1000, else the low 6 bits (0..63).
//   [2..3] max_message_size, big-endian; 0xffff → 10 MiB.
//   [4] chunking seed: 0 → all at once, 1 → one octet per call, else pseudo-random pieces.
// DATA: the receiver reads body + "\r\n.\r\n" (so it always finishes) three ways: whole, one
// octet per call and pseudo-random pieces; each must match the reference model exactly
// (consumed count, output, verdict, problem offset, message size). In the secure modes the
// data may only end right after the first "\r\n.\r\n" of "\r\n" + stream.
// BDAT: the body starts with a chunk count and sizes (0xff → a huge size); the rest is fed to
// one BdatReceiver per chunk; consumed counts, remaining() and the concatenated output (within
// the limit) must be exact.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/bdat_receiver.h"
#include "harness/core/data_receiver.h"
#include "harness/core/demo_config.h"
#include "harness/core/session.h"

namespace {

using smtpgate::BareLineEndings;
using smtpgate::BdatReceiver;
using smtpgate::DataReceiver;
using smtpgate::DataReceiverOptions;
using smtpgate::DataVerdict;

[[noreturn]] void Fail(const char* what, std::string_view stream) {
  std::fprintf(stderr, "fuzz_data invariant violated: %s\nstream (%zu octets):", what,
               stream.size());
  for (char c : stream) {
    std::fprintf(stderr, " %02x", static_cast<unsigned char>(c));
  }
  std::fprintf(stderr, "\n");
  std::abort();
}

#define FUZZ_CHECK(cond, what, stream) \
  do {                                 \
    if (!(cond)) Fail(what, stream);   \
  } while (0)

// ---------------------------------------------------------------------------------------
// The reference model of DATA, written for clarity and not for speed: whole buffer, lines
// first, then problems.

struct Outcome {
  size_t consumed = 0;
  bool finished = false;
  DataVerdict verdict = DataVerdict::kAccepted;
  uint64_t problem_offset = 0;
  uint64_t message_size = 0;
  std::string out;
};

struct Candidate {
  uint64_t offset;
  int rank;  // ties at one octet: line length (0) before size (1) before bare CR/LF (2)
  DataVerdict verdict;
};

void Consider(std::vector<Candidate>* problems, uint64_t offset, int rank, DataVerdict verdict) {
  problems->push_back({offset, rank, verdict});
}

// One body line: its wire text without the terminator, and the terminator.
void AddLine(std::string_view line, std::string_view terminator, const DataReceiverOptions& o,
             std::string* message, std::vector<Candidate>* problems) {
  const bool stuffed = !line.empty() && line[0] == '.';
  const std::string_view content = line.substr(stuffed ? 1 : 0);
  const uint64_t start = message->size();
  const uint64_t wire_length = line.size() + terminator.size();
  if (wire_length > o.max_line_length) {
    const uint64_t first_wire = std::max<uint64_t>(o.max_line_length, stuffed ? 1 : 0);
    Consider(problems, start + first_wire - (stuffed ? 1 : 0), 0, DataVerdict::kLineTooLong);
  }
  if (o.bare_line_endings == BareLineEndings::kReject) {
    // The message text of this line, with its terminator, and where each octet would be
    // bare: a CR not followed by LF, an LF not preceded by CR.
    const std::string text = std::string(content) + std::string(terminator);
    for (size_t k = 0; k < text.size(); ++k) {
      const bool bare_cr = text[k] == '\r' && (k + 1 == text.size() || text[k + 1] != '\n');
      const bool bare_lf = text[k] == '\n' && (k == 0 || text[k - 1] != '\r');
      if (bare_cr || bare_lf) {
        Consider(problems, start + k, 2, DataVerdict::kBareLineEnding);
        break;
      }
    }
  }
  message->append(content);
  message->append(terminator);
}

Outcome Reference(std::string_view stream, const DataReceiverOptions& o) {
  Outcome r;
  std::string message;
  std::vector<Candidate> problems;
  if (!o.lf_dot_lf_ends_data) {
    // Secure: the first CRLF.CRLF, the start counting as a CRLF; lines end at CRLF only.
    const std::string framed = "\r\n" + std::string(stream);
    const size_t mark = framed.find("\r\n.\r\n");
    if (mark == std::string::npos) {
      return r;  // not reached here: the stream ends with it
    }
    r.consumed = mark + 3;
    const std::string_view body = stream.substr(0, mark);  // ends with CRLF unless empty
    size_t pos = 0;
    while (pos < body.size()) {
      const size_t end = body.find("\r\n", pos);
      AddLine(body.substr(pos, end - pos), "\r\n", o, &message, &problems);
      pos = end + 2;
    }
  } else {
    // bare-lf-eod: lines end at every LF; a line "." or ".\r" ends the data.
    size_t pos = 0;
    for (;;) {
      const size_t end = stream.find('\n', pos);
      if (end == std::string_view::npos) {
        return r;
      }
      const std::string_view line = stream.substr(pos, end - pos);
      if (line == "." || line == ".\r") {
        r.consumed = end + 1;
        break;
      }
      // A CR before the LF is part of the line ending: it is neither content nor bare.
      const bool crlf = !line.empty() && line.back() == '\r';
      const std::string_view text = crlf ? line.substr(0, line.size() - 1) : line;
      AddLine(text, crlf ? "\r\n" : "\n", o, &message, &problems);
      pos = end + 1;
    }
  }
  r.finished = true;
  if (message.size() > o.max_message_size) {
    Consider(&problems, o.max_message_size, 1, DataVerdict::kTooLarge);
  }
  r.message_size = message.size();
  r.out = message;
  if (!problems.empty()) {
    const Candidate first = *std::min_element(
        problems.begin(), problems.end(), [](const Candidate& a, const Candidate& b) {
          return a.offset != b.offset ? a.offset < b.offset : a.rank < b.rank;
        });
    r.verdict = first.verdict;
    r.problem_offset = first.offset;
    r.out.resize(first.offset);
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Chunking.

class Pieces {
 public:
  explicit Pieces(uint8_t seed) : seed_(seed), state_(0x9e3779b97f4a7c15ULL ^ seed) {}
  size_t Next(size_t left) {
    if (seed_ == 0) {
      return left;
    }
    if (seed_ == 1) {
      return std::min<size_t>(1, left);
    }
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const size_t n = (state_ % 8 == 0) ? (state_ >> 8) % 512 : (state_ >> 8) % 9;
    return std::min(left, n);  // 0-octet calls are allowed too
  }

 private:
  uint8_t seed_;
  uint64_t state_;
};

Outcome RunData(std::string_view stream, const DataReceiverOptions& o, uint8_t seed) {
  DataReceiver receiver(o);
  Outcome r;
  Pieces pieces(seed);
  size_t pos = 0;
  size_t idle = 0;
  while (pos < stream.size() && !receiver.finished()) {
    size_t len = pieces.Next(stream.size() - pos);
    if (len == 0 && ++idle > 2) {
      len = 1;  // some empty calls, never an endless series
    }
    if (len != 0) {
      idle = 0;
    }
    const size_t used = receiver.Consume(stream.substr(pos, len), &r.out);
    FUZZ_CHECK(used <= len, "Consume() used more than it was given", stream);
    FUZZ_CHECK(used == len || receiver.finished(), "Consume() stopped short without finishing",
               stream);
    pos += used;
    FUZZ_CHECK(r.out.size() <= receiver.message_size(), "output larger than the message", stream);
    FUZZ_CHECK(r.out.size() <= o.max_message_size, "output beyond the size limit", stream);
  }
  FUZZ_CHECK(receiver.Consume(stream.substr(pos), &r.out) == 0 || !receiver.finished(),
             "Consume() after the end consumed octets", stream);
  r.consumed = pos;
  r.finished = receiver.finished();
  r.verdict = receiver.verdict();
  r.problem_offset = receiver.problem_offset();
  r.message_size = receiver.message_size();
  FUZZ_CHECK(receiver.problem().empty() == (r.verdict == DataVerdict::kAccepted),
             "problem text present exactly when the verdict is not accepted", stream);
  return r;
}

void CheckSame(const Outcome& got, const Outcome& want, const char* how, std::string_view s) {
  if (got.consumed != want.consumed || got.finished != want.finished) {
    std::fprintf(stderr, "%s: consumed %zu (finished %d), reference %zu (finished %d)\n", how,
                 got.consumed, got.finished, want.consumed, want.finished);
    Fail("end of data differs from the reference model", s);
  }
  if (got.verdict != want.verdict || got.problem_offset != want.problem_offset) {
    std::fprintf(stderr, "%s: verdict %s at %llu, reference %s at %llu\n", how,
                 std::string(smtpgate::DataVerdictName(got.verdict)).c_str(),
                 static_cast<unsigned long long>(got.problem_offset),
                 std::string(smtpgate::DataVerdictName(want.verdict)).c_str(),
                 static_cast<unsigned long long>(want.problem_offset));
    Fail("verdict differs from the reference model", s);
  }
  if (got.message_size != want.message_size) {
    std::fprintf(stderr, "%s: message size %llu, reference %llu\n", how,
                 static_cast<unsigned long long>(got.message_size),
                 static_cast<unsigned long long>(want.message_size));
    Fail("message size differs from the reference model", s);
  }
  if (got.out != want.out) {
    std::fprintf(stderr, "%s: output %zu octets, reference %zu\n", how, got.out.size(),
                 want.out.size());
    Fail("output differs from the reference model", s);
  }
}

void FuzzData(smtpgate::Profile profile, const DataReceiverOptions& o, uint8_t seed,
              std::string_view body) {
  const std::string stream = std::string(body) + "\r\n.\r\n";
  const Outcome want = Reference(stream, o);
  FUZZ_CHECK(want.finished, "reference model did not finish", stream);
  CheckSame(RunData(stream, o, 0), want, "whole", stream);
  CheckSame(RunData(stream, o, 1), want, "one octet per call", stream);
  if (seed > 1) {
    CheckSame(RunData(stream, o, seed), want, "pieces", stream);
  }

  const std::string framed = "\r\n" + stream;
  if (profile != smtpgate::Profile::kBareLfEod) {
    // Only <CRLF>.<CRLF> ends DATA, independently of the reference model.
    FUZZ_CHECK(want.consumed >= 3 && framed.compare(want.consumed - 3, 5, "\r\n.\r\n") == 0,
               "secure DATA ended somewhere other than after CRLF.CRLF", stream);
  } else {
    // bare-lf-eod: ends right after LF "." LF or LF "." CRLF.
    const std::string_view before = std::string_view(framed).substr(0, want.consumed + 2);
    FUZZ_CHECK(before.ends_with("\n.\n") || before.ends_with("\n.\r\n"),
               "bare-lf-eod DATA ended somewhere other than after LF.(CR)LF", stream);
  }
}

// ---------------------------------------------------------------------------------------
// BDAT.

void FuzzBdat(uint64_t max_size, uint8_t seed, std::string_view body) {
  if (body.empty()) {
    return;
  }
  const size_t count = 1 + static_cast<uint8_t>(body[0]) % 8;
  body.remove_prefix(1);
  if (body.size() < count + 1) {
    return;
  }
  std::vector<uint64_t> sizes;
  for (size_t k = 0; k < count; ++k) {
    const auto b = static_cast<uint8_t>(body[k]);
    sizes.push_back(b == 0xff   ? std::numeric_limits<uint64_t>::max() - b
                    : b >= 0xf0 ? uint64_t{1} << (b - 0xf0 + 40)
                                : b);
  }
  const auto stored_byte = static_cast<uint8_t>(body[count]);
  const uint64_t initial =
      stored_byte == 0xff ? std::numeric_limits<uint64_t>::max() - 3 : stored_byte;
  const std::string_view data = body.substr(count + 1);

  std::string out;
  Pieces pieces(seed);
  size_t pos = 0;
  uint64_t stored = initial;
  for (uint64_t chunk : sizes) {
    if (chunk > std::numeric_limits<uint64_t>::max() - stored) {
      break;  // the session refuses
    }
    BdatReceiver receiver(chunk, stored, max_size);
    FUZZ_CHECK(receiver.finished() == (chunk == 0), "finished() before any octet", data);
    while (pos < data.size() && !receiver.finished()) {
      const size_t len = std::max<size_t>(1, pieces.Next(data.size() - pos));
      const uint64_t before = receiver.remaining();
      const size_t used = receiver.Consume(data.substr(pos, len), &out);
      FUZZ_CHECK(used == std::min<uint64_t>(before, len), "BDAT consumed a wrong count", data);
      FUZZ_CHECK(receiver.remaining() == before - used, "BDAT remaining() wrong", data);
      pos += used;
    }
    const uint64_t got = receiver.consumed();
    FUZZ_CHECK(receiver.remaining() == chunk - got, "BDAT remaining() != size - consumed", data);
    const bool over = stored > max_size || got > max_size - stored;
    FUZZ_CHECK(receiver.too_large() == over, "BDAT too_large() wrong", data);
    stored += got;
    if (!receiver.finished()) {
      FUZZ_CHECK(pos == data.size(), "BDAT chunk unfinished with input left", data);
      break;
    }
    FUZZ_CHECK(receiver.Consume(data.substr(pos), &out) == 0, "BDAT consumed after its end", data);
  }
  // The output is the consumed data, cut at the limit.
  const uint64_t room = initial < max_size ? max_size - initial : 0;
  const size_t keep = static_cast<size_t>(std::min<uint64_t>(room, pos));
  FUZZ_CHECK(out == data.substr(0, keep), "BDAT output is not the data prefix within the limit",
             data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint8_t mode = data[0];
  const smtpgate::Profile profile =
      smtpgate::kAllProfiles[((mode >> 4) & 7) % std::size(smtpgate::kAllProfiles)];
  smtpgate::SessionConfig config = smtpgate::DemoConfig(profile);
  config.bare_line_endings = (mode & 3) == 0 ? BareLineEndings::kReject : BareLineEndings::kKeep;
  const uint16_t size_bits = static_cast<uint16_t>((data[2] << 8) | data[3]);
  config.max_message_size = size_bits == 0xffff ? 10 * 1024 * 1024 : size_bits;
  DataReceiverOptions o = smtpgate::DataReceiverOptionsFor(config);
  o.max_line_length = (data[1] & 0x80) ? 1000 : (data[1] & 0x3f);
  const uint8_t seed = data[4];
  const std::string_view body = input.substr(5);
  switch (mode & 3) {
    case 0:
    case 1:
    case 2:
      FuzzData(profile, o, seed, body);
      break;
    case 3:
      FuzzBdat(o.max_message_size, seed, body);
      break;
  }
  return 0;
}
