// `smtpgate fuzz-to-transcript` (harness/conformance/fuzz_transcript.h): a fuzz_session input
// becomes a transcript that PASSes the secure embedded server and FAILs the profile whose
// flaw the input shows; the committed regressions are exactly what the converter makes of
// their reproducers (corpus/fuzz_session/regression-*), so neither can drift.
#include "harness/conformance/fuzz_transcript.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/transcript_parser.h"
#include "harness/conformance/variables.h"
#include "harness/conformance/verdict.h"
#include "tests/source_dir.h"

namespace smtpgate::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Input(uint8_t config, std::string_view stream) {
  return std::string(1, static_cast<char>(config)) + '\x07' + std::string(stream);
}

TestResult RunOn(const std::string& text, Profile profile) {
  EmbeddedTarget target(profile);
  const absl::StatusOr<Transcript> transcript =
      ParseTranscript(text, "fuzz.smtp", UsableNames(target.config().variables));
  EXPECT_TRUE(transcript.ok()) << transcript.status() << "\n" << text;
  if (!transcript.ok()) return {};
  const absl::StatusOr<Capabilities> capabilities = ProbeCapabilities(target);
  EXPECT_TRUE(capabilities.ok());
  return RunTranscript(*transcript, target, *capabilities, "regressions/fuzz", "regressions");
}

std::string Convert(const std::string& input, Profile found_in, std::string name = "") {
  FuzzTranscriptOptions options;
  options.found_in = found_in;
  options.name = std::move(name);
  const absl::StatusOr<FuzzTranscript> made = FuzzSessionToTranscript(input, options);
  EXPECT_TRUE(made.ok()) << made.status();
  return made.ok() ? made->text : "";
}

constexpr std::string_view kSmuggling =
    "EHLO c.test\r\nMAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
    "first\n.\nMAIL FROM:<hidden@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
    "smuggled\r\n.\r\n";

TEST(FuzzTranscript, SmugglingFindingFailsBareLfEodAndPassesSecure) {
  const std::string text = Convert(Input(0x07, kSmuggling), Profile::kBareLfEod);
  // The envelope senders carry the run's token; the hidden one must never deliver (FAIL),
  // the refused visible one is a leniency if it does (WARN).
  EXPECT_THAT(text, HasSubstr("MAIL FROM:<${token}-hidden@${remote_domain}>"));
  EXPECT_THAT(text, HasSubstr("EXPECT no-message-from <${token}-hidden@${remote_domain}>\n"));
  EXPECT_THAT(text, HasSubstr("EXPECT no-message-from <${token}-a@${remote_domain}> warn\n"));
  // Nothing the secure server answers with silence is cut: the smuggled envelope stays in
  // the write that carries the message text.
  EXPECT_THAT(text, HasSubstr("\"first\\n\" \".\\n\" \"MAIL FROM:<${token}-hidden@"));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
  const TestResult flawed = RunOn(text, Profile::kBareLfEod);
  EXPECT_EQ(flawed.verdict, Verdict::kFail);
  EXPECT_THAT(flawed.reason, HasSubstr("hidden@remote.invalid"));
  // A strict server (refuses, may close) is not weaker than the reference: PASS.
  EXPECT_EQ(RunOn(text, Profile::kStrict).verdict, Verdict::kPass);
}

TEST(FuzzTranscript, RelayFindingFailsOpenRelayOnly) {
  const std::string text = Convert(Input(0x04,
                                         "EHLO c.test\r\nMAIL FROM:<x@remote.invalid>\r\nRCPT "
                                         "TO:<victim@remote.invalid>\r\nQUIT\r\n"),
                                   Profile::kOpenRelay);
  EXPECT_THAT(text, HasSubstr("EXPECT not-relayed\n"));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
  EXPECT_EQ(RunOn(text, Profile::kOpenRelay).verdict, Verdict::kFail);
  EXPECT_EQ(RunOn(text, Profile::kBareLfEod).verdict, Verdict::kPass);
}

TEST(FuzzTranscript, NullCredentialsThatAuthenticateAreABypass) {
  const std::string text =
      Convert(Input(0x03, "EHLO c.test\r\nAUTH PLAIN AAA=\r\n"), Profile::kNullSessionAuth);
  EXPECT_THAT(text, HasSubstr("fail 2xx \"authentication bypass"));
  const TestResult flawed = RunOn(text, Profile::kNullSessionAuth);
  EXPECT_EQ(flawed.verdict, Verdict::kFail);
  EXPECT_THAT(flawed.reason, HasSubstr("authentication bypass"));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
}

