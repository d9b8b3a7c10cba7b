#include "harness/core/sasl.h"

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

using std::string_literals::operator""s;  // NOLINT(misc-unused-using-decls): ""s below

// gtest would dump credential-bearing cases byte by byte; print their names only.
template <typename Case>
void PrintCaseName(const Case& c, std::ostream* os) {
  *os << c.name;
}

// Test names come from the cases (gtest's own macro names its parameter `info`: avoid it).
template <typename Case>
std::string CaseName(const testing::TestParamInfo<Case>& param) {
  return param.param.name;
}

// --- Base64 -------------------------------------------------------------------------------

struct DecodeCase {
  std::string name;
  std::string text;
  std::optional<std::string> decoded;  // nullopt: must fail
  std::string what;                    // on failure: "character", "padding", ...
  size_t offset = 0;                   // on failure
};
void PrintTo(const DecodeCase& c, std::ostream* os) { PrintCaseName(c, os); }

class DecodeBase64Test : public testing::TestWithParam<DecodeCase> {};

TEST_P(DecodeBase64Test, DecodesStrictly) {
  const DecodeCase& c = GetParam();
  const absl::StatusOr<std::string> result = DecodeBase64(c.text);
  if (c.decoded.has_value()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, *c.decoded);
    // Strictness makes the text canonical.
    EXPECT_EQ(EncodeBase64(*result), c.text);
    return;
  }
  ASSERT_FALSE(result.ok());
  const SmtpError error = SmtpErrorOf(result.status());
  EXPECT_EQ(error.code, 501);
  EXPECT_EQ(error.enhanced, "5.5.2");
  EXPECT_EQ(error.reason, "invalid base64 " + c.what + " at offset " + std::to_string(c.offset));
}

INSTANTIATE_TEST_SUITE_P(
    Table, DecodeBase64Test,
    testing::ValuesIn(std::vector<DecodeCase>{
        // Valid: RFC 4648 §10 vectors and more.
        {"Empty", "", "", "", 0},
        {"Pad2", "Zg==", "f", "", 0},
        {"Pad1", "Zm8=", "fo", "", 0},
        {"Pad0", "Zm9v", "foo", "", 0},
        {"Pad2Long", "Zm9vYg==", "foob", "", 0},
        {"Pad1Long", "Zm9vYmE=", "fooba", "", 0},
        {"Pad0Long", "Zm9vYmFy", "foobar", "", 0},
        {"PlusSlash", "+/+/", "\xfb\xff\xbf", "", 0},
        {"Zeros", "AAAA", "\0\0\0"s, "", 0},
        {"HighBytes", "//8=", "\xff\xff", "", 0},
        {"PlainMessage", "AGd1ZXN0AGd1ZXN0LXBhc3M=", "\0guest\0guest-pass"s, "", 0},
        {"UsernamePrompt", "VXNlcm5hbWU6", "Username:", "", 0},
        // Characters outside the alphabet.
        {"Bang", "Zm9v!", std::nullopt, "character", 4},
        {"UrlSafeAlphabet", "Zm9v-_==", std::nullopt, "character", 4},
        {"InnerSpace", "Zm 9v", std::nullopt, "character", 2},
        {"LeadingSpace", " Zm9v", std::nullopt, "character", 0},
        {"TrailingCrLf", "Zm9v\r\n", std::nullopt, "character", 4},
        {"Tab", "Zm9v\tZm9v", std::nullopt, "character", 4},
        {"Nul", "Zg\0="s, std::nullopt, "character", 2},
        {"NonAscii", "Zm9v\xc3\xa9", std::nullopt, "character", 4},
        {"Star", "*", std::nullopt, "character", 0},
        {"WhitespaceAfterPadding", "Zg==\n", std::nullopt, "character", 4},
        // Missing or misplaced padding.
        {"MissingPad2", "Zg", std::nullopt, "missing padding", 2},
        {"MissingPad1", "Zm9", std::nullopt, "missing padding", 3},
        {"SingleChar", "Z", std::nullopt, "missing padding", 1},
        {"MissingPadLong", "AGd1ZXN0AGd1ZXN0LXBhc3M", std::nullopt, "missing padding", 23},
        {"IncompletePad", "Zg=", std::nullopt, "padding", 2},
        {"TriplePad", "Z===", std::nullopt, "padding", 1},
        {"ExtraPad", "Zg===", std::nullopt, "padding", 2},
        {"OnlyPad", "=", std::nullopt, "padding", 0},
        {"OnlyPadQuantum", "====", std::nullopt, "padding", 0},
        {"WholePadQuantum", "Zm9v====", std::nullopt, "padding", 4},
        {"PadRunsPastQuantum", "Zg======", std::nullopt, "padding", 2},
        {"PadAfterThree", "Zm9==", std::nullopt, "padding", 3},
        // Data after padding.
        {"TwoQuanta", "Zg==Zg==", std::nullopt, "data after padding", 4},
        {"PadInMiddle", "Zm=v", std::nullopt, "data after padding", 3},
        {"PadThenData", "Zg=a", std::nullopt, "data after padding", 3},
        // Non-canonical trailing bits (RFC 4648 §3.5).
        {"NonCanonicalQR", "QR==", std::nullopt, "non-canonical trailing bits", 1},
        {"NonCanonicalZh", "Zh==", std::nullopt, "non-canonical trailing bits", 1},
        {"NonCanonicalPad1", "Zm9=", std::nullopt, "non-canonical trailing bits", 2},
        {"NonCanonicalLong", "Zm9vZm9=", std::nullopt, "non-canonical trailing bits", 6},
        {"NonCanonicalSlash", "//9=", std::nullopt, "non-canonical trailing bits", 2},
    }),
    CaseName<DecodeCase>);

