// The source tree the tests read (transcripts, expectations, corpora, example configs).
#ifndef SMTPGATE_TESTS_SOURCE_DIR_H_
#define SMTPGATE_TESTS_SOURCE_DIR_H_

#include <cstdlib>
#include <string>

namespace smtpgate {

// $SMTPGATE_SOURCE_DIR when set (ctest sets it), else the tree this test binary was built
// from (SMTPGATE_TEST_SOURCE_DIR, tests/CMakeLists.txt): never empty, so no test has a
// reason to skip.
inline std::string SourceDir() {
  const char* dir = std::getenv("SMTPGATE_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string(SMTPGATE_TEST_SOURCE_DIR);
}

}  // namespace smtpgate

#endif  // SMTPGATE_TESTS_SOURCE_DIR_H_