// The reference server ends an AUTH LOGIN at the empty user name; null-session-auth asks for
// the password and takes the empty one. The next empty line is a command to the reference
// server and a credential to the flawed one: its 235 there is a bypass, not a leniency.
TEST(FuzzTranscript, AnAuthExchangeThatGoesOnWhereTheReferenceRefusedItIsABypass) {
  const std::string text = Convert(
      Input(0x03, "EHLO c.test\r\nAUTH LOGIN\r\n\r\n\r\nMAIL FROM:<a@remote.invalid>\r\n"),
      Profile::kNullSessionAuth);
  EXPECT_THAT(text, HasSubstr("fail 23x \"authentication bypass"));
  const TestResult flawed = RunOn(text, Profile::kNullSessionAuth);
  EXPECT_EQ(flawed.verdict, Verdict::kFail);
  EXPECT_THAT(flawed.reason, HasSubstr("AUTH exchange the reference server refused went on"));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
}

TEST(FuzzTranscript, OverLongLineIsSentWholeAndACrashIsNotAClose) {
  const std::string stream = "EHLO " + std::string(600, 'a') + "\r\nNOOP\r\n";
  const std::string text = Convert(Input(0x02, stream), Profile::kPerConnectionCrash);
  // The reference server refuses at octet 513; the write still goes to the line's end.
  EXPECT_THAT(text, HasSubstr(std::string(100, 'a') + "\\r\\n\"\nS: 4xx|5xx"));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
  EXPECT_EQ(RunOn(text, Profile::kPerConnectionCrash).verdict, Verdict::kFail);
  EXPECT_EQ(RunOn(text, Profile::kStrict).verdict, Verdict::kPass);  // 500 and close
}

TEST(FuzzTranscript, EscapesAndVariables) {
  const std::string text = Convert(Input(0, std::string("NOOP $x \"q\" \\ \0\xff\r\n", 18)),
                                   Profile::kSecure, "fuzz-escapes");
  EXPECT_THAT(text, HasSubstr("@name     fuzz-escapes\n"));
  EXPECT_THAT(text, HasSubstr("C!: \"NOOP \\$x \\\"q\\\" \\\\ \\x00\\xff\\r\\n\""));
  EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
}

TEST(FuzzTranscript, BadInputIsAClearError) {
  FuzzTranscriptOptions options;
  const absl::StatusOr<FuzzTranscript> short_input = FuzzSessionToTranscript("\x01", options);
  ASSERT_FALSE(short_input.ok());
  EXPECT_THAT(std::string(short_input.status().message()), HasSubstr("2 header bytes"));
  EXPECT_FALSE(FuzzSessionToTranscript(std::string("\x01\x02", 2), options).ok());
}

// Every conformance/regressions/X.smtp is the converter's output for its reproducer
// corpus/fuzz_session/regression-* (named in its header), byte for byte.
TEST(FuzzTranscript, CommittedRegressionsAreTheConvertersOutput) {
  const std::filesystem::path dir = SourceDir() + "/conformance/regressions";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".smtp") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("written by `smtpgate fuzz-to-transcript`") == std::string::npos) continue;
    SCOPED_TRACE(entry.path().string());
    const size_t at = text.find("# Input: ");
    ASSERT_NE(at, std::string::npos);
    const std::string label = text.substr(at + 9, text.find(',', at) - at - 9);
    const size_t found = text.find("found under the emulation profile ");
    ASSERT_NE(found, std::string::npos);
    const std::string profile_name =
        text.substr(found + 34, text.find('.', found + 34) - found - 34);
    const std::optional<Profile> profile = ParseProfile(profile_name);
    ASSERT_TRUE(profile.has_value()) << profile_name;
    std::ifstream reproducer(SourceDir() + "/corpus/fuzz_session/" + label, std::ios::binary);
    ASSERT_TRUE(reproducer) << "no corpus/fuzz_session/" << label;
    const std::string input((std::istreambuf_iterator<char>(reproducer)),
                            std::istreambuf_iterator<char>());
    FuzzTranscriptOptions options;
    options.found_in = *profile;
    options.input_label = label;
    options.name = entry.path().stem().string();
    const absl::StatusOr<FuzzTranscript> made = FuzzSessionToTranscript(input, options);
    ASSERT_TRUE(made.ok()) << made.status();
    EXPECT_EQ(made->text, text) << "regenerate with: smtpgate fuzz-to-transcript --profile "
                                << profile_name << " --name " << options.name
                                << " corpus/fuzz_session/" << label;
    // The finding's profile FAILs it, secure PASSes it.
    EXPECT_EQ(RunOn(text, Profile::kSecure).verdict, Verdict::kPass);
    if (*profile != Profile::kSecure) EXPECT_EQ(RunOn(text, *profile).verdict, Verdict::kFail);
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

}  // namespace
}  // namespace smtpgate::conformance
