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
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalogue_expectations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/embedded_target.h"
#include "harness/conformance/parallel_runner.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/suite.h"
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
