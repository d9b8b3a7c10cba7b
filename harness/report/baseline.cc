#include "harness/report/baseline.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"
#include "harness/report/results_reader.h"
#include "harness/report/text_file.h"
#include "nlohmann/json.hpp"

namespace smtpgate::report {

using conformance::RunResults;
using conformance::TestResult;
using conformance::Verdict;
using Json = nlohmann::json;

Baseline BaselineFrom(const RunResults& results) {
  Baseline baseline;
  baseline.smtpgate_version = results.smtpgate_version;
  baseline.target = results.target;
  for (const TestResult& test : results.tests) baseline.verdicts[test.id] = test.verdict;
  return baseline;
}

std::string BaselineText(const Baseline& baseline) {
  Json verdicts = Json::object();
  for (const auto& [id, verdict] : baseline.verdicts) {
    verdicts[id] = std::string(VerdictName(verdict));
  }
  const Json doc = {{"smtpgate_baseline", kBaselineFormatVersion},
                    {"smtpgate_version", baseline.smtpgate_version},
                    {"target", baseline.target},
                    {"verdicts", verdicts}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

absl::StatusOr<Baseline> ParseBaseline(std::string_view text, const std::string& name) {
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", AsAbsl(what)));
  };
  const Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Let the results reader say where the syntax error is.
    absl::StatusOr<RunResults> results = ParseResultsJson(text, name);
    return results.ok() ? invalid("not valid JSON") : results.status();
  }
  if (!doc.is_object()) return invalid("expected a JSON object (an smtpgate baseline)");
  if (doc.contains("schema_version") && doc.contains("tests")) {
    absl::StatusOr<RunResults> results = ParseResultsJson(text, name);
    if (!results.ok()) return results.status();
    return BaselineFrom(*results);
  }
  const auto version = doc.find("smtpgate_baseline");
  if (version == doc.end() || !version->is_number_integer()) {
    return invalid(
        "smtpgate_baseline: missing (expected an smtpgate baseline or results JSON file)");
  }
  if (version->get<int64_t>() < 1 || version->get<int64_t>() > kBaselineFormatVersion) {
    return invalid(absl::StrCat("smtpgate_baseline ", version->dump(),
                                " is not a format this smtpgate reads (1..", kBaselineFormatVersion,
                                ")"));
  }
  Baseline baseline;
  const std::pair<const char*, std::string*> strings[] = {
      {"smtpgate_version", &baseline.smtpgate_version}, {"target", &baseline.target}};
  for (const auto& [key, field] : strings) {
    const auto it = doc.find(key);
    if (it == doc.end()) continue;
    if (!it->is_string()) return invalid(absl::StrCat(key, ": expected a string"));
    *field = it->get<std::string>();
  }
  const auto verdicts = doc.find("verdicts");
  if (verdicts == doc.end() || !verdicts->is_object()) {
    return invalid("verdicts: expected an object {\"area/name\": \"VERDICT\", ...}");
  }
  for (const auto& [id, value] : verdicts->items()) {
    const std::optional<Verdict> verdict =
        value.is_string() ? conformance::ParseVerdict(value.get<std::string>()) : std::nullopt;
    if (!verdict) {
      return invalid(absl::StrCat(
          "verdicts.", id, ": expected one of PASS, FAIL, WARN, SKIP, ERROR, got ", value.dump()));
    }
    baseline.verdicts[id] = *verdict;
  }
  return baseline;
}

absl::StatusOr<Baseline> ReadBaseline(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseBaseline(*text, path);
}

absl::Status WriteBaseline(const std::string& path, const Baseline& baseline) {
  return WriteTextFile(path, BaselineText(baseline));
}

}  // namespace smtpgate::report
