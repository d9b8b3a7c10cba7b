#include "harness/core/reply.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpgate {

// gtest prints this when an expectation on a Reply fails.
void PrintTo(const Reply& reply, std::ostream* os) {
  *os << "Reply{" << reply.code << ", \"" << reply.enhanced << "\", {";
  for (const std::string& line : reply.lines) *os << testing::PrintToString(line) << ", ";
  *os << "}}";
}

namespace {

using ::testing::HasSubstr;

using namespace std::string_literals;  // "\0"s keeps embedded NULs

constexpr ReadMode kStrict = ReadMode::kStrict;
constexpr ReadMode kLenient = ReadMode::kLenient;

// One result of ReplyReader::Next(), comparable: a reply or an error message.
struct Result {
  bool ok = false;
  Reply reply;
  std::string error;
  bool operator==(const Result&) const = default;
};

void PrintTo(const Result& result, std::ostream* os) {
  if (result.ok) {
    PrintTo(result.reply, os);
  } else {
    *os << "error: " << result.error;
  }
}

std::vector<Result> Drain(ReplyReader& reader) {
  std::vector<Result> results;
  while (std::optional<absl::StatusOr<Reply>> next = reader.Next()) {
    if (next->ok()) {
      results.push_back({true, **next, ""});
    } else {
      results.push_back({false, {}, std::string(next->status().message())});
    }
  }
  return results;
}

std::vector<Result> ReadWhole(std::string_view input, ReplyReaderOptions options) {
  ReplyReader reader(options);
  reader.Feed(input);
  return Drain(reader);
}

std::vector<Result> ReadByteByByte(std::string_view input, ReplyReaderOptions options) {
  ReplyReader reader(options);
  std::vector<Result> results;
  for (char c : input) {
    reader.Feed(std::string_view(&c, 1));
    for (Result& r : Drain(reader)) results.push_back(std::move(r));
  }
  return results;
}

// Test names from the `name` field of a table row (gtest's own parameter is called `info`).
struct CaseName {
  template <typename Case>
  std::string operator()(const testing::TestParamInfo<Case>& row) const {
    return row.param.name;
  }
};

ReplyReaderOptions Options(ReadMode mode, size_t max_line_length = 4096, size_t max_lines = 256) {
  ReplyReaderOptions options;
  options.mode = mode;
  options.max_line_length = max_line_length;
  options.max_lines = max_lines;
  return options;
}

// ---------------------------------------------------------------------------------------------
// FormatReply

struct FormatCase {
  std::string name;
  Reply reply;
  std::string wire;
};

void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.name; }

class FormatReplyTest : public testing::TestWithParam<FormatCase> {};

