#include "harness/conformance/fuzz_transcript_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/fuzz_transcript.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/transcript_parser.h"
#include "harness/conformance/variables.h"
#include "harness/conformance/verdict.h"
#include "harness/core/session_fuzz_input.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

using conformance::TestResult;

std::optional<TestResult> RunEmbedded(const conformance::Transcript& transcript, Profile profile) {
  conformance::EmbeddedTarget target(profile);
  const absl::StatusOr<conformance::Capabilities> capabilities =
      conformance::ProbeCapabilities(target);
  if (!capabilities.ok()) return std::nullopt;
  return conformance::RunTranscript(transcript, target, *capabilities, transcript.name,
                                    "regressions");
}

// 0, 1 or 2 as RunFuzzToTranscript, for one input.
int ConvertOne(const std::string& path, const FuzzTranscriptCommandOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz-to-transcript: %s: cannot read the file\n", path.c_str());
    return 2;
  }
  const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  conformance::FuzzTranscriptOptions convert;
  convert.name = options.name;
  convert.input_label = std::filesystem::path(path).filename().string();
  if (!options.profile.empty()) {
    const std::optional<Profile> profile = ParseProfile(options.profile);
    if (!profile) {
      std::fprintf(stderr, "fuzz-to-transcript: --profile %s is not an emulation profile\n",
                   options.profile.c_str());
      return 2;
    }
    convert.found_in = *profile;
  } else if (!input.empty()) {
    convert.found_in = kFuzzProfiles[static_cast<uint8_t>(input[0]) & 7];
  }
  // A stack.txt next to the reproducer (smtpgate-fuzz's crash directory) names the finding.
  const std::filesystem::path stack = std::filesystem::path(path).parent_path() / "stack.txt";
  if (std::ifstream s(stack); s) {
    std::string line;
    while (std::getline(s, line)) {
      if (line.find("invariant violated") != std::string::npos) {
        convert.reason = line;
        break;
      }
    }
  }
  const absl::StatusOr<conformance::FuzzTranscript> made =
      conformance::FuzzSessionToTranscript(input, convert);
  if (!made.ok()) {
    std::fprintf(stderr, "fuzz-to-transcript: %s: %s\n", path.c_str(),
                 std::string(made.status().message()).c_str());
    return 2;
  }
  const std::string out_path =
      (std::filesystem::path(options.out_dir) / (made->name + ".smtp")).string();
  const conformance::EmbeddedTarget names_of(Profile::kSecure);
  const absl::StatusOr<conformance::Transcript> transcript = conformance::ParseTranscript(
      made->text, out_path, conformance::UsableNames(names_of.config().variables));
  if (!transcript.ok()) {
    std::fprintf(stderr, "fuzz-to-transcript: %s: the transcript made does not parse: %s\n",
                 path.c_str(), std::string(transcript.status().message()).c_str());
    return 2;
  }
  const std::optional<TestResult> secure = RunEmbedded(*transcript, Profile::kSecure);
  const std::optional<TestResult> found =
      convert.found_in == Profile::kSecure ? secure : RunEmbedded(*transcript, convert.found_in);
  if (!secure || !found) {
    std::fprintf(stderr, "fuzz-to-transcript: the embedded server did not answer its probe\n");
    return 2;
  }
  const std::string found_name(ProfileName(convert.found_in));
  std::printf("%s: %s\n  secure: %s%s\n", path.c_str(), made->name.c_str(),
              std::string(VerdictName(secure->verdict)).c_str(),
              secure->reason.empty() ? "" : absl::StrCat(" (", secure->reason, ")").c_str());
  if (convert.found_in != Profile::kSecure) {
    std::printf("  %s: %s%s\n", found_name.c_str(),
                std::string(VerdictName(found->verdict)).c_str(),
                found->reason.empty() ? "" : absl::StrCat(" (", found->reason, ")").c_str());
  }
  // A finding on the secure profile is a bug of the reference server: its transcript states
  // what the specification wants, and may FAIL secure until the bug is fixed.
  const bool holds = convert.found_in == Profile::kSecure
                         ? true
                         : secure->verdict == conformance::Verdict::kPass &&
                               found->verdict == conformance::Verdict::kFail;
  if (!holds) {
    std::fprintf(stderr,
                 "fuzz-to-transcript: %s: the transcript does not tell %s from secure (it must "
                 "PASS secure and FAIL %s); the finding may depend on the fuzzer's configuration "
                 "byte (the transcript runs DemoConfig), %s\n",
                 path.c_str(), found_name.c_str(), found_name.c_str(),
                 options.force ? "written anyway (--force)" : "not written (--force writes it)");
    if (!options.force) return 1;
  }
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << made->text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz-to-transcript: cannot write %s\n", out_path.c_str());
    return 2;
  }
  std::printf("  wrote %s\n", out_path.c_str());
  return holds ? 0 : 1;
}

}  // namespace

int RunFuzzToTranscript(const FuzzTranscriptCommandOptions& options) {
  if (options.inputs.empty()) {
    std::fprintf(stderr, "fuzz-to-transcript: give one or more fuzz_session inputs\n");
    return 2;
  }
  if (!options.name.empty() && options.inputs.size() > 1) {
    std::fprintf(stderr, "fuzz-to-transcript: --name takes one input\n");
    return 2;
  }
  int status = 0;
  for (const std::string& path : options.inputs)
    status = std::max(status, ConvertOne(path, options));
  return status;
}

}  // namespace smtpgate
