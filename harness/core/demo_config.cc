#include "harness/core/demo_config.h"

namespace smtpgate {

SessionConfig DemoConfig(Profile profile) {
  SessionConfig config;
  config.hostname = "mx.example.test";
  // The server's own host name is local too (as Postfix's $myhostname in mydestination).
  config.policy.local_domains = {"example.test", "mx.example.test"};
  config.policy.local_literals = {"[127.0.0.1]", "[ipv6:::1]"};
  config.policy.local_mailboxes = {"alice", "bob"};
  config.policy.recipient_filtering = true;
  config.policy.profile = profile;
  config.users.Add(UserAccount{.name = "relayer",
                               .password = "relayer-pass",
                               .may_relay = true,
                               .allowed_senders = {"relayer@example.test", "alice@example.test"},
                               .may_act_for = {}});
  config.users.Add(UserAccount{.name = "guest",
                               .password = "guest-pass",
                               .may_relay = false,
                               .allowed_senders = {"guest@example.test"},
                               .may_act_for = {}});
  config.auth_requires_tls = false;
  if (profile == Profile::kStrict) {
    // Hardened as strict MTAs are: AUTH only inside TLS, a low error limit (the rest of the
    // strictness is in the session: no PIPELINING, close on malformed lines).
    config.auth_requires_tls = true;
    config.max_errors = 5;
  }
  return config;
}

}  // namespace smtpgate
