#include "harness/conformance/step_parser.h"

#include <cctype>
#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

constexpr std::string_view kPatternExpected =
    "a reply pattern like 250, 2xx, 250|251, !2xx or close";
constexpr std::string_view kOutcomes =
    "not-relayed, relayed, delivered-local, no-message, one-message, no-message-from, "
    "message-contains, message-lacks, every-message-contains, alive, delay>=, delay< or "
    "same-reply-as";
constexpr int64_t kMaxDurationMs = 3600 * 1000;

std::string Got(std::string_view text) {
  if (text.empty()) return "end of line";
  if (text.size() > 40) return absl::StrCat("'", AsAbsl(text.substr(0, 40)), "...'");
  return absl::StrCat("'", AsAbsl(text), "'");
}

std::string_view FirstWord(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
  return text.substr(0, end);
}

bool IsLabel(std::string_view text) {
  if (text.empty() || text[0] == '_' || text[0] == '-') return false;
  for (const char c : text) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::optional<OutcomeKind> SimpleOutcome(std::string_view word) {
  static constexpr std::pair<std::string_view, OutcomeKind> kSimple[] = {
      {"not-relayed", OutcomeKind::kNotRelayed},         {"relayed", OutcomeKind::kRelayed},
      {"delivered-local", OutcomeKind::kDeliveredLocal}, {"no-message", OutcomeKind::kNoMessage},
      {"one-message", OutcomeKind::kOneMessage},         {"alive", OutcomeKind::kAlive},
  };
  for (const auto& [name, kind] : kSimple) {
    if (word == name) return kind;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, bool bare_is_ms) {
  size_t pos = 0;
  int64_t whole = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    whole = whole * 10 + (text[pos++] - '0');
    if (whole > kMaxDurationMs) return std::nullopt;
  }
  if (pos == 0) return std::nullopt;
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    double scale = 0.1;
    const size_t digits = ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fraction += scale * (text[pos++] - '0');
      scale /= 10;
    }
    if (pos == digits) return std::nullopt;
  }
  const std::string_view unit = text.substr(pos);
  double ms = 0;
  if (unit == "s") {
    ms = (static_cast<double>(whole) + fraction) * 1000;
  } else if (unit == "ms" || (unit.empty() && bare_is_ms)) {
    ms = static_cast<double>(whole) + fraction;
  } else {
    return std::nullopt;
  }
  if (ms > static_cast<double>(kMaxDurationMs)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

std::vector<StepParser::Token> StepParser::Tokens(size_t from) const {
  std::vector<Token> tokens;
  size_t pos = from;
  while (pos < content_.size()) {
    while (pos < content_.size() && (content_[pos] == ' ' || content_[pos] == '\t')) ++pos;
    const size_t start = pos;
    while (pos < content_.size() && content_[pos] != ' ' && content_[pos] != '\t') ++pos;
    if (pos > start) tokens.push_back({content_.substr(start, pos - start), ColumnOf(start)});
  }
  return tokens;
}

ParseError StepParser::ErrorAt(size_t offset, std::string message) const {
  return ParseError{ColumnOf(offset), std::move(message)};
}

std::optional<ParseError> StepParser::ParseSend(std::optional<SendStep>& send) {
  if (absl::StartsWith(AsAbsl(content_), "C!:")) {
    TemplateParse parsed = ParseQuotedStrings(content_.substr(3), line_, ColumnOf(3));
    if (parsed.error) return parsed.error;
    send = SendStep{std::move(parsed.value), /*raw=*/true};
    return std::nullopt;
  }
  if (absl::StartsWith(AsAbsl(content_), "C:")) {
    size_t start = 2;
    while (start < content_.size() && (content_[start] == ' ' || content_[start] == '\t')) {
      ++start;
    }
    TemplateParse parsed =
        ParseTemplate(content_.substr(start), TemplateSyntax::kPlain, line_, ColumnOf(start));
    if (parsed.error) return parsed.error;
    send = SendStep{std::move(parsed.value), /*raw=*/false};
  }
  return std::nullopt;
}

std::optional<ParseError> StepParser::Parse(Step& step, const StepContext& context) {
  if (absl::StartsWith(AsAbsl(content_), "C:") || absl::StartsWith(AsAbsl(content_), "C!:")) {
    std::optional<SendStep> send;
    if (auto error = ParseSend(send)) return error;
    step.body = std::move(*send);
    return std::nullopt;
  }
  if (absl::StartsWith(AsAbsl(content_), "S:") || absl::StartsWith(AsAbsl(content_), "S[")) {
    return ParseReply(step);
  }
  const std::string_view word = FirstWord(content_);
  if (word == "STARTTLS" || word == "RECONNECT" || word == "STOP") {
    if (content_.size() > word.size()) {
      const std::vector<Token> rest = Tokens(word.size());
      return ParseError{rest[0].column, absl::StrCat("expected nothing after ", AsAbsl(word),
                                                     ", got ", Got(rest[0].text))};
    }
    if (word == "STARTTLS") {
      step.body = StartTlsStep{};
    } else if (word == "STOP") {
      step.body = StopStep{};
    } else {
      step.body = ReconnectStep{};
    }
    return std::nullopt;
  }
  if (word == "ON") {
    const std::vector<Token> tokens = Tokens(2);
    if (tokens.empty() || !IsLabel(tokens[0].text)) {
      return tokens.empty()
                 ? ErrorAt(content_.size(),
                           "expected a connection name (a-z 0-9 _ -) after ON, "
                           "got end of line")
                 : ParseError{tokens[0].column,
                              absl::StrCat("expected a connection name (a-z 0-9 _ -) after ON, "
                                           "got ",
                                           Got(tokens[0].text))};
    }
    if (tokens.size() > 1) {
      return ParseError{tokens[1].column,
                        absl::StrCat("expected the end of the line after ON ",
                                     AsAbsl(tokens[0].text), ", got ", Got(tokens[1].text))};
    }
    step.body = OnStep{std::string(tokens[0].text)};
    return std::nullopt;
  }
  if (word == "SLEEP") return ParseSleep(step);
  if (word == "EXPECT") return ParseExpect(step, context);
  return ErrorAt(0, absl::StrCat("expected a step (C:, C!:, S:, PIPELINE, ALT, REPEAT, ON, "
                                 "STARTTLS, SLEEP, RECONNECT, STOP or EXPECT), metadata (@...) "
                                 "or a comment (#), got ",
                                 Got(word)));
}

std::optional<ParseError> StepParser::ParseReply(Step& step) {
  ReplyStep reply;
  size_t colon = 1;
  if (content_[1] == '[') {
    const size_t close = content_.find(']', 2);
    if (close == std::string_view::npos) {
      return ErrorAt(1, "expected S[label]: with a closing ']'");
    }
    const std::string_view label = content_.substr(2, close - 2);
    if (!IsLabel(label)) {
      return ErrorAt(2, absl::StrCat("expected a step label of a-z 0-9 _ -, got ", Got(label)));
    }
    reply.label = std::string(label);
    colon = close + 1;
    if (colon >= content_.size() || content_[colon] != ':') {
      return ErrorAt(colon, absl::StrCat("expected ':' after S[", AsAbsl(label), "], got ",
                                         Got(content_.substr(colon, 1))));
    }
  }
  const std::vector<Token> tokens = Tokens(colon + 1);
  size_t index = 0;
  if (auto error = ParsePattern(tokens, index, reply.pattern, kPatternExpected)) return error;
  if (index < tokens.size() && tokens[index].text == "within") {
    ++index;
    const std::string expected =
        "expected a duration like 30s, 500ms or ${idle_timeout_seconds}s after within";
    if (index >= tokens.size()) {
      return ParseError{ColumnOf(content_.size()), absl::StrCat(expected, ", got end of line")};
    }
    const Token& duration = tokens[index];
    TemplateParse parsed =
        ParseTemplate(duration.text, TemplateSyntax::kPlain, line_, duration.column);
    if (parsed.error) return parsed.error;
    std::vector<const Expression*> uses;
    parsed.value.CollectExpressions(uses);
    if (uses.empty() && !ParseDuration(duration.text, /*bare_is_ms=*/false)) {
      return ParseError{duration.column, absl::StrCat(expected, ", got ", Got(duration.text))};
    }
    reply.within = std::move(parsed.value);
    ++index;
  }
  for (const std::string_view clause : {std::string_view("warn"), std::string_view("fail")}) {
    if (index >= tokens.size() || tokens[index].text != clause) continue;
    ++index;
    std::optional<ReplyPattern>& pattern = clause == "warn" ? reply.warn : reply.fail;
    std::string& reason = clause == "warn" ? reply.warn_reason : reply.fail_reason;
    pattern.emplace();
    if (auto error =
            ParsePattern(tokens, index, *pattern,
                         absl::StrCat(AsAbsl(kPatternExpected), " after '", AsAbsl(clause), "'"))) {
      return error;
    }
    if (index < tokens.size() && !tokens[index].text.empty() && tokens[index].text[0] == '"') {
      if (auto error = ParseReason(tokens, index, reason)) return error;
    } else if (clause == "fail") {
      return ParseError{index < tokens.size() ? tokens[index].column : ColumnOf(content_.size()),
                        absl::StrCat("expected the reason of the fail pattern in double quotes "
                                     "(fail 235 \"authentication bypass\"), got ",
                                     Got(index < tokens.size() ? tokens[index].text : ""))};
    }
  }
  if (index < tokens.size()) {
    return ParseError{tokens[index].column,
                      absl::StrCat("expected an enhanced status code like 5.7.1, a timing like "
                                   "after>=900ms, 'warn', 'fail' or the end of the line, got ",
                                   Got(tokens[index].text))};
  }
  step.body = std::move(reply);
  return std::nullopt;
}

std::optional<ParseError> StepParser::ParseReason(const std::vector<Token>& tokens, size_t& index,
                                                  std::string& reason) {
  // The reason runs from the opening quote to the next quote (no escapes: it is prose).
  const size_t open = static_cast<size_t>(tokens[index].column - column_);
  const size_t close = content_.find('"', open + 1);
  if (close == std::string_view::npos) {
    return ErrorAt(open, "expected a closing '\"' after the reason");
  }
  reason = std::string(content_.substr(open + 1, close - open - 1));
  if (reason.empty()) return ErrorAt(open, "expected a reason inside the quotes, got \"\"");
  while (index < tokens.size() && static_cast<size_t>(tokens[index].column - column_) <= close) {
    ++index;
  }
  return std::nullopt;
}

std::optional<ParseError> StepParser::ParsePattern(const std::vector<Token>& tokens, size_t& index,
                                                   ReplyPattern& pattern, std::string_view what) {
  if (index >= tokens.size()) {
    return ParseError{ColumnOf(content_.size()),
                      absl::StrCat("expected ", AsAbsl(what), ", got end of line")};
  }
  const Token& token = tokens[index];
  if (!IsAlternativesToken(token.text)) {
    return ParseError{token.column,
                      absl::StrCat("expected ", AsAbsl(what), ", got ", Got(token.text))};
  }
  for (absl::string_view part : absl::StrSplit(AsAbsl(token.text), '|')) {
    CodeAlternative alternative;
    if (part == "close") {
      alternative.kind = CodeAlternative::Kind::kClose;
    } else if (part == "silence") {
      alternative.kind = CodeAlternative::Kind::kSilence;
    } else if (part == "any") {
      alternative.kind = CodeAlternative::Kind::kAny;
    } else if (part[0] == '!') {
      alternative.kind = CodeAlternative::Kind::kNotCode;
      alternative.code = std::string(part.substr(1));
    } else {
      alternative.code = std::string(part);
    }
    pattern.alternatives.push_back(std::move(alternative));
  }
  pattern.text = std::string(token.text);
  ++index;
  if (index < tokens.size()) {
    const std::string_view next = tokens[index].text;
    if (IsEnhancedToken(next)) {
      pattern.enhanced = std::string(next);
      absl::StrAppend(&pattern.text, " ", AsAbsl(next));
      ++index;
    } else if (next.find('.') != std::string_view::npos &&
               (std::isdigit(static_cast<unsigned char>(next[0])) || next[0] == 'x')) {
      return ParseError{tokens[index].column,
                        absl::StrCat("expected an enhanced status code like 5.7.1 or 5.7.x, "
                                     "got ",
                                     Got(next))};
    }
  }
  if (index < tokens.size() && absl::StartsWith(AsAbsl(tokens[index].text), "after")) {
    const std::string_view qualifier = tokens[index].text;
    const bool at_least = absl::StartsWith(AsAbsl(qualifier), "after>=");
    const bool below = !at_least && absl::StartsWith(AsAbsl(qualifier), "after<");
    const std::optional<std::chrono::milliseconds> limit =
        at_least || below ? ParseDuration(qualifier.substr(at_least ? 7 : 6), false) : std::nullopt;
    if (!limit || *limit > std::chrono::minutes(10)) {
      return ParseError{tokens[index].column,
                        absl::StrCat("expected a reply timing like after>=900ms or after<1s "
                                     "(at most 600s), got ",
                                     Got(qualifier))};
    }
    (at_least ? pattern.after_at_least : pattern.after_below) = *limit;
    absl::StrAppend(&pattern.text, " ", AsAbsl(qualifier));
    ++index;
  }
  return std::nullopt;
}

std::optional<ParseError> StepParser::ParseSleep(Step& step) {
  const std::vector<Token> tokens = Tokens(5);
  const std::string expected = "expected a duration like 500, 500ms or 2s after SLEEP";
  if (tokens.empty()) return ErrorAt(content_.size(), absl::StrCat(expected, ", got end of line"));
  const std::optional<std::chrono::milliseconds> duration = ParseDuration(tokens[0].text, true);
  if (!duration || *duration > std::chrono::minutes(10)) {
    return ParseError{tokens[0].column,
                      absl::StrCat(expected, " (at most 600s), got ", Got(tokens[0].text))};
  }
  if (tokens.size() > 1) {
    return ParseError{tokens[1].column,
                      absl::StrCat("expected the end of the line after SLEEP ",
                                   AsAbsl(tokens[0].text), ", got ", Got(tokens[1].text))};
  }
  step.body = SleepStep{*duration};
  return std::nullopt;
}

std::optional<ParseError> StepParser::ParseExpect(Step& step, const StepContext& context) {
  std::vector<Token> tokens = Tokens(6);
  if (tokens.empty()) {
    return ErrorAt(content_.size(), absl::StrCat("expected an outcome after EXPECT (",
                                                 AsAbsl(kOutcomes), "), got end of line"));
  }
  ExpectStep expect;
  std::optional<FailLevel> level;
  if (tokens.size() > 1 && (tokens.back().text == "warn" || tokens.back().text == "fail")) {
    level = tokens.back().text == "warn" ? FailLevel::kWarn : FailLevel::kFail;
    tokens.pop_back();
  }
  const Token& outcome = tokens[0];
  const size_t end_offset =
      static_cast<size_t>(tokens.back().column - column_) + tokens.back().text.size();
  expect.text = std::string(content_.substr(static_cast<size_t>(outcome.column - column_)));
  size_t arguments = 0;  // tokens the outcome takes after its name
  if (std::optional<OutcomeKind> kind = SimpleOutcome(outcome.text)) {
    expect.kind = *kind;
  } else if (outcome.text == "no-message-from") {
    expect.kind = OutcomeKind::kNoMessageFrom;
    if (tokens.size() < 2) {
      return ErrorAt(content_.size(), "expected an address after no-message-from, got end of line");
    }
    TemplateParse parsed =
        ParseTemplate(tokens[1].text, TemplateSyntax::kPlain, line_, tokens[1].column);
    if (parsed.error) return parsed.error;
    expect.argument = std::move(parsed.value);
    arguments = 1;
  } else if (outcome.text == "message-contains" || outcome.text == "message-lacks" ||
             outcome.text == "every-message-contains") {
    expect.kind = outcome.text == "message-contains" ? OutcomeKind::kMessageContains
                  : outcome.text == "message-lacks"  ? OutcomeKind::kMessageLacks
                                                     : OutcomeKind::kEveryMessageContains;
    const size_t start = static_cast<size_t>(outcome.column - column_) + outcome.text.size();
    TemplateParse parsed =
        ParseQuotedStrings(content_.substr(start, end_offset - start), line_, ColumnOf(start));
    if (parsed.error) return parsed.error;
    expect.argument = std::move(parsed.value);
    arguments = tokens.size() - 1;
  } else if (outcome.text == "same-reply-as") {
    expect.kind = OutcomeKind::kSameReplyAs;
    if (tokens.size() < 2) {
      return ErrorAt(content_.size(), "expected a step label after same-reply-as, got end of line");
    }
    const auto label = context.labels.find(tokens[1].text);
    if (label == context.labels.end()) {
      return ParseError{tokens[1].column,
                        absl::StrCat("expected the label of an earlier S[label]: step, got ",
                                     Got(tokens[1].text))};
    }
    expect.label = std::string(tokens[1].text);
    expect.label_step_index = label->second;
    arguments = 1;
  } else if (absl::StartsWith(AsAbsl(outcome.text), "delay>=") ||
             absl::StartsWith(AsAbsl(outcome.text), "delay<")) {
    const bool at_least = absl::StartsWith(AsAbsl(outcome.text), "delay>=");
    expect.kind = at_least ? OutcomeKind::kDelayAtLeast : OutcomeKind::kDelayBelow;
    const size_t skip = at_least ? 7 : 6;
    const std::string_view duration = outcome.text.substr(skip);
    const int duration_column = outcome.column + static_cast<int>(skip);
    TemplateParse parsed = ParseTemplate(duration, TemplateSyntax::kPlain, line_, duration_column);
    if (parsed.error) return parsed.error;
    std::vector<const Expression*> uses;
    parsed.value.CollectExpressions(uses);
    if (duration.empty() || duration[0] == '=' ||
        (uses.empty() && !ParseDuration(duration, /*bare_is_ms=*/false))) {
      return ParseError{duration_column,
                        absl::StrCat("expected a duration like 2s, 1.5s, 300ms or "
                                     "${tarpit_seconds}s after ",
                                     at_least ? "delay>=" : "delay<", ", got ", Got(duration))};
    }
    expect.argument = std::move(parsed.value);
  } else {
    return ParseError{outcome.column, absl::StrCat("expected an outcome (", AsAbsl(kOutcomes),
                                                   "), got ", Got(outcome.text))};
  }
  if (expect.kind != OutcomeKind::kMessageContains && expect.kind != OutcomeKind::kMessageLacks &&
      expect.kind != OutcomeKind::kEveryMessageContains && tokens.size() > 1 + arguments) {
    const Token& extra = tokens[1 + arguments];
    return ParseError{
        extra.column,
        absl::StrCat("expected 'warn', 'fail' or the end of the line, got ", Got(extra.text))};
  }
  if (!IsDeferredOutcome(expect.kind)) {
    if (context.last_reply_step < 0) {
      return ParseError{outcome.column,
                        absl::StrCat("expected an S: step before EXPECT ", AsAbsl(outcome.text),
                                     " (it checks the nearest S: step above), got none")};
    }
    expect.reply_step_index = context.last_reply_step;
  }
  expect.level = level.value_or(expect.kind == OutcomeKind::kSameReplyAs ? FailLevel::kWarn
                                                                         : FailLevel::kFail);
  step.body = std::move(expect);
  return std::nullopt;
}

}  // namespace smtpgate::conformance
