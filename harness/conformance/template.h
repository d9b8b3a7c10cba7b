// Text with ${...} expressions (variables and helpers), as written in transcripts:
// parsed once when the transcript is loaded, expanded per run with the target's variables.
//
//   ${name}                      a variable (target file, or ${token})
//   ${sasl_plain:USER:PASS}      base64("\0USER\0PASS"); 3 arguments: AUTHZID:USER:PASS
//   ${b64:TEXT}                  base64(TEXT), TEXT is everything after "b64:"
//   ${repeat:N:TEXT}             TEXT repeated N times
//   $$                           a literal '$'
//
// Arguments may hold nested expressions; they are split at ':' outside nested ${...}.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_TEMPLATE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_TEMPLATE_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpgate::conformance {

struct Expression;

struct Template {
  // Literal bytes or an expression, in order.
  std::vector<std::variant<std::string, std::shared_ptr<const Expression>>> parts;

  bool empty() const { return parts.empty(); }
  // Collects every expression, nested ones included.
  void CollectExpressions(std::vector<const Expression*>& out) const;
};

struct Expression {
  std::string name;  // variable or helper name
  bool helper = false;
  std::vector<Template> args;  // helper arguments
  int line = 0;
  int column = 0;      // of the '$'
  std::string source;  // "${...}" as written
};

// Where a template, pattern or line failed to parse: a 1-based column and what was expected.
struct ParseError {
  int column = 0;
  std::string message;
};

enum class TemplateSyntax {
  kPlain,   // C: text: no escapes; ends at the end of the input
  kQuoted,  // inside "...": C escapes \r \n \t \0 \\ \" \$ \xHH; ends at the closing quote
};

struct TemplateParse {
  Template value;
  size_t consumed = 0;  // kQuoted: octets up to and including the closing quote
  std::optional<ParseError> error;
};

// Parses `text` (which starts at `column` of `line` in the file). For kQuoted, `text` starts
// just after the opening quote.
TemplateParse ParseTemplate(std::string_view text, TemplateSyntax syntax, int line, int column);

// One or more blank-separated "..." strings, concatenated (the operand of C!: and of
// EXPECT message-contains). `text` starts at `column`.
TemplateParse ParseQuotedStrings(std::string_view text, int line, int column);

using Variables = std::map<std::string, std::string, std::less<>>;

// The helper names (b64, repeat, sasl_plain).
const std::set<std::string, std::less<>>& HelperNames();

// Expands every expression. Fails (InvalidArgument, naming line:column and the expression)
// on an unknown variable or a bad helper argument (repeat count).
absl::StatusOr<std::string> Expand(const Template& value, const Variables& variables);

// The C-escaped form of bytes for reports: printable ASCII as is (a backslash doubled),
// \r \n \t \0 and \xHH for the rest.
std::string EscapeBytes(std::string_view bytes);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_TEMPLATE_H_
