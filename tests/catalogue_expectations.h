// Loads conformance/expectations/embedded.toml: per emulation profile, the transcript
// names that must FAIL, WARN and SKIP against the reference server. Shared by the embedded
// and the TCP catalogue tests.
#ifndef SMTPGATE_TESTS_CATALOGUE_EXPECTATIONS_H_
#define SMTPGATE_TESTS_CATALOGUE_EXPECTATIONS_H_

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "tests/source_dir.h"
#include "toml++/toml.h"

namespace smtpgate::conformance {

using NameList = std::set<std::string>;

struct ProfileExpectation {
  NameList fail;
  NameList warn;
  NameList skip;
};

// A list of @name strings under `table.key` (absent: empty).
inline NameList Names(const toml::table& table, std::string_view key, std::string* error) {
  NameList names;
  const toml::node* node = table.get(key);
  if (node == nullptr) return names;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    *error = std::string(key) + " is not an array";
    return names;
  }
  for (const toml::node& element : *array) {
    const std::optional<std::string> name = element.value<std::string>();
    if (!name) {
      *error = std::string(key) + " holds a non-string";
      continue;
    }
    if (!names.insert(*name).second) *error = std::string(key) + " lists " + *name + " twice";
  }
  return names;
}

inline std::map<std::string, ProfileExpectation> LoadExpectations(const std::string& path,
                                                                  std::string* error) {
  std::map<std::string, ProfileExpectation> out;
  toml::table doc;
#if TOML_EXCEPTIONS
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = path + ": " + std::string(e.description());
    return out;
  }
#else
  toml::parse_result parsed = toml::parse_file(path);
  if (!parsed) {
    *error = path + ": " + std::string(parsed.error().description());
    return out;
  }
  doc = std::move(parsed).table();
#endif
  for (auto&& [key, node] : doc) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      *error = std::string(key.str()) + " is not a table";
      continue;
    }
    ProfileExpectation& e = out[std::string(key.str())];
    e.fail = Names(*table, "fail", error);
    e.warn = Names(*table, "warn", error);
    e.skip = Names(*table, "skip", error);
  }
  return out;
}

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_TESTS_CATALOGUE_EXPECTATIONS_H_
