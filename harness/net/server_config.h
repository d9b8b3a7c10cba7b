// The configuration of `smtpgate serve`: the Session's config plus what the Asio host needs
// (listen addresses, TLS, spool, timeouts, connection limits), and its TOML loader.
//
// TOML keys (scripts/serve.example.toml is a complete, commented example). Relative paths
// (spool_dir, tls.cert, tls.key) are relative to the directory of the config file.
//
//   hostname            string   "mx.example.test": banner, EHLO, reply texts
//   listen              [string] ["127.0.0.1:2525", "[::1]:2525"]: loopback only (see below);
//                                port 0 = any free port. An IPv6 address that cannot be bound
//                                on this machine is skipped with a warning.
//   allow_non_loopback  bool     false: listening on another address is refused unless true
//   profile             string   secure | open-relay | auth-implies-relay | ms02-012 |
//                                bare-lf-eod | null-session-auth | per-connection-crash |
//                                strict (emulation profiles, harness/core/profile.h)
//   spool_dir           string   the durable spool (harness/net/spool.h); required
//   relay_host          string   "127.0.0.1:PORT": loopback smarthost for relayed mail; "" =
//                                relayed mail stays in spool_dir/outbound
//   tarpit_seconds      number   KB 842851 tar pit: delay of 5xx replies to anonymous clients
//   io_threads          integer  threads running the I/O (1..64)
//   commit_threads      integer  threads that make messages durable (fsync; 1..64)
//   [tls]      cert, key (PEM file names), implicit (bool: TLS from the first byte instead of
//              STARTTLS). The table's presence with cert and key enables TLS.
//   [limits]   max_message_size (octets, advertised as SIZE), max_recipients, max_errors,
//              max_line_length, max_connections, max_connections_per_client,
//              max_buffered_per_connection (octets), command_timeout_ms, data_timeout_ms
//   [policy]   local_domains, relay_domains, local_literals, trusted_networks, local_mailboxes
//              ([string]); recipient_filtering, sender_login_match, require_tls,
//              auth_requires_tls, auth_required, auth_enabled (bool);
//              bare_line_endings ("reject" | "keep")
//   [[users]]  name, password (string), may_relay (bool), allowed_senders, may_act_for
//              ([string])
//
// Every key is checked: an unknown key, a wrong type or a bad value is an error that names
// the file, the line and the key: "serve.toml:12: key 'users.guest.may_relay': expected a
// boolean". TOML syntax errors name file:line:column and toml++'s description.
#ifndef SMTPGATE_HARNESS_NET_SERVER_CONFIG_H_
#define SMTPGATE_HARNESS_NET_SERVER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/core/profile.h"
#include "harness/core/session.h"

namespace smtpgate {

struct ServerConfig {
  SessionConfig session;
  // "127.0.0.1:2525", "[::1]:2525"; port 0 picks a free port (Server::endpoints()).
  std::vector<std::string> listen = {"127.0.0.1:2525"};
  bool allow_non_loopback = false;
  std::string spool_dir;
  struct Tls {
    std::string cert_file;
    std::string key_file;
    // In-memory PEM, used when the file names are empty (the demo's ephemeral certificate,
    // tests).
    std::string cert_pem;
    std::string key_pem;
    bool implicit = false;  // TLS from the first byte (SMTPS) instead of STARTTLS
  } tls;
  bool tls_enabled = false;
  // RFC 5321 4.5.3.2: 5 minutes waiting for a command, 3 minutes between data blocks.
  std::chrono::milliseconds command_timeout{300'000};
  std::chrono::milliseconds data_timeout{180'000};
  size_t max_connections = 2000;
  size_t max_connections_per_client = 200;
  // Replies not yet taken by the client plus client input not yet processed; more → 421.
  size_t max_buffered_per_connection = 1 << 20;
  int io_threads = 1;
  // fsync is I/O-bound and the file system batches concurrent ones: 2 threads made
  // connection reuse the bottleneck (scripts/bench-mta.sh MODE=session).
  int commit_threads = 16;
  // "127.0.0.1:PORT" loopback smarthost for relayed mail, or empty.
  std::string relay_host;
  // The names of the accounts in session.users, in config order (UserDirectory cannot list
  // its accounts), for DescribeServerConfig.
  std::vector<std::string> account_names;
  // Set by DemoServerConfig: the temporary spool directory it created. The Server removes it
  // when it is destroyed: with its contents while it is still spool_dir, else only if empty.
  std::string temporary_dir;
};

// A parsed listen address: "127.0.0.1:2525" or "[::1]:2525" (IP literals only, no names).
struct ListenAddress {
  std::string host;  // without brackets
  uint16_t port = 0;
  bool ipv6 = false;
  bool loopback = false;  // 127.0.0.0/8 or ::1
};
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

// Reads and checks a TOML config file (see the key list above).
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);
// The same from text; `source_name` stands for the file in messages, `base_dir` resolves
// relative paths ("" = leave them as they are).
absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view toml_text,
                                               const std::string& source_name,
                                               const std::string& base_dir = "");

// Cross-field checks shared by the loader and `serve` flags: at least one listen address,
// each valid and loopback (unless allow_non_loopback), a spool dir, a loopback relay_host,
// TLS files when TLS is enabled, sane limits, the policy (ValidatePolicyConfig).
absl::Status ValidateServerConfig(const ServerConfig& config);

// The demo configuration (harness/core/demo_config.h) on 127.0.0.1:2525 and [::1]:2525,
// with a fresh temporary spool directory ($TMPDIR or /tmp, smtpgate-spool-XXXXXX; removed
// with the Server, see temporary_dir) and STARTTLS with an ephemeral self-signed
// certificate for the hostname (when one could be made).
ServerConfig DemoServerConfig(Profile profile = Profile::kSecure);

// One line per fact, for `serve` to print: listen addresses, hostname, profile, domains,
// accounts (names and may_relay, never passwords), TLS, spool dir, relay host.
std::string DescribeServerConfig(const ServerConfig& config);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SERVER_CONFIG_H_