struct EncodeCase {
  std::string name;
  std::string bytes;
  std::string text;
};
void PrintTo(const EncodeCase& c, std::ostream* os) { PrintCaseName(c, os); }

class EncodeBase64Test : public testing::TestWithParam<EncodeCase> {};

TEST_P(EncodeBase64Test, EncodesWithPadding) {
  const EncodeCase& c = GetParam();
  EXPECT_EQ(EncodeBase64(c.bytes), c.text);
  const absl::StatusOr<std::string> back = DecodeBase64(c.text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c.bytes);
}

INSTANTIATE_TEST_SUITE_P(Table, EncodeBase64Test,
                         testing::ValuesIn(std::vector<EncodeCase>{
                             {"Empty", "", ""},
                             {"F", "f", "Zg=="},
                             {"Fo", "fo", "Zm8="},
                             {"Foo", "foo", "Zm9v"},
                             {"Foobar", "foobar", "Zm9vYmFy"},
                             {"Username", "Username:", "VXNlcm5hbWU6"},
                             {"Password", "Password:", "UGFzc3dvcmQ6"},
                             {"NullCredentials", "\0\0"s, "AAA="},
                         }),
                         CaseName<EncodeCase>);

TEST(Base64RoundTripTest, EveryLengthAndByteValue) {
  // A deterministic byte soup: every byte value, at every length up to 300.
  std::string soup;
  for (int i = 0; i < 300; ++i) soup.push_back(static_cast<char>((i * 167 + 13) % 256));
  for (size_t length = 0; length <= soup.size(); ++length) {
    const std::string bytes = soup.substr(0, length);
    const std::string text = EncodeBase64(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    const absl::StatusOr<std::string> back = DecodeBase64(text);
    ASSERT_TRUE(back.ok()) << "length " << length << ": " << back.status();
    EXPECT_EQ(*back, bytes) << "length " << length;
  }
}

TEST(Base64RoundTripTest, EveryNonCanonicalFinalSextetIsRejected) {
  // For "X?==" only sextets with the low 4 bits clear decode; for "XX?=" the low 2 bits.
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t v = 0; v < 64; ++v) {
    const std::string one = "A"s + alphabet[v] + "==";
    const std::string two = "AA"s + alphabet[v] + "=";
    EXPECT_EQ(DecodeBase64(one).ok(), (v & 0x0F) == 0) << one;
    EXPECT_EQ(DecodeBase64(two).ok(), (v & 0x03) == 0) << two;
  }
}

// --- Mechanism names ----------------------------------------------------------------------

TEST(ParseSaslMechanismTest, KnowsPlainAndLoginOnly) {
  EXPECT_EQ(ParseSaslMechanism("PLAIN"), SaslMechanism::kPlain);
  EXPECT_EQ(ParseSaslMechanism("LOGIN"), SaslMechanism::kLogin);
  EXPECT_EQ(ParseSaslMechanism("plain"), std::nullopt);  // the command parser upper-cases
  EXPECT_EQ(ParseSaslMechanism("CRAM-MD5"), std::nullopt);
  EXPECT_EQ(ParseSaslMechanism("NTLM"), std::nullopt);
  EXPECT_EQ(ParseSaslMechanism("PLAINX"), std::nullopt);
  EXPECT_EQ(ParseSaslMechanism(""), std::nullopt);
}

