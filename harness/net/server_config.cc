#include "harness/net/server_config.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio/ip/address.hpp"
#include "harness/config/toml_reader.h"
#include "harness/core/address.h"
#include "harness/core/demo_config.h"
#include "harness/core/smtp_status.h"
#include "harness/net/tls_server_context.h"
#include "harness/policy/policy.h"
#include "toml++/toml.h"

namespace smtpgate {

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress out;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", AsAbsl(text), "\": expected \"[IPv6]:PORT\", e.g. \"[::1]:2525\""));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", AsAbsl(text),
                       "\": expected \"ADDRESS:PORT\", e.g. \"127.0.0.1:2525\" or \"[::1]:2525\""));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint32_t port_number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(AsAbsl(port), &port_number) || port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(text), "\": bad port \"", AsAbsl(port), "\" (0..65535)"));
  }
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(text), "\": \"", AsAbsl(host),
                     "\" is not an IP address (names are not resolved; use 127.0.0.1 or [::1])"));
  }
  if (address.is_v6() && text.front() != '[') {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(text), "\": write IPv6 addresses in brackets: \"[::1]:2525\""));
  }
  out.host = address.to_string();
  out.port = static_cast<uint16_t>(port_number);
  out.ipv6 = address.is_v6();
  out.loopback = address.is_loopback();
  return out;
}

namespace {

std::string ProfileList() {
  std::vector<std::string> names;
  for (Profile p : kAllProfiles) names.emplace_back(ProfileName(p));
  return absl::StrJoin(names, ", ");
}

std::string JoinPath(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path.front() == '/') return path;
  return base.back() == '/' ? base + path : base + "/" + path;
}

using Reader = TomlReader;

absl::Status ReadTls(const Reader& r, const toml::table& tls, const std::string& base_dir,
                     ServerConfig& config) {
  SMTPGATE_RETURN_IF_ERROR(r.CheckKeys(tls, "tls.", {"cert", "key", "implicit", "enabled"}));
  bool enabled = true;
  if (const toml::node* n = tls.get("enabled")) {
    SMTPGATE_RETURN_IF_ERROR(r.Bool(*n, "tls.enabled", &enabled));
  }
  if (const toml::node* n = tls.get("implicit")) {
    SMTPGATE_RETURN_IF_ERROR(r.Bool(*n, "tls.implicit", &config.tls.implicit));
  }
  for (const auto& [key, target] :
       {std::pair<const char*, std::string*>{"cert", &config.tls.cert_file},
        std::pair<const char*, std::string*>{"key", &config.tls.key_file}}) {
    const toml::node* n = tls.get(key);
    const std::string full = absl::StrCat("tls.", key);
    if (n == nullptr) {
      if (!enabled) continue;
      return r.Error(tls.source(), full, "required when [tls] is present (PEM file name)");
    }
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, full, target));
    *target = JoinPath(base_dir, *target);
    if (enabled && access(target->c_str(), R_OK) != 0) {
      return r.Error(*n, full,
                     absl::StrCat("cannot read \"", *target, "\": ", std::strerror(errno)));
    }
  }
  config.tls_enabled = enabled;
  return absl::OkStatus();
}

