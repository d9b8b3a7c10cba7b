#include "harness/core/data_receiver.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpgate {
namespace {

using ::testing::HasSubstr;

// Everything a DataReceiver reports after a run, so that runs can be compared as a whole.
struct DataRun {
  size_t consumed = 0;
  bool finished = false;
  DataVerdict verdict = DataVerdict::kAccepted;
  std::string out;
  uint64_t message_size = 0;
  std::string problem;
  uint64_t problem_offset = 0;

  bool operator==(const DataRun&) const = default;
};

void PrintTo(const DataRun& run, std::ostream* os) {
  *os << "{consumed=" << run.consumed << " finished=" << run.finished
      << " verdict=" << DataVerdictName(run.verdict) << " size=" << run.message_size
      << " problem=\"" << run.problem << "\" at " << run.problem_offset
      << " out=" << ::testing::PrintToString(run.out) << "}";
}

DataRun Finish(const DataReceiver& receiver, size_t consumed, std::string out) {
  DataRun run;
  run.consumed = consumed;
  run.finished = receiver.finished();
  run.verdict = receiver.verdict();
  run.out = std::move(out);
  run.message_size = receiver.message_size();
  run.problem = std::string(receiver.problem());
  run.problem_offset = receiver.problem_offset();
  return run;
}

// Feeds `input` in pieces of at most `chunk` octets (0: all at once) until it is used up or
// the receiver has finished.
DataRun FeedChunks(std::string_view input, const DataReceiverOptions& options, size_t chunk = 0) {
  DataReceiver receiver(options);
  std::string out;
  size_t pos = 0;
  while (pos < input.size() && !receiver.finished()) {
    const size_t len = chunk == 0 ? input.size() - pos : std::min(chunk, input.size() - pos);
    const size_t used = receiver.Consume(input.substr(pos, len), &out);
    EXPECT_LE(used, len);
    if (used < len) {
      EXPECT_TRUE(receiver.finished()) << "consumed less without finishing";
    }
    pos += used;
    if (used < len) {
      break;
    }
  }
  return Finish(receiver, pos, std::move(out));
}

// Feeds `input` cut at the given ascending offsets.
DataRun FeedCuts(std::string_view input, const DataReceiverOptions& options,
                 const std::vector<size_t>& cuts) {
  DataReceiver receiver(options);
  std::string out;
  size_t pos = 0;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (receiver.finished()) {
      break;
    }
    const std::string_view piece = input.substr(begin, end - begin);
    const size_t used = receiver.Consume(piece, &out);
    pos += used;
    begin = end;
    if (used < piece.size()) {
      break;
    }
  }
  return Finish(receiver, pos, std::move(out));
}

DataReceiverOptions Secure() { return DataReceiverOptions{}; }
DataReceiverOptions Keep() {
  DataReceiverOptions options;
  options.bare_line_endings = BareLineEndings::kKeep;
  return options;
}
DataReceiverOptions BareLfEod() {
  DataReceiverOptions options = Keep();
  options.lf_dot_lf_ends_data = true;
  return options;
}

// ---------------------------------------------------------------------------------------
// SMTP smuggling (hannob/smtpsmug; CVE-2023-51764/5/6): none of these ends the data.

constexpr std::string_view kPrefix = "From: a@example.test\r\nSubject: hi\r\n\r\nhello";
constexpr std::string_view kSmuggled =
    "MAIL FROM:<smuggled@x.invalid>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
    "Subject: smuggled";
constexpr std::string_view kRealEnd = "\r\n.\r\n";
constexpr std::string_view kNext = "QUIT\r\n";

struct SmuggleCase {
  std::string name;
  std::string sequence;
  bool bare;                     // kReject refuses it
  uint64_t bare_offset;          // where the first bare CR/LF is, relative to the sequence
  std::string kept;              // the sequence as it is in the message under kKeep
  bool ends_in_bare_lf_eod;      // the flawed profile takes it for the end (after the sequence)
  std::string kept_bare_lf_eod;  // bare-lf-eod: the message part (up to the end when it ends)
};

