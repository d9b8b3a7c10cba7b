// Typed reads from a parsed toml++ document, shared by the server configuration
// (harness/net/server_config.cc) and conformance target files
// (harness/conformance/target_file.cc). Every error reads
//   FILE:LINE:COLUMN: key 'KEY': MESSAGE
// where KEY is the dotted path of the value ("limits.max_recipients", "listen[1]").
#ifndef SMTPGATE_HARNESS_CONFIG_TOML_READER_H_
#define SMTPGATE_HARNESS_CONFIG_TOML_READER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "toml++/toml.h"

namespace smtpgate {

// Parses `text`; a syntax error reads "FILE:LINE:COLUMN: what toml++ says".
absl::StatusOr<toml::table> ParseToml(std::string_view text, const std::string& file);

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  absl::Status Error(const toml::source_region& where, std::string_view key,
                     std::string_view message) const;
  absl::Status Error(const toml::node& node, std::string_view key, std::string_view message) const {
    return Error(node.source(), key, message);
  }
  // A required key that is absent: reported at the top of the file.
  absl::Status Missing(std::string_view key) const;
  // Any key of `table` not in `known` is an error naming the keys that are.
  absl::Status CheckKeys(const toml::table& table, std::string_view prefix,
                         std::initializer_list<std::string_view> known) const;

  absl::Status Bool(const toml::node& node, std::string_view key, bool* out) const;
  absl::Status String(const toml::node& node, std::string_view key, std::string* out) const;
  absl::Status Int(const toml::node& node, std::string_view key, int64_t min, int64_t max,
                   int64_t* out) const;
  template <typename T>
  absl::Status Unsigned(const toml::node& node, std::string_view key, int64_t min, int64_t max,
                        T* out) const {
    int64_t v = 0;
    if (absl::Status s = Int(node, key, min, max, &v); !s.ok()) return s;
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }
  // An integer or a float in [min, max].
  absl::Status Number(const toml::node& node, std::string_view key, double min, double max,
                      double* out) const;
  absl::Status StringList(const toml::node& node, std::string_view key,
                          std::vector<std::string>* out) const;
  absl::Status Table(const toml::node& node, std::string_view key, const toml::table** out) const;

 private:
  std::string file_;
};

}  // namespace smtpgate

#define SMTPGATE_RETURN_IF_ERROR(expr)                 \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

#endif  // SMTPGATE_HARNESS_CONFIG_TOML_READER_H_
