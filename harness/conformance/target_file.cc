#include "harness/conformance/target_file.h"

#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/conformance/transcript_parser.h"
#include "harness/conformance/variables.h"
#include "harness/core/smtp_status.h"
#include "toml++/toml.h"

namespace smtpgate::conformance {
namespace {

std::string Join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out.append(", ");
    out.append(word);
  }
  return out;
}

// Reads typed values out of a parsed document; every error names file:line:column and key.
class Reader {
 public:
  explicit Reader(std::string_view path) : path_(path) {}

  absl::Status Error(const toml::node& node, std::string_view key, std::string_view message) {
    return ErrorAt(node.source(), key, message);
  }
  absl::Status ErrorAt(const toml::source_region& where, std::string_view key,
                       std::string_view message) {
    const toml::source_position at = where.begin;
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path_), ":", at.line, ":", at.column,
                                                   ": ", AsAbsl(key), ": ", AsAbsl(message)));
  }

  absl::Status Keys(const toml::table& table, std::string_view prefix,
                    std::initializer_list<std::string_view> known) {
    for (auto&& [key, node] : table) {
      (void)node;
      bool ok = false;
      for (std::string_view k : known) ok = ok || k == key.str();
      if (!ok) {
        return ErrorAt(key.source(), absl::StrCat(AsAbsl(prefix), AsAbsl(key.str())),
                       absl::StrCat("unknown key; expected one of ", Join(known)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status String(const toml::table& table, std::string_view key, std::string_view prefix,
                      std::string& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return absl::OkStatus();
    const std::optional<std::string> value = node->value<std::string>();
    if (!node->is_string() || !value) {
      return Error(*node, absl::StrCat(AsAbsl(prefix), AsAbsl(key)), "expected a string");
    }
    out = *value;
    return absl::OkStatus();
  }

  absl::Status Bool(const toml::table& table, std::string_view key, std::string_view prefix,
                    bool& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_boolean()) {
      return Error(*node, absl::StrCat(AsAbsl(prefix), AsAbsl(key)), "expected true or false");
    }
    out = *node->value<bool>();
    return absl::OkStatus();
  }

  absl::Status Int(const toml::table& table, std::string_view key, std::string_view prefix,
                   int64_t low, int64_t high, int64_t& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_integer() || *node->value<int64_t>() < low || *node->value<int64_t>() > high) {
      return Error(*node, absl::StrCat(AsAbsl(prefix), AsAbsl(key)),
                   absl::StrCat("expected an integer ", low, "..", high));
    }
    out = *node->value<int64_t>();
    return absl::OkStatus();
  }

  absl::StatusOr<const toml::table*> Table(const toml::table& table, std::string_view key,
                                           std::string_view prefix) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      return Error(*node, absl::StrCat(AsAbsl(prefix), AsAbsl(key)), "expected a table");
    }
    return node->as_table();
  }

  absl::Status Missing(std::string_view key) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(path_), ":1:1: ", AsAbsl(key), ": required key is missing"));
  }

 private:
  std::string_view path_;
};

#define SMTPGATE_TRY(expr)             \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (false)

absl::Status ReadAccounts(Reader& r, const toml::table& doc, TargetConfig& config) {
  absl::StatusOr<const toml::table*> accounts = r.Table(doc, "accounts", "");
  if (!accounts.ok()) return accounts.status();
  if (*accounts == nullptr) {
    // No accounts: AUTH tests cannot be run meaningfully.
    config.capabilities.emplace("auth", false);
    return absl::OkStatus();
  }
  SMTPGATE_TRY(r.Keys(**accounts, "accounts.", {"authorized", "unauthorized"}));
  for (std::string_view kind : {"authorized", "unauthorized"}) {
    const std::string prefix = absl::StrCat("accounts.", AsAbsl(kind), ".");
    absl::StatusOr<const toml::table*> account = r.Table(**accounts, kind, "accounts.");
    if (!account.ok()) return account.status();
    if (*account == nullptr) continue;
    SMTPGATE_TRY(r.Keys(**account, prefix, {"user", "password"}));
    SMTPGATE_TRY(
        r.String(**account, "user", prefix, config.variables[absl::StrCat(AsAbsl(kind), "_user")]));
    SMTPGATE_TRY(r.String(**account, "password", prefix,
                          config.variables[absl::StrCat(AsAbsl(kind), "_password")]));
  }
  return absl::OkStatus();
}