absl::Status ReadLimits(const Reader& r, const toml::table& limits, ServerConfig& config) {
  SMTPGATE_RETURN_IF_ERROR(
      r.CheckKeys(limits, "limits.",
                  {"max_message_size", "max_recipients", "max_errors", "max_line_length",
                   "max_connections", "max_connections_per_client", "max_buffered_per_connection",
                   "command_timeout_ms", "data_timeout_ms"}));
  constexpr int64_t kMaxSize = int64_t{1} << 40;
  SessionConfig& s = config.session;
  if (const toml::node* n = limits.get("max_message_size")) {
    SMTPGATE_RETURN_IF_ERROR(
        r.Unsigned(*n, "limits.max_message_size", 1, kMaxSize, &s.max_message_size));
  }
  if (const toml::node* n = limits.get("max_recipients")) {
    SMTPGATE_RETURN_IF_ERROR(
        r.Unsigned(*n, "limits.max_recipients", 1, 1'000'000, &s.max_recipients));
  }
  if (const toml::node* n = limits.get("max_errors")) {
    SMTPGATE_RETURN_IF_ERROR(r.Unsigned(*n, "limits.max_errors", 1, 1'000'000, &s.max_errors));
  }
  if (const toml::node* n = limits.get("max_line_length")) {
    // RFC 5321 4.5.3.1.4: at least 512 octets with CRLF.
    SMTPGATE_RETURN_IF_ERROR(
        r.Unsigned(*n, "limits.max_line_length", 510, 1 << 20, &s.command.max_line_length));
  }
  if (const toml::node* n = limits.get("max_connections")) {
    SMTPGATE_RETURN_IF_ERROR(
        r.Unsigned(*n, "limits.max_connections", 1, 1'000'000, &config.max_connections));
  }
  if (const toml::node* n = limits.get("max_connections_per_client")) {
    SMTPGATE_RETURN_IF_ERROR(r.Unsigned(*n, "limits.max_connections_per_client", 1, 1'000'000,
                                        &config.max_connections_per_client));
  }
  if (const toml::node* n = limits.get("max_buffered_per_connection")) {
    SMTPGATE_RETURN_IF_ERROR(r.Unsigned(*n, "limits.max_buffered_per_connection", 4096, kMaxSize,
                                        &config.max_buffered_per_connection));
  }
  for (const auto& [key, target] : {std::pair<const char*, std::chrono::milliseconds*>{
                                        "command_timeout_ms", &config.command_timeout},
                                    std::pair<const char*, std::chrono::milliseconds*>{
                                        "data_timeout_ms", &config.data_timeout}}) {
    if (const toml::node* n = limits.get(key)) {
      int64_t ms = 0;
      SMTPGATE_RETURN_IF_ERROR(r.Int(*n, absl::StrCat("limits.", key), 1, 86'400'000, &ms));
      *target = std::chrono::milliseconds(ms);
    }
  }
  return absl::OkStatus();
}

// ValidatePolicyConfig's message starts with "field[index] ...": point at that element.
absl::Status LocatePolicyError(const Reader& r, const toml::table& policy,
                               const absl::Status& status) {
  const std::string_view message = AsStd(status.message());
  const size_t open = message.find('[');
  const size_t close = message.find(']');
  size_t index = 0;
  if (open != std::string_view::npos && close != std::string_view::npos && open < close &&
      absl::SimpleAtoi(AsAbsl(message.substr(open + 1, close - open - 1)), &index)) {
    const std::string field(message.substr(0, open));
    if (const toml::array* array = policy[field].as_array();
        array != nullptr && index < array->size()) {
      std::string_view rest = message.substr(close + 1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      return r.Error(*array->get(index), absl::StrCat("policy.", field, "[", index, "]"), rest);
    }
  }
  return r.Error(policy.source(), "policy", message);
}

absl::Status ReadPolicy(const Reader& r, const toml::table& policy, ServerConfig& config) {
  SMTPGATE_RETURN_IF_ERROR(
      r.CheckKeys(policy, "policy.",
                  {"local_domains", "relay_domains", "local_literals", "trusted_networks",
                   "local_mailboxes", "recipient_filtering", "sender_login_match", "require_tls",
                   "auth_requires_tls", "auth_required", "auth_enabled", "bare_line_endings"}));
  SessionConfig& s = config.session;
  PolicyConfig& p = s.policy;
  for (const auto& [key, target] :
       {std::pair<const char*, std::vector<std::string>*>{"local_domains", &p.local_domains},
        std::pair<const char*, std::vector<std::string>*>{"relay_domains", &p.relay_domains},
        std::pair<const char*, std::vector<std::string>*>{"local_literals", &p.local_literals},
        std::pair<const char*, std::vector<std::string>*>{"trusted_networks", &p.trusted_networks},
        std::pair<const char*, std::vector<std::string>*>{"local_mailboxes", &p.local_mailboxes}}) {
    if (const toml::node* n = policy.get(key)) {
      SMTPGATE_RETURN_IF_ERROR(r.StringList(*n, absl::StrCat("policy.", key), target));
    }
  }
  for (const auto& [key, target] :
       {std::pair<const char*, bool*>{"recipient_filtering", &p.recipient_filtering},
        std::pair<const char*, bool*>{"sender_login_match", &p.sender_login_match},
        std::pair<const char*, bool*>{"require_tls", &s.require_tls},
        std::pair<const char*, bool*>{"auth_requires_tls", &s.auth_requires_tls},
        std::pair<const char*, bool*>{"auth_required", &s.auth_required},
        std::pair<const char*, bool*>{"auth_enabled", &s.auth_enabled}}) {
    if (const toml::node* n = policy.get(key)) {
      SMTPGATE_RETURN_IF_ERROR(r.Bool(*n, absl::StrCat("policy.", key), target));
    }
  }
  if (const toml::node* n = policy.get("bare_line_endings")) {
    std::string value;
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, "policy.bare_line_endings", &value));
    if (value == "reject") {
      s.bare_line_endings = BareLineEndings::kReject;
    } else if (value == "keep") {
      s.bare_line_endings = BareLineEndings::kKeep;
    } else {
      return r.Error(*n, "policy.bare_line_endings",
                     absl::StrCat("expected \"reject\" or \"keep\", got \"", value, "\""));
    }
  }
  if (absl::Status s2 = ValidatePolicyConfig(p); !s2.ok()) {
    return LocatePolicyError(r, policy, s2);
  }
  return absl::OkStatus();
}

