#include "harness/report/results_reader.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"
#include "harness/report/results_json.h"
#include "harness/report/text_file.h"
#include "nlohmann/json.hpp"

namespace smtpgate::report {

using conformance::Evidence;
using conformance::ExchangeEntry;
using conformance::Finding;
using conformance::RunResults;
using conformance::Severity;
using conformance::TestResult;
using conformance::Verdict;
using Json = nlohmann::json;

namespace {

constexpr Evidence kAllEvidence[] = {Evidence::kReplySequence, Evidence::kOracle,
                                     Evidence::kLiveness,      Evidence::kProcessStatus,
                                     Evidence::kCrashLog,      Evidence::kHarness};
constexpr ExchangeEntry::Direction kAllDirections[] = {ExchangeEntry::Direction::kClient,
                                                       ExchangeEntry::Direction::kServer,
                                                       ExchangeEntry::Direction::kEvent};

// Reads typed fields of one JSON object; the first problem is kept with its location.
class Fields {
 public:
  Fields(const Json& object, std::string where, std::string* error)
      : object_(object), where_(std::move(where)), error_(error) {}

  const Json* Get(std::string_view key, bool required = true) {
    const auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) Fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }
  std::string String(std::string_view key, bool required = true) {
    const Json* value = Get(key, required);
    if (value == nullptr) return "";
    if (!value->is_string()) return Fail(key, "expected a string"), "";
    return value->get<std::string>();
  }
  int64_t Integer(std::string_view key, int64_t min, bool required = true) {
    const Json* value = Get(key, required);
    if (value == nullptr) return min;
    if (!value->is_number_integer() || value->get<int64_t>() < min) {
      return Fail(key, absl::StrCat("expected an integer >= ", min)), min;
    }
    return value->get<int64_t>();
  }
  // null (or absent) gives `none`.
  int64_t NullableInteger(std::string_view key, int64_t min, int64_t none) {
    const Json* value = Get(key, false);
    if (value == nullptr || value->is_null()) return none;
    return Integer(key, min);
  }
  std::vector<std::string> Strings(std::string_view key) {
    std::vector<std::string> out;
    const Json* value = Get(key);
    if (value == nullptr) return out;
    if (!value->is_array()) return Fail(key, "expected an array of strings"), out;
    for (const Json& element : *value) {
      if (!element.is_string()) return Fail(key, "expected an array of strings"), out;
      out.push_back(element.get<std::string>());
    }
    return out;
  }
  const Json* Array(std::string_view key) {
    const Json* value = Get(key);
    if (value != nullptr && !value->is_array()) return Fail(key, "expected an array"), nullptr;
    return value;
  }
  template <typename T>
  T Enum(std::string_view key, const std::optional<T>& parsed, std::string_view allowed) {
    if (parsed) return *parsed;
    if (error_->empty() && Get(key) != nullptr) {
      Fail(key, absl::StrCat("expected one of ", AsAbsl(allowed), ", got ", Get(key)->dump()));
    }
    return T{};
  }
  std::string Path(std::string_view key) const {
    return where_.empty() ? std::string(key) : absl::StrCat(where_, ".", AsAbsl(key));
  }
  void Fail(std::string_view key, std::string_view what) {
    if (error_->empty()) *error_ = absl::StrCat(Path(key), ": ", AsAbsl(what));
  }

