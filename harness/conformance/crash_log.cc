#include "harness/conformance/crash_log.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpgate::conformance {
namespace {

// A test's window of a log is small; this bounds one read of a runaway log.
constexpr uint64_t kMaxRead = 16 * 1024 * 1024;
// Lines are matched (and quoted) up to this length: a regex over a megabyte-long line
// would cost more than it could tell.
constexpr size_t kMaxLine = 4096;
constexpr size_t kQuoted = 300;

// The file's size, or -1 when it does not exist.
absl::StatusOr<int64_t> SizeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return -1;
    return absl::UnavailableError(absl::StrCat("crash log ", path, ": ", std::strerror(errno)));
  }
  return static_cast<int64_t>(st.st_size);
}

}  // namespace

absl::StatusOr<CrashPattern> CrashPattern::Compile(std::string_view pattern) {
  CrashPattern out;
  out.text_ = std::string(pattern);
  // std::regex reports a bad pattern only by throwing; it does not get past this function.
  try {
    out.regex_ = std::make_shared<const std::regex>(
        out.text_, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid regular expression: ", error.what()));
  }
  return out;
}

bool CrashPattern::Matches(std::string_view line) const {
  if (regex_ == nullptr) return false;
  if (line.size() > kMaxLine) line = line.substr(0, kMaxLine);
  return std::regex_search(line.begin(), line.end(), *regex_);
}

CrashLog::CrashLog(std::vector<std::string> files, CrashPattern pattern)
    : pattern_(std::move(pattern)) {
  for (std::string& path : files) {
    File file{.path = std::move(path)};
    absl::StatusOr<int64_t> size = SizeOf(file.path);
    // An unreadable file is reported by NewMatches(); from here it counts as empty.
    if (size.ok() && *size > 0) file.offset = static_cast<uint64_t>(*size);
    files_.push_back(std::move(file));
  }
}

absl::StatusOr<std::vector<std::string>> CrashLog::NewMatches() {
  std::vector<std::string> matches;
  for (File& file : files_) {
    absl::StatusOr<int64_t> size = SizeOf(file.path);
    if (!size.ok()) return size.status();
    if (*size < 0) {
      file.offset = 0;
      continue;
    }
    if (static_cast<uint64_t>(*size) < file.offset) file.offset = 0;  // rotated or truncated
    const uint64_t available = static_cast<uint64_t>(*size) - file.offset;
    if (available == 0) continue;
    std::ifstream in(file.path, std::ios::binary);
    if (!in) {
      return absl::UnavailableError(
          absl::StrCat("crash log ", file.path, ": ", std::strerror(errno)));
    }
    std::string text(std::min(available, kMaxRead), '\0');
    in.seekg(static_cast<std::streamoff>(file.offset));
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    // Only complete lines: one still being written is read next time.
    const size_t end = text.rfind('\n');
    if (end == std::string::npos) {
      if (text.size() < kMaxRead) continue;
      file.offset += text.size();  // a line longer than kMaxRead: skip it
      continue;
    }
    file.offset += end + 1;
    std::string_view rest(text.data(), end + 1);
    while (!rest.empty()) {
      const size_t newline = rest.find('\n');
      std::string_view line = rest.substr(0, newline);
      rest.remove_prefix(newline + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!pattern_.Matches(line)) continue;
      std::string quoted(line.substr(0, kQuoted));
      if (line.size() > kQuoted) quoted.append("...");
      matches.push_back(absl::StrCat(file.path, ": ", quoted));
    }
  }
  return matches;
}

}  // namespace smtpgate::conformance
