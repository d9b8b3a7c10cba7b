// The mutation check of the conformance catalogue itself (conformance/**.smtp): the whole
// catalogue runs in-process against the embedded reference server in every emulation
// profile, and the verdicts must be exactly those listed in
// conformance/expectations/embedded.toml:
//   - secure: no FAIL and no ERROR (WARN/SKIP only where listed);
//   - each flawed profile: the FAIL set is exactly the listed one, every FAIL has severity
//     critical or high, no ERROR, and everything else passes as in secure.
// A transcript that stops detecting its flaw, or starts failing where it should not, shows
// up here. The source tree is found through SMTPGATE_SOURCE_DIR (set by ctest; else the tree the
// test was built from).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalogue_expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/parallel_runner.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/template.h"
#include "harness/conformance/variables.h"
#include "harness/conformance/verdict.h"
#include "harness/core/profile.h"
#include "tests/suite_runs.h"

namespace smtpgate::conformance {
namespace {

std::string Describe(const TestResult& result) {
  return result.name + " [" + std::string(VerdictName(result.verdict)) + ", " +
         std::string(SeverityName(result.severity)) + "]: " + result.reason;
}

class ConformanceCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = SourceDir();
    std::string error;
    expectations_ = LoadExpectations(source_ + "/conformance/expectations/embedded.toml", &error);
    ASSERT_EQ(error, "") << "conformance/expectations/embedded.toml";
  }

  // Runs the whole catalogue against the embedded server in `profile`.
  std::vector<TestResult> RunCatalogue(Profile profile, std::chrono::milliseconds* elapsed) {
    const auto start = std::chrono::steady_clock::now();
    EmbeddedTarget target(profile);
    const Suite suite =
        LoadSuite({source_ + "/conformance"}, UsableNames(target.config().variables));
    EXPECT_THAT(suite.errors, ::testing::IsEmpty());
    for (const SuiteEntry& entry : suite.entries) names_.insert(entry.transcript.name);
    std::vector<TestResult> results = RunSuite(suite, target, /*jobs=*/2);
    *elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return results;
  }

  void CheckProfile(Profile profile) {
    const std::string name(ProfileName(profile));
    ASSERT_TRUE(expectations_.contains(name)) << "no [" << name << "] in embedded.toml";
    const ProfileExpectation& expected = expectations_.at(name);
    std::chrono::milliseconds elapsed{0};
    const std::vector<TestResult> results = RunCatalogue(profile, &elapsed);
    ASSERT_FALSE(results.empty());
    std::cout << "[ catalogue ] profile " << name << ": " << results.size() << " transcripts in "
              << elapsed.count() << " ms\n";

    // Every name the expectations list exists (a renamed transcript must not hide).
    for (const NameList* list : {&expected.fail, &expected.warn, &expected.skip}) {
      for (const std::string& listed : *list) {
        EXPECT_TRUE(names_.contains(listed))
            << "[" << name << "] lists " << listed << ", which is no transcript";
      }
    }

    NameList fail, warn, skip;
    for (const TestResult& result : results) {
      switch (result.verdict) {
        case Verdict::kPass:
          break;
        case Verdict::kFail:
          fail.insert(result.name);
          EXPECT_TRUE(result.severity == Severity::kCritical || result.severity == Severity::kHigh)
              << "profile " << name << ": a FAIL below severity high: " << Describe(result);
          if (!expected.fail.contains(result.name)) {
            ADD_FAILURE() << "profile " << name << ": unexpected FAIL " << Describe(result);
          }
          break;
        case Verdict::kWarn:
          warn.insert(result.name);
          if (!expected.warn.contains(result.name)) {
            ADD_FAILURE() << "profile " << name << ": unexpected WARN " << Describe(result);
          }
          break;
        case Verdict::kSkip:
          skip.insert(result.name);
          if (!expected.skip.contains(result.name)) {
            ADD_FAILURE() << "profile " << name << ": unexpected SKIP " << Describe(result);
          }
          break;
        case Verdict::kError:
          ADD_FAILURE() << "profile " << name << ": ERROR " << Describe(result);
          break;
      }
    }
    for (const std::string& missing : expected.fail) {
      EXPECT_TRUE(fail.contains(missing)) << "profile " << name << ": " << missing
                                          << " should FAIL (it no longer detects the flaw)";
    }
    for (const std::string& missing : expected.warn) {
      EXPECT_TRUE(warn.contains(missing))
          << "profile " << name << ": " << missing << " should WARN";
    }
    for (const std::string& missing : expected.skip) {
      EXPECT_TRUE(skip.contains(missing))
          << "profile " << name << ": " << missing << " should SKIP";
    }
  }

  std::string source_;
  std::map<std::string, ProfileExpectation> expectations_;
  NameList names_;
};

TEST_F(ConformanceCatalogueTest, ExpectationsNameEveryProfile) {
  NameList profiles;
  for (Profile p : kAllProfiles) profiles.insert(std::string(ProfileName(p)));
  NameList listed;
  for (const auto& [name, expectation] : expectations_) listed.insert(name);
  EXPECT_EQ(listed, profiles);
  EXPECT_THAT(expectations_["secure"].fail, ::testing::IsEmpty())
      << "the secure reference server must pass the whole catalogue";
}

