#include "harness/core/bdat_receiver.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace smtpgate {
namespace {

constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

struct BdatRun {
  size_t consumed = 0;
  std::string out;
  bool finished = false;
  uint64_t remaining = 0;
  bool too_large = false;
  bool operator==(const BdatRun&) const = default;
};

// Feeds `input` in pieces of at most `piece` octets until the chunk is complete or the input
// is used up.
BdatRun Feed(std::string_view input, uint64_t chunk, uint64_t stored, uint64_t max, size_t piece) {
  BdatReceiver receiver(chunk, stored, max);
  BdatRun run;
  size_t pos = 0;
  while (pos < input.size() && !receiver.finished()) {
    const std::string_view part = input.substr(pos, std::min(piece, input.size() - pos));
    const uint64_t before = receiver.remaining();
    const size_t used = receiver.Consume(part, &run.out);
    EXPECT_EQ(used, std::min<uint64_t>(before, part.size()));
    EXPECT_EQ(receiver.remaining(), before - used);
    pos += used;
  }
  run.consumed = pos;
  run.finished = receiver.finished();
  run.remaining = receiver.remaining();
  run.too_large = receiver.too_large();
  return run;
}

TEST(BdatReceiverTest, ConsumesExactlyTheChunkWhateverTheSplit) {
  const std::string input = "0123456789RSET\r\nNOOP\r\n";
  for (size_t piece = 1; piece <= input.size(); ++piece) {
    const BdatRun run = Feed(input, 10, 0, 1000, piece);
    EXPECT_EQ(run.consumed, 10u) << "piece " << piece;
    EXPECT_EQ(run.out, "0123456789") << "piece " << piece;
    EXPECT_TRUE(run.finished);
    EXPECT_EQ(run.remaining, 0u);
    EXPECT_FALSE(run.too_large);
  }
}

TEST(BdatReceiverTest, EveryTwoWaySplitOfAChunkInAStream) {
  const std::string input("BDAT-body\r\n.\r\n\0x\nQUIT\r\n", 23);
  const uint64_t chunk = 15;
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    BdatReceiver receiver(chunk, 3, 100);
    std::string out;
    const std::string_view view(input);
    size_t used = receiver.Consume(view.substr(0, cut), &out);
    EXPECT_EQ(used, std::min<size_t>(cut, chunk));
    used += receiver.Consume(view.substr(used), &out);
    EXPECT_EQ(used, chunk) << "cut " << cut;
    EXPECT_EQ(out, input.substr(0, chunk));
    EXPECT_TRUE(receiver.finished());
    EXPECT_EQ(receiver.consumed(), chunk);
    EXPECT_EQ(receiver.Consume(view.substr(used), &out), 0u) << "nothing after the chunk";
  }
}

TEST(BdatReceiverTest, ChunkOctetsAreNotInterpreted) {
  // CRLF.CRLF, bare LF, NUL and dots are plain data in BDAT (RFC 3030 2).
  const std::string body("a\r\n.\r\nb\n.\n\0..", 13);
  const BdatRun run = Feed(body + "MAIL", body.size(), 0, 100, body.size() + 4);
  EXPECT_EQ(run.consumed, body.size());
  EXPECT_EQ(run.out, body);
}

TEST(BdatReceiverTest, ZeroSizeChunkIsFinishedAtOnce) {
  BdatReceiver receiver(0, 0, 10);
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(receiver.remaining(), 0u);
  std::string out = "kept";
  EXPECT_EQ(receiver.Consume("QUIT\r\n", &out), 0u);
  EXPECT_EQ(out, "kept");
  EXPECT_FALSE(receiver.too_large());
}

TEST(BdatReceiverTest, Ms02012ChunkThenCommandInOneWrite) {
  // Nessus 10885: "BDAT 4" then "b00mAUTH LOGIN\r\n": the four octets are data.
  const std::string write = "b00mAUTH LOGIN\r\n";
  BdatReceiver receiver(4, 0, 100);
  std::string out;
  const size_t used = receiver.Consume(write, &out);
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(out, "b00m");
  EXPECT_EQ(write.substr(used), "AUTH LOGIN\r\n");
}

struct LimitCase {
  std::string name;
  uint64_t chunk;
  uint64_t stored;
  uint64_t max;
  size_t appended;
  bool too_large;
};

void PrintTo(const LimitCase& c, std::ostream* os) { *os << c.name; }

class BdatLimitTest : public ::testing::TestWithParam<LimitCase> {};

TEST_P(BdatLimitTest, AppendsOnlyWithinTheLimitAndConsumesEverything) {
  const LimitCase& c = GetParam();
  const std::string input(c.chunk + 5, 'z');
  for (size_t piece : {size_t{1}, size_t{3}, input.size()}) {
    const BdatRun run = Feed(input, c.chunk, c.stored, c.max, piece);
    EXPECT_EQ(run.consumed, c.chunk) << "piece " << piece;
    EXPECT_EQ(run.out.size(), c.appended) << "piece " << piece;
    EXPECT_EQ(run.too_large, c.too_large) << "piece " << piece;
    EXPECT_TRUE(run.finished);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BdatLimitTest,
                         ::testing::ValuesIn(std::vector<LimitCase>{
                             {"WellWithin", 5, 0, 100, 5, false},
                             {"ExactlyAtLimit", 5, 5, 10, 5, false},
                             {"OneOver", 6, 5, 10, 5, true},
                             {"CrossesLimit", 8, 5, 10, 5, true},
                             {"AlreadyAtLimit", 3, 10, 10, 0, true},
                             {"AlreadyOverLimit", 3, 11, 10, 0, true},
                             {"ZeroLimit", 1, 0, 0, 0, true},
                             {"ZeroChunkAtLimit", 0, 10, 10, 0, false},
                             {"ZeroChunkOverLimit", 0, 11, 10, 0, true},
                             {"HugeStored", 4, kMax64, kMax64, 0, true},
                             {"HugeStoredOneOver", 4, kMax64 - 2, kMax64, 2, true},
                         }),
                         [](const auto& p) { return p.param.name; });

TEST(BdatReceiverTest, HugeChunkSizeWithSmallInput) {
  BdatReceiver receiver(kMax64, 0, 100);
  std::string out;
  const std::string input(1000, 'q');
  EXPECT_EQ(receiver.Consume(input, &out), 1000u);
  EXPECT_EQ(receiver.Consume(input, &out), 1000u);
  EXPECT_FALSE(receiver.finished());
  EXPECT_EQ(receiver.remaining(), kMax64 - 2000);
  EXPECT_EQ(receiver.consumed(), 2000u);
  EXPECT_EQ(out.size(), 100u) << "memory stays bounded by the limit";
  EXPECT_TRUE(receiver.too_large());
}

TEST(BdatReceiverTest, HugeChunkSizeAndHugeLimitDoNotOverflow) {
  BdatReceiver receiver(kMax64, kMax64 - 10, kMax64);
  std::string out;
  EXPECT_EQ(receiver.Consume("0123456789abcdef", &out), 16u);
  EXPECT_EQ(out, "0123456789");
  EXPECT_TRUE(receiver.too_large());
  EXPECT_EQ(receiver.remaining(), kMax64 - 16);
}

TEST(BdatReceiverTest, NullOutputDiscards) {
  BdatReceiver receiver(3, 0, 10);
  EXPECT_EQ(receiver.Consume("abcdef", nullptr), 3u);
  EXPECT_TRUE(receiver.finished());
}

}  // namespace
}  // namespace smtpgate