std::vector<SmuggleCase> SmuggleCases() {
  using std::string;
  return {
      {"LfDotLf", "\n.\n", true, 0, "\n.\n", true, "\n"},
      {"CrDotCr", "\r.\r", true, 0, "\r.\r", false, "\r.\r"},
      {"CrDotLf", "\r.\n", true, 0, "\r.\n", false, "\r.\n"},
      {"LfDotCr", "\n.\r", true, 0, "\n.\r", false, "\n\r"},
      {"LfDotCrLf", "\n.\r\n", true, 0, "\n.\r\n", true, "\n"},
      {"CrLfDotLf", "\r\n.\n", true, 2, "\r\n\n", true, "\r\n"},
      {"CrDotCrLf", "\r.\r\n", true, 0, "\r.\r\n", false, "\r.\r\n"},
      {"CrLfDotCr", "\r\n.\r", true, 2, "\r\n\r", false, "\r\n\r"},
      {"CrLfNulDotCrLf", string("\r\n\0.\r\n", 6), false, 0, string("\r\n\0.\r\n", 6), false,
       string("\r\n\0.\r\n", 6)},
      {"CrLfDotNulCrLf", string("\r\n.\0\r\n", 6), false, 0, string("\r\n\0\r\n", 5), false,
       string("\r\n\0\r\n", 5)},
      {"CrLfDotCrCrLf", "\r\n.\r\r\n", true, 2, "\r\n\r\r\n", false, "\r\n\r\r\n"},
      {"CrCrLfDotCrCrLf", "\r\r\n.\r\r\n", true, 0, "\r\r\n\r\r\n", false, "\r\r\n\r\r\n"},
  };
}

void PrintTo(const SmuggleCase& c, std::ostream* os) {
  *os << c.name << " " << ::testing::PrintToString(c.sequence);
}

class SmuggleTest : public ::testing::TestWithParam<SmuggleCase> {
 protected:
  std::string Input() const {
    return std::string(kPrefix) + GetParam().sequence + std::string(kSmuggled) +
           std::string(kRealEnd) + std::string(kNext);
  }
  // The whole message when the sequence is kept (it does not end the data).
  std::string KeptMessage(std::string_view kept) const {
    return std::string(kPrefix) + std::string(kept) + std::string(kSmuggled) + "\r\n";
  }
};

TEST_P(SmuggleTest, RejectModeEndsOnlyAtRealEndAndRefusesBareLineEndings) {
  const SmuggleCase& c = GetParam();
  const std::string input = Input();
  const DataRun run = FeedChunks(input, Secure());
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.consumed, input.size() - kNext.size()) << "data must end at the real CRLF.CRLF";
  EXPECT_EQ(run.message_size, KeptMessage(c.kept).size());
  if (c.bare) {
    EXPECT_EQ(run.verdict, DataVerdict::kBareLineEnding);
    EXPECT_EQ(run.problem_offset, kPrefix.size() + c.bare_offset);
    EXPECT_THAT(run.problem, HasSubstr("SMTP smuggling defence"));
    EXPECT_THAT(run.problem,
                HasSubstr("at message octet " + std::to_string(kPrefix.size() + c.bare_offset)));
    EXPECT_EQ(run.out, KeptMessage(c.kept).substr(0, run.problem_offset));
  } else {
    EXPECT_EQ(run.verdict, DataVerdict::kAccepted) << run.problem;
    EXPECT_EQ(run.out, KeptMessage(c.kept));
    EXPECT_EQ(run.problem, "");
  }
  EXPECT_EQ(FeedChunks(input, Secure(), 1), run);
  EXPECT_EQ(FeedChunks(input, Secure(), 2), run);
  EXPECT_EQ(FeedChunks(input, Secure(), 3), run);
}

TEST_P(SmuggleTest, KeepModeKeepsTheSequenceAsData) {
  const SmuggleCase& c = GetParam();
  const std::string input = Input();
  const DataRun run = FeedChunks(input, Keep());
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.consumed, input.size() - kNext.size());
  EXPECT_EQ(run.verdict, DataVerdict::kAccepted) << run.problem;
  EXPECT_EQ(run.out, KeptMessage(c.kept));
  EXPECT_EQ(run.message_size, run.out.size());
  EXPECT_EQ(FeedChunks(input, Keep(), 1), run);
}

