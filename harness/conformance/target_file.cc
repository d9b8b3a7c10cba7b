#include "harness/conformance/target_file.h"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/config/toml_reader.h"
#include "harness/conformance/crash_log.h"
#include "harness/conformance/transcript_parser.h"
#include "harness/conformance/variables.h"
#include "harness/core/smtp_status.h"
#include "toml++/toml.h"

namespace smtpgate::conformance {
namespace {

// Optional keys of a table (absent: the default stays), read through the shared TomlReader.
class Reader {
 public:
  explicit Reader(std::string_view path) : toml_(std::string(path)) {}

  absl::Status Error(const toml::node& node, std::string_view key, std::string_view message) {
    return toml_.Error(node, key, message);
  }
  absl::Status ErrorAt(const toml::source_region& where, std::string_view key,
                       std::string_view message) {
    return toml_.Error(where, key, message);
  }
  absl::Status Missing(std::string_view key) { return toml_.Missing(key); }
  absl::Status Keys(const toml::table& table, std::string_view prefix,
                    std::initializer_list<std::string_view> known) {
    return toml_.CheckKeys(table, prefix, known);
  }

  absl::Status String(const toml::table& table, std::string_view key, std::string_view prefix,
                      std::string& out) {
    const toml::node* node = table.get(key);
    return node == nullptr ? absl::OkStatus() : toml_.String(*node, Key(prefix, key), &out);
  }
  absl::Status Bool(const toml::table& table, std::string_view key, std::string_view prefix,
                    bool& out) {
    const toml::node* node = table.get(key);
    return node == nullptr ? absl::OkStatus() : toml_.Bool(*node, Key(prefix, key), &out);
  }
  absl::Status Int(const toml::table& table, std::string_view key, std::string_view prefix,
                   int64_t low, int64_t high, int64_t& out) {
    const toml::node* node = table.get(key);
    return node == nullptr ? absl::OkStatus() : toml_.Int(*node, Key(prefix, key), low, high, &out);
  }
  // An array of file names; relative ones are resolved against the target file's directory.
  absl::Status Paths(const toml::table& table, std::string_view key, std::string_view prefix,
                     std::vector<std::string>& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return absl::OkStatus();
    SMTPGATE_RETURN_IF_ERROR(toml_.StringList(*node, Key(prefix, key), &out));
    const toml::array& array = *node->as_array();
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].empty()) {
        return toml_.Error(*array.get(i), absl::StrCat(Key(prefix, key), "[", i, "]"),
                           "expected a file name, got an empty string");
      }
      out[i] = Resolve(out[i]);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<const toml::table*> Table(const toml::table& table, std::string_view key,
                                           std::string_view prefix) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return nullptr;
    const toml::table* out = nullptr;
    if (absl::Status s = toml_.Table(*node, Key(prefix, key), &out); !s.ok()) return s;
    return out;
  }

 private:
  static std::string Key(std::string_view prefix, std::string_view key) {
    return absl::StrCat(AsAbsl(prefix), AsAbsl(key));
  }
  std::string Resolve(const std::string& path) const {
    const std::filesystem::path dir = std::filesystem::path(toml_.file()).parent_path();
    if (path.front() == '/' || dir.empty()) return path;
    // "conformance/targets/../../build/x" → "build/x": reasons quote these paths.
    return (dir / path).lexically_normal().string();
  }

  TomlReader toml_;
};

absl::Status ReadAccounts(Reader& r, const toml::table& doc, TargetConfig& config) {
  absl::StatusOr<const toml::table*> accounts = r.Table(doc, "accounts", "");
  if (!accounts.ok()) return accounts.status();
  if (*accounts == nullptr) {
    // No accounts: AUTH tests cannot be run meaningfully (whichever word they require).
    for (const char* word : {"auth", "auth-plain", "auth-login"}) {
      config.capabilities.emplace(word, false);
    }
    return absl::OkStatus();
  }
  SMTPGATE_RETURN_IF_ERROR(r.Keys(**accounts, "accounts.", {"authorized", "unauthorized"}));
  for (std::string_view kind : {"authorized", "unauthorized"}) {
    const std::string prefix = absl::StrCat("accounts.", AsAbsl(kind), ".");
    absl::StatusOr<const toml::table*> account = r.Table(**accounts, kind, "accounts.");
    if (!account.ok()) return account.status();
    if (*account == nullptr) continue;
    SMTPGATE_RETURN_IF_ERROR(r.Keys(**account, prefix, {"user", "password"}));
    SMTPGATE_RETURN_IF_ERROR(
        r.String(**account, "user", prefix, config.variables[absl::StrCat(AsAbsl(kind), "_user")]));
    SMTPGATE_RETURN_IF_ERROR(r.String(**account, "password", prefix,
                                      config.variables[absl::StrCat(AsAbsl(kind), "_password")]));
  }
  return absl::OkStatus();
}