absl::Status ReadUsers(const Reader& r, const toml::node& node, ServerConfig& config) {
  const toml::array* users = node.as_array();
  if (users == nullptr) return r.Error(node, "users", "expected an array of tables ([[users]])");
  std::set<std::string> seen;
  for (size_t i = 0; i < users->size(); ++i) {
    const toml::node& element = *users->get(i);
    std::string prefix = absl::StrCat("users[", i, "]");
    const toml::table* table = element.as_table();
    if (table == nullptr) return r.Error(element, prefix, "expected a table ([[users]])");
    UserAccount account;
    const toml::node* name = table->get("name");
    if (name == nullptr) return r.Error(*table, absl::StrCat(prefix, ".name"), "required");
    SMTPGATE_RETURN_IF_ERROR(r.String(*name, absl::StrCat(prefix, ".name"), &account.name));
    if (account.name.empty()) {
      return r.Error(*name, absl::StrCat(prefix, ".name"), "must not be empty");
    }
    prefix = absl::StrCat("users.", account.name);
    if (!seen.insert(account.name).second) {
      return r.Error(*name, absl::StrCat(prefix, ".name"), "a user of this name already exists");
    }
    SMTPGATE_RETURN_IF_ERROR(
        r.CheckKeys(*table, absl::StrCat(prefix, "."),
                    {"name", "password", "may_relay", "allowed_senders", "may_act_for"}));
    const toml::node* password = table->get("password");
    if (password == nullptr) {
      return r.Error(*table, absl::StrCat(prefix, ".password"),
                     "required (an empty string disables the account)");
    }
    SMTPGATE_RETURN_IF_ERROR(
        r.String(*password, absl::StrCat(prefix, ".password"), &account.password));
    if (const toml::node* n = table->get("may_relay")) {
      SMTPGATE_RETURN_IF_ERROR(r.Bool(*n, absl::StrCat(prefix, ".may_relay"), &account.may_relay));
    }
    if (const toml::node* n = table->get("allowed_senders")) {
      SMTPGATE_RETURN_IF_ERROR(
          r.StringList(*n, absl::StrCat(prefix, ".allowed_senders"), &account.allowed_senders));
    }
    if (const toml::node* n = table->get("may_act_for")) {
      SMTPGATE_RETURN_IF_ERROR(
          r.StringList(*n, absl::StrCat(prefix, ".may_act_for"), &account.may_act_for));
    }
    config.account_names.push_back(account.name);
    config.session.users.Add(std::move(account));
  }
  return absl::OkStatus();
}

