// Reading and writing the report files: whole files, written to a temporary name and renamed
// into place, so a reader never sees half a report.
#ifndef SMTPGATE_HARNESS_REPORT_TEXT_FILE_H_
#define SMTPGATE_HARNESS_REPORT_TEXT_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace smtpgate::report {

// NotFound when the file does not exist; Unavailable when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);
absl::Status WriteTextFile(const std::string& path, std::string_view text);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_TEXT_FILE_H_