TEST_P(SmuggleTest, EverySplitOfTheSequenceGivesTheSameResult) {
  const std::string input = Input();
  for (const DataReceiverOptions& options : {Secure(), Keep(), BareLfEod()}) {
    const DataRun whole = FeedChunks(input, options);
    for (size_t cut = 0; cut <= GetParam().sequence.size() + 1; ++cut) {
      const size_t at = kPrefix.size() - 1 + cut;
      EXPECT_EQ(FeedCuts(input, options, {at}), whole) << "cut at " << at;
    }
  }
}

TEST_P(SmuggleTest, BareLfEodProfileIsFooledExactlyByLfDotLfForms) {
  const SmuggleCase& c = GetParam();
  const std::string input = Input();
  const DataRun run = FeedChunks(input, BareLfEod());
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.verdict, DataVerdict::kAccepted) << run.problem;
  if (c.ends_in_bare_lf_eod) {
    EXPECT_EQ(run.consumed, kPrefix.size() + c.sequence.size()) << "the deliberate flaw";
    EXPECT_EQ(run.out, std::string(kPrefix) + c.kept_bare_lf_eod);
    EXPECT_TRUE(input.substr(run.consumed).starts_with("MAIL FROM:<smuggled@x.invalid>"));
  } else {
    EXPECT_EQ(run.consumed, input.size() - kNext.size());
    EXPECT_EQ(run.out, KeptMessage(c.kept_bare_lf_eod));
  }
  EXPECT_EQ(FeedChunks(input, BareLfEod(), 1), run);
}

INSTANTIATE_TEST_SUITE_P(Sequences, SmuggleTest, ::testing::ValuesIn(SmuggleCases()),
                         [](const auto& p) { return p.param.name; });

// ---------------------------------------------------------------------------------------
// Framing and dot-stuffing.

struct FramingCase {
  std::string name;
  std::string input;
  size_t consumed;
  std::string message;
};

void PrintTo(const FramingCase& c, std::ostream* os) {
  *os << c.name << " " << ::testing::PrintToString(c.input);
}

class FramingTest : public ::testing::TestWithParam<FramingCase> {};