TEST_P(FormatReplyTest, WritesWireForm) {
  EXPECT_EQ(FormatReply(GetParam().reply), GetParam().wire);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FormatReplyTest,
    testing::Values(
        FormatCase{"SingleLine", {250, "", {"Ok"}}, "250 Ok\r\n"},
        FormatCase{"MultiLine",
                   {250, "", {"mail.example.test", "PIPELINING", "8BITMIME"}},
                   "250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"},
        FormatCase{"EnhancedSingle", {250, "2.1.0", {"Ok"}}, "250 2.1.0 Ok\r\n"},
        FormatCase{"EnhancedOnEveryLine",
                   {550, "5.7.1", {"Relaying denied", "see policy"}},
                   "550-5.7.1 Relaying denied\r\n550 5.7.1 see policy\r\n"},
        FormatCase{"EmptyLastLineHasNoTrailingSpace", {250, "", {""}}, "250\r\n"},
        FormatCase{"EmptyContinuationIsCodeDash", {250, "", {"", "x"}}, "250-\r\n250 x\r\n"},
        FormatCase{"EmptyTextWithEnhanced", {250, "2.0.0", {"", ""}}, "250-2.0.0\r\n250 2.0.0\r\n"},
        FormatCase{"NoLinesIsOneEmptyLine", {221, "", {}}, "221\r\n"},
        FormatCase{
            "CrlfInjectionBecomesSpaces", {250, "", {"ok\r\n250 fake"}}, "250 ok  250 fake\r\n"},
        FormatCase{"BareLfAndNul", {550, "", {"a\nb\0c"s}}, "550 a b c\r\n"},
        FormatCase{"OtherControlsAndDel", {421, "", {"\x01\x1b[31m\x7f"}}, "421   [31m \r\n"},
        FormatCase{"TabAndUtf8Kept", {250, "", {"a\tb caf\xc3\xa9"}}, "250 a\tb caf\xc3\xa9\r\n"},
        FormatCase{"TextStartingWithSpaceKept", {250, "", {" x"}}, "250  x\r\n"},
        FormatCase{
            "CodeBelowRange", {199, "", {"x"}}, "451 4.3.0 internal error: bad reply code 199\r\n"},
        FormatCase{
            "CodeAboveRange", {600, "", {"x"}}, "451 4.3.0 internal error: bad reply code 600\r\n"},
        FormatCase{"CodeSecondDigitAbove5",
                   {260, "", {"x"}},
                   "451 4.3.0 internal error: bad reply code 260\r\n"},
        FormatCase{
            "NegativeCode", {-1, "", {"x"}}, "451 4.3.0 internal error: bad reply code -1\r\n"},
        FormatCase{"EnhancedOfWrongClassLeftOut", {250, "5.0.0", {"Ok"}}, "250 Ok\r\n"},
        FormatCase{"MalformedEnhancedLeftOut", {550, "5.7.1\r\n", {"no"}}, "550 no\r\n"},
        FormatCase{"EnhancedOn3xxLeftOut", {354, "3.0.0", {"go"}}, "354 go\r\n"}),
    CaseName());

TEST(ReplySummaryTest, CodeEnhancedAndFirstLine) {
  EXPECT_EQ((Reply{250, "2.1.0", {"Ok", "more"}}).Summary(), "250 2.1.0 Ok");
  EXPECT_EQ((Reply{354, "", {"End data with <CR><LF>.<CR><LF>"}}).Summary(),
            "354 End data with <CR><LF>.<CR><LF>");
  EXPECT_EQ((Reply{250, "", {""}}).Summary(), "250");
  EXPECT_EQ((Reply{250, "2.0.0", {}}).Summary(), "250 2.0.0");
  EXPECT_EQ((Reply{550, "", {"a\r\nb"}}).Summary(), "550 a  b");
}

// ---------------------------------------------------------------------------------------------
// SplitEnhancedCode

struct SplitCase {
  std::string name;
  int code;
  std::string text;
  std::string enhanced;
  std::string rest;
};

void PrintTo(const SplitCase& c, std::ostream* os) { *os << c.name; }