absl::Status ReadDocument(const Reader& r, const toml::table& doc, const std::string& base_dir,
                          ServerConfig& config) {
  SMTPGATE_RETURN_IF_ERROR(r.CheckKeys(
      doc, "",
      {"hostname", "listen", "allow_non_loopback", "profile", "spool_dir", "relay_host",
       "tarpit_seconds", "io_threads", "commit_threads", "tls", "limits", "policy", "users"}));
  SessionConfig& s = config.session;
  if (const toml::node* n = doc.get("hostname")) {
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, "hostname", &s.hostname));
    if (absl::Status v = ValidateDomain(s.hostname, /*allow_literal=*/true); !v.ok()) {
      return r.Error(*n, "hostname", absl::StrCat("not a valid domain: ", v.message()));
    }
  }
  if (const toml::node* n = doc.get("allow_non_loopback")) {
    SMTPGATE_RETURN_IF_ERROR(r.Bool(*n, "allow_non_loopback", &config.allow_non_loopback));
  }
  if (const toml::node* n = doc.get("listen")) {
    SMTPGATE_RETURN_IF_ERROR(r.StringList(*n, "listen", &config.listen));
    if (config.listen.empty()) return r.Error(*n, "listen", "at least one address is needed");
    const toml::array& array = *n->as_array();
    for (size_t i = 0; i < config.listen.size(); ++i) {
      const std::string key = absl::StrCat("listen[", i, "]");
      absl::StatusOr<ListenAddress> address = ParseListenAddress(config.listen[i]);
      if (!address.ok()) return r.Error(*array.get(i), key, AsStd(address.status().message()));
      if (!address->loopback && !config.allow_non_loopback) {
        return r.Error(*array.get(i), key,
                       absl::StrCat("\"", config.listen[i],
                                    "\" is not a loopback address (set allow_non_loopback = "
                                    "true to listen elsewhere)"));
      }
    }
  }
  if (const toml::node* n = doc.get("profile")) {
    std::string name;
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, "profile", &name));
    const std::optional<Profile> profile = ParseProfile(name);
    if (!profile) {
      return r.Error(
          *n, "profile",
          absl::StrCat("unknown profile \"", name, "\" (expected one of: ", ProfileList(), ")"));
    }
    s.policy.profile = *profile;
  }
  if (const toml::node* n = doc.get("spool_dir")) {
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, "spool_dir", &config.spool_dir));
    if (config.spool_dir.empty()) return r.Error(*n, "spool_dir", "must not be empty");
    config.spool_dir = JoinPath(base_dir, config.spool_dir);
  }
  if (const toml::node* n = doc.get("relay_host")) {
    SMTPGATE_RETURN_IF_ERROR(r.String(*n, "relay_host", &config.relay_host));
    if (!config.relay_host.empty()) {
      absl::StatusOr<ListenAddress> address = ParseListenAddress(config.relay_host);
      if (!address.ok()) return r.Error(*n, "relay_host", AsStd(address.status().message()));
      if (!address->loopback || address->port == 0) {
        return r.Error(*n, "relay_host",
                       "expected a loopback ADDRESS:PORT with a port (mail never leaves the "
                       "machine)");
      }
    }
  }
  if (const toml::node* n = doc.get("tarpit_seconds")) {
    double seconds = 0;
    SMTPGATE_RETURN_IF_ERROR(r.Number(*n, "tarpit_seconds", 0, 3600, &seconds));
    s.tarpit = std::chrono::milliseconds(std::llround(seconds * 1000));
  }
  if (const toml::node* n = doc.get("io_threads")) {
    SMTPGATE_RETURN_IF_ERROR(r.Unsigned(*n, "io_threads", 1, 64, &config.io_threads));
  }
  if (const toml::node* n = doc.get("commit_threads")) {
    SMTPGATE_RETURN_IF_ERROR(r.Unsigned(*n, "commit_threads", 1, 64, &config.commit_threads));
  }
  if (const toml::node* n = doc.get("tls")) {
    const toml::table* table = nullptr;
    SMTPGATE_RETURN_IF_ERROR(r.Table(*n, "tls", &table));
    SMTPGATE_RETURN_IF_ERROR(ReadTls(r, *table, base_dir, config));
  }
  if (const toml::node* n = doc.get("limits")) {
    const toml::table* table = nullptr;
    SMTPGATE_RETURN_IF_ERROR(r.Table(*n, "limits", &table));
    SMTPGATE_RETURN_IF_ERROR(ReadLimits(r, *table, config));
  }
  if (const toml::node* n = doc.get("policy")) {
    const toml::table* table = nullptr;
    SMTPGATE_RETURN_IF_ERROR(r.Table(*n, "policy", &table));
    SMTPGATE_RETURN_IF_ERROR(ReadPolicy(r, *table, config));
  }
  if (const toml::node* n = doc.get("users")) {
    SMTPGATE_RETURN_IF_ERROR(ReadUsers(r, *n, config));
  }
  s.tls_available = config.tls_enabled;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view toml_text,
                                               const std::string& source_name,
                                               const std::string& base_dir) {
  ServerConfig config;
  absl::StatusOr<toml::table> doc = ParseToml(toml_text, source_name);
  if (!doc.ok()) return doc.status();
  const Reader reader(source_name);
  if (absl::Status s = ReadDocument(reader, *doc, base_dir, config); !s.ok()) return s;
  if (config.spool_dir.empty()) {
    // Left for the caller (serve --spool, or a temporary directory); everything else must hold.
    ServerConfig probe = config;
    probe.spool_dir = "-";
    if (absl::Status s = ValidateServerConfig(probe); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", s.message()));
    }
    return config;
  }
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", s.message()));
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the config file: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error: ", std::strerror(errno)));
  }
  std::string base_dir;
  if (const size_t slash = path.rfind('/'); slash != std::string::npos) {
    base_dir = path.substr(0, slash + 1);
  }
  return ParseServerConfig(text.str(), path, base_dir);
}