// [server]: the server's crash log, and whether AUTH is to be used inside TLS.
absl::Status ReadServer(Reader& r, const toml::table& doc, TargetConfig& config) {
  absl::StatusOr<const toml::table*> server = r.Table(doc, "server", "");
  if (!server.ok()) return server.status();
  if (*server == nullptr) return absl::OkStatus();
  SMTPGATE_RETURN_IF_ERROR(
      r.Keys(**server, "server.", {"crash_log", "crash_pattern", "auth_over_starttls"}));
  SMTPGATE_RETURN_IF_ERROR(
      r.Bool(**server, "auth_over_starttls", "server.", config.auth_over_starttls));
  SMTPGATE_RETURN_IF_ERROR(r.Paths(**server, "crash_log", "server.", config.crash_log.files));
  SMTPGATE_RETURN_IF_ERROR(
      r.String(**server, "crash_pattern", "server.", config.crash_log.pattern));
  if (const toml::node* pattern = (*server)->get("crash_pattern"); pattern != nullptr) {
    if (config.crash_log.pattern.empty()) {
      return r.Error(*pattern, "server.crash_pattern", "expected a regular expression, got \"\"");
    }
    absl::StatusOr<CrashPattern> compiled = CrashPattern::Compile(config.crash_log.pattern);
    if (!compiled.ok()) {
      return r.Error(*pattern, "server.crash_pattern", std::string(compiled.status().message()));
    }
    if (config.crash_log.files.empty()) {
      return r.Error(*pattern, "server.crash_pattern", "crash_pattern without crash_log files");
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSections(Reader& r, const toml::table& doc, TargetConfig& config) {
  absl::StatusOr<const toml::table*> timeouts = r.Table(doc, "timeouts", "");
  if (!timeouts.ok()) return timeouts.status();
  if (*timeouts != nullptr) {
    SMTPGATE_RETURN_IF_ERROR(
        r.Keys(**timeouts, "timeouts.",
               {"connect_ms", "reply_ms", "oracle_wait_ms", "oracle_min_ms", "grace_ms"}));
    std::pair<std::string_view, std::chrono::milliseconds*> fields[] = {
        {"connect_ms", &config.connect_timeout},
        {"reply_ms", &config.reply_timeout},
        {"oracle_wait_ms", &config.oracle_wait},
        {"oracle_min_ms", &config.oracle_min_wait},
        {"grace_ms", &config.grace}};
    for (auto& [key, field] : fields) {
      int64_t ms = field->count();
      SMTPGATE_RETURN_IF_ERROR(r.Int(**timeouts, key, "timeouts.", 0, int64_t{3600} * 1000, ms));
      *field = std::chrono::milliseconds(ms);
    }
    const toml::node* min = (*timeouts)->get("oracle_min_ms");
    if (min != nullptr && config.oracle_min_wait > config.oracle_wait) {
      return r.Error(*min, "timeouts.oracle_min_ms",
                     "above oracle_wait_ms (the lower and upper bound of the oracle's wait)");
    }
  }
  absl::StatusOr<const toml::table*> oracle = r.Table(doc, "oracle", "");
  if (!oracle.ok()) return oracle.status();
  if (*oracle != nullptr) {
    SMTPGATE_RETURN_IF_ERROR(
        r.Keys(**oracle, "oracle.",
               {"start_sink", "sink", "sink_record", "oracle_sees_local", "maildir", "mbox"}));
    SMTPGATE_RETURN_IF_ERROR(r.Paths(**oracle, "maildir", "oracle.", config.oracle.maildirs));
    SMTPGATE_RETURN_IF_ERROR(r.Paths(**oracle, "mbox", "oracle.", config.oracle.mboxes));
    SMTPGATE_RETURN_IF_ERROR(r.Bool(**oracle, "start_sink", "oracle.", config.oracle.start_sink));
    SMTPGATE_RETURN_IF_ERROR(r.String(**oracle, "sink", "oracle.", config.oracle.sink));
    SMTPGATE_RETURN_IF_ERROR(
        r.String(**oracle, "sink_record", "oracle.", config.oracle.sink_record));
    SMTPGATE_RETURN_IF_ERROR(
        r.Bool(**oracle, "oracle_sees_local", "oracle.", config.oracle.sees_local));
    if (!config.oracle.sink.empty()) config.oracle.start_sink = true;
    if (config.oracle.start_sink && !config.oracle.sink_record.empty()) {
      return r.Error(*(*oracle)->get("sink_record"), "oracle.sink_record",
                     "choose one oracle: start a sink (start_sink/sink) or read a record file");
    }
  }
  if (config.oracle.sees_local && config.oracle.reads_mailboxes()) {
    const toml::node* where = (*oracle)->get("maildir");
    if (where == nullptr) where = (*oracle)->get("mbox");
    return r.Error(*where, where == (*oracle)->get("maildir") ? "oracle.maildir" : "oracle.mbox",
                   "the local mailboxes are read directly, so oracle_sees_local (local mail "
                   "handed to the sink too) must be false: each message would count twice");
  }
  SMTPGATE_RETURN_IF_ERROR(ReadServer(r, doc, config));
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
      SMTPGATE_RETURN_IF_ERROR(r.Bool(**capabilities, name, "capabilities.", present));
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
      SMTPGATE_RETURN_IF_ERROR(r.String(**variables, name, "variables.", config.variables[name]));
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
  SMTPGATE_RETURN_IF_ERROR(
      r.Keys(doc, "",
             {"description", "host", "port", "tls", "helo", "server_name", "server_ip_literal",
              "local_domain", "local_user", "remote_domain", "tarpit_seconds",
              "idle_timeout_seconds", "oracle_sees_local", "accounts", "timeouts", "oracle",
              "server", "capabilities", "variables"}));
  std::string description;
  SMTPGATE_RETURN_IF_ERROR(r.String(doc, "description", "", description));
  SMTPGATE_RETURN_IF_ERROR(r.String(doc, "host", "", config.host));
  if (doc.get("port") == nullptr) return r.Missing("port");
  int64_t port = 0;
  SMTPGATE_RETURN_IF_ERROR(r.Int(doc, "port", "", 1, 65535, port));
  config.port = static_cast<uint16_t>(port);
  std::string tls = "none";
  SMTPGATE_RETURN_IF_ERROR(r.String(doc, "tls", "", tls));
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
    SMTPGATE_RETURN_IF_ERROR(r.String(doc, key, "", config.variables[std::string(key)]));
  }
  for (std::string_view key : {"local_domain", "local_user"}) {
    if (doc.get(key) == nullptr) return r.Missing(key);
  }
  config.variables["relay_domain"] = config.variables["remote_domain"];
  int64_t tarpit = 0;
  SMTPGATE_RETURN_IF_ERROR(r.Int(doc, "tarpit_seconds", "", 0, 3600, tarpit));
  config.tarpit_seconds = static_cast<int>(tarpit);
  config.variables["tarpit_seconds"] = std::to_string(tarpit);
  int64_t idle = 0;
  SMTPGATE_RETURN_IF_ERROR(r.Int(doc, "idle_timeout_seconds", "", 0, 3600, idle));
  config.idle_timeout_seconds = static_cast<int>(idle);
  config.variables["idle_timeout_seconds"] = std::to_string(idle);
  SMTPGATE_RETURN_IF_ERROR(r.Bool(doc, "oracle_sees_local", "", config.oracle.sees_local));
  SMTPGATE_RETURN_IF_ERROR(ReadAccounts(r, doc, config));
  SMTPGATE_RETURN_IF_ERROR(ReadSections(r, doc, config));
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
  absl::StatusOr<toml::table> doc = ParseToml(text, std::string(path));
  if (!doc.ok()) return doc.status();
  return FromDocument(*doc, path);
}

absl::StatusOr<TargetConfig> LoadTargetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read target file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseTargetFile(text.str(), path);
}

}  // namespace smtpgate::conformance
