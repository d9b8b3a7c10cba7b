#include "harness/conformance/template.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/core/sasl.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

constexpr int64_t kMaxRepeat = 1000000;

struct HelperSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;  // the last argument takes the rest, colons included
  std::string_view usage;
};

constexpr HelperSpec kHelpers[] = {
    {"b64", 1, 1, "${b64:TEXT}"},
    {"repeat", 2, 2, "${repeat:N:TEXT}"},
    {"sasl_plain", 2, 3, "${sasl_plain:USER:PASS} or ${sasl_plain:AUTHZID:USER:PASS}"},
};

const HelperSpec* FindHelper(std::string_view name) {
  for (const HelperSpec& spec : kHelpers) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string Shown(std::string_view text) {
  if (text.empty()) return "end of line";
  return absl::StrCat("'", AsAbsl(EscapeBytes(text.substr(0, 20))), "'");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Scanner {
 public:
  Scanner(std::string_view text, TemplateSyntax syntax, int line, int column)
      : text_(text), syntax_(syntax), line_(line), column_(column) {}

  // Reads literal text and expressions into `out` until the end of the input, the closing
  // quote (kQuoted) or, when nested (depth > 0), an unescaped character of `stops`.
  bool Sequence(Template& out, std::string_view stops, int depth) {
    std::string literal;
    auto flush = [&] {
      if (!literal.empty()) out.parts.emplace_back(std::exchange(literal, {}));
    };
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (depth > 0 && stops.find(c) != std::string_view::npos) break;
      if (syntax_ == TemplateSyntax::kQuoted && c == '"') break;
      if (syntax_ == TemplateSyntax::kQuoted && c == '\\') {
        if (!Escape(literal)) return false;
        continue;
      }
      if (c == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '$') {
        literal.push_back('$');
        pos_ += 2;
        continue;
      }
      if (c == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
        flush();
        if (!ParseExpression(out, depth)) return false;
        continue;
      }
      literal.push_back(c);
      ++pos_;
    }
    flush();
    return true;
  }

  size_t pos() const { return pos_; }
  std::optional<ParseError>& error() { return error_; }

 private:
  bool Fail(size_t at, std::string message) {
    error_ = ParseError{column_ + static_cast<int>(at), std::move(message)};
    return false;
  }

  bool Escape(std::string& literal) {
    const size_t start = pos_;
    if (pos_ + 1 >= text_.size()) {
      return Fail(start, "expected an escape (\\r \\n \\t \\0 \\\\ \\\" \\$ \\xHH) after '\\'");
    }
    const char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case 'r':
        literal.push_back('\r');
        return true;
      case 'n':
        literal.push_back('\n');
        return true;
      case 't':
        literal.push_back('\t');
        return true;
      case '0':
        literal.push_back('\0');
        return true;
      case '\\':
        literal.push_back('\\');
        return true;
      case '"':
        literal.push_back('"');
        return true;
      case '$':
        literal.push_back('$');
        return true;
      case 'x': {
        const int high = pos_ < text_.size() ? HexValue(text_[pos_]) : -1;
        const int low = pos_ + 1 < text_.size() ? HexValue(text_[pos_ + 1]) : -1;
        if (high < 0 || low < 0) {
          return Fail(start, absl::StrCat("expected two hex digits after '\\x', got ",
                                          Shown(text_.substr(pos_, 2))));
        }
        literal.push_back(static_cast<char>(high * 16 + low));
        pos_ += 2;
        return true;
      }
      default:
        return Fail(start, absl::StrCat("expected an escape (\\r \\n \\t \\0 \\\\ \\\" \\$ "
                                        "\\xHH), got '\\",
                                        AsAbsl(EscapeBytes(std::string_view(&e, 1))), "'"));
    }
  }

  bool AtArgumentEnd() const {
    return pos_ >= text_.size() || (syntax_ == TemplateSyntax::kQuoted && text_[pos_] == '"');
  }

  bool ParseExpression(Template& out, int depth) {
    const size_t start = pos_;
    pos_ += 2;  // "${"
    auto expression = std::make_shared<Expression>();
    expression->line = line_;
    expression->column = column_ + static_cast<int>(start);
    const size_t name_start = pos_;
    while (pos_ < text_.size() &&
           (std::islower(static_cast<unsigned char>(text_[pos_])) ||
            std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    expression->name = std::string(text_.substr(name_start, pos_ - name_start));
    if (expression->name.empty()) {
      return Fail(pos_, absl::StrCat("expected a variable or helper name (a-z, 0-9, _) after "
                                     "'${', got ",
                                     Shown(text_.substr(pos_))));
    }
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
    } else if (pos_ < text_.size() && text_[pos_] == ':') {
      const HelperSpec* spec = FindHelper(expression->name);
      if (spec == nullptr) {
        return Fail(name_start, absl::StrCat("unknown helper '", expression->name,
                                             "'; expected b64, repeat or sasl_plain"));
      }
      expression->helper = true;
      ++pos_;
      while (true) {
        Template argument;
        const bool last = expression->args.size() + 1 >= spec->max_args;
        if (!Sequence(argument, last ? "}" : ":}", depth + 1)) return false;
        if (AtArgumentEnd()) {
          return Fail(start,
                      absl::StrCat("expected '}' to close '",
                                   AsAbsl(EscapeBytes(text_.substr(start, pos_ - start))), "'"));
        }
        expression->args.push_back(std::move(argument));
        if (text_[pos_++] == '}') break;
      }
      if (expression->args.size() < spec->min_args) {
        return Fail(
            start, absl::StrCat("expected ", AsAbsl(spec->usage), ", got ", expression->args.size(),
                                " argument", expression->args.size() == 1 ? "" : "s"));
      }
    } else {
      if (AtArgumentEnd()) {
        return Fail(start, absl::StrCat("expected '}' to close '${", expression->name, "'"));
      }
      return Fail(pos_, absl::StrCat("expected '}' or ':' after '${", expression->name, "', got ",
                                     Shown(text_.substr(pos_, 1))));
    }
    expression->source = std::string(text_.substr(start, pos_ - start));
    out.parts.emplace_back(std::move(expression));
    return true;
  }

  std::string_view text_;
  TemplateSyntax syntax_;
  int line_;
  int column_;
  size_t pos_ = 0;
  std::optional<ParseError> error_;
};

absl::StatusOr<std::string> Evaluate(const Expression& expression, const Variables& variables);

absl::StatusOr<std::string> ExpandInto(const Template& value, const Variables& variables) {
  std::string out;
  for (const auto& part : value.parts) {
    if (const auto* literal = std::get_if<std::string>(&part)) {
      out.append(*literal);
      continue;
    }
    absl::StatusOr<std::string> expanded =
        Evaluate(*std::get<std::shared_ptr<const Expression>>(part), variables);
    if (!expanded.ok()) return expanded.status();
    out.append(*expanded);
  }
  return out;
}

absl::Status ExpressionError(const Expression& expression, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(expression.line, ":", expression.column, ": ", AsAbsl(message)));
}