absl::Status ValidateServerConfig(const ServerConfig& config) {
  if (config.listen.empty()) {
    return absl::InvalidArgumentError("listen: at least one address is needed");
  }
  for (size_t i = 0; i < config.listen.size(); ++i) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(config.listen[i]);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("listen[", i, "]: ", address.status().message()));
    }
    if (!address->loopback && !config.allow_non_loopback) {
      return absl::InvalidArgumentError(
          absl::StrCat("listen[", i, "]: \"", config.listen[i],
                       "\" is not a loopback address (allow_non_loopback is false)"));
    }
  }
  if (config.spool_dir.empty()) return absl::InvalidArgumentError("spool_dir: required");
  if (!config.relay_host.empty()) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(config.relay_host);
    if (!address.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("relay_host: ", address.status().message()));
    }
    if (!address->loopback || address->port == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "relay_host: \"", config.relay_host, "\" is not a loopback ADDRESS:PORT with a port"));
    }
  }
  if (config.tls_enabled) {
    const bool files = !config.tls.cert_file.empty() && !config.tls.key_file.empty();
    const bool pem = !config.tls.cert_pem.empty() && !config.tls.key_pem.empty();
    if (!files && !pem) {
      return absl::InvalidArgumentError("tls: a certificate and a key are needed");
    }
  }
  if (config.io_threads < 1 || config.io_threads > 64) {
    return absl::InvalidArgumentError("io_threads: expected 1..64");
  }
  if (config.commit_threads < 1 || config.commit_threads > 64) {
    return absl::InvalidArgumentError("commit_threads: expected 1..64");
  }
  if (config.max_connections == 0 || config.max_connections_per_client == 0) {
    return absl::InvalidArgumentError("limits: connection limits must be at least 1");
  }
  if (config.command_timeout.count() <= 0 || config.data_timeout.count() <= 0) {
    return absl::InvalidArgumentError("limits: timeouts must be positive");
  }
  if (absl::Status s = ValidatePolicyConfig(config.session.policy); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("policy.", s.message()));
  }
  return absl::OkStatus();
}