 private:
  const Json& object_;
  std::string where_;
  std::string* error_;
};

template <typename T, size_t N, typename NameOf>
std::optional<T> ByName(const std::string& name, const T (&all)[N], NameOf name_of) {
  for (const T value : all) {
    if (name_of(value) == name) return value;
  }
  return std::nullopt;
}

template <typename T, size_t N, typename NameOf>
std::string Names(const T (&all)[N], NameOf name_of) {
  std::vector<std::string> names;
  for (const T value : all) names.push_back(std::string(name_of(value)));
  return absl::StrJoin(names, ", ");
}

void ReadExchange(const Json& array, const std::string& where, TestResult& test,
                  std::string* error) {
  for (size_t i = 0; i < array.size() && error->empty(); ++i) {
    const std::string at = absl::StrCat(where, ".exchange[", i, "]");
    if (!array[i].is_object()) {
      *error = absl::StrCat(at, ": expected an object");
      return;
    }
    Fields f(array[i], at, error);
    ExchangeEntry entry;
    entry.direction =
        f.Enum("dir", ByName(f.String("dir"), kAllDirections, conformance::DirectionName),
               Names(kAllDirections, conformance::DirectionName));
    entry.data = f.String("data");
    entry.elapsed_ms = f.Integer("elapsed_ms", 0);
    test.exchange.push_back(std::move(entry));
  }
}

void ReadFindings(const Json& array, const std::string& where, TestResult& test,
                  std::string* error) {
  for (size_t i = 0; i < array.size() && error->empty(); ++i) {
    const std::string at = absl::StrCat(where, ".findings[", i, "]");
    if (!array[i].is_object()) {
      *error = absl::StrCat(at, ": expected an object");
      return;
    }
    Fields f(array[i], at, error);
    Finding finding;
    finding.verdict = f.Enum("verdict", conformance::ParseVerdict(f.String("verdict")),
                             Names(conformance::kAllVerdicts, conformance::VerdictName));
    finding.evidence =
        f.Enum("evidence", ByName(f.String("evidence"), kAllEvidence, conformance::EvidenceName),
               Names(kAllEvidence, conformance::EvidenceName));
    finding.reason = f.String("reason");
    finding.line = static_cast<int>(f.NullableInteger("line", 1, 0));
    finding.exchange_index = static_cast<int>(f.NullableInteger("exchange_index", 0, -1));
    if (error->empty() && finding.exchange_index >= static_cast<int>(test.exchange.size())) {
      f.Fail("exchange_index",
             absl::StrCat("points past the exchange (", test.exchange.size(), " entries)"));
    }
    test.findings.push_back(std::move(finding));
  }
}

TestResult ReadTest(const Json& object, const std::string& where, std::string* error) {
  TestResult test;
  Fields f(object, where, error);
  test.id = f.String("id");
  test.name = f.String("name");
  test.area = f.String("area");
  test.path = f.String("path");
  test.title = f.String("title");
  test.source = f.String("source");
  test.tags = f.Strings("tags");
  test.severity = f.Enum("severity", conformance::ParseSeverity(f.String("severity")),
                         Names(conformance::kAllSeverities, conformance::SeverityName));
  test.verdict = f.Enum("verdict", conformance::ParseVerdict(f.String("verdict")),
                        Names(conformance::kAllVerdicts, conformance::VerdictName));
  test.reason = f.String("reason");
  test.evidence = f.Strings("evidence");
  test.token = f.String("token");
  test.duration = std::chrono::milliseconds(f.Integer("duration_ms", 0));
  if (test.id.empty() && error->empty()) f.Fail("id", "must not be empty");
  // The exchange first: findings point into it.
  if (const Json* exchange = f.Array("exchange"); exchange != nullptr && error->empty()) {
    ReadExchange(*exchange, where, test, error);
  }
  if (const Json* findings = f.Array("findings"); findings != nullptr && error->empty()) {
    ReadFindings(*findings, where, test, error);
  }
  return test;
}

std::string LineColumn(std::string_view text, size_t byte) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return absl::StrCat("line ", line, ", column ", column);
}

}  // namespace

absl::StatusOr<RunResults> ParseResultsJson(std::string_view text, const std::string& name) {
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", AsAbsl(what)));
  };
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    const std::string what = e.what();
    const size_t detail = what.find(": ", what.find("parse error"));
    return invalid(absl::StrCat("not valid JSON at ", LineColumn(text, e.byte - 1), ": ",
                                detail == std::string::npos ? what : what.substr(detail + 2)));
  }
  if (!doc.is_object()) return invalid("expected a JSON object (smtpgate results)");
  std::string error;
  Fields f(doc, "", &error);
  const int64_t version = f.Integer("schema_version", 1);
  if (!error.empty()) return invalid(absl::StrCat(error, " (is this an smtpgate results file?)"));
  if (version > kResultsSchemaVersion) {
    return invalid(absl::StrCat("schema_version ", version,
                                " is newer than this smtpgate reads (1..", kResultsSchemaVersion,
                                ")"));
  }
  RunResults results;
  results.smtpgate_version = f.String("smtpgate_version");
  results.target = f.String("target");
  results.profile = f.String("profile");
  results.started = f.String("started");
  results.duration = std::chrono::milliseconds(f.Integer("duration_ms", 0));
  const Json* tests = f.Array("tests");
  std::set<std::string> ids;
  for (size_t i = 0; tests != nullptr && i < tests->size() && error.empty(); ++i) {
    const std::string where = absl::StrCat("tests[", i, "]");
    if (!(*tests)[i].is_object()) {
      error = absl::StrCat(where, ": expected an object");
      break;
    }
    TestResult test = ReadTest((*tests)[i], where, &error);
    if (error.empty() && !ids.insert(test.id).second) {
      error = absl::StrCat(where, ".id: \"", test.id, "\" appears twice");
    }
    results.tests.push_back(std::move(test));
  }
  if (!error.empty()) return invalid(error);
  return results;
}

absl::StatusOr<RunResults> ReadResultsJson(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseResultsJson(*text, path);
}

}  // namespace smtpgate::report
