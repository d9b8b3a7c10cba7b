// Variable expansion and helpers (${sasl_plain:...}, ${b64:...}, ${repeat:...}), escapes,
// reply patterns and the standard variables.
#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/reply_pattern.h"
#include "harness/conformance/template.h"
#include "harness/conformance/variables.h"
#include "harness/core/sasl.h"

namespace smtpgate::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string ExpandPlain(std::string_view text, const Variables& variables) {
  const TemplateParse parsed = ParseTemplate(text, TemplateSyntax::kPlain, 1, 1);
  EXPECT_FALSE(parsed.error.has_value()) << parsed.error->message;
  absl::StatusOr<std::string> expanded = Expand(parsed.value, variables);
  EXPECT_TRUE(expanded.ok()) << expanded.status();
  return expanded.ok() ? *expanded : "";
}

std::string ExpandQuoted(std::string_view text, const Variables& variables) {
  const TemplateParse parsed = ParseQuotedStrings(text, 1, 1);
  EXPECT_FALSE(parsed.error.has_value()) << parsed.error->message;
  absl::StatusOr<std::string> expanded = Expand(parsed.value, variables);
  EXPECT_TRUE(expanded.ok()) << expanded.status();
  return expanded.ok() ? *expanded : "";
}

class TemplateTest : public ::testing::Test {
 protected:
  Variables variables_ = WithToken(DemoVariables(2), "sgtok-0badc0de");
};

TEST_F(TemplateTest, Variables) {
  EXPECT_EQ(ExpandPlain("EHLO ${helo}", variables_), "EHLO client.test");
  EXPECT_EQ(ExpandPlain("RCPT TO:<${token}@${remote_domain}>", variables_),
            "RCPT TO:<sgtok-0badc0de@remote.invalid>");
  EXPECT_EQ(ExpandPlain("${relay_domain} ${server_ip_literal} ${server_name}", variables_),
            "remote.invalid [127.0.0.1] mx.example.test");
  EXPECT_EQ(ExpandPlain("${local_user}@${local_domain} ${tarpit_seconds}", variables_),
            "alice@example.test 2");
}

TEST_F(TemplateTest, SaslPlainHelper) {
  EXPECT_EQ(ExpandPlain("${sasl_plain:${authorized_user}:${authorized_password}}", variables_),
            EncodeBase64(std::string("\0relayer\0relayer-pass", 21)));
  EXPECT_EQ(ExpandPlain("${sasl_plain:bob:guest:guest-pass}", variables_),
            EncodeBase64(std::string("bob\0guest\0guest-pass", 20)));
  EXPECT_EQ(ExpandPlain("${sasl_plain::}", variables_), EncodeBase64(std::string("\0\0", 2)));
  // A variable's value may hold ':' (arguments are split before expansion).
  variables_["odd_password"] = "a:b";
  EXPECT_EQ(ExpandPlain("${sasl_plain:u:${odd_password}}", variables_),
            EncodeBase64(std::string("\0u\0a:b", 6)));
}

TEST_F(TemplateTest, B64AndRepeatHelpers) {
  EXPECT_EQ(ExpandPlain("${b64:a:b c}", variables_), EncodeBase64("a:b c"));
  EXPECT_EQ(ExpandPlain("${b64:${helo}}", variables_), EncodeBase64("client.test"));
  EXPECT_EQ(ExpandPlain("${repeat:3:ab}", variables_), "ababab");
  EXPECT_EQ(ExpandPlain("${repeat:2:x:y}", variables_), "x:yx:y");
  EXPECT_EQ(ExpandPlain("<${repeat:65:a}@x>", variables_).size(), 69u);
  EXPECT_EQ(ExpandPlain("${repeat:0:a}", variables_), "");
  variables_["count"] = "2";
  EXPECT_EQ(ExpandPlain("${repeat:${count}:${b64:a}}", variables_), "YQ==YQ==");
}

TEST_F(TemplateTest, RepeatCountErrorsAtExpansion) {
  variables_["count"] = "lots";
  for (std::string_view text : {"${repeat:${count}:a}", "${repeat:-1:a}", "${repeat:1000001:a}"}) {
    const TemplateParse parsed = ParseTemplate(text, TemplateSyntax::kPlain, 7, 4);
    ASSERT_FALSE(parsed.error.has_value());
    const absl::StatusOr<std::string> expanded = Expand(parsed.value, variables_);
    ASSERT_FALSE(expanded.ok()) << text;
    EXPECT_THAT(expanded.status().message(), HasSubstr("7:4: expected a repeat count 0..1000000"));
  }
}

TEST_F(TemplateTest, UnknownVariableAtExpansionNamesLineAndColumn) {
  const TemplateParse parsed = ParseTemplate("x ${nope}", TemplateSyntax::kPlain, 3, 5);
  const absl::StatusOr<std::string> expanded = Expand(parsed.value, variables_);
  EXPECT_EQ(expanded.status().message(), "3:7: unknown variable '${nope}'");
}