ServerConfig DemoServerConfig(Profile profile) {
  ServerConfig config;
  config.session = DemoConfig(profile);
  config.listen = {"127.0.0.1:2525", "[::1]:2525"};
  config.account_names = {"relayer", "guest"};
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/smtpgate-spool-XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) {
    config.spool_dir = pattern;
    config.temporary_dir = pattern;
  } else {
    config.spool_dir = absl::StrCat("/tmp/smtpgate-spool-", getpid());  // Spool::Open makes it
  }
  if (absl::StatusOr<PemCertificate> cert =
          GenerateSelfSignedCertificate(config.session.hostname, 30);
      cert.ok()) {
    config.tls.cert_pem = std::move(cert->cert_pem);
    config.tls.key_pem = std::move(cert->key_pem);
    config.tls_enabled = true;
    config.session.tls_available = true;
  }
  return config;
}

std::string DescribeServerConfig(const ServerConfig& config) {
  const SessionConfig& s = config.session;
  const PolicyConfig& p = s.policy;
  const auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : absl::StrJoin(v, ", ");
  };
  std::vector<std::string> accounts;
  for (const std::string& name : config.account_names) {
    const UserAccount* account = s.users.Find(name);
    if (account == nullptr) continue;
    accounts.push_back(
        absl::StrCat(name, account->may_relay ? " (may relay)" : " (may not relay)"));
  }
  std::string tls = "off";
  if (config.tls_enabled) {
    tls =
        absl::StrCat(config.tls.implicit ? "implicit TLS" : "STARTTLS", ", ",
                     config.tls.cert_file.empty() ? std::string("ephemeral self-signed certificate")
                                                  : config.tls.cert_file);
  }
  std::string out;
  absl::StrAppend(&out, "  listen       ", absl::StrJoin(config.listen, ", "), "\n");
  absl::StrAppend(&out, "  hostname     ", s.hostname, "\n");
  absl::StrAppend(&out, "  profile      ", AsAbsl(ProfileName(p.profile)),
                  p.profile == Profile::kSecure ? "" : "  (DELIBERATELY FLAWED emulation)", "\n");
  absl::StrAppend(&out, "  domains      ", list(p.local_domains),
                  " (local); relay domains: ", list(p.relay_domains),
                  "; trusted networks: ", list(p.trusted_networks), "\n");
  std::vector<std::string> mailboxes = p.local_mailboxes;
  mailboxes.push_back("postmaster");
  absl::StrAppend(&out, "  mailboxes    ", absl::StrJoin(mailboxes, ", "),
                  p.recipient_filtering ? "" : " (unknown users accepted, bounced later)", "\n");
  absl::StrAppend(&out, "  accounts     ", list(accounts), "\n");
  absl::StrAppend(&out, "  auth         ",
                  !s.auth_enabled       ? "off"
                  : s.auth_requires_tls ? "PLAIN LOGIN, after TLS only"
                                        : "PLAIN LOGIN, also without TLS",
                  s.auth_required ? " (required before MAIL)" : "", "\n");
  absl::StrAppend(&out, "  tls          ", tls, s.require_tls ? " (required before MAIL)" : "",
                  "\n");
  absl::StrAppend(&out, "  tar pit      ",
                  s.tarpit.count() > 0 ? absl::StrCat(s.tarpit.count(), " ms on anonymous 5xx")
                                       : std::string("off"),
                  "\n");
  absl::StrAppend(&out, "  spool        ", config.spool_dir,
                  config.spool_dir == config.temporary_dir
                      ? " (temporary: removed at exit; --spool DIR keeps the mail)"
                      : "",
                  "\n");
  absl::StrAppend(&out, "  relay host   ",
                  config.relay_host.empty()
                      ? absl::StrCat("none (relayed mail stays in ", config.spool_dir, "/outbound)")
                      : config.relay_host,
                  "\n");
  return out;
}

}  // namespace smtpgate
