// The results of a run as JSON: the source every other report is made from. The shape is
// versioned (schema_version) and described by reports/schema/results.schema.json;
// docs/reports.md explains each field. results_reader.h reads it back.
#ifndef SMTPGATE_HARNESS_REPORT_RESULTS_JSON_H_
#define SMTPGATE_HARNESS_REPORT_RESULTS_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "harness/conformance/verdict.h"
#include "nlohmann/json.hpp"

namespace smtpgate::report {

// 2: findings carry "line" and "exchange_index" (the step a finding is about).
inline constexpr int kResultsSchemaVersion = 2;

nlohmann::json ResultsToJson(const conformance::RunResults& results);
// Pretty-printed; invalid UTF-8 is replaced (never throws).
std::string ResultsJsonText(const conformance::RunResults& results);
absl::Status WriteResultsJson(const std::string& path, const conformance::RunResults& results);

}  // namespace smtpgate::report

#endif  // SMTPGATE_HARNESS_REPORT_RESULTS_JSON_H_
