// The transcript language (docs/transcripts.md): every construct, and every parse error
// naming file:line:column and what was expected.
#include <string>
#include <string_view>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/transcript_parser.h"
#include "harness/conformance/variables.h"

namespace smtpgate::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Four metadata lines: a step written after it is on line 5.
constexpr std::string_view kHeader =
    "@name t\n"
    "@title T\n"
    "@source S\n"
    "@severity high\n";

absl::StatusOr<Transcript> Parse(std::string_view body) {
  return ParseTranscript(std::string(kHeader) + std::string(body), "t.smtp",
                         UsableNames(DemoVariables(2)));
}

std::string ErrorOf(std::string_view body) {
  const absl::StatusOr<Transcript> t = Parse(body);
  EXPECT_FALSE(t.ok()) << "parsed: " << body;
  return t.ok() ? "" : std::string(t.status().message());
}

std::string Literal(const Template& value) {
  std::string out;
  for (const auto& part : value.parts) {
    if (const auto* text = std::get_if<std::string>(&part)) out += *text;
  }
  return out;
}

TEST(TranscriptParser, EveryConstruct) {
  const absl::StatusOr<Transcript> t = ParseTranscript(
      "# a comment\r\n"
      "@name     every-construct\r\n"
      "@title    All of it\n"
      "@source   docs/transcripts.md\n"
      "@severity critical\n"
      "@tags     relay malformed kb304897\n"
      "@requires auth-plain chunking\n"
      "\n"
      "S: 220\n"
      "C: EHLO ${helo}\n"
      "S: 250\n"
      "  C!: \"MAIL FROM:<>\\r\\n\" \"\\x41\\0\\t\\\\\\\"\\$\"\n"
      "S: 250|251\n"
      "PIPELINE\n"
      "  # inside\n"
      "  C: RCPT TO:<a@b>\n"
      "  C!: \"DATA\\r\\n\"\n"
      "END\n"
      "S: !2xx\n"
      "S: 550 5.7.1\n"
      "S[valid]: 5xx 5.x.x warn 4xx\n"
      "S: close\n"
      "S: 501|close\n"
      "S: any\n"
      "STARTTLS\n"
      "SLEEP 500\n"
      "SLEEP 2s\n"
      "SLEEP 250ms\n"
      "RECONNECT\n"
      "EXPECT not-relayed\n"
      "EXPECT relayed warn\n"
      "EXPECT delivered-local\n"
      "EXPECT no-message\n"
      "EXPECT one-message fail\n"
      "EXPECT no-message-from <x@${remote_domain}>\n"
      "EXPECT message-contains \"a b\\r\\n\" \"c\"\n"
      "EXPECT message-lacks \"x\" warn\n"
      "EXPECT alive\n"
      "EXPECT delay>=${tarpit_seconds}s\n"
      "EXPECT delay<1.5s\n"
      "EXPECT same-reply-as valid\n",
      "every.smtp", UsableNames(DemoVariables(2)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->name, "every-construct");
  EXPECT_EQ(t->title, "All of it");
  EXPECT_EQ(t->source, "docs/transcripts.md");
  EXPECT_EQ(t->severity, Severity::kCritical);
  EXPECT_THAT(t->tags, ElementsAre("relay", "malformed", "kb304897"));
  EXPECT_THAT(t->requirements, ElementsAre("auth-plain", "chunking"));
  ASSERT_EQ(t->steps.size(), 29u);

  EXPECT_EQ(t->steps[0].location.line, 9);
  const auto& ehlo = std::get<SendStep>(t->steps[1].body);
  EXPECT_FALSE(ehlo.raw);
  ASSERT_EQ(ehlo.bytes.parts.size(), 2u);
  EXPECT_EQ(std::get<std::string>(ehlo.bytes.parts[0]), "EHLO ");
  const auto& raw = std::get<SendStep>(t->steps[3].body);
  EXPECT_TRUE(raw.raw);
  EXPECT_EQ(t->steps[3].location.column, 3);  // indented
  EXPECT_EQ(Literal(raw.bytes), std::string("MAIL FROM:<>\r\nA\0\t\\\"$", 20));

  const auto& pipeline = std::get<PipelineStep>(t->steps[5].body);
  ASSERT_EQ(pipeline.parts.size(), 2u);
  EXPECT_FALSE(pipeline.parts[0].raw);
  EXPECT_TRUE(pipeline.parts[1].raw);

  const auto& alternatives = std::get<ReplyStep>(t->steps[4].body).pattern;
  ASSERT_EQ(alternatives.alternatives.size(), 2u);
  EXPECT_EQ(alternatives.alternatives[1].code, "251");
  const auto& negated = std::get<ReplyStep>(t->steps[6].body).pattern;
  EXPECT_EQ(negated.alternatives[0].kind, CodeAlternative::Kind::kNotCode);
  EXPECT_EQ(std::get<ReplyStep>(t->steps[7].body).pattern.enhanced, "5.7.1");
  const auto& labelled = std::get<ReplyStep>(t->steps[8].body);
  EXPECT_EQ(labelled.label, "valid");
  EXPECT_EQ(labelled.pattern.enhanced, "5.x.x");
  ASSERT_TRUE(labelled.warn.has_value());
  EXPECT_EQ(labelled.warn->text, "4xx");
  EXPECT_TRUE(std::get<ReplyStep>(t->steps[9].body).pattern.AcceptsClose());
  EXPECT_TRUE(std::get<ReplyStep>(t->steps[10].body).pattern.AcceptsClose());
  EXPECT_TRUE(std::get<ReplyStep>(t->steps[11].body).pattern.AcceptsClose());
  EXPECT_TRUE(std::holds_alternative<StartTlsStep>(t->steps[12].body));
  EXPECT_EQ(std::get<SleepStep>(t->steps[13].body).duration.count(), 500);
  EXPECT_EQ(std::get<SleepStep>(t->steps[14].body).duration.count(), 2000);
  EXPECT_EQ(std::get<SleepStep>(t->steps[15].body).duration.count(), 250);
  EXPECT_TRUE(std::holds_alternative<ReconnectStep>(t->steps[16].body));

  const OutcomeKind kinds[] = {
      OutcomeKind::kNotRelayed,      OutcomeKind::kRelayed,      OutcomeKind::kDeliveredLocal,
      OutcomeKind::kNoMessage,       OutcomeKind::kOneMessage,   OutcomeKind::kNoMessageFrom,
      OutcomeKind::kMessageContains, OutcomeKind::kMessageLacks, OutcomeKind::kAlive,
      OutcomeKind::kDelayAtLeast,    OutcomeKind::kDelayBelow,   OutcomeKind::kSameReplyAs};
  for (size_t i = 0; i < std::size(kinds); ++i) {
    const auto& expect = std::get<ExpectStep>(t->steps[17 + i].body);
    EXPECT_EQ(expect.kind, kinds[i]) << i;
  }
  EXPECT_EQ(std::get<ExpectStep>(t->steps[17].body).level, FailLevel::kFail);
  EXPECT_EQ(std::get<ExpectStep>(t->steps[18].body).level, FailLevel::kWarn);
  EXPECT_EQ(std::get<ExpectStep>(t->steps[21].body).level, FailLevel::kFail);
  EXPECT_EQ(Literal(std::get<ExpectStep>(t->steps[23].body).argument), "a b\r\nc");
  EXPECT_EQ(std::get<ExpectStep>(t->steps[24].body).level, FailLevel::kWarn);
  const auto& delay = std::get<ExpectStep>(t->steps[26].body);
  EXPECT_EQ(delay.reply_step_index, 11);  // the nearest S: above (S: any)
  const auto& same = std::get<ExpectStep>(t->steps[28].body);
  EXPECT_EQ(same.label, "valid");
  EXPECT_EQ(same.label_step_index, 8);
  EXPECT_EQ(same.level, FailLevel::kWarn);  // same-reply-as defaults to WARN
  EXPECT_TRUE(t->HasOutcome(OutcomeKind::kAlive));
  EXPECT_TRUE(t->HasTag("malformed"));
}

TEST(TranscriptParser, AltBlocksAreFlattenedWithTheirBranches) {
  const absl::StatusOr<Transcript> t = Parse(
      "S: 220\n"
      "ALT\n"
      "  S: 220\n"
      "  STARTTLS\n"
      "OR\n"
      "  S: 5xx|close\n"
      "  EXPECT alive\n"
      "END\n"
      "C: NOOP\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 9u);  // S, ALT, S, STARTTLS, OR, S, EXPECT, END, C
  const auto& alt = std::get<AltStep>(t->steps[1].body);
  EXPECT_THAT(alt.branches, ElementsAre(2, 5));
  EXPECT_EQ(alt.end, 8);
  EXPECT_EQ(std::get<BranchEndStep>(t->steps[4].body).alt, 1);
  EXPECT_EQ(std::get<BranchEndStep>(t->steps[7].body).alt, 1);
  EXPECT_TRUE(std::holds_alternative<SendStep>(t->steps[8].body));
}

TEST(TranscriptParser, AltErrors) {
  EXPECT_EQ(ErrorOf("OR\n"), "t.smtp:5:1: OR without an ALT before it");
  EXPECT_EQ(ErrorOf("END\n"), "t.smtp:5:1: END without a PIPELINE, ALT or REPEAT before it");
  EXPECT_EQ(ErrorOf("ALT\nC: NOOP\nOR\nS: 250\nEND\n"),
            "t.smtp:7:1: expected the branch before OR to start with an S: step (the reply "
            "chooses the branch)");
  EXPECT_EQ(ErrorOf("ALT\nS: 250\nOR\nEND\n"),
            "t.smtp:8:1: expected the branch before END to start with an S: step (the reply "
            "chooses the branch)");
  EXPECT_EQ(ErrorOf("ALT\nS: 250\n"),
            "t.smtp:5:1: expected END to close this ALT block, got the end of the file");
}

TEST(TranscriptParser, RepeatUnrollsItsStepsAndBlocks) {
  const absl::StatusOr<Transcript> t = Parse(
      "S: 220\n"
      "REPEAT 3\n"
      "  # a comment inside\n"
      "  ALT\n"
      "    S: 5xx after>=900ms\n"
      "    STOP\n"
      "  OR\n"
      "    S: 5xx\n"
      "  END\n"
      "END\n"
      "S: close\n");
  ASSERT_TRUE(t.ok()) << t.status();
  // S, then 3 x (ALT, S, STOP, OR, S, END), then S.
  ASSERT_EQ(t->steps.size(), 20u);
  for (int copy = 0; copy < 3; ++copy) {
    const size_t at = 1 + 6 * static_cast<size_t>(copy);
    const auto& alt = std::get<AltStep>(t->steps[at].body);
    EXPECT_THAT(alt.branches, ElementsAre(at + 1, at + 4));
    EXPECT_EQ(alt.end, static_cast<int>(at + 6));
    EXPECT_EQ(t->steps[at].location.line, 8);  // every copy keeps the file's line numbers
    EXPECT_TRUE(std::holds_alternative<StopStep>(t->steps[at + 2].body));
    const auto& timed = std::get<ReplyStep>(t->steps[at + 1].body);
    EXPECT_EQ(timed.pattern.after_at_least, std::chrono::milliseconds(900));
    EXPECT_FALSE(timed.pattern.after_below.has_value());
    EXPECT_EQ(timed.pattern.text, "5xx after>=900ms");
  }
  EXPECT_EQ(t->steps[19].location.line, 15);
  // Nested: 2 x (1 + 2 x 1) steps.
  const absl::StatusOr<Transcript> nested =
      Parse("REPEAT 2\n  C: NOOP\n  REPEAT 2\n    S: 250 after<1s\n  END\nEND\n");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(nested->steps.size(), 6u);
  EXPECT_EQ(std::get<ReplyStep>(nested->steps[1].body).pattern.after_below,
            std::chrono::milliseconds(1000));
}

TEST(TranscriptParser, RepeatStopAndTimingErrors) {
  EXPECT_EQ(ErrorOf("REPEAT\nS: 250\nEND\n"),
            "t.smtp:5:8: expected a repetition count 1..1000 after REPEAT, got ''");
  EXPECT_EQ(ErrorOf("REPEAT 0\nS: 250\nEND\n"),
            "t.smtp:5:8: expected a repetition count 1..1000 after REPEAT, got '0'");
  EXPECT_EQ(ErrorOf("REPEAT 1001\nS: 250\nEND\n"),
            "t.smtp:5:8: expected a repetition count 1..1000 after REPEAT, got '1001'");
  EXPECT_EQ(ErrorOf("REPEAT 2\n# nothing\nEND\n"),
            "t.smtp:7:1: expected at least one step in the REPEAT block before END");
  EXPECT_EQ(ErrorOf("C: NOOP\nREPEAT 2\nS: 250\n"),
            "t.smtp:6:1: expected END to close this REPEAT block, got the end of the file");
  EXPECT_EQ(ErrorOf("ALT\nS: 250\nREPEAT 2\nOR\nS: 5xx\nEND\nEND\n"),
            "t.smtp:8:1: OR inside REPEAT without an ALT inside the same REPEAT (a REPEAT "
            "block holds whole steps and blocks)");
  // An error inside the block names the file's line.
  EXPECT_EQ(ErrorOf("REPEAT 2\n  S: 2x\nEND\n"),
            "t.smtp:6:6: expected a reply pattern like 250, 2xx, 250|251, !2xx or close, got "
            "'2x'");
  EXPECT_EQ(ErrorOf("REPEAT 1000\nREPEAT 1000\nC: NOOP\nEND\nEND\n"),
            "t.smtp:6:1: REPEAT makes more than 20000 steps");
  EXPECT_EQ(ErrorOf("STOP now\n"), "t.smtp:5:6: expected nothing after STOP, got 'now'");
  // Negated requirements name a known one.
  const absl::StatusOr<Transcript> negated = ParseTranscript(
      "@name t\n@title T\n@source S\n@severity high\n@requires !pipelining tls-before-auth\nS: "
      "220\n",
      "t.smtp", UsableNames(DemoVariables(2)));
  ASSERT_TRUE(negated.ok()) << negated.status();
  EXPECT_THAT(negated->requirements, ElementsAre("!pipelining", "tls-before-auth"));
  EXPECT_THAT(std::string(ParseTranscript("@name t\n@title T\n@source S\n@severity high\n"
                                          "@requires !magic\nS: 220\n",
                                          "t.smtp", UsableNames(DemoVariables(2)))
                              .status()
                              .message()),
              HasSubstr("t.smtp:5:11: expected a requirement ("));
  // within D: a literal duration or one with variables.
  const absl::StatusOr<Transcript> within =
      Parse("S: 421|close within ${tarpit_seconds}s\nS: 250 within 500ms warn 4xx\n");
  ASSERT_TRUE(within.ok()) << within.status();
  EXPECT_TRUE(std::get<ReplyStep>(within->steps[0].body).within.has_value());
  EXPECT_TRUE(std::get<ReplyStep>(within->steps[1].body).warn.has_value());
  EXPECT_EQ(ErrorOf("S: close within\n"),
            "t.smtp:5:16: expected a duration like 30s, 500ms or ${idle_timeout_seconds}s after "
            "within, got end of line");
  EXPECT_EQ(ErrorOf("S: close within soon\n"),
            "t.smtp:5:17: expected a duration like 30s, 500ms or ${idle_timeout_seconds}s after "
            "within, got 'soon'");
  EXPECT_EQ(ErrorOf("ON\n"),
            "t.smtp:5:3: expected a connection name (a-z 0-9 _ -) after ON, got end of line");
  EXPECT_EQ(ErrorOf("ON Anon\n"),
            "t.smtp:5:4: expected a connection name (a-z 0-9 _ -) after ON, got 'Anon'");
  EXPECT_EQ(ErrorOf("ON a b\n"), "t.smtp:5:6: expected the end of the line after ON a, got 'b'");
  const absl::StatusOr<Transcript> on = Parse("ON anon\nS: 220\n");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(std::get<OnStep>(on->steps[0].body).name, "anon");
  EXPECT_EQ(ErrorOf("S: 5xx after>900ms\n"),
            "t.smtp:5:8: expected a reply timing like after>=900ms or after<1s (at most 600s), "
            "got 'after>900ms'");
  EXPECT_EQ(ErrorOf("S: 5xx after>=\n"),
            "t.smtp:5:8: expected a reply timing like after>=900ms or after<1s (at most 600s), "
            "got 'after>='");
  EXPECT_EQ(ErrorOf("S: 5xx after<1s 5.7.1\n"),
            "t.smtp:5:17: expected an enhanced status code like 5.7.1, a timing like "
            "after>=900ms, 'warn', 'fail' or the end of the line, got '5.7.1'");
}

TEST(TranscriptParser, GradedReplyPatternsAndSilence) {
  const absl::StatusOr<Transcript> t = Parse(
      "S: 535|501 warn 454|4xx \"temporary refusal\" fail 235 \"authentication bypass: "
      "null credentials\"\n"
      "S: 5xx|close|silence fail 2xx \"chunk size truncated\"\n"
      "S: 250 warn 5xx\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const auto& graded = std::get<ReplyStep>(t->steps[0].body);
  EXPECT_EQ(graded.pattern.text, "535|501");
  ASSERT_TRUE(graded.warn.has_value());
  EXPECT_EQ(graded.warn->text, "454|4xx");
  EXPECT_EQ(graded.warn_reason, "temporary refusal");
  ASSERT_TRUE(graded.fail.has_value());
  EXPECT_EQ(graded.fail->text, "235");
  EXPECT_EQ(graded.fail_reason, "authentication bypass: null credentials");
  const auto& silence = std::get<ReplyStep>(t->steps[1].body);
  EXPECT_TRUE(silence.pattern.AcceptsSilence());
  EXPECT_TRUE(silence.pattern.AcceptsClose());
  EXPECT_FALSE(silence.fail->AcceptsSilence());
  EXPECT_EQ(silence.fail_reason, "chunk size truncated");
  const auto& plain = std::get<ReplyStep>(t->steps[2].body);
  EXPECT_TRUE(plain.warn_reason.empty());
  EXPECT_FALSE(plain.fail.has_value());
  EXPECT_FALSE(plain.pattern.AcceptsSilence());
}

TEST(TranscriptParser, CTextIsTrimmedAndEmptyLineAllowed) {
  const absl::StatusOr<Transcript> t = Parse("C:    NOOP  \t \nC:\nC: a # not a comment\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Literal(std::get<SendStep>(t->steps[0].body).bytes), "NOOP");
  EXPECT_TRUE(std::get<SendStep>(t->steps[1].body).bytes.empty());
  EXPECT_EQ(Literal(std::get<SendStep>(t->steps[2].body).bytes), "a # not a comment");
}

TEST(TranscriptParser, DollarEscapes) {
  const absl::StatusOr<Transcript> t = Parse("C: RCPT TO:<$${run{x}}@a> cost $5\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Literal(std::get<SendStep>(t->steps[0].body).bytes), "RCPT TO:<${run{x}}@a> cost $5");
}

struct ErrorCase {
  std::string_view body;
  std::string_view error;  // the whole message after "t.smtp:"
};

class TranscriptParseErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(TranscriptParseErrors, NamesFileLineColumnAndExpectation) {
  EXPECT_EQ(ErrorOf(GetParam().body), std::string("t.smtp:") + std::string(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    All, TranscriptParseErrors,
    ::testing::Values(
        ErrorCase{"S: xyz\n",
                  "5:4: expected a reply pattern like 250, 2xx, 250|251, !2xx or close, got 'xyz'"},
        ErrorCase{"S:\n",
                  "5:3: expected a reply pattern like 250, 2xx, 250|251, !2xx or close, got end "
                  "of line"},
        ErrorCase{"S: 2500\n",
                  "5:4: expected a reply pattern like 250, 2xx, 250|251, !2xx or close, got "
                  "'2500'"},
        ErrorCase{"S: 250 | 251\n",
                  "5:8: expected an enhanced status code like 5.7.1, a timing like "
                  "after>=900ms, 'warn', 'fail' or the end of the line, got '|'"},
        ErrorCase{"S: 550 5.7\n",
                  "5:8: expected an enhanced status code like 5.7.1 or 5.7.x, got '5.7'"},
        ErrorCase{"S: 5xx warn\n",
                  "5:12: expected a reply pattern like 250, 2xx, 250|251, !2xx or close after "
                  "'warn', got end of line"},
        ErrorCase{"S: 5xx warn 4xx extra\n",
                  "5:17: expected an enhanced status code like 5.7.1, a timing like "
                  "after>=900ms, 'warn', 'fail' or the end of the line, got 'extra'"},
        ErrorCase{"S: 535 fail 235\n",
                  "5:16: expected the reason of the fail pattern in double quotes (fail 235 "
                  "\"authentication bypass\"), got end of line"},
        ErrorCase{"S: 535 fail 235 \"bypass\n", "5:17: expected a closing '\"' after the reason"},
        ErrorCase{"S: 535 fail 235 \"\"\n", "5:17: expected a reason inside the quotes, got \"\""},
        ErrorCase{"S: 535 fail 235 \"bypass\" warn 4xx\n",
                  "5:26: expected an enhanced status code like 5.7.1, a timing like "
                  "after>=900ms, 'warn', 'fail' or the end of the line, got 'warn'"},
        ErrorCase{"S[Bad]: 250\n", "5:3: expected a step label of a-z 0-9 _ -, got 'Bad'"},
        ErrorCase{"S[ok] 250\n", "5:6: expected ':' after S[ok], got ' '"},
        ErrorCase{"C!: abc\n",
                  "5:5: expected a double-quoted string like \"DATA\\r\\n\", got 'abc'"},
        ErrorCase{"C!: \"abc\n", "5:5: unterminated string: expected a closing '\"'"},
        ErrorCase{"C!: \"a\\qb\"\n",
                  "5:7: expected an escape (\\r \\n \\t \\0 \\\\ \\\" \\$ \\xHH), got '\\q'"},
        ErrorCase{"C!: \"\\x4\"\n", "5:6: expected two hex digits after '\\x', got '4\"'"},
        ErrorCase{"C!: \"a\" b\n",
                  "5:9: expected a double-quoted string like \"DATA\\r\\n\", got 'b'"},
        ErrorCase{"C: ${foo:x}\n", "5:6: unknown helper 'foo'; expected b64, repeat or sasl_plain"},
        ErrorCase{"C: ${sasl_plain:a}\n",
                  "5:4: expected ${sasl_plain:USER:PASS} or ${sasl_plain:AUTHZID:USER:PASS}, got "
                  "1 argument"},
        ErrorCase{"C: x ${helo\n", "5:6: expected '}' to close '${helo'"},
        ErrorCase{"C: ${}\n",
                  "5:6: expected a variable or helper name (a-z, 0-9, _) after '${', got '}'"},
        ErrorCase{"C: ${b64:${helo}\n", "5:4: expected '}' to close '${b64:${helo}'"},
        ErrorCase{"FOO\n",
                  "5:1: expected a step (C:, C!:, S:, PIPELINE, ALT, REPEAT, ON, STARTTLS, SLEEP, "
                  "RECONNECT, STOP or EXPECT), metadata (@...) or a comment (#), got 'FOO'"},
        ErrorCase{"   c: x\n",
                  "5:4: expected a step (C:, C!:, S:, PIPELINE, ALT, REPEAT, ON, STARTTLS, SLEEP, "
                  "RECONNECT, STOP or EXPECT), metadata (@...) or a comment (#), got 'c:'"},
        ErrorCase{"EXPECT\n",
                  "5:7: expected an outcome after EXPECT (not-relayed, relayed, delivered-local, "
                  "no-message, one-message, no-message-from, message-contains, message-lacks, "
                  "every-message-contains, alive, delay>=, delay< or same-reply-as), got end of "
                  "line"},
        ErrorCase{"EXPECT relayd\n",
                  "5:8: expected an outcome (not-relayed, relayed, delivered-local, no-message, "
                  "one-message, no-message-from, message-contains, message-lacks, "
                  "every-message-contains, alive, delay>=, delay< or same-reply-as), got "
                  "'relayd'"},
        ErrorCase{"S: 250\nEXPECT delay>=abc\n",
                  "6:15: expected a duration like 2s, 1.5s, 300ms or ${tarpit_seconds}s after "
                  "delay>=, got 'abc'"},
        ErrorCase{"S: 250\nEXPECT delay<=2s\n",
                  "6:14: expected a duration like 2s, 1.5s, 300ms or ${tarpit_seconds}s after "
                  "delay<, got '=2s'"},
        ErrorCase{"C: x\nEXPECT delay>=2s\n",
                  "6:8: expected an S: step before EXPECT delay>=2s (it checks the nearest S: "
                  "step above), got none"},
        ErrorCase{"S: 250\nEXPECT same-reply-as nope\n",
                  "6:22: expected the label of an earlier S[label]: step, got 'nope'"},
        ErrorCase{"S: 250\nEXPECT alive extra\n",
                  "6:14: expected 'warn', 'fail' or the end of the line, got 'extra'"},
        ErrorCase{"EXPECT no-message-from\n",
                  "5:23: expected an address after no-message-from, got end of line"},
        ErrorCase{"SLEEP\n",
                  "5:6: expected a duration like 500, 500ms or 2s after SLEEP, got end of line"},
        ErrorCase{"SLEEP 5x\n",
                  "5:7: expected a duration like 500, 500ms or 2s after SLEEP (at most 600s), "
                  "got '5x'"},
        ErrorCase{"STARTTLS now\n", "5:10: expected nothing after STARTTLS, got 'now'"},
        ErrorCase{"RECONNECT x\n", "5:11: expected nothing after RECONNECT, got 'x'"},
        ErrorCase{"END\n", "5:1: END without a PIPELINE, ALT or REPEAT before it"},
        ErrorCase{"PIPELINE\nC: a\nS: 250\nEND\n",
                  "7:1: expected C:, C!: or END inside PIPELINE, got 'S: 250'"},
        ErrorCase{"PIPELINE\nC: a\n",
                  "5:1: expected END to close this PIPELINE block, got the end of the file"},
        ErrorCase{"PIPELINE\nEND\n",
                  "6:1: expected at least one C: or C!: line in the PIPELINE block before END"},
        ErrorCase{"S: 220\n@tags late\n",
                  "6:1: expected metadata before the first step, got '@tags' after a step"},
        ErrorCase{"@name again\nS: 220\n",
                  "5:1: expected @name once, got it again (first at line 1)"},
        ErrorCase{"@colour blue\n",
                  "5:1: expected a metadata key (@name, @title, @source, @severity, @tags, "
                  "@requires or @violates), got '@colour'"},
        ErrorCase{"@tags ok Bad\n", "5:10: expected a tag of a-z 0-9 . _ -, got 'Bad'"},
        ErrorCase{
            "@requires auth magic\n",
            "5:16: expected a requirement (8bitmime, auth, auth-login, auth-plain, "
            "binarymime, chunking, dsn, enhancedstatuscodes, idle-timeout, local-oracle, oracle, "
            "pipelining, size, smtputf8, starttls, tarpit, tls-before-auth; !word: where it is "
            "missing), "
            "got 'magic'"},
        ErrorCase{"@tags\n", "5:6: expected a value after @tags"},
        ErrorCase{"", "4:1: expected at least one step (C:, S:, ...), got none"}));

TEST(TranscriptParser, MetadataErrors) {
  const NameSet names = UsableNames(DemoVariables(2));
  EXPECT_EQ(ParseTranscript("@name Bad_Name\n", "m.smtp", names).status().message(),
            "m.smtp:1:7: expected a name of a-z 0-9 . _ - (starting with a letter or digit), "
            "got 'Bad_Name'");
  EXPECT_EQ(ParseTranscript("@severity urgent\n", "m.smtp", names).status().message(),
            "m.smtp:1:11: expected a severity (critical, high, medium, low or info), got "
            "'urgent'");
  EXPECT_EQ(ParseTranscript("@name a\n@title b\n@severity low\nS: 220\n", "m.smtp", names)
                .status()
                .message(),
            "m.smtp:1:1: expected the required metadata line @source, got none");
}

TEST(TranscriptParser, UnknownVariableNamesLineColumnAndKnownNames) {
  const std::string error = ErrorOf("S: 220\nC: AUTH PLAIN ${sasl_plain:${autorized_user}:x}\n");
  EXPECT_THAT(error, HasSubstr("t.smtp:6:28: unknown variable '${autorized_user}'; known: "));
  EXPECT_THAT(error, HasSubstr("authorized_user"));
  EXPECT_THAT(ErrorOf("EXPECT no-message-from <${nobody}@x>\n"),
              HasSubstr("t.smtp:5:25: unknown variable '${nobody}'"));
  EXPECT_THAT(ErrorOf("S: 220\nEXPECT delay>=${tarpit}s\n"),
              HasSubstr("t.smtp:6:15: unknown variable '${tarpit}'"));
}

TEST(TranscriptParser, TargetVariablesExtendTheKnownNames) {
  Variables variables = DemoVariables(0);
  variables["postmaster_alias"] = "hostmaster";
  EXPECT_FALSE(Parse("C: RCPT TO:<${postmaster_alias}>\n").ok());
  EXPECT_TRUE(ParseTranscript(std::string(kHeader) + "C: RCPT TO:<${postmaster_alias}>\n", "t.smtp",
                              UsableNames(variables))
                  .ok());
}

TEST(TranscriptParser, LoadTranscriptReportsMissingFile) {
  const absl::StatusOr<Transcript> t =
      LoadTranscript("/nonexistent/x.smtp", UsableNames(DemoVariables(0)));
  EXPECT_TRUE(absl::IsNotFound(t.status()));
  EXPECT_THAT(t.status().message(), HasSubstr("/nonexistent/x.smtp"));
}

}  // namespace
}  // namespace smtpgate::conformance