TEST_F(TemplateTest, DollarRules) {
  EXPECT_EQ(ExpandPlain("$$ $5 a$ $${helo}", variables_), "$ $5 a$ ${helo}");
  EXPECT_EQ(ExpandQuoted("\"\\${helo} $${helo} ${helo}\"", variables_),
            "${helo} ${helo} client.test");
}

TEST_F(TemplateTest, QuotedEscapesAndConcatenation) {
  EXPECT_EQ(ExpandQuoted("\"\\r\\n\\t\\0\\\\\\\"\\x00\\xff\\x7F\"", variables_),
            std::string("\r\n\t\0\\\"\0\xff\x7f", 9));
  EXPECT_EQ(ExpandQuoted("  \"a\"  \"b\"\t\"${token}\"", variables_), "absgtok-0badc0de");
  EXPECT_EQ(ExpandQuoted("\"${b64:\\0\\0}\"", variables_), EncodeBase64(std::string("\0\0", 2)));
}

TEST(EscapeBytes, ReportsArePrintable) {
  EXPECT_EQ(EscapeBytes(std::string("A\r\n\t\0\\\"\x01\x7f\xc3\xa9", 11)),
            "A\\r\\n\\t\\0\\\\\"\\x01\\x7f\\xc3\\xa9");
}

TEST(Token, UniqueAndShaped) {
  const std::string a = MakeToken();
  const std::string b = MakeToken();
  EXPECT_THAT(a, MatchesRegex("sgtok-[0-9a-f]{8}"));
  EXPECT_NE(a, b);
  EXPECT_TRUE(UsableNames(DemoVariables(0)).contains("token"));
  for (const std::string& name : StandardVariableNames()) {
    EXPECT_TRUE(DemoVariables(0).contains(name)) << name;
  }
}

Reply R(int code, std::string enhanced = "") { return Reply{code, std::move(enhanced), {"x"}}; }

ReplyPattern Pattern(std::vector<CodeAlternative> alternatives, std::string enhanced = "") {
  ReplyPattern pattern;
  pattern.alternatives = std::move(alternatives);
  pattern.enhanced = std::move(enhanced);
  return pattern;
}

TEST(ReplyPattern, Codes) {
  using K = CodeAlternative::Kind;
  EXPECT_TRUE(CodeMatches("250", 250));
  EXPECT_FALSE(CodeMatches("250", 251));
  EXPECT_TRUE(CodeMatches("2xx", 221));
  EXPECT_TRUE(CodeMatches("5x1", 551));
  EXPECT_FALSE(CodeMatches("5x1", 550));
  EXPECT_TRUE(Pattern({{K::kCode, "250"}, {K::kCode, "251"}}).Matches(R(251)));
  EXPECT_TRUE(Pattern({{K::kNotCode, "2xx"}}).Matches(R(550)));
  EXPECT_FALSE(Pattern({{K::kNotCode, "2xx"}}).Matches(R(250)));
  EXPECT_FALSE(Pattern({{K::kNotCode, "2xx"}}).AcceptsClose());
  EXPECT_TRUE(Pattern({{K::kAny, ""}}).Matches(R(354)));
  EXPECT_TRUE(Pattern({{K::kAny, ""}}).AcceptsClose());
  EXPECT_FALSE(Pattern({{K::kClose, ""}}).Matches(R(221)));
  EXPECT_TRUE(Pattern({{K::kCode, "501"}, {K::kClose, ""}}).AcceptsClose());
}

TEST(ReplyPattern, EnhancedCodes) {
  using K = CodeAlternative::Kind;
  EXPECT_TRUE(EnhancedMatches("5.7.1", "5.7.1"));
  EXPECT_TRUE(EnhancedMatches("5.7.x", "5.7.26"));
  EXPECT_TRUE(EnhancedMatches("5.x.x", "5.1.1"));
  EXPECT_FALSE(EnhancedMatches("5.7.1", "5.7.10"));
  EXPECT_FALSE(EnhancedMatches("5.7.x", ""));
  EXPECT_TRUE(Pattern({{K::kCode, "550"}}, "5.7.1").Matches(R(550, "5.7.1")));
  EXPECT_FALSE(Pattern({{K::kCode, "550"}}, "5.7.1").Matches(R(550, "5.1.1")));
  EXPECT_FALSE(Pattern({{K::kCode, "550"}}, "5.7.1").Matches(R(550)));  // none sent
  EXPECT_TRUE(IsEnhancedToken("5.7.1"));
  EXPECT_TRUE(IsEnhancedToken("x.x.x"));
  EXPECT_FALSE(IsEnhancedToken("5.7"));
  EXPECT_FALSE(IsEnhancedToken("3.1.1"));
  EXPECT_TRUE(IsAlternativesToken("250|!5xx|close|any"));
  EXPECT_FALSE(IsAlternativesToken("250|"));
  EXPECT_FALSE(IsAlternativesToken("2X0"));
}

}  // namespace
}  // namespace smtpgate::conformance
