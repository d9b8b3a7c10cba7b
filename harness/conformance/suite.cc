#include "harness/conformance/suite.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/conformance/transcript_parser.h"

namespace smtpgate::conformance {
namespace {

namespace fs = std::filesystem;

void AddTag(Transcript& transcript, const std::string& tag) {
  if (!tag.empty() && !transcript.HasTag(tag)) transcript.tags.push_back(tag);
}

void LoadOne(const fs::path& file, const std::vector<std::string>& directories,
             const NameSet& variables, Suite& suite) {
  absl::StatusOr<Transcript> transcript = LoadTranscript(file.string(), variables);
  if (!transcript.ok()) {
    suite.errors.emplace_back(transcript.status().message());
    return;
  }
  for (const std::string& directory : directories) AddTag(*transcript, directory);
  SuiteEntry entry;
  entry.area = !directories.empty()        ? directories.front()
               : !transcript->tags.empty() ? transcript->tags.front()
                                           : std::string("general");
  entry.id = absl::StrCat(entry.area, "/", transcript->name);
  entry.transcript = *std::move(transcript);
  suite.entries.push_back(std::move(entry));
}

}  // namespace

Suite LoadSuite(const std::vector<std::string>& roots, const NameSet& variables) {
  Suite suite;
  for (const std::string& root : roots) {
    std::error_code ec;
    const fs::path base(root);
    if (fs::is_regular_file(base, ec)) {
      std::vector<std::string> directories;
      const std::string parent = base.parent_path().filename().string();
      if (!parent.empty() && parent != ".") directories.push_back(parent);
      LoadOne(base, directories, variables, suite);
      continue;
    }
    if (!fs::is_directory(base, ec)) {
      suite.errors.push_back(absl::StrCat(root, ": no such suite directory or transcript file"));
      continue;
    }
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".smtp") {
        files.push_back(it->path());
      }
    }
    if (ec) suite.errors.push_back(absl::StrCat(root, ": ", ec.message()));
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::vector<std::string> directories;
      for (const fs::path& part : file.lexically_relative(base).parent_path()) {
        directories.push_back(part.string());
      }
      if (directories.empty()) {  // directly in the root: the root names the area
        const std::string name = fs::absolute(base).lexically_normal().filename().string();
        const std::string parent =
            fs::absolute(base).lexically_normal().parent_path().filename().string();
        if (!name.empty())
          directories.push_back(name);
        else if (!parent.empty())
          directories.push_back(parent);
      }
      LoadOne(file, directories, variables, suite);
    }
  }
  std::map<std::string, std::string> first_path;
  for (const SuiteEntry& entry : suite.entries) {
    const auto [it, inserted] = first_path.emplace(entry.transcript.name, entry.transcript.path);
    if (!inserted) {
      suite.errors.push_back(absl::StrCat(entry.transcript.path, ":1:1: @name ",
                                          entry.transcript.name, " is already used by ",
                                          it->second));
    }
  }
  std::sort(suite.entries.begin(), suite.entries.end(),
            [](const SuiteEntry& a, const SuiteEntry& b) { return a.id < b.id; });
  return suite;
}

bool SelectedByTags(const Transcript& transcript, const std::vector<std::string>& tags) {
  bool any_plain = false;
  bool matched = false;
  for (const std::string& list : tags) {
    for (absl::string_view word : absl::StrSplit(list, absl::ByAnyChar(", "), absl::SkipEmpty())) {
      if (word[0] == '!') {
        if (transcript.HasTag(std::string(word.substr(1)))) return false;
        continue;
      }
      any_plain = true;
      matched = matched || transcript.HasTag(std::string(word));
    }
  }
  return !any_plain || matched;
}

}  // namespace smtpgate::conformance