absl::StatusOr<std::string> Evaluate(const Expression& expression, const Variables& variables) {
  if (!expression.helper) {
    const auto it = variables.find(expression.name);
    if (it == variables.end()) {
      return ExpressionError(expression,
                             absl::StrCat("unknown variable '${", expression.name, "}'"));
    }
    return it->second;
  }
  std::vector<std::string> args;
  for (const Template& arg : expression.args) {
    absl::StatusOr<std::string> expanded = ExpandInto(arg, variables);
    if (!expanded.ok()) return expanded.status();
    args.push_back(*std::move(expanded));
  }
  if (expression.name == "b64") return EncodeBase64(args[0]);
  if (expression.name == "sasl_plain") {
    std::string message = args.size() == 3 ? args[0] : std::string();
    const size_t user = args.size() - 2;
    message.push_back('\0');
    message.append(args[user]);
    message.push_back('\0');
    message.append(args[user + 1]);
    return EncodeBase64(message);
  }
  // repeat
  int64_t count = -1;
  const std::string& text = args[0];
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (ec != std::errc() || end != text.data() + text.size() || count < 0 || count > kMaxRepeat) {
    return ExpressionError(
        expression, absl::StrCat("expected a repeat count 0..", kMaxRepeat, " in ",
                                 expression.source, ", got '", AsAbsl(EscapeBytes(text)), "'"));
  }
  std::string out;
  out.reserve(static_cast<size_t>(count) * args[1].size());
  for (int64_t i = 0; i < count; ++i) out.append(args[1]);
  return out;
}

}  // namespace

void Template::CollectExpressions(std::vector<const Expression*>& out) const {
  for (const auto& part : parts) {
    if (const auto* expression = std::get_if<std::shared_ptr<const Expression>>(&part)) {
      out.push_back(expression->get());
      for (const Template& arg : (*expression)->args) arg.CollectExpressions(out);
    }
  }
}

TemplateParse ParseTemplate(std::string_view text, TemplateSyntax syntax, int line, int column) {
  TemplateParse result;
  Scanner scanner(text, syntax, line, column);
  if (!scanner.Sequence(result.value, "", 0)) {
    result.error = scanner.error();
    return result;
  }
  result.consumed = scanner.pos();
  if (syntax == TemplateSyntax::kQuoted) {
    if (scanner.pos() >= text.size()) {
      result.error = ParseError{column - 1, "unterminated string: expected a closing '\"'"};
      return result;
    }
    result.consumed = scanner.pos() + 1;
  }
  return result;
}

TemplateParse ParseQuotedStrings(std::string_view text, int line, int column) {
  TemplateParse result;
  size_t pos = 0;
  int strings = 0;
  while (true) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos >= text.size() && strings > 0) break;
    if (pos >= text.size() || text[pos] != '"') {
      result.error =
          ParseError{column + static_cast<int>(pos),
                     absl::StrCat("expected a double-quoted string like \"DATA\\r\\n\", got ",
                                  Shown(text.substr(pos)))};
      return result;
    }
    TemplateParse one = ParseTemplate(text.substr(pos + 1), TemplateSyntax::kQuoted, line,
                                      column + static_cast<int>(pos) + 1);
    if (one.error) {
      result.error = one.error;
      return result;
    }
    for (auto& part : one.value.parts) result.value.parts.push_back(std::move(part));
    pos += 1 + one.consumed;
    ++strings;
  }
  result.consumed = pos;
  return result;
}

const std::set<std::string, std::less<>>& HelperNames() {
  static const auto* const names =
      new std::set<std::string, std::less<>>{"b64", "repeat", "sasl_plain"};
  return *names;
}

absl::StatusOr<std::string> Expand(const Template& value, const Variables& variables) {
  return ExpandInto(value, variables);
}

std::string EscapeBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\r':
        out.append("\\r");
        continue;
      case '\n':
        out.append("\\n");
        continue;
      case '\t':
        out.append("\\t");
        continue;
      case '\0':
        out.append("\\0");
        continue;
      case '\\':
        out.append("\\\\");
        continue;
      default:
        break;
    }
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out.append("\\x");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace smtpgate::conformance