absl::Status ReadSections(Reader& r, const toml::table& doc, TargetConfig& config) {
  absl::StatusOr<const toml::table*> timeouts = r.Table(doc, "timeouts", "");
  if (!timeouts.ok()) return timeouts.status();
  if (*timeouts != nullptr) {
    SMTPGATE_TRY(
        r.Keys(**timeouts, "timeouts.", {"connect_ms", "reply_ms", "oracle_wait_ms", "grace_ms"}));
    std::pair<std::string_view, std::chrono::milliseconds*> fields[] = {
        {"connect_ms", &config.connect_timeout},
        {"reply_ms", &config.reply_timeout},
        {"oracle_wait_ms", &config.oracle_wait},
        {"grace_ms", &config.grace}};
    for (auto& [key, field] : fields) {
      int64_t ms = field->count();
      SMTPGATE_TRY(r.Int(**timeouts, key, "timeouts.", 0, 3600 * 1000, ms));
      *field = std::chrono::milliseconds(ms);
    }
  }
  absl::StatusOr<const toml::table*> oracle = r.Table(doc, "oracle", "");
  if (!oracle.ok()) return oracle.status();
  if (*oracle != nullptr) {
    SMTPGATE_TRY(
        r.Keys(**oracle, "oracle.", {"start_sink", "sink", "sink_record", "oracle_sees_local"}));
    SMTPGATE_TRY(r.Bool(**oracle, "start_sink", "oracle.", config.oracle.start_sink));
    SMTPGATE_TRY(r.String(**oracle, "sink", "oracle.", config.oracle.sink));
    SMTPGATE_TRY(r.String(**oracle, "sink_record", "oracle.", config.oracle.sink_record));
    SMTPGATE_TRY(r.Bool(**oracle, "oracle_sees_local", "oracle.", config.oracle.sees_local));
    if (!config.oracle.sink.empty()) config.oracle.start_sink = true;
    if (config.oracle.start_sink && !config.oracle.sink_record.empty()) {
      return r.Error(*(*oracle)->get("sink_record"), "oracle.sink_record",
                     "choose one oracle: start a sink (start_sink/sink) or read a record file");
    }
  }
  absl::StatusOr<const toml::table*> capabilities = r.Table(doc, "capabilities", "");
  if (!capabilities.ok()) return capabilities.status();
  if (*capabilities != nullptr) {
    for (auto&& [key, node] : **capabilities) {
      (void)node;
      const std::string name(key.str());
      if (!KnownRequirements().contains(name)) {
        return r.ErrorAt(key.source(), absl::StrCat("capabilities.", name),
                         absl::StrCat("unknown capability; expected one of ",
                                      absl::StrJoin(KnownRequirements(), ", ")));
      }
      bool present = false;
      SMTPGATE_TRY(r.Bool(**capabilities, name, "capabilities.", present));
      config.capabilities[name] = present;
    }
  }
  absl::StatusOr<const toml::table*> variables = r.Table(doc, "variables", "");
  if (!variables.ok()) return variables.status();
  if (*variables != nullptr) {
    for (auto&& [key, node] : **variables) {
      (void)node;
      const std::string name(key.str());
      bool valid = !name.empty() && name != "token";
      for (const char c : name) {
        valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      }
      if (!valid) {
        return r.ErrorAt(key.source(), absl::StrCat("variables.", name),
                         "expected a variable name of a-z 0-9 _ (and not 'token')");
      }
      SMTPGATE_TRY(r.String(**variables, name, "variables.", config.variables[name]));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TargetConfig> FromDocument(const toml::table& doc, std::string_view path) {
  Reader r(path);
  TargetConfig config = DemoTarget("127.0.0.1", 25);
  config.file = std::string(path);
  config.variables["authorized_user"] = config.variables["authorized_password"] = "";
  config.variables["unauthorized_user"] = config.variables["unauthorized_password"] = "";
  SMTPGATE_TRY(
      r.Keys(doc, "",
             {"description", "host", "port", "tls", "helo", "server_name", "server_ip_literal",
              "local_domain", "local_user", "remote_domain", "tarpit_seconds", "oracle_sees_local",
              "accounts", "timeouts", "oracle", "capabilities", "variables"}));
  std::string description;
  SMTPGATE_TRY(r.String(doc, "description", "", description));
  SMTPGATE_TRY(r.String(doc, "host", "", config.host));
  if (doc.get("port") == nullptr) return r.Missing("port");
  int64_t port = 0;
  SMTPGATE_TRY(r.Int(doc, "port", "", 1, 65535, port));
  config.port = static_cast<uint16_t>(port);
  std::string tls = "none";
  SMTPGATE_TRY(r.String(doc, "tls", "", tls));
  if (tls == "none") {
    config.tls = TlsMode::kNone;
  } else if (tls == "starttls") {
    config.tls = TlsMode::kStartTls;
  } else if (tls == "implicit") {
    config.tls = TlsMode::kImplicit;
  } else {
    return r.Error(*doc.get("tls"), "tls", "expected \"none\", \"starttls\" or \"implicit\"");
  }
  config.variables["server_ip_literal"] = absl::StrCat("[", config.host, "]");
  config.variables["server_name"] = config.host;
  for (std::string_view key : {"helo", "server_name", "server_ip_literal", "local_domain",
                               "local_user", "remote_domain"}) {
    SMTPGATE_TRY(r.String(doc, key, "", config.variables[std::string(key)]));
  }
  for (std::string_view key : {"local_domain", "local_user"}) {
    if (doc.get(key) == nullptr) return r.Missing(key);
  }
  config.variables["relay_domain"] = config.variables["remote_domain"];
  int64_t tarpit = 0;
  SMTPGATE_TRY(r.Int(doc, "tarpit_seconds", "", 0, 3600, tarpit));
  config.tarpit_seconds = static_cast<int>(tarpit);
  config.variables["tarpit_seconds"] = std::to_string(tarpit);
  SMTPGATE_TRY(r.Bool(doc, "oracle_sees_local", "", config.oracle.sees_local));
  SMTPGATE_TRY(ReadAccounts(r, doc, config));
  SMTPGATE_TRY(ReadSections(r, doc, config));
  return config;
}

}  // namespace

std::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kNone:
      return "none";
    case TlsMode::kStartTls:
      return "starttls";
    case TlsMode::kImplicit:
      return "implicit";
  }
  return "none";
}

TargetConfig DemoTarget(std::string host, uint16_t port) {
  TargetConfig config;
  config.host = std::move(host);
  config.port = port;
  config.tls = TlsMode::kStartTls;
  config.variables = DemoVariables(0);
  return config;
}

absl::StatusOr<TargetConfig> ParseTargetFile(std::string_view text, std::string_view path) {
#if TOML_EXCEPTIONS
  try {
    const toml::table doc = toml::parse(text, path);
    return FromDocument(doc, path);
  } catch (const toml::parse_error& error) {
    const toml::source_position at = error.source().begin;
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ":", at.line, ":", at.column, ": ",
                                                   AsAbsl(error.description())));
  }
#else
  toml::parse_result result = toml::parse(text, path);
  if (!result) {
    const toml::source_position at = result.error().source().begin;
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ":", at.line, ":", at.column, ": ",
                                                   AsAbsl(result.error().description())));
  }
  return FromDocument(result.table(), path);
#endif
}

absl::StatusOr<TargetConfig> LoadTargetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read target file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseTargetFile(text.str(), path);
}

}  // namespace smtpgate::conformance
