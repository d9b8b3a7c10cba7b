#include "harness/config/toml_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

absl::Status SyntaxError(const std::string& file, const toml::parse_error& error) {
  const toml::source_position at = error.source().begin;
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(file), ":", at.line, ":", at.column, ": ", AsAbsl(error.description())));
}

}  // namespace

absl::StatusOr<toml::table> ParseToml(std::string_view text, const std::string& file) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    return SyntaxError(file, error);
  }
#else
  toml::parse_result result = toml::parse(text, file);
  if (!result) return SyntaxError(file, result.error());
  return std::move(result).table();
#endif
}

absl::Status TomlReader::Error(const toml::source_region& where, std::string_view key,
                               std::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(file_), ":", where.begin.line, ":",
                                                 where.begin.column, ": key '", AsAbsl(key),
                                                 "': ", AsAbsl(message)));
}

absl::Status TomlReader::Missing(std::string_view key) const {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(file_), ":1:1: key '", AsAbsl(key), "': required key is missing"));
}

absl::Status TomlReader::CheckKeys(const toml::table& table, std::string_view prefix,
                                   std::initializer_list<std::string_view> known) const {
  for (auto&& [k, v] : table) {
    const std::string_view name = k.str();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::vector<std::string> names(known.begin(), known.end());
      return Error(k.source(), absl::StrCat(AsAbsl(prefix), AsAbsl(name)),
                   absl::StrCat("unknown key (known here: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status TomlReader::Bool(const toml::node& node, std::string_view key, bool* out) const {
  if (!node.is_boolean()) return Error(node, key, "expected a boolean");
  *out = node.as_boolean()->get();
  return absl::OkStatus();
}

absl::Status TomlReader::String(const toml::node& node, std::string_view key,
                                std::string* out) const {
  if (!node.is_string()) return Error(node, key, "expected a string");
  *out = node.as_string()->get();
  return absl::OkStatus();
}

absl::Status TomlReader::Int(const toml::node& node, std::string_view key, int64_t min, int64_t max,
                             int64_t* out) const {
  if (!node.is_integer()) return Error(node, key, "expected an integer");
  const int64_t v = node.as_integer()->get();
  if (v < min || v > max) {
    return Error(node, key, absl::StrCat("out of range (", min, "..", max, ")"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status TomlReader::Number(const toml::node& node, std::string_view key, double min,
                                double max, double* out) const {
  double v = 0;
  if (node.is_integer()) {
    v = static_cast<double>(node.as_integer()->get());
  } else if (node.is_floating_point()) {
    v = node.as_floating_point()->get();
  } else {
    return Error(node, key, "expected a number");
  }
  if (!(v >= min && v <= max)) {
    return Error(node, key, absl::StrCat("out of range (", min, "..", max, ")"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status TomlReader::StringList(const toml::node& node, std::string_view key,
                                    std::vector<std::string>* out) const {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Error(node, key, "expected an array of strings");
  out->clear();
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (!element.is_string()) {
      return Error(element, absl::StrCat(AsAbsl(key), "[", i, "]"), "expected a string");
    }
    out->push_back(element.as_string()->get());
  }
  return absl::OkStatus();
}

absl::Status TomlReader::Table(const toml::node& node, std::string_view key,
                               const toml::table** out) const {
  *out = node.as_table();
  if (*out == nullptr) return Error(node, key, "expected a table");
  return absl::OkStatus();
}

}  // namespace smtpgate