TEST_F(ConformanceCatalogueTest, SecurePassesEverything) { CheckProfile(Profile::kSecure); }
TEST_F(ConformanceCatalogueTest, OpenRelayIsDetected) { CheckProfile(Profile::kOpenRelay); }
TEST_F(ConformanceCatalogueTest, AuthImpliesRelayIsDetected) {
  CheckProfile(Profile::kAuthImpliesRelay);
}
TEST_F(ConformanceCatalogueTest, Ms02012IsDetected) { CheckProfile(Profile::kMs02012); }
TEST_F(ConformanceCatalogueTest, BareLfEodIsDetected) { CheckProfile(Profile::kBareLfEod); }
TEST_F(ConformanceCatalogueTest, NullSessionAuthIsDetected) {
  CheckProfile(Profile::kNullSessionAuth);
}
TEST_F(ConformanceCatalogueTest, PerConnectionCrashIsDetected) {
  CheckProfile(Profile::kPerConnectionCrash);
}
// Refusing (and closing) is never a failure: a hardened server passes the whole catalogue,
// with the AUTH tests run inside TLS by the runner.
TEST_F(ConformanceCatalogueTest, StrictPassesEverything) { CheckProfile(Profile::kStrict); }

// Every transcript's client side is RFC-valid or says, in @violates, which rule it breaks on
// purpose (issue 13): a test that blames a server for refusing an invalid client must say
// the client was invalid. What can be seen mechanically is checked here: malformed input,
// bare CR/LF/NUL in raw bytes, pipelining without requiring PIPELINING, lines over 1000.
TEST_F(ConformanceCatalogueTest, ClientSideViolationsAreDeclared) {
  EmbeddedTarget target(Profile::kSecure);
  const Suite suite = LoadSuite({source_ + "/conformance"}, UsableNames(target.config().variables));
  ASSERT_THAT(suite.errors, ::testing::IsEmpty());
  const Variables variables = WithToken(target.config().variables, "sgtok-00000000");
  int declared = 0;
  for (const SuiteEntry& entry : suite.entries) {
    const Transcript& t = entry.transcript;
    std::vector<std::string> seen;
    if (t.HasTag("malformed")) seen.push_back("tagged malformed");
    const bool pipelining = std::find(t.requirements.begin(), t.requirements.end(), "pipelining") !=
                            t.requirements.end();
    for (const Step& step : t.steps) {
      std::vector<const SendStep*> sends;
      if (const auto* send = std::get_if<SendStep>(&step.body)) sends.push_back(send);
      if (const auto* pipeline = std::get_if<PipelineStep>(&step.body)) {
        if (!pipelining) seen.push_back("a PIPELINE block without @requires pipelining");
        for (const SendStep& part : pipeline->parts) sends.push_back(&part);
      }
      for (const SendStep* send : sends) {
        absl::StatusOr<std::string> bytes = Expand(send->bytes, variables);
        ASSERT_TRUE(bytes.ok()) << t.path << ": " << bytes.status();
        if (!send->raw) bytes->append("\r\n");
        size_t line_start = 0;
        for (size_t i = 0; i < bytes->size(); ++i) {
          const char c = (*bytes)[i];
          const bool bare_lf = c == '\n' && (i == 0 || (*bytes)[i - 1] != '\r');
          const bool bare_cr = c == '\r' && (i + 1 == bytes->size() || (*bytes)[i + 1] != '\n');
          if (bare_lf || bare_cr || c == '\0') {
            seen.push_back(absl::StrCat("a bare CR, LF or NUL at line ", step.location.line));
            break;
          }
          if (c == '\n') {
            if (i + 1 - line_start > 1000) {
              seen.push_back(absl::StrCat("a line over 1000 octets at line ", step.location.line));
            }
            line_start = i + 1;
          }
        }
      }
    }
    if (!t.violates.empty()) {
      ++declared;
      EXPECT_THAT(t.violates, ::testing::HasSubstr("RFC"))
          << t.path << ": @violates should name the rule (RFC and section) it breaks";
    } else {
      EXPECT_THAT(seen, ::testing::IsEmpty())
          << t.path << ": the client side breaks a rule on purpose; say which with @violates";
    }
  }
  EXPECT_GE(declared, 90);
}

TEST_F(ConformanceCatalogueTest, CatalogueCoversEveryArea) {
  EmbeddedTarget target(Profile::kSecure);
  const Suite suite = LoadSuite({source_ + "/conformance"}, UsableNames(target.config().variables));
  ASSERT_THAT(suite.errors, ::testing::IsEmpty());
  std::map<std::string, int> per_area;
  for (const SuiteEntry& entry : suite.entries) ++per_area[entry.area];
  for (const char* area : {"relay", "auth", "data", "tls", "limits", "tarpit", "harvest"}) {
    EXPECT_GT(per_area[area], 0) << "no transcript in conformance/" << area;
  }
  EXPECT_GE(suite.entries.size(), 85u);
}

}  // namespace
}  // namespace smtpgate::conformance
