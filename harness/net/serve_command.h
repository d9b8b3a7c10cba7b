// `smtpgate serve`: loads the configuration (a TOML file, or the built-in demo), applies the
// command-line overrides, prints what it serves, and runs the reference server until
// SIGINT/SIGTERM.
//
// Exit status: 0 after a signal (graceful shutdown); 2 for a bad configuration or option
// (the message names file, line and key); 1 when the server cannot start (address in use,
// spool not writable, bad TLS files); 70 (EX_SOFTWARE) when the emulated service stopped
// (emulation profile ms02-012: a malformed BDAT kills the service, as MS02-012 did).
#ifndef SMTPGATE_HARNESS_NET_SERVE_COMMAND_H_
#define SMTPGATE_HARNESS_NET_SERVE_COMMAND_H_

#include <string>
#include <vector>

namespace smtpgate {

struct ServeOptions {
  std::string config_path;          // empty: the demo configuration (DemoServerConfig)
  std::vector<std::string> listen;  // overrides the config's listen addresses
  std::string profile;              // overrides the config's emulation profile
  std::string spool_dir;            // overrides the config's spool directory
  std::string relay_host;           // overrides the config's relay host
  bool print_config = true;         // print listen addresses, domain, accounts, spool, ...
};

inline constexpr int kServeExitServiceStopped = 70;  // EX_SOFTWARE

int RunServe(const ServeOptions& options);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SERVE_COMMAND_H_