// --- PLAIN messages -----------------------------------------------------------------------

struct PlainCase {
  std::string name;
  std::string message;
  std::optional<SaslCredentials> credentials;  // nullopt: must fail with `reason`
  std::string reason;
};
void PrintTo(const PlainCase& c, std::ostream* os) { PrintCaseName(c, os); }

class ParsePlainMessageTest : public testing::TestWithParam<PlainCase> {};

TEST_P(ParsePlainMessageTest, Parses) {
  const PlainCase& c = GetParam();
  const absl::StatusOr<SaslCredentials> result = ParsePlainMessage(c.message);
  if (c.credentials.has_value()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->authzid, c.credentials->authzid);
    EXPECT_EQ(result->authcid, c.credentials->authcid);
    EXPECT_EQ(result->password, c.credentials->password);
    return;
  }
  ASSERT_FALSE(result.ok());
  const SmtpError error = SmtpErrorOf(result.status());
  EXPECT_EQ(error.code, 501);
  EXPECT_EQ(error.enhanced, "5.5.2");
  EXPECT_EQ(error.reason, c.reason);
}

const std::string k255(255, 'x');
const std::string k256(256, 'x');

INSTANTIATE_TEST_SUITE_P(
    Table, ParsePlainMessageTest,
    testing::ValuesIn(std::vector<PlainCase>{
        {"NoAuthzid", "\0guest\0guest-pass"s, SaslCredentials{"", "guest", "guest-pass"}, ""},
        {"WithAuthzid", "bob\0guest\0guest-pass"s, SaslCredentials{"bob", "guest", "guest-pass"},
         ""},
        {"Utf8Fields", "\0j\xc3\xa9r\xc3\xb4me\0p\xc3\xa4ss \xf0\x9f\x94\x91"s,
         SaslCredentials{"", "j\xc3\xa9r\xc3\xb4me", "p\xc3\xa4ss \xf0\x9f\x94\x91"}, ""},
        {"ControlCharsAreSafe", "\0u\x01\0p\x7f\t"s, SaslCredentials{"", "u\x01", "p\x7f\t"}, ""},
        {"Fields255", k255 + "\0"s + k255 + "\0"s + k255, SaslCredentials{k255, k255, k255}, ""},
        {"Empty", "", std::nullopt, "empty PLAIN message"},
        {"NoNul", "guestpass", std::nullopt, "PLAIN message has 0 NUL separators, expected 2"},
        {"OneNul", "guest\0guest-pass"s, std::nullopt,
         "PLAIN message has 1 NUL separator, expected 2"},
        {"ThreeNuls", "bob\0guest\0guest-pass\0"s, std::nullopt,
         "PLAIN message has 3 NUL separators, expected 2"},
        {"NullCredentials", "\0\0"s, std::nullopt, "empty PLAIN authcid"},
        {"NullCredentialsWithAuthzid", "bob\0\0"s, std::nullopt, "empty PLAIN authcid"},
        {"EmptyAuthcid", "\0\0guest-pass"s, std::nullopt, "empty PLAIN authcid"},
        {"EmptyPassword", "\0guest\0"s, std::nullopt, "empty PLAIN password"},
        {"Authcid256", "\0"s + k256 + "\0p"s, std::nullopt,
         "PLAIN authcid longer than 255 octets (256)"},
        {"Password256", "\0guest\0"s + k256, std::nullopt,
         "PLAIN password longer than 255 octets (256)"},
        {"Authzid256", k256 + "\0guest\0guest-pass"s, std::nullopt,
         "PLAIN authzid longer than 255 octets (256)"},
        {"PasswordBadByte", "\0guest\0pass\xff"s, std::nullopt,
         "PLAIN password is not valid UTF-8"},
        {"PasswordLatin1", "\0guest\0p\xe4ss"s, std::nullopt, "PLAIN password is not valid UTF-8"},
        {"AuthcidOverlong", "\0gu\xc0\xafst\0guest-pass"s, std::nullopt,
         "PLAIN authcid is not valid UTF-8"},
        {"AuthcidSurrogate", "\0\xed\xa0\x80\0guest-pass"s, std::nullopt,
         "PLAIN authcid is not valid UTF-8"},
        {"PasswordTruncated", "\0guest\0pass\xc3"s, std::nullopt,
         "PLAIN password is not valid UTF-8"},
        {"PasswordAboveMax", "\0guest\0\xf4\x90\x80\x80"s, std::nullopt,
         "PLAIN password is not valid UTF-8"},
        {"AuthzidBadByte", "\x80\0guest\0guest-pass"s, std::nullopt,
         "PLAIN authzid is not valid UTF-8"},
    }),
    CaseName<PlainCase>);

