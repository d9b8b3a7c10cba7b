// Loading a suite: every *.smtp file under the given directories (or the given files), with
// directory tags, test ids ("relay/kb304897-1") and tag selection.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_SUITE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_SUITE_H_

#include <string>
#include <vector>

#include "harness/conformance/transcript.h"
#include "harness/conformance/variables.h"

namespace smtpgate::conformance {

struct SuiteEntry {
  Transcript transcript;
  std::string id;    // area/name
  std::string area;  // first directory under the suite root (or the first tag)
};

struct Suite {
  std::vector<SuiteEntry> entries;  // sorted by id
  std::vector<std::string> errors;  // "FILE:LINE:COLUMN: ..." — any error means exit 2
};

// Every directory between a root and a file becomes a tag of the file's transcripts (a file
// directly in a root directory gets the root's name). A root
// that is a file is loaded as it is (its parent directory's name is its area and a tag).
// `variables`: the names transcripts may use. @name must be unique over all roots.
Suite LoadSuite(const std::vector<std::string>& roots, const NameSet& variables);

// `tags`: comma- or blank-separated words; a transcript is selected when it has any plain
// tag listed (or none are listed) and none of the "!tag" ones.
bool SelectedByTags(const Transcript& transcript, const std::vector<std::string>& tags);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_SUITE_H_