class SplitEnhancedCodeTest : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitEnhancedCodeTest, Splits) {
  const SplitCase& c = GetParam();
  const auto [enhanced, rest] = SplitEnhancedCode(c.code, c.text);
  EXPECT_EQ(enhanced, c.enhanced);
  EXPECT_EQ(rest, c.rest);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SplitEnhancedCodeTest,
    testing::Values(SplitCase{"Success", 250, "2.1.0 Ok", "2.1.0", "Ok"},
                    SplitCase{"PermanentFailure", 550, "5.7.1 Relay denied", "5.7.1",
                              "Relay denied"},
                    SplitCase{"TransientAtEndOfText", 452, "4.2.2", "4.2.2", ""},
                    SplitCase{"ThreeDigitParts", 554, "5.123.999 x", "5.123.999", "x"},
                    SplitCase{"OnlyOneSpaceStripped", 250, "2.0.0  two", "2.0.0", " two"},
                    SplitCase{"WrongClass", 250, "5.7.1 x", "", "5.7.1 x"},
                    SplitCase{"ClassThreeNeverValid", 354, "3.0.0 go", "", "3.0.0 go"},
                    SplitCase{"SubjectTooLong", 250, "2.1000.0 x", "", "2.1000.0 x"},
                    SplitCase{"DetailTooLong", 250, "2.1.0000 x", "", "2.1.0000 x"},
                    SplitCase{"NoSpaceAfter", 250, "2.1.0Ok", "", "2.1.0Ok"},
                    SplitCase{"TabAfterIsNotSpace", 250, "2.1.0\tOk", "", "2.1.0\tOk"},
                    SplitCase{"MissingDetail", 250, "2.1 Ok", "", "2.1 Ok"},
                    SplitCase{"EmptySubject", 250, "2..0 Ok", "", "2..0 Ok"},
                    SplitCase{"LeadingSpace", 250, " 2.1.0 Ok", "", " 2.1.0 Ok"},
                    SplitCase{"CodeOutOfRange", 650, "6.0.0 x", "", "6.0.0 x"},
                    SplitCase{"EmptyText", 250, "", "", ""},
                    SplitCase{"LettersInSubject", 550, "5.a.1 x", "", "5.a.1 x"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// ParseReply: valid replies

struct ParseOkCase {
  std::string name;
  ReadMode mode;
  std::string wire;
  Reply reply;
};

void PrintTo(const ParseOkCase& c, std::ostream* os) { *os << c.name; }

class ParseReplyOkTest : public testing::TestWithParam<ParseOkCase> {};

TEST_P(ParseReplyOkTest, Parses) {
  const ParseOkCase& c = GetParam();
  const absl::StatusOr<Reply> reply = ParseReply(c.wire, c.mode);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, c.reply);
  // The reader agrees with ParseReply, whole and byte by byte.
  const std::vector<Result> expected = {{true, c.reply, ""}};
  EXPECT_EQ(ReadWhole(c.wire, Options(c.mode)), expected);
  EXPECT_EQ(ReadByteByByte(c.wire, Options(c.mode)), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Strict, ParseReplyOkTest,
    testing::Values(
        ParseOkCase{"SingleLine",
                    kStrict,
                    "220 mx.example.test ESMTP\r\n",
                    {220, "", {"mx.example.test ESMTP"}}},
        ParseOkCase{"PostfixEhlo",
                    kStrict,
                    "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                    "250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
                    {250,
                     "",
                     {"mx.example.test", "PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES",
                      "SMTPUTF8"}}},
        ParseOkCase{"BareCode", kStrict, "250\r\n", {250, "", {""}}},
        ParseOkCase{"TrailingSpaceEmptyText", kStrict, "250 \r\n", {250, "", {""}}},
        ParseOkCase{"EmptyContinuation", kStrict, "250-\r\n250 last\r\n", {250, "", {"", "last"}}},
        ParseOkCase{"EnhancedStripped", kStrict, "250 2.1.0 Ok\r\n", {250, "2.1.0", {"Ok"}}},
        ParseOkCase{"EnhancedOnEveryLine",
                    kStrict,
                    "550-5.7.1 Relaying denied\r\n550 5.7.1 see policy\r\n",
                    {550, "5.7.1", {"Relaying denied", "see policy"}}},
        ParseOkCase{"EnhancedOnlyOnFirstLineKeptAsText",
                    kStrict,
                    "250-2.0.0 a\r\n250 b\r\n",
                    {250, "", {"2.0.0 a", "b"}}},
        ParseOkCase{"DifferentEnhancedCodesKeptAsText",
                    kStrict,
                    "250-2.0.0 a\r\n250 2.1.0 b\r\n",
                    {250, "", {"2.0.0 a", "2.1.0 b"}}},
        ParseOkCase{
            "EnhancedWrongClassKeptAsText", kStrict, "550 2.0.0 odd\r\n", {550, "", {"2.0.0 odd"}}},
        ParseOkCase{"EnhancedAloneOnLine", kStrict, "250 2.0.0\r\n", {250, "2.0.0", {""}}},
        ParseOkCase{"DataGoAhead",
                    kStrict,
                    "354 End data with <CR><LF>.<CR><LF>\r\n",
                    {354, "", {"End data with <CR><LF>.<CR><LF>"}}},
        ParseOkCase{"TabAndUtf8InText",
                    kStrict,
                    "250 a\tb caf\xc3\xa9\r\n",
                    {250, "", {"a\tb caf\xc3\xa9"}}},
        ParseOkCase{"ExtraSpacesKept", kStrict, "250  two  \r\n", {250, "", {" two  "}}}),
    CaseName());

INSTANTIATE_TEST_SUITE_P(
    Lenient, ParseReplyOkTest,
    testing::Values(
        ParseOkCase{"BareLf", kLenient, "250-a\n250 b\n", {250, "", {"a", "b"}}},
        ParseOkCase{
            "MixedLineEnds", kLenient, "250-a\r\n250-b\n250 c\r\n", {250, "", {"a", "b", "c"}}},
        ParseOkCase{"DifferentCodeFirstWins",
                    kLenient,
                    "250-a\r\n251-b\r\n550 c\r\n",
                    {250, "", {"a", "b", "c"}}},
        ParseOkCase{"ControlsBecomeSpaces",
                    kLenient,
                    "250 a\0b\x01"
                    "c\x7f\r\n"s,
                    {250, "", {"a b c "}}},
        ParseOkCase{"BareCrBecomesSpace", kLenient, "250 a\rb\r\n", {250, "", {"a b"}}},
        ParseOkCase{"EnhancedFromFirstLineStrippedWherePresent",
                    kLenient,
                    "250-2.0.0 a\r\n250 b\r\n",
                    {250, "2.0.0", {"a", "b"}}},
        ParseOkCase{"OtherEnhancedCodeKeptAsText",
                    kLenient,
                    "250-2.0.0 a\r\n250 2.1.0 b\r\n",
                    {250, "2.0.0", {"a", "2.1.0 b"}}},
        ParseOkCase{"EnhancedWithBareLf", kLenient, "550 5.7.1 no\n", {550, "5.7.1", {"no"}}},
        ParseOkCase{"CrCrLfKeepsOneCrAsSpace", kLenient, "250 a\r\r\n", {250, "", {"a "}}}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// ParseReply: malformed replies, each with the reason it must give

struct ParseErrorCase {
  std::string name;
  ReadMode mode;
  std::string wire;
  std::string reason;  // substring of the status message
};

void PrintTo(const ParseErrorCase& c, std::ostream* os) { *os << c.name; }

class ParseReplyErrorTest : public testing::TestWithParam<ParseErrorCase> {};

TEST_P(ParseReplyErrorTest, FailsWithReason) {
  const ParseErrorCase& c = GetParam();
  const absl::StatusOr<Reply> reply = ParseReply(c.wire, c.mode);
  ASSERT_FALSE(reply.ok()) << "parsed as " << testing::PrintToString(*reply);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(reply.status().message()), HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Strict, ParseReplyErrorTest,
    testing::Values(
        ParseErrorCase{"BareLf", kStrict, "250 ok\n", "reply line 1: bare LF (strict mode)"},
        ParseErrorCase{"BareLfOnSecondLine", kStrict, "250-a\r\n250 b\n",
                       "reply line 2: bare LF (strict mode)"},
        ParseErrorCase{"BareCr", kStrict, "250 a\rb\r\n",
                       "reply line 1: bare CR at column 6 (strict mode)"},
        ParseErrorCase{"Nul", kStrict, "250 a\0b\r\n"s,
                       "reply line 1: control octet 0x00 at column 6"},
        ParseErrorCase{"Escape", kStrict, "250 \x1b[0m\r\n",
                       "reply line 1: control octet 0x1b at column 5"},
        ParseErrorCase{"Del", kStrict, "250 \x7f\r\n", "control octet 0x7f"},
        ParseErrorCase{"CodeMismatch", kStrict, "250-a\r\n251 b\r\n",
                       "reply line 2: code 251 differs from 250"},
        ParseErrorCase{"Garbage", kStrict, "hello\r\n",
                       "reply line 1: no 3-digit reply code at the start of \"hello\""},
        ParseErrorCase{"TwoDigitCode", kStrict, "25 ok\r\n", "no 3-digit reply code"},
        ParseErrorCase{"EmptyLine", kStrict, "\r\n", "reply line 1: no 3-digit reply code"},
        ParseErrorCase{"FirstDigit1", kStrict, "150 ok\r\n",
                       "reply line 1: invalid reply code 150"},
        ParseErrorCase{"FirstDigit6", kStrict, "650 ok\r\n", "invalid reply code 650"},
        ParseErrorCase{"SecondDigit6", kStrict, "260 ok\r\n", "invalid reply code 260"},
        ParseErrorCase{"FourDigits", kStrict, "2500 ok\r\n",
                       "reply line 1: expected SP, '-' or line end after code 250, got '0'"},
        ParseErrorCase{"TabAfterCode", kStrict, "250\tok\r\n", "got '\\t'"},
        ParseErrorCase{"NoLineEnd", kStrict, "250 ok", "reply line 1: no line end"},
        ParseErrorCase{"CrWithoutLf", kStrict, "250 ok\r", "no line end"},
        ParseErrorCase{"ContinuationWithoutFinal", kStrict, "250-a\r\n250-b\r\n",
                       "incomplete reply: line 2 is a continuation"},
        ParseErrorCase{"Empty", kStrict, "", "empty reply"},
        ParseErrorCase{"TwoReplies", kStrict, "250 a\r\n250 b\r\n",
                       "data after the reply's last line (line 1)"},
        ParseErrorCase{"TrailingPartialLine", kStrict, "250 a\r\n25", "data after"}),
    CaseName());

INSTANTIATE_TEST_SUITE_P(
    Lenient, ParseReplyErrorTest,
    testing::Values(
        ParseErrorCase{"GarbageStillAnError", kLenient, "hello\n", "no 3-digit reply code"},
        ParseErrorCase{"BadCodeStillAnError", kLenient, "199 x\n", "invalid reply code 199"},
        ParseErrorCase{"GarbageContinuation", kLenient, "250-a\nxyz\n250 b\n",
                       "reply line 2: no 3-digit reply code"},
        ParseErrorCase{"BadSeparator", kLenient, "250_x\n", "expected SP, '-' or line end"},
        ParseErrorCase{"NoLineEnd", kLenient, "250 ok", "no line end"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// ReplyReader: sequences of replies and errors

// Expected result: a reply, or an error whose message contains `error`.
struct Expect {
  bool ok;
  Reply reply;
  std::string error;
};
Expect Ok(Reply reply) { return {true, std::move(reply), ""}; }
Expect Err(std::string error) { return {false, {}, std::move(error)}; }

struct StreamCase {
  std::string name;
  ReplyReaderOptions options;
  std::string input;
  std::vector<Expect> expected;
};

void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

class ReplyReaderStreamTest : public testing::TestWithParam<StreamCase> {};

void ExpectResults(const std::vector<Result>& got, const std::vector<Expect>& expected) {
  ASSERT_EQ(got.size(), expected.size()) << testing::PrintToString(got);
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(got[i].ok, expected[i].ok) << testing::PrintToString(got[i]);
    if (got[i].ok) {
      EXPECT_EQ(got[i].reply, expected[i].reply);
    } else {
      EXPECT_THAT(got[i].error, HasSubstr(expected[i].error));
    }
  }
}

TEST_P(ReplyReaderStreamTest, WholeAndByteByByteAndOddSplitsAgree) {
  const StreamCase& c = GetParam();
  const std::vector<Result> whole = ReadWhole(c.input, c.options);
  ExpectResults(whole, c.expected);
  EXPECT_EQ(ReadByteByByte(c.input, c.options), whole);
  for (size_t chunk : {2, 3, 7, 64}) {
    SCOPED_TRACE(chunk);
    ReplyReader reader(c.options);
    std::vector<Result> results;
    for (size_t i = 0; i < c.input.size(); i += chunk) {
      reader.Feed(std::string_view(c.input).substr(i, chunk));
      for (Result& r : Drain(reader)) results.push_back(std::move(r));
      EXPECT_LE(reader.buffered(), std::max<size_t>(c.options.max_line_length, 3) + 1);
    }
    EXPECT_EQ(results, whole);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReplyReaderStreamTest,
    testing::Values(
        StreamCase{
            "PipelinedReplies",
            Options(kStrict),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n",
            {Ok({250, "2.1.0", {"Ok"}}), Ok({250, "2.1.5", {"Ok"}}), Ok({354, "", {"go ahead"}})}},
        StreamCase{"EximLikeEhloThenReply",
                   Options(kStrict),
                   "250-mx.example.test Hello client [127.0.0.1]\r\n250-SIZE 52428800\r\n"
                   "250-8BITMIME\r\n250-PIPELINING\r\n250 HELP\r\n250 OK\r\n",
                   {Ok({250,
                        "",
                        {"mx.example.test Hello client [127.0.0.1]", "SIZE 52428800", "8BITMIME",
                         "PIPELINING", "HELP"}}),
                    Ok({250, "", {"OK"}})}},
        StreamCase{"CodeMismatchSkipsRestOfBadReply",
                   Options(kStrict),
                   "250-a\r\n251-b\r\n250-c\r\n250 d\r\n220 next\r\n",
                   {Err("reply line 2: code 251 differs from 250"), Ok({220, "", {"next"}})}},
        StreamCase{"GarbageFirstLineIsItsOwnBadReply",
                   Options(kStrict),
                   "hello\r\n250 ok\r\n",
                   {Err("reply line 1: no 3-digit reply code"), Ok({250, "", {"ok"}})}},
        StreamCase{"GarbageInsideMultiLineSkipsToFinal",
                   Options(kStrict),
                   "250-a\r\nxyz\r\n250 c\r\n221 bye\r\n",
                   {Err("reply line 2: no 3-digit reply code"), Ok({221, "", {"bye"}})}},
        StreamCase{"BareLfOnFinalLineResumesAtNextLine",
                   Options(kStrict),
                   "250 a\n250 ok\r\n",
                   {Err("reply line 1: bare LF"), Ok({250, "", {"ok"}})}},
        StreamCase{"BareLfOnContinuationSkipsToFinal",
                   Options(kStrict),
                   "250-a\n250 b\r\n220 c\r\n",
                   {Err("reply line 1: bare LF"), Ok({220, "", {"c"}})}},
        StreamCase{"TwoGarbageLinesTwoErrors",
                   Options(kStrict),
                   "x\r\ny\r\n",
                   {Err("no 3-digit reply code at the start of \"x\""),
                    Err("no 3-digit reply code at the start of \"y\"")}},
        StreamCase{"StrictOverLongFinalLine",
                   Options(kStrict, 16),
                   "250 0123456789abcdef\r\n250 short\r\n",
                   {Err("reply line 1 longer than 16 octets"), Ok({250, "", {"short"}})}},
        StreamCase{"StrictOverLongContinuationSkipsReply",
                   Options(kStrict, 16),
                   "250-0123456789abcdef\r\n250 end of bad reply\r\n250 short\r\n",
                   {Err("reply line 1 longer than 16 octets"), Ok({250, "", {"short"}})}},
        StreamCase{"LineExactlyAtCapAccepted",
                   Options(kStrict, 16),
                   "250 0123456789ab\r\n",
                   {Ok({250, "", {"0123456789ab"}})}},
        StreamCase{"LenientLineExactlyAtCapWithBareLf",
                   Options(kLenient, 16),
                   "250 0123456789ab\n",
                   {Ok({250, "", {"0123456789ab"}})}},
        StreamCase{"LenientOverLongTruncated",
                   Options(kLenient, 10),
                   "250-abcdefghijklmnop\r\n250 xy\r\n",
                   {Ok({250, "", {"abcdef", "xy"}})}},
        StreamCase{"LenientTruncatedCrInsideCap",
                   Options(kLenient, 6),
                   "250 a\rbcdef\n",
                   {Ok({250, "", {"a "}})}},
        StreamCase{"TooManyLines",
                   Options(kStrict, 4096, 2),
                   "250-a\r\n250-b\r\n250 c\r\n250 next\r\n",
                   {Err("reply line 3: more than 2 lines in one reply"), Ok({250, "", {"next"}})}},
        StreamCase{"TooManyLinesContinuationSkips",
                   Options(kLenient, 4096, 2),
                   "250-a\n250-b\n250-c\n250 d\n250 next\n",
                   {Err("reply line 3: more than 2 lines"), Ok({250, "", {"next"}})}},
        StreamCase{"LenientMismatchThenPipelined",
                   Options(kLenient),
                   "250-a\n550 b\n354 c\r\n",
                   {Ok({250, "", {"a", "b"}}), Ok({354, "", {"c"}})}}),
    CaseName());

TEST(ReplyReaderTest, NothingUntilTheFinalLineArrives) {
  // aiosmtpd writes each line of a multi-line reply separately.
  ReplyReader reader;
  EXPECT_FALSE(reader.Next().has_value());
  for (std::string_view line : {"250-mx.example.test\r\n", "250-SIZE 33554432\r\n",
                                "250-8BITMIME\r\n", "250-SMTPUTF8\r\n"}) {
    reader.Feed(line);
    EXPECT_FALSE(reader.Next().has_value()) << line;
  }
  reader.Feed("250 HELP\r\n");
  std::optional<absl::StatusOr<Reply>> reply = reader.Next();
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->ok()) << reply->status();
  EXPECT_EQ(**reply,
            (Reply{250, "", {"mx.example.test", "SIZE 33554432", "8BITMIME", "SMTPUTF8", "HELP"}}));
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(ReplyReaderTest, PartialLineIsBufferedUntilItsLineEnd) {
  ReplyReader reader;
  reader.Feed("250 O");
  EXPECT_EQ(reader.buffered(), 5u);
  EXPECT_FALSE(reader.Next().has_value());
  reader.Feed("k\r");
  EXPECT_FALSE(reader.Next().has_value());
  reader.Feed("\n221");
  std::optional<absl::StatusOr<Reply>> reply = reader.Next();
  ASSERT_TRUE(reply.has_value() && reply->ok());
  EXPECT_EQ(**reply, (Reply{250, "", {"Ok"}}));
  EXPECT_EQ(reader.buffered(), 3u);
}

TEST(ReplyReaderTest, ErrorIsReturnedExactlyOnce) {
  ReplyReader reader;
  reader.Feed("250-a\r\n199-b\r\n");
  std::optional<absl::StatusOr<Reply>> first = reader.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->ok());
  EXPECT_THAT(std::string(first->status().message()), HasSubstr("invalid reply code 199"));
  EXPECT_FALSE(reader.Next().has_value());
  reader.Feed("250 end\r\n");  // still the bad reply
  EXPECT_FALSE(reader.Next().has_value());
  reader.Feed("250 fresh\r\n");
  std::optional<absl::StatusOr<Reply>> second = reader.Next();
  ASSERT_TRUE(second.has_value() && second->ok());
  EXPECT_EQ(**second, (Reply{250, "", {"fresh"}}));
}

// A 1 MB line with no line end must not be buffered, whether fed at once or in pieces.
TEST(ReplyReaderTest, MegabyteLineStrictIsBoundedAndReportedOnce) {
  const std::string huge = "250 " + std::string(1 << 20, 'x');
  for (size_t chunk : {huge.size(), size_t{1000}}) {
    SCOPED_TRACE(chunk);
    ReplyReader reader;
    size_t errors = 0;
    for (size_t i = 0; i < huge.size(); i += chunk) {
      reader.Feed(std::string_view(huge).substr(i, chunk));
      EXPECT_LE(reader.buffered(), 4097u);
      while (std::optional<absl::StatusOr<Reply>> next = reader.Next()) {
        ASSERT_FALSE(next->ok());
        EXPECT_EQ(next->status().message(), "reply line 1 longer than 4096 octets");
        ++errors;
      }
    }
    EXPECT_EQ(errors, 1u);
    EXPECT_EQ(reader.buffered(), 0u);
    reader.Feed("yyy\r\n250 after\r\n");
    std::optional<absl::StatusOr<Reply>> next = reader.Next();
    ASSERT_TRUE(next.has_value() && next->ok());
    EXPECT_EQ(**next, (Reply{250, "", {"after"}}));
  }
}

// Lenient: the first 4096 octets are the line; it is handled as soon as the cap is passed (the
// reply is complete before its line end arrives) and the rest is dropped up to the next LF.
TEST(ReplyReaderTest, MegabyteLineLenientIsTruncatedToTheCap) {
  ReplyReader reader(Options(kLenient));
  reader.Feed("250-first\r\n250 " + std::string(1 << 20, 'x'));
  EXPECT_EQ(reader.buffered(), 0u);
  std::optional<absl::StatusOr<Reply>> next = reader.Next();
  ASSERT_TRUE(next.has_value());
  ASSERT_TRUE(next->ok()) << next->status();
  EXPECT_EQ(**next, (Reply{250, "", {"first", std::string(4092, 'x')}}));
  reader.Feed(std::string(1 << 20, 'z'));
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_FALSE(reader.Next().has_value());
  reader.Feed("\r\n250 after\n");
  next = reader.Next();
  ASSERT_TRUE(next.has_value() && next->ok());
  EXPECT_EQ(**next, (Reply{250, "", {"after"}}));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(ReplyReaderTest, ManyRepliesInOneFeed) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "250-a\r\n250 2.0.0 b\r\n";
  ReplyReader reader;
  reader.Feed(input);
  int count = 0;
  while (std::optional<absl::StatusOr<Reply>> next = reader.Next()) {
    ASSERT_TRUE(next->ok());
    ASSERT_EQ(**next, (Reply{250, "", {"a", "2.0.0 b"}}));
    ++count;
  }
  EXPECT_EQ(count, 10000);
}

// ---------------------------------------------------------------------------------------------
// FormatReply → ParseReply

class RoundTripTest : public testing::TestWithParam<Reply> {};

TEST_P(RoundTripTest, StrictParseGivesBackTheReply) {
  const std::string wire = FormatReply(GetParam());
  for (ReadMode mode : {kStrict, kLenient}) {
    const absl::StatusOr<Reply> parsed = ParseReply(wire, mode);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << " for " << wire;
    EXPECT_EQ(*parsed, GetParam()) << wire;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, RoundTripTest,
                         testing::Values(Reply{250, "", {"Ok"}}, Reply{250, "2.1.0", {"Sender ok"}},
                                         Reply{250, "", {"mx", "PIPELINING", "SIZE 100"}},
                                         Reply{550, "5.7.1", {"a", "", "c"}},
                                         Reply{250, "", {"", ""}}, Reply{221, "2.0.0", {""}},
                                         Reply{250, "2.0.0", {"2.0.0 twice"}},
                                         Reply{451, "", {" leading", "trailing "}},
                                         Reply{554, "", {"caf\xc3\xa9\t"}},
                                         Reply{354, "", {"-dash"}}));

TEST(RoundTripTest, SanitizedTextComesBackSanitized) {
  const Reply injected{250, "", {"ok\r\n250 fake\0"s}};
  const absl::StatusOr<Reply> parsed = ParseReply(FormatReply(injected));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, (Reply{250, "", {"ok  250 fake "}}));
}

}  // namespace
}  // namespace smtpgate
