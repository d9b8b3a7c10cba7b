// Helpers of the report tests: test data paths, files, and golden-file comparison.
// SMTPGATE_UPDATE_GOLDENS=1 rewrites the golden files instead of comparing (then review the
// diff with git).
#ifndef SMTPGATE_TESTS_REPORT_TEST_SUPPORT_H_
#define SMTPGATE_TESTS_REPORT_TEST_SUPPORT_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "harness/conformance/verdict.h"
#include "harness/report/results_reader.h"
#include "tests/source_dir.h"

namespace smtpgate::report {

inline std::string ReportData(const std::string& name) {
  return SourceDir() + "/tests/testdata/report/" + name;
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void Spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A fresh directory for one test, removed by the caller when it likes.
inline std::filesystem::path TempDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (name + "-" + std::to_string(::getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline conformance::RunResults LoadResults(const std::string& name) {
  absl::StatusOr<conformance::RunResults> results = ReadResultsJson(ReportData(name));
  EXPECT_TRUE(results.ok()) << results.status();
  return results.ok() ? *std::move(results) : conformance::RunResults{};
}

// Compares `actual` with tests/testdata/report/golden/NAME; on a difference, names the first
// differing line.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = ReportData("golden/" + name);
  if (std::getenv("SMTPGATE_UPDATE_GOLDENS") != nullptr) {
    Spit(path, actual);
    return;
  }
  const std::string expected = Slurp(path);
  if (expected == actual) return;
  std::istringstream a(actual);
  std::istringstream e(expected);
  std::string actual_line;
  std::string expected_line;
  int line = 0;
  while (true) {
    ++line;
    const bool more_actual = static_cast<bool>(std::getline(a, actual_line));
    const bool more_expected = static_cast<bool>(std::getline(e, expected_line));
    if (!more_actual && !more_expected) break;
    if (!more_actual || !more_expected || actual_line != expected_line) {
      ADD_FAILURE() << path << ":" << line << " differs (SMTPGATE_UPDATE_GOLDENS=1 rewrites)\n"
                    << "  expected: " << (more_expected ? expected_line : "<end of file>") << "\n"
                    << "  actual:   " << (more_actual ? actual_line : "<end of file>");
      return;
    }
  }
  ADD_FAILURE() << path << " differs (SMTPGATE_UPDATE_GOLDENS=1 rewrites)";
}

inline size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace smtpgate::report

#endif  // SMTPGATE_TESTS_REPORT_TEST_SUPPORT_H_
