// Parses one step line of a transcript (C:, C!:, S:, STARTTLS, SLEEP, RECONNECT, EXPECT).
// Used by transcript_parser.cc, which handles metadata, PIPELINE blocks and the file.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_STEP_PARSER_H_
#define SMTPGATE_HARNESS_CONFORMANCE_STEP_PARSER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "harness/conformance/template.h"
#include "harness/conformance/transcript.h"

namespace smtpgate::conformance {

// What earlier lines defined.
struct StepContext {
  int last_reply_step = -1;                        // index of the nearest S: step above
  std::map<std::string, int, std::less<>> labels;  // S[label]: → step index
};

// Parses "2s", "1.5s", "300ms" (and, for SLEEP, a bare number of milliseconds).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, bool bare_is_ms);

class StepParser {
 public:
  // `content`: the line without indentation and trailing blanks; it starts at `column`.
  StepParser(int line, int column, std::string_view content)
      : line_(line), column_(column), content_(content) {}

  // Fills step.body; an error names its column and what was expected.
  std::optional<ParseError> Parse(Step& step, const StepContext& context);
  // C: and C!: only: `send` stays empty when the line is something else.
  std::optional<ParseError> ParseSend(std::optional<SendStep>& send);

 private:
  struct Token {
    std::string_view text;
    int column = 0;
  };
  std::vector<Token> Tokens(size_t from) const;
  int ColumnOf(size_t offset) const { return column_ + static_cast<int>(offset); }
  ParseError ErrorAt(size_t offset, std::string message) const;

  std::optional<ParseError> ParseReply(Step& step);
  std::optional<ParseError> ParsePattern(const std::vector<Token>& tokens, size_t& index,
                                         ReplyPattern& pattern, std::string_view what);
  std::optional<ParseError> ParseReason(const std::vector<Token>& tokens, size_t& index,
                                        std::string& reason);
  std::optional<ParseError> ParseExpect(Step& step, const StepContext& context);
  std::optional<ParseError> ParseSleep(Step& step);

  int line_;
  int column_;
  std::string_view content_;
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_STEP_PARSER_H_
