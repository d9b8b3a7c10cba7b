// The results of a run as JSON (schema_version 1; see docs/transcripts.md, "Results").
#ifndef SMTPGATE_HARNESS_CONFORMANCE_RESULTS_JSON_H_
#define SMTPGATE_HARNESS_CONFORMANCE_RESULTS_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"
#include "nlohmann/json.hpp"

namespace smtpgate::conformance {

inline constexpr int kResultsSchemaVersion = 1;

nlohmann::json ResultsToJson(const RunResults& results);
// Pretty-printed; invalid UTF-8 is replaced (never throws).
std::string ResultsJsonText(const RunResults& results);
absl::Status WriteResultsJson(const std::string& path, const RunResults& results);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_RESULTS_JSON_H_
