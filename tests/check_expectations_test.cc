// scripts/targets/check_expectations.py, the real-target matrix's checker, run on results
// files written here: the per-variant `smuggled` list only accepts FAILs proven by the
// oracle (as `relayed` does), `known_fail` and `warn` extend the server's sets, and an
// unknown key is an input error.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/source_dir.h"

namespace smtpgate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int exit_code = -1;
  std::string output;
};

class CheckExpectations : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "smtpgate-expect-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code error;
    fs::remove_all(dir_, error);
  }

  // A results file with one test per (name, verdict, evidence).
  std::string Results(const std::vector<std::tuple<std::string, std::string, std::string>>& tests) {
    nlohmann::json doc = {{"tests", nlohmann::json::array()}};
    for (const auto& [name, verdict, evidence] : tests) {
      doc["tests"].push_back({{"name", name},
                              {"verdict", verdict},
                              {"area", "data"},
                              {"reason", "because"},
                              {"evidence", nlohmann::json::array({evidence})}});
    }
    const std::string path = dir_ + "/r" + std::to_string(++files_) + ".json";
    std::ofstream(path) << doc.dump();
    return path;
  }

  Outcome Check(const std::string& expectations, const std::string& results) {
    const std::string expect = dir_ + "/expect.toml";
    std::ofstream(expect) << expectations;
    const std::string command = "/usr/bin/python3 " + SourceDir() +
                                "/scripts/targets/check_expectations.py --expect " + expect +
                                " mta:stock=" + results + " 2>&1";
    Outcome outcome;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return outcome;
    char buffer[4096];
    size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) outcome.output.append(buffer, n);
    const int status = pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
  }

  std::string dir_;
  int files_ = 0;
};

constexpr char kExpectations[] =
    "[mta]\nknown_fail = []\nwarn = [\"w\"]\nskip = []\n"
    "[mta.stock]\nsmuggled = [\"smuggling-x\"]\nknown_fail = [\"bare-lf\"]\nwarn = [\"lenient\"]\n";

TEST_F(CheckExpectations, SmuggledFailsNeedTheOracle) {
  const Outcome by_oracle = Check(kExpectations, Results({{"smuggling-x", "FAIL", "oracle"},
                                                          {"bare-lf", "FAIL", "reply sequence"},
                                                          {"w", "WARN", "reply sequence"},
                                                          {"lenient", "WARN", "reply sequence"},
                                                          {"fine", "PASS", "oracle"}}));
  EXPECT_EQ(by_oracle.exit_code, 0) << by_oracle.output;
  EXPECT_THAT(by_oracle.output, HasSubstr("mta stock: matches the expectation"));

  const Outcome by_replies =
      Check(kExpectations, Results({{"smuggling-x", "FAIL", "reply sequence"},
                                    {"bare-lf", "FAIL", "reply sequence"},
                                    {"w", "WARN", "reply sequence"},
                                    {"lenient", "WARN", "reply sequence"}}));
  EXPECT_EQ(by_replies.exit_code, 1) << by_replies.output;
  EXPECT_THAT(by_replies.output,
              HasSubstr("smuggling-x FAILed by reply sequence, not by the delivery oracle (the "
                        "smuggled message must be in a mailbox or at the sink)"));
}

TEST_F(CheckExpectations, VariantSetsAreExact) {
  // The smuggling test PASSes and the variant's known FAIL is gone: both are mismatches.
  const Outcome outcome = Check(kExpectations, Results({{"smuggling-x", "PASS", "oracle"},
                                                        {"bare-lf", "PASS", "reply sequence"},
                                                        {"w", "WARN", "reply sequence"},
                                                        {"lenient", "WARN", "reply sequence"}}));
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.output, HasSubstr("expected FAIL, got PASS: smuggling-x"));
  EXPECT_THAT(outcome.output, HasSubstr("expected FAIL, got PASS: bare-lf"));
  EXPECT_THAT(outcome.output, Not(HasSubstr("lenient")));
}

TEST_F(CheckExpectations, AnUnknownVariantKeyIsAnInputError) {
  const Outcome outcome =
      Check("[mta]\n[mta.stock]\nsmugled = []\n", Results({{"a", "PASS", "oracle"}}));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("[mta.stock] has an unknown key 'smugled' (known: "
                                        "relayed, smuggled, known_fail, warn)"));
}

}  // namespace
}  // namespace smtpgate