TEST_P(FramingTest, EndsWhereExpectedWithUnstuffedMessage) {
  const FramingCase& c = GetParam();
  for (const DataReceiverOptions& options : {Secure(), Keep(), BareLfEod()}) {
    for (size_t chunk : {0, 1, 2, 5}) {
      const DataRun run = FeedChunks(c.input, options, chunk);
      EXPECT_TRUE(run.finished);
      EXPECT_EQ(run.consumed, c.consumed) << "chunk " << chunk;
      EXPECT_EQ(run.out, c.message) << "chunk " << chunk;
      EXPECT_EQ(run.message_size, c.message.size());
      EXPECT_EQ(run.verdict, DataVerdict::kAccepted) << run.problem;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FramingTest,
    ::testing::ValuesIn(std::vector<FramingCase>{
        {"EmptyMessage", ".\r\n", 3, ""},
        {"EmptyMessageThenCommand", ".\r\nMAIL FROM:<a@b.test>\r\n", 3, ""},
        {"OneEmptyLine", "\r\n.\r\n", 5, "\r\n"},
        {"OneLine", "hello\r\n.\r\nQUIT\r\n", 10, "hello\r\n"},
        {"StuffedDotAtStart", "..x\r\n.\r\n", 8, ".x\r\n"},
        {"StuffedLoneDot", "..\r\n.\r\n", 7, ".\r\n"},
        {"StuffedDots", "...\r\n.\r\n", 8, "..\r\n"},
        {"StuffedLaterLine", "a\r\n..\r\n.\r\n", 10, "a\r\n.\r\n"},
        {"UnstuffedDotLine", "x\r\n.y\r\n.\r\n", 10, "x\r\ny\r\n"},
        {"DotInsideLine", "a.b\r\n.a\r\n.\r\n", 12, "a.b\r\na\r\n"},
        {"DotDotCrLfInside", "a\r\n..\r\n..\r\n.\r\n", 14, "a\r\n.\r\n.\r\n"},
        {"EndMarkThenMore", "a\r\n.\r\n.\r\n", 6, "a\r\n"},
        {"NulIsData", std::string("a\0b\r\n\0\r\n.\r\n", 11), 11, std::string("a\0b\r\n\0\r\n", 8)},
        {"HighBytesAreData", "caf\xc3\xa9 \xff\r\n.\r\n", 12, "caf\xc3\xa9 \xff\r\n"},
        {"DotSpaceIsNotEnd", ". \r\n.\r\n", 7, " \r\n"},
        {"BdatLookalike", "BDAT 4 LAST\r\n.\r\n", 16, "BDAT 4 LAST\r\n"},
    }),
    [](const auto& p) { return p.param.name; });

TEST(DataReceiverTest, EndMarkSplitAtEveryOffsetAndEveryPairOfOffsets) {
  const std::string input = "Subject: a\r\n\r\nline\r\n..dot\r\n.\r\nNOOP\r\n";
  for (const DataReceiverOptions& options : {Secure(), Keep(), BareLfEod()}) {
    const DataRun whole = FeedChunks(input, options);
    ASSERT_TRUE(whole.finished);
    ASSERT_EQ(whole.consumed, input.size() - 6);
    ASSERT_EQ(whole.out, "Subject: a\r\n\r\nline\r\n.dot\r\n");
    for (size_t a = 0; a <= input.size(); ++a) {
      EXPECT_EQ(FeedCuts(input, options, {a}), whole) << "cut at " << a;
      for (size_t b = a; b <= input.size(); ++b) {
        EXPECT_EQ(FeedCuts(input, options, {a, b}), whole) << "cuts at " << a << ", " << b;
      }
    }
  }
}

TEST(DataReceiverTest, CrAtTheEndOfOneCallIsNotBareWhenLfStartsTheNext) {
  DataReceiver receiver(Secure());
  std::string out;
  EXPECT_EQ(receiver.Consume("abc\r", &out), 4u);
  EXPECT_EQ(receiver.verdict(), DataVerdict::kAccepted);
  EXPECT_EQ(out, "abc");  // the CR is held until its LF shows it is not bare
  EXPECT_EQ(receiver.Consume("\n", &out), 1u);
  EXPECT_EQ(out, "abc\r\n");
  EXPECT_EQ(receiver.Consume(".", &out), 1u);
  EXPECT_EQ(receiver.Consume("\r", &out), 1u);
  EXPECT_FALSE(receiver.finished());
  EXPECT_EQ(receiver.Consume("\nRSET\r\n", &out), 1u);
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(receiver.verdict(), DataVerdict::kAccepted);
  EXPECT_EQ(out, "abc\r\n");
  EXPECT_EQ(receiver.Consume("RSET\r\n", &out), 0u) << "nothing is consumed once finished";
}

TEST(DataReceiverTest, CrAtTheEndOfOneCallIsBareWhenSomethingElseFollows) {
  DataReceiver receiver(Secure());
  std::string out;
  EXPECT_EQ(receiver.Consume("abc\r", &out), 4u);
  EXPECT_EQ(receiver.Consume("x\r\n.\r\n", &out), 6u);
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(receiver.verdict(), DataVerdict::kBareLineEnding);
  EXPECT_EQ(receiver.problem(), "bare CR at message octet 3 (SMTP smuggling defence)");
  EXPECT_EQ(receiver.problem_offset(), 3u);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(receiver.message_size(), 7u);  // "abc\rx\r\n"
}

TEST(DataReceiverTest, KeptCrFromAnEarlierCallIsAppendedInOrder) {
  DataReceiver receiver(Keep());
  std::string out;
  EXPECT_EQ(receiver.Consume("ab\r", &out), 3u);
  EXPECT_EQ(receiver.Consume("\r", &out), 1u);
  EXPECT_EQ(receiver.Consume("\n.", &out), 2u);
  EXPECT_EQ(receiver.Consume("\r", &out), 1u);
  EXPECT_EQ(receiver.Consume("x\r\n.\r\n", &out), 6u);
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(out, "ab\r\r\n\rx\r\n");
}

TEST(DataReceiverTest, BareLfProblemText) {
  const DataRun run = FeedChunks("line one\nline two\r\n.\r\n", Secure());
  EXPECT_EQ(run.verdict, DataVerdict::kBareLineEnding);
  EXPECT_EQ(run.problem, "bare LF at message octet 8 (SMTP smuggling defence)");
  EXPECT_EQ(run.out, "line one");
  EXPECT_EQ(run.message_size, 19u);
}

TEST(DataReceiverTest, FirstProblemWins) {
  DataReceiverOptions options;
  options.max_message_size = 5;
  const DataRun run = FeedChunks("a\nbcdefgh\r\n.\r\n", options);
  EXPECT_EQ(run.verdict, DataVerdict::kBareLineEnding);
  EXPECT_EQ(run.problem_offset, 1u);
  const DataRun later = FeedChunks("abcdefgh\n\r\n.\r\n", options);
  EXPECT_EQ(later.verdict, DataVerdict::kTooLarge);
  EXPECT_EQ(later.problem_offset, 5u);
  EXPECT_EQ(later.out, "abcde");
}

TEST(DataReceiverTest, NullOutputDiscardsTheMessage) {
  DataReceiver receiver(Secure());
  EXPECT_EQ(receiver.Consume("a\r\n..b\r\n.\r\nX", nullptr), 11u);
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(receiver.message_size(), 7u);  // "a\r\n.b\r\n"
}

TEST(DataReceiverTest, EmptyInputConsumesNothing) {
  DataReceiver receiver(Secure());
  std::string out;
  EXPECT_EQ(receiver.Consume("", &out), 0u);
  EXPECT_FALSE(receiver.finished());
  EXPECT_EQ(receiver.Consume(".\r\n", &out), 3u);
  EXPECT_TRUE(receiver.finished());
}

TEST(DataReceiverTest, UnfinishedDataConsumesEverything) {
  const std::string input = "a\r\n.x\r\n\r.\r\n\n.\n";
  const DataRun run = FeedChunks(input, Keep());
  EXPECT_FALSE(run.finished);
  EXPECT_EQ(run.consumed, input.size());
}

// ---------------------------------------------------------------------------------------
// Line length (measured on the wire, including the stuffing dot and the CRLF).

TEST(DataReceiverTest, LineOf1000OctetsIsAcceptedAnd1001Refused) {
  const std::string ok_line = std::string(998, 'x') + "\r\n";  // 1000 octets
  const DataRun ok = FeedChunks(ok_line + ok_line + ".\r\n", Secure());
  EXPECT_EQ(ok.verdict, DataVerdict::kAccepted) << ok.problem;
  EXPECT_EQ(ok.out, ok_line + ok_line);

  const std::string long_line = std::string(999, 'x') + "\r\n";  // 1001 octets
  const std::string input = ok_line + long_line + ".\r\nQUIT\r\n";
  const DataRun bad = FeedChunks(input, Secure());
  EXPECT_TRUE(bad.finished);
  EXPECT_EQ(bad.consumed, input.size() - 6);
  EXPECT_EQ(bad.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(bad.problem_offset, 2000u);  // the LF, octet 1001 of the line
  EXPECT_EQ(bad.problem,
            "line longer than 1000 octets including CRLF at message octet 2000 "
            "(RFC 5321 4.5.3.1.6)");
  EXPECT_EQ(bad.out, ok_line + long_line.substr(0, 1000));
  EXPECT_EQ(bad.message_size, 2001u);
  EXPECT_EQ(FeedChunks(input, Secure(), 1), bad);
  EXPECT_EQ(FeedChunks(input, Secure(), 7), bad);
}

TEST(DataReceiverTest, StuffingDotCountsTowardsTheLineLength) {
  const std::string stuffed = "." + std::string(998, 'x') + "\r\n";  // 1001 on the wire
  const DataRun run = FeedChunks(stuffed + ".\r\n", Secure());
  EXPECT_EQ(run.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(run.problem_offset, 999u);  // the LF; the message line is 1000 octets
  const std::string fits = "." + std::string(997, 'x') + "\r\n";
  EXPECT_EQ(FeedChunks(fits + ".\r\n", Secure()).verdict, DataVerdict::kAccepted);
}

TEST(DataReceiverTest, LongLineIsNeverSplitAndStreamStaysInSync) {
  const std::string input = std::string(100000, 'y') + "\r\n.\r\nNOOP\r\n";
  const DataRun run = FeedChunks(input, Secure(), 4096);
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.consumed, input.size() - 6);
  EXPECT_EQ(run.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(run.problem_offset, 1000u);
  EXPECT_EQ(run.out.size(), 1000u);
  EXPECT_EQ(run.message_size, 100002u);
}

TEST(DataReceiverTest, BareLfDoesNotEndALineForTheLengthInSecureModes) {
  std::string body;
  for (int k = 0; k < 600; ++k) {
    body += "a\n";  // 1200 octets, no CRLF
  }
  const DataRun run = FeedChunks(body + "\r\n.\r\n", Keep());
  EXPECT_EQ(run.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(run.problem_offset, 1000u);
  // In bare-lf-eod every LF ends a line.
  EXPECT_EQ(FeedChunks(body + "\r\n.\r\n", BareLfEod()).verdict, DataVerdict::kAccepted);
}

TEST(DataReceiverTest, SmallLineLimits) {
  DataReceiverOptions options;
  options.max_line_length = 2;  // only empty lines fit
  EXPECT_EQ(FeedChunks("\r\n\r\n.\r\n", options).verdict, DataVerdict::kAccepted);
  EXPECT_EQ(FeedChunks(".\r\n", options).verdict, DataVerdict::kAccepted) << "end mark exempt";
  const DataRun run = FeedChunks("a\r\n.\r\n", options);
  EXPECT_EQ(run.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(run.problem_offset, 2u);
  options.max_line_length = 0;
  const DataRun stuffed = FeedChunks("\r\n.x\r\n.\r\n", options);
  EXPECT_EQ(stuffed.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(stuffed.problem_offset, 0u);
  EXPECT_EQ(stuffed.out, "");
  const DataRun dot_first = FeedChunks(".x\r\n.\r\n", options);
  EXPECT_EQ(dot_first.problem_offset, 0u) << "first message octet of the line";
}

// ---------------------------------------------------------------------------------------
// Message size (after unstuffing).

TEST(DataReceiverTest, SizeLimitBoundary) {
  DataReceiverOptions options;
  options.max_message_size = 10;
  const DataRun ok = FeedChunks("12345678\r\n.\r\n", options);
  EXPECT_EQ(ok.verdict, DataVerdict::kAccepted);
  EXPECT_EQ(ok.out, "12345678\r\n");
  const DataRun stuffed =
      FeedChunks("..2345678\r\n.\r\n", options);  // 11 on the wire, 10 unstuffed
  EXPECT_EQ(stuffed.verdict, DataVerdict::kAccepted);
  EXPECT_EQ(stuffed.out, ".2345678\r\n");

  const std::string input = "123456789\r\n.\r\nMAIL FROM:<>\r\n";
  const DataRun big = FeedChunks(input, options);
  EXPECT_TRUE(big.finished);
  EXPECT_EQ(big.consumed, 14u);
  EXPECT_EQ(big.verdict, DataVerdict::kTooLarge);
  EXPECT_EQ(big.problem, "message larger than 10 octets (RFC 1870 SIZE)");
  EXPECT_EQ(big.problem_offset, 10u);
  EXPECT_EQ(big.out, "123456789\r");
  EXPECT_EQ(big.message_size, 11u);
  EXPECT_EQ(FeedChunks(input, options, 1), big);
}

TEST(DataReceiverTest, NothingIsAppendedPastTheSizeLimit) {
  DataReceiverOptions options;
  options.max_message_size = 1000;
  std::string input;
  for (int k = 0; k < 10000; ++k) {
    input += "a line of text\r\n";
  }
  input += ".\r\n";
  DataReceiver receiver(options);
  std::string out;
  size_t consumed = 0;
  for (size_t pos = 0; pos < input.size(); pos += 333) {
    consumed += receiver.Consume(std::string_view(input).substr(pos, 333), &out);
    EXPECT_LE(out.size(), 1000u);
  }
  EXPECT_EQ(consumed, input.size());
  EXPECT_TRUE(receiver.finished());
  EXPECT_EQ(receiver.verdict(), DataVerdict::kTooLarge);
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(receiver.message_size(), 160000u);
}

TEST(DataReceiverTest, ZeroSizeLimitRefusesAnyNonEmptyMessage) {
  DataReceiverOptions options;
  options.max_message_size = 0;
  EXPECT_EQ(FeedChunks(".\r\n", options).verdict, DataVerdict::kAccepted);
  EXPECT_EQ(FeedChunks("\r\n.\r\n", options).verdict, DataVerdict::kTooLarge);
}

TEST(DataReceiverTest, LineLengthWinsATieWithSize) {
  DataReceiverOptions options;
  options.max_message_size = 4;
  options.max_line_length = 4;
  const DataRun run = FeedChunks("abcde\r\n.\r\n", options);
  EXPECT_EQ(run.verdict, DataVerdict::kLineTooLong);
  EXPECT_EQ(run.problem_offset, 4u);
  EXPECT_EQ(run.out, "abcd");
}

// ---------------------------------------------------------------------------------------
// Emulation profile bare-lf-eod (a deliberate flaw).

TEST(DataReceiverTest, BareLfEodEndsAtLfDotLfForms) {
  struct Case {
    std::string input;
    size_t consumed;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"a\n.\nMAIL", 4, "a\n"},     {"a\r\n.\nMAIL", 5, "a\r\n"},
      {"a\n.\r\nMAIL", 5, "a\n"},   {"a\r\n.\r\nMAIL", 6, "a\r\n"},
      {".\nMAIL", 2, ""},           {"\n.\nMAIL", 3, "\n"},
      {"a\n..\n.\nX", 7, "a\n.\n"}, {"a\r.\r\n.\n", 7, "a\r.\r\n"},
  };
  for (const Case& c : cases) {
    for (size_t chunk : {0, 1}) {
      const DataRun run = FeedChunks(c.input, BareLfEod(), chunk);
      EXPECT_TRUE(run.finished) << ::testing::PrintToString(c.input);
      EXPECT_EQ(run.consumed, c.consumed) << ::testing::PrintToString(c.input);
      EXPECT_EQ(run.out, c.message) << ::testing::PrintToString(c.input);
    }
    // The secure profile does not end there (none of these has CRLF.CRLF before its end
    // except the genuine one).
    const DataRun secure = FeedChunks(c.input, Keep());
    if (c.input.find("\r\n.\r\n") == std::string::npos && !c.input.starts_with(".\r\n")) {
      EXPECT_FALSE(secure.finished) << ::testing::PrintToString(c.input);
    }
  }
}

TEST(DataReceiverTest, BareLfEodWithRejectStillFlagsBareLf) {
  DataReceiverOptions options = BareLfEod();
  options.bare_line_endings = BareLineEndings::kReject;
  const DataRun run = FeedChunks("a\n.\nMAIL FROM:<x@y.invalid>\r\n", options);
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.consumed, 4u);
  EXPECT_EQ(run.verdict, DataVerdict::kBareLineEnding);
  EXPECT_EQ(run.problem_offset, 1u);
}

// ---------------------------------------------------------------------------------------
// Any chunking gives the same result (pseudo-random inputs over a small alphabet).

TEST(DataReceiverTest, RandomInputsGiveTheSameResultWhateverTheChunking) {
  std::mt19937 rng(20240101);
  const std::string alphabet = std::string("\r\n.a\0", 5);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string input;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) {
      input.push_back(alphabet[rng() % alphabet.size()]);
    }
    if (rng() % 2 == 0) {
      input += "\r\n.\r\n";
    }
    DataReceiverOptions options;
    options.bare_line_endings = rng() % 2 ? BareLineEndings::kKeep : BareLineEndings::kReject;
    options.lf_dot_lf_ends_data = rng() % 4 == 0;
    options.max_line_length = rng() % 12;
    options.max_message_size = rng() % 30;
    const DataRun whole = FeedChunks(input, options);
    ASSERT_EQ(FeedChunks(input, options, 1), whole) << ::testing::PrintToString(input);
    std::vector<size_t> cuts;
    for (size_t k = 0; k < input.size(); ++k) {
      if (rng() % 3 == 0) {
        cuts.push_back(k);
      }
    }
    ASSERT_EQ(FeedCuts(input, options, cuts), whole) << ::testing::PrintToString(input);
    // In secure modes the data ends only right after CRLF.CRLF (the start counts as a CRLF).
    if (whole.finished && !options.lf_dot_lf_ends_data) {
      const std::string framed = "\r\n" + input;
      ASSERT_EQ(framed.substr(whole.consumed - 3, 5), "\r\n.\r\n")
          << ::testing::PrintToString(input);
      ASSERT_EQ(framed.find("\r\n.\r\n"), whole.consumed - 3) << "the first end mark";
    }
    ASSERT_LE(whole.out.size(), whole.message_size);
  }
}

}  // namespace
}  // namespace smtpgate