// --- SaslServer flows ---------------------------------------------------------------------

struct FlowCase {
  std::string name;
  SaslMechanism mechanism;
  std::optional<std::string> initial;   // the AUTH command's initial response
  std::vector<std::string> lines;       // Respond() after Begin(), in order
  std::vector<std::string> challenges;  // expected from Begin() and each Respond() but the last
  std::optional<SaslCredentials> credentials;  // expected from the last step, or it fails:
  int code = 0;
  std::string enhanced = "";
  std::string reason = "";
};
void PrintTo(const FlowCase& c, std::ostream* os) { PrintCaseName(c, os); }

class SaslServerFlowTest : public testing::TestWithParam<FlowCase> {};

TEST_P(SaslServerFlowTest, Runs) {
  const FlowCase& c = GetParam();
  SaslServer server(c.mechanism, c.initial);
  EXPECT_FALSE(server.done());
  std::vector<SaslStep> steps;
  steps.push_back(server.Begin());
  for (const std::string& line : c.lines) {
    ASSERT_EQ(steps.back().kind, SaslStep::Kind::kChallenge) << "step " << steps.size();
    ASSERT_FALSE(server.done());
    steps.push_back(server.Respond(line));
  }
  ASSERT_EQ(steps.size(), c.challenges.size() + 1);
  for (size_t i = 0; i < c.challenges.size(); ++i) {
    EXPECT_EQ(steps[i].kind, SaslStep::Kind::kChallenge) << "step " << i;
    EXPECT_EQ(steps[i].challenge, c.challenges[i]) << "step " << i;
  }
  const SaslStep& last = steps.back();
  EXPECT_TRUE(server.done());
  if (c.credentials.has_value()) {
    ASSERT_EQ(last.kind, SaslStep::Kind::kCredentials) << last.error;
    EXPECT_EQ(last.credentials.authzid, c.credentials->authzid);
    EXPECT_EQ(last.credentials.authcid, c.credentials->authcid);
    EXPECT_EQ(last.credentials.password, c.credentials->password);
    EXPECT_TRUE(last.error.ok());
    return;
  }
  ASSERT_EQ(last.kind, SaslStep::Kind::kFailed);
  const SmtpError error = SmtpErrorOf(last.error);
  EXPECT_EQ(error.code, c.code);
  EXPECT_EQ(error.enhanced, c.enhanced);
  EXPECT_EQ(error.reason, c.reason);
}

constexpr SaslMechanism kPlain = SaslMechanism::kPlain;
constexpr SaslMechanism kLogin = SaslMechanism::kLogin;
const std::string kUser = std::string(kLoginUsernameChallenge);
const std::string kPass = std::string(kLoginPasswordChallenge);
const std::string kGuestPlain = "AGd1ZXN0AGd1ZXN0LXBhc3M=";  // "\0guest\0guest-pass"
const std::string kGuest = "Z3Vlc3Q=";                       // "guest"
const std::string kGuestPass = "Z3Vlc3QtcGFzcw==";           // "guest-pass"
const SaslCredentials kGuestCredentials{"", "guest", "guest-pass"};
const std::string kLongLine(kMaxSaslLine + 1, 'A');
const std::string kLongestLine(kMaxSaslLine, 'A');  // decodes to 9216 NULs

