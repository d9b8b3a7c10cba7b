#include "harness/conformance/transcript_parser.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "harness/conformance/step_parser.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

constexpr std::string_view kMetadataKeys[] = {"name", "title",    "source",  "severity",
                                              "tags", "requires", "violates"};

bool IsNameChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) ||
         std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsName(std::string_view text) {
  if (text.empty() || text[0] == '.' || text[0] == '_' || text[0] == '-') return false;
  for (const char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// A REPEAT block while its lines are collected.
struct RepeatBlock {
  SourceLocation location;
  int count = 0;
  int depth = 0;  // blocks opened inside it and not yet closed
  std::vector<std::pair<int, std::string_view>> lines;  // (line number, raw line)
};

class Parser {
 public:
  Parser(std::string_view path, const NameSet& variables) : path_(path), variables_(variables) {
    transcript_.path = std::string(path);
  }

  absl::StatusOr<Transcript> Run(std::string_view text) {
    int number = 0;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      ++number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!Line(number, line)) return Error();
      if (end == text.size()) break;
      start = end + 1;
    }
    if (!Finish(number)) return Error();
    return std::move(transcript_);
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(path_), ":", error_line_, ":", error_.column, ": ", error_.message));
  }

  bool Fail(int line, int column, std::string message) {
    error_line_ = line;
    error_ = ParseError{column, std::move(message)};
    return false;
  }

  bool Line(int number, std::string_view raw) {
    size_t indent = 0;
    while (indent < raw.size() && (raw[indent] == ' ' || raw[indent] == '\t')) ++indent;
    std::string_view content = raw.substr(indent);
    while (!content.empty() && (content.back() == ' ' || content.back() == '\t')) {
      content.remove_suffix(1);
    }
    const int column = static_cast<int>(indent) + 1;
    if (repeat_) return RepeatLine(number, column, content, raw);
    if (content.empty() || content[0] == '#') return true;
    StepParser steps(number, column, content);
    if (pipeline_) return PipelineLine(number, column, content, steps);
    if (content == "REPEAT" || absl::StartsWith(AsAbsl(content), "REPEAT ")) {
      return StartRepeat(number, column, content);
    }
    if (content[0] == '@') return Metadata(number, column, content);
    if (content == "PIPELINE") {
      pipeline_.emplace();
      pipeline_location_ = SourceLocation{number, column};
      return true;
    }
    if (content == "ALT") {
      Step step;
      step.location = SourceLocation{number, column};
      step.text = "ALT";
      AltStep alt;
      alt.branches.push_back(static_cast<int>(transcript_.steps.size()) + 1);
      step.body = alt;
      alts_.push_back(static_cast<int>(transcript_.steps.size()));
      transcript_.steps.push_back(std::move(step));
      return true;
    }
    if (content == "OR" || content == "END") {
      if (alts_.empty()) {
        return Fail(number, column,
                    content == "OR"
                        ? std::string("OR without an ALT before it")
                        : std::string("END without a PIPELINE, ALT or REPEAT before it"));
      }
      const int at = alts_.back();
      const int first =
          std::get<AltStep>(transcript_.steps[static_cast<size_t>(at)].body).branches.back();
      if (first >= static_cast<int>(transcript_.steps.size()) ||
          !std::holds_alternative<ReplyStep>(transcript_.steps[static_cast<size_t>(first)].body)) {
        return Fail(number, column,
                    absl::StrCat("expected the branch before ", AsAbsl(content),
                                 " to start with an S: step (the reply chooses the branch)"));
      }
      Step end;
      end.location = SourceLocation{number, column};
      end.text = std::string(content);
      end.body = BranchEndStep{at};
      transcript_.steps.push_back(std::move(end));  // may move the steps: look `alt` up again
      AltStep& open = std::get<AltStep>(transcript_.steps[static_cast<size_t>(at)].body);
      if (content == "OR") {
        open.branches.push_back(static_cast<int>(transcript_.steps.size()));
      } else {
        open.end = static_cast<int>(transcript_.steps.size());
        alts_.pop_back();
      }
      return true;
    }
    Step step;
    step.location = SourceLocation{number, column};
    step.text = std::string(content);
    std::optional<ParseError> error = steps.Parse(step, context_);
    if (error) return Fail(number, error->column, std::move(error->message));
    if (const auto* reply = std::get_if<ReplyStep>(&step.body)) {
      context_.last_reply_step = static_cast<int>(transcript_.steps.size());
      if (!reply->label.empty()) {
        context_.labels[reply->label] = context_.last_reply_step;
      }
    }
    transcript_.steps.push_back(std::move(step));
    return true;
  }

  // REPEAT n ... END: the lines inside are collected, then parsed n times, as if written out
  // n times (each copy keeps the line numbers of the file).
  bool StartRepeat(int number, int column, std::string_view content) {
    const absl::string_view count_text = absl::StripAsciiWhitespace(AsAbsl(content.substr(6)));
    int count = 0;
    if (!absl::SimpleAtoi(count_text, &count) || count < 1 || count > kMaxRepeat) {
      return Fail(number, column + 7,
                  absl::StrCat("expected a repetition count 1..", kMaxRepeat,
                               " after REPEAT, got '", count_text, "'"));
    }
    repeat_.emplace();
    repeat_->location = SourceLocation{number, column};
    repeat_->count = count;
    return true;
  }

  bool RepeatLine(int number, int column, std::string_view content, std::string_view raw) {
    if (content == "PIPELINE" || content == "ALT" || content == "REPEAT" ||
        absl::StartsWith(AsAbsl(content), "REPEAT ")) {
      ++repeat_->depth;
    } else if (content == "OR" && repeat_->depth == 0) {
      return Fail(number, column,
                  "OR inside REPEAT without an ALT inside the same REPEAT (a REPEAT block "
                  "holds whole steps and blocks)");
    } else if (content == "END") {
      if (repeat_->depth-- == 0) return EndRepeat(number, column);
    }
    repeat_->lines.emplace_back(number, raw);
    return true;
  }

  bool EndRepeat(int number, int column) {
    RepeatBlock block = *std::exchange(repeat_, std::nullopt);
    bool any_step = false;
    for (const auto& [line, raw] : block.lines) {
      const absl::string_view content = absl::StripAsciiWhitespace(AsAbsl(raw));
      any_step = any_step || (!content.empty() && content[0] != '#');
    }
    if (!any_step) {
      return Fail(number, column, "expected at least one step in the REPEAT block before END");
    }
    for (int copy = 0; copy < block.count; ++copy) {
      for (const auto& [line, raw] : block.lines) {
        if (!Line(line, raw)) return false;
      }
      if (transcript_.steps.size() > kMaxSteps) {
        return Fail(block.location.line, block.location.column,
                    absl::StrCat("REPEAT makes more than ", kMaxSteps, " steps"));
      }
    }
    return true;
  }

  bool PipelineLine(int number, int column, std::string_view content, StepParser& steps) {
    if (content == "END") {
      if (pipeline_->parts.empty()) {
        return Fail(number, column,
                    "expected at least one C: or C!: line in the PIPELINE block before END");
      }
      Step step;
      step.location = pipeline_location_;
      step.text = "PIPELINE";
      step.body = *std::exchange(pipeline_, std::nullopt);
      transcript_.steps.push_back(std::move(step));
      return true;
    }
    std::optional<SendStep> send;
    std::optional<ParseError> error = steps.ParseSend(send);
    if (error) return Fail(number, error->column, std::move(error->message));
    if (!send) {
      return Fail(number, column,
                  absl::StrCat("expected C:, C!: or END inside PIPELINE, got '",
                               AsAbsl(content.substr(0, 20)), "'"));
    }
    pipeline_->parts.push_back(std::move(*send));
    return true;
  }

  bool Metadata(int number, int column, std::string_view content) {
    size_t key_end = 1;
    while (key_end < content.size() && content[key_end] != ' ' && content[key_end] != '\t') {
      ++key_end;
    }
    const std::string key(content.substr(1, key_end - 1));
    bool known = false;
    for (std::string_view k : kMetadataKeys) known = known || k == key;
    if (!known) {
      return Fail(number, column,
                  absl::StrCat("expected a metadata key (@name, @title, @source, @severity, "
                               "@tags, @requires or @violates), got '@",
                               key, "'"));
    }
    if (!transcript_.steps.empty() || pipeline_ || !alts_.empty()) {
      return Fail(
          number, column,
          absl::StrCat("expected metadata before the first step, got '@", key, "' after a step"));
    }
    if (const auto seen = seen_keys_.find(key); seen != seen_keys_.end()) {
      return Fail(number, column,
                  absl::StrCat("expected @", key, " once, got it again (first at line ",
                               seen->second, ")"));
    }
    seen_keys_[key] = number;
    size_t value_start = key_end;
    while (value_start < content.size() &&
           (content[value_start] == ' ' || content[value_start] == '\t')) {
      ++value_start;
    }
    const std::string_view value = content.substr(value_start);
    const int value_column = column + static_cast<int>(value_start);
    if (value.empty()) {
      return Fail(number, value_column, absl::StrCat("expected a value after @", key));
    }
    if (key == "name") {
      if (!IsName(value)) {
        return Fail(number, value_column,
                    absl::StrCat("expected a name of a-z 0-9 . _ - (starting with a letter or "
                                 "digit), got '",
                                 AsAbsl(value), "'"));
      }
      transcript_.name = std::string(value);
    } else if (key == "title") {
      transcript_.title = std::string(value);
    } else if (key == "source") {
      transcript_.source = std::string(value);
    } else if (key == "violates") {
      transcript_.violates = std::string(value);
    } else if (key == "severity") {
      const std::optional<Severity> severity = ParseSeverity(value);
      if (!severity) {
        return Fail(number, value_column,
                    absl::StrCat("expected a severity (critical, high, medium, low or info), "
                                 "got '",
                                 AsAbsl(value), "'"));
      }
      transcript_.severity = *severity;
    } else {
      return Words(number, value_column, key, value);
    }
    return true;
  }

  // @tags and @requires.
  bool Words(int number, int column, std::string_view key, std::string_view value) {
    size_t pos = 0;
    while (pos < value.size()) {
      while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
      size_t end = pos;
      while (end < value.size() && value[end] != ' ' && value[end] != '\t') ++end;
      if (end == pos) break;
      const std::string word(value.substr(pos, end - pos));
      const int word_column = column + static_cast<int>(pos);
      if (key == "tags") {
        if (!IsName(word)) {
          return Fail(number, word_column,
                      absl::StrCat("expected a tag of a-z 0-9 . _ -, got '", word, "'"));
        }
        transcript_.tags.push_back(word);
      } else {
        // `!word`: the transcript runs only where `word` is missing.
        const std::string bare = word[0] == '!' ? word.substr(1) : word;
        if (!KnownRequirements().contains(bare)) {
          return Fail(
              number, word_column,
              absl::StrCat("expected a requirement (", absl::StrJoin(KnownRequirements(), ", "),
                           "; !word: where it is missing), got '", word, "'"));
        }
        transcript_.requirements.push_back(word);
      }
      pos = end;
    }
    return true;
  }

  bool Finish(int last_line) {
    if (repeat_) {
      return Fail(repeat_->location.line, repeat_->location.column,
                  "expected END to close this REPEAT block, got the end of the file");
    }
    if (pipeline_) {
      return Fail(pipeline_location_.line, pipeline_location_.column,
                  "expected END to close this PIPELINE block, got the end of the file");
    }
    if (!alts_.empty()) {
      const Step& alt = transcript_.steps[static_cast<size_t>(alts_.back())];
      return Fail(alt.location.line, alt.location.column,
                  "expected END to close this ALT block, got the end of the file");
    }
    for (std::string_view key : {"name", "title", "source", "severity"}) {
      if (!seen_keys_.contains(key)) {
        return Fail(
            1, 1, absl::StrCat("expected the required metadata line @", AsAbsl(key), ", got none"));
      }
    }
    if (transcript_.steps.empty()) {
      return Fail(std::max(last_line, 1), 1, "expected at least one step (C:, S:, ...), got none");
    }
    for (const Expression* expression : transcript_.Expressions()) {
      if (expression->helper || variables_.contains(expression->name)) continue;
      return Fail(expression->line, expression->column,
                  absl::StrCat("unknown variable '${", expression->name,
                               "}'; known: ", absl::StrJoin(variables_, ", ")));
    }
    return true;
  }

  std::string_view path_;
  const NameSet& variables_;
  Transcript transcript_;
  std::map<std::string, int, std::less<>> seen_keys_;
  static constexpr int kMaxRepeat = 1000;
  static constexpr size_t kMaxSteps = 20000;

  std::optional<PipelineStep> pipeline_;
  std::optional<RepeatBlock> repeat_;  // a REPEAT block being collected
  std::vector<int> alts_;              // the open ALT blocks (index of each AltStep)
  SourceLocation pipeline_location_;
  StepContext context_;
  int error_line_ = 0;
  ParseError error_;
};

}  // namespace

const NameSet& KnownRequirements() {
  static const auto* const names = new NameSet{
      "auth",
      "auth-plain",
      "auth-login",
      "starttls",
      "chunking",
      "binarymime",
      "pipelining",
      "smtputf8",
      "8bitmime",
      "size",
      "dsn",
      "tarpit",
      "oracle",
      "local-oracle",
      "enhancedstatuscodes",
      "tls-before-auth",
      "idle-timeout",
  };
  return *names;
}

absl::StatusOr<Transcript> ParseTranscript(std::string_view text, std::string_view path,
                                           const NameSet& variables) {
  Parser parser(path, variables);
  return parser.Run(text);
}

absl::StatusOr<Transcript> LoadTranscript(const std::string& path, const NameSet& variables) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read transcript ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseTranscript(text.str(), path, variables);
}

}  // namespace smtpgate::conformance