INSTANTIATE_TEST_SUITE_P(
    Table, SaslServerFlowTest,
    testing::ValuesIn(std::vector<FlowCase>{
        // PLAIN.
        {"PlainInitialResponse", kPlain, kGuestPlain, {}, {}, kGuestCredentials},
        {"PlainInitialResponseAuthzid",
         kPlain,
         EncodeBase64("bob\0guest\0guest-pass"s),
         {},
         {},
         SaslCredentials{"bob", "guest", "guest-pass"}},
        {"PlainChallengeThenResponse",
         kPlain,
         std::nullopt,
         {kGuestPlain},
         {""},
         kGuestCredentials},
        {"PlainEmptyInitialResponse",
         kPlain,
         "=",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "empty PLAIN message"},
        {"PlainNullCredentials",
         kPlain,
         "AAA=",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "empty PLAIN authcid"},
        {"PlainOneNul",
         kPlain,
         EncodeBase64("guest\0guest-pass"s),
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "PLAIN message has 1 NUL separator, expected 2"},
        {"PlainBadInitialBase64",
         kPlain,
         "AGd1ZXN0AGd1ZXN0LXBhc3M",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 missing padding at offset 23 in AUTH initial response"},
        {"PlainStarInitialResponse",
         kPlain,
         "*",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 character at offset 0 in AUTH initial response"},
        {"PlainInitialTooLong",
         kPlain,
         kLongLine,
         {},
         {},
         std::nullopt,
         500,
         "5.5.6",
         "AUTH initial response too long"},
        {"PlainCancel",
         kPlain,
         std::nullopt,
         {"*"},
         {""},
         std::nullopt,
         501,
         "5.0.0",
         "AUTH cancelled"},
        {"PlainBadResponseBase64",
         kPlain,
         std::nullopt,
         {"AGd1ZXN0AGd1ZXN0LXBhc3M=\t"},
         {""},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 character at offset 24 in PLAIN response"},
        {"PlainEmptyResponse",
         kPlain,
         std::nullopt,
         {""},
         {""},
         std::nullopt,
         501,
         "5.5.2",
         "empty PLAIN message"},
        {"PlainEqualsIsNotSpecialInResponse",
         kPlain,
         std::nullopt,
         {"="},
         {""},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 padding at offset 0 in PLAIN response"},
        {"PlainOverlongLine",
         kPlain,
         std::nullopt,
         {kLongLine},
         {""},
         std::nullopt,
         500,
         "5.5.6",
         "AUTH response line longer than 12288 octets"},
        {"PlainLongestLineIsDecoded",
         kPlain,
         std::nullopt,
         {kLongestLine},
         {""},
         std::nullopt,
         501,
         "5.5.2",
         "PLAIN message has 9216 NUL separators, expected 2"},
        // LOGIN.
        {"LoginFlow",
         kLogin,
         std::nullopt,
         {kGuest, kGuestPass},
         {kUser, kPass},
         kGuestCredentials},
        {"LoginInitialUsername", kLogin, kGuest, {kGuestPass}, {kPass}, kGuestCredentials},
        {"LoginUtf8",
         kLogin,
         std::nullopt,
         {EncodeBase64("j\xc3\xa9r\xc3\xb4me"), EncodeBase64("p\xc3\xa4ss")},
         {kUser, kPass},
         SaslCredentials{"", "j\xc3\xa9r\xc3\xb4me", "p\xc3\xa4ss"}},
        {"LoginEmptyInitialResponse",
         kLogin,
         "=",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "empty LOGIN username"},
        {"LoginBadInitialBase64",
         kLogin,
         "Z3Vlc3Q",
         {},
         {},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 missing padding at offset 7 in AUTH initial response"},
        {"LoginCancelAtUsername",
         kLogin,
         std::nullopt,
         {"*"},
         {kUser},
         std::nullopt,
         501,
         "5.0.0",
         "AUTH cancelled"},
        {"LoginCancelAtPassword",
         kLogin,
         std::nullopt,
         {kGuest, "*"},
         {kUser, kPass},
         std::nullopt,
         501,
         "5.0.0",
         "AUTH cancelled"},
        {"LoginInitialThenCancel",
         kLogin,
         kGuest,
         {"*"},
         {kPass},
         std::nullopt,
         501,
         "5.0.0",
         "AUTH cancelled"},
        {"LoginBadUsernameBase64",
         kLogin,
         std::nullopt,
         {"Z3Vlc3Q"},
         {kUser},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 missing padding at offset 7 in LOGIN username"},
        {"LoginBadPasswordBase64",
         kLogin,
         std::nullopt,
         {kGuest, "Z3Vlc3QtcGFzcw=="s + " "},
         {kUser, kPass},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 character at offset 16 in LOGIN password"},
        {"LoginNonCanonicalPassword",
         kLogin,
         std::nullopt,
         {kGuest, "Z3Vlc3QtcGFzcx=="},
         {kUser, kPass},
         std::nullopt,
         501,
         "5.5.2",
         "invalid base64 non-canonical trailing bits at offset 13 in LOGIN password"},
        {"LoginEmptyUsername",
         kLogin,
         std::nullopt,
         {""},
         {kUser},
         std::nullopt,
         501,
         "5.5.2",
         "empty LOGIN username"},
        {"LoginEmptyPassword",
         kLogin,
         std::nullopt,
         {kGuest, ""},
         {kUser, kPass},
         std::nullopt,
         501,
         "5.5.2",
         "empty LOGIN password"},
        {"LoginUsernameWithNul",
         kLogin,
         std::nullopt,
         {EncodeBase64("bob\0guest"s)},
         {kUser},
         std::nullopt,
         501,
         "5.5.2",
         "LOGIN username contains NUL"},
        {"LoginPasswordNotUtf8",
         kLogin,
         std::nullopt,
         {kGuest, EncodeBase64("p\xe4ss")},
         {kUser, kPass},
         std::nullopt,
         501,
         "5.5.2",
         "LOGIN password is not valid UTF-8"},
        {"LoginUsername256",
         kLogin,
         std::nullopt,
         {EncodeBase64(k256)},
         {kUser},
         std::nullopt,
         501,
         "5.5.2",
         "LOGIN username longer than 255 octets (256)"},
        {"LoginOverlongUsernameLine",
         kLogin,
         std::nullopt,
         {kLongLine},
         {kUser},
         std::nullopt,
         500,
         "5.5.6",
         "AUTH response line longer than 12288 octets"},
        {"LoginOverlongPasswordLine",
         kLogin,
         std::nullopt,
         {kGuest, kLongLine},
         {kUser, kPass},
         std::nullopt,
         500,
         "5.5.6",
         "AUTH response line longer than 12288 octets"},
    }),
    CaseName<FlowCase>);

TEST(SaslServerTest, LoginChallengesArePrompts) {
  EXPECT_EQ(DecodeBase64(kLoginUsernameChallenge).value(), "Username:");
  EXPECT_EQ(DecodeBase64(kLoginPasswordChallenge).value(), "Password:");
}

void ExpectMisuse(const SaslStep& step, std::string_view reason) {
  ASSERT_EQ(step.kind, SaslStep::Kind::kFailed);
  const SmtpError error = SmtpErrorOf(step.error);
  EXPECT_EQ(error.code, 503);
  EXPECT_EQ(error.enhanced, "5.5.1");
  EXPECT_EQ(error.reason, reason);
}

TEST(SaslServerTest, RespondAfterCredentialsFails) {
  SaslServer server(SaslMechanism::kPlain, kGuestPlain);
  ASSERT_EQ(server.Begin().kind, SaslStep::Kind::kCredentials);
  ASSERT_TRUE(server.done());
  ExpectMisuse(server.Respond(kGuestPlain), "AUTH exchange already finished");
  ExpectMisuse(server.Respond("*"), "AUTH exchange already finished");
  ExpectMisuse(server.Begin(), "AUTH exchange already finished");
  EXPECT_TRUE(server.done());
}

TEST(SaslServerTest, RespondAfterFailureFails) {
  SaslServer server(SaslMechanism::kLogin, std::nullopt);
  ASSERT_EQ(server.Begin().kind, SaslStep::Kind::kChallenge);
  ASSERT_EQ(server.Respond("*").kind, SaslStep::Kind::kFailed);
  ASSERT_TRUE(server.done());
  ExpectMisuse(server.Respond(kGuestPass), "AUTH exchange already finished");
  ExpectMisuse(server.Respond(kLongLine), "AUTH exchange already finished");
}

TEST(SaslServerTest, RespondBeforeBeginFails) {
  SaslServer server(SaslMechanism::kLogin, std::nullopt);
  ExpectMisuse(server.Respond(kGuest), "AUTH exchange not started");
  EXPECT_TRUE(server.done());
}

TEST(SaslServerTest, BeginTwiceFails) {
  SaslServer server(SaslMechanism::kPlain, std::nullopt);
  ASSERT_EQ(server.Begin().kind, SaslStep::Kind::kChallenge);
  ExpectMisuse(server.Begin(), "AUTH exchange already started");
  EXPECT_TRUE(server.done());
}

TEST(SaslServerTest, InitialResponseIsCopied) {
  std::string initial = kGuestPlain;
  SaslServer server(SaslMechanism::kPlain, initial);
  initial.assign(initial.size(), '!');
  const SaslStep step = server.Begin();
  ASSERT_EQ(step.kind, SaslStep::Kind::kCredentials) << step.error;
  EXPECT_EQ(step.credentials.password, "guest-pass");
}

// --- Secrecy ------------------------------------------------------------------------------

// Reasons are fixed texts, numbers and these punctuation marks; anything else would be a
// credential byte leaking through.
bool HasOnlyReasonCharacters(std::string_view reason) {
  for (char c : reason) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == ' ' || c == ',' || c == '(' || c == ')' || c == '-' || c == '*';
    if (!ok) return false;
  }
  return true;
}

void ExpectNoSecret(const absl::Status& status, const std::vector<std::string>& secrets,
                    std::string_view context) {
  ASSERT_FALSE(status.ok()) << context;
  const std::string reason(status.message());
  EXPECT_TRUE(HasOnlyReasonCharacters(reason)) << context << ": " << reason;
  for (const std::string& secret : secrets) {
    EXPECT_EQ(reason.find(secret), std::string::npos) << context;
    // Nor any 6-octet window of its base64 form.
    const std::string encoded = EncodeBase64(secret);
    for (size_t i = 0; i + 6 <= encoded.size(); ++i) {
      EXPECT_EQ(reason.find(encoded.substr(i, 6)), std::string::npos) << context;
    }
  }
}

TEST(SaslSecrecyTest, NoReasonContainsCredentials) {
  const std::string user = "alice.smith";
  const std::string password = "Sup3r$ecret!Pw";
  const std::vector<std::string> secrets = {user, password};

  // Bad PLAIN messages that carry the password.
  const std::vector<std::string> messages = {
      user + "\0"s + password,                                  // 1 NUL
      "\0"s + user + "\0"s + password + "\0"s,                  // 3 NULs
      "\0"s + user + "\0"s + password + "\xff",                 // invalid UTF-8
      "\0"s + user + "\0"s + password + std::string(250, 'p'),  // too long
      password + "\xc0\0"s + user + "\0"s + password,           // bad authzid
      "\0\0"s + password,                                       // empty authcid
      password + password,                                      // no NUL
  };
  for (const std::string& message : messages) {
    ExpectNoSecret(ParsePlainMessage(message).status(), secrets, "ParsePlainMessage");
    for (const bool initial : {true, false}) {
      const std::string encoded = EncodeBase64(message);
      // As sent, and damaged in ways that make the base64 fail.
      for (const std::string& line :
           {encoded, encoded + "!", "=" + encoded, encoded.substr(0, encoded.size() - 1),
            encoded.substr(0, 4) + " " + encoded.substr(4)}) {
        SaslServer server(SaslMechanism::kPlain,
                          initial ? std::optional<std::string_view>(line) : std::nullopt);
        SaslStep step = server.Begin();
        if (!initial) step = server.Respond(line);
        ASSERT_EQ(step.kind, SaslStep::Kind::kFailed);
        ExpectNoSecret(step.error, secrets, initial ? "PLAIN initial" : "PLAIN response");
      }
    }
  }

  // LOGIN: bad password lines and bad passwords.
  const std::vector<std::string> password_lines = {
      EncodeBase64(password) + " ",
      EncodeBase64(password + "\xff"),
      EncodeBase64(password + "\0"s),
      EncodeBase64(password + std::string(250, 'p')),
      EncodeBase64(password).substr(1),
      std::string(kMaxSaslLine, 'x') + EncodeBase64(password),  // overlong
  };
  for (const std::string& line : password_lines) {
    SaslServer server(SaslMechanism::kLogin, EncodeBase64(user));
    ASSERT_EQ(server.Begin().kind, SaslStep::Kind::kChallenge);
    const SaslStep step = server.Respond(line);
    ASSERT_EQ(step.kind, SaslStep::Kind::kFailed);
    ExpectNoSecret(step.error, secrets, "LOGIN password");
  }
  for (const std::string& line : password_lines) {
    SaslServer server(SaslMechanism::kLogin, std::nullopt);
    ASSERT_EQ(server.Begin().kind, SaslStep::Kind::kChallenge);
    const SaslStep step = server.Respond(line);  // the password sent as username
    ASSERT_EQ(step.kind, SaslStep::Kind::kFailed);
    ExpectNoSecret(step.error, secrets, "LOGIN username");
  }
}

}  // namespace
}  // namespace smtpgate
