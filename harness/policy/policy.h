// Relay policy: who may send to which recipient. One pure function of (session facts,
// envelope path, user directory, config): no socket, no clock, no global state.
//
// The lessons it applies (docs/seeds.md):
// - KB 304897: a recipient is local if its routing domain, after completing a domain-less
//   address with the primary local domain, is a local domain; everything else is relayed.
//   Source routes, '%', '!' and quoted local parts never change the routing domain, so
//   "user%remote" and "\"user@remote\"" are local recipients with odd local parts.
// - MS02-011: relaying needs *authorization*: a trusted client network, or an authenticated
//   identity whose account may relay. Being authenticated is never enough.
// - Every decision carries a reason and the routing domain it was made on, which is the
//   one delivery must use.
#ifndef SMTPGATE_HARNESS_POLICY_POLICY_H_
#define SMTPGATE_HARNESS_POLICY_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "harness/core/address.h"
#include "harness/core/profile.h"
#include "harness/policy/user_directory.h"

namespace smtpgate {

// Domains, literals and mailbox names are compared case-insensitively: the config may be
// written in any case. Address literals are compared in canonical form ("[IPv6:::1]" and
// "[ipv6:0:0:0:0:0:0:0:1]" are the same).
struct PolicyConfig {
  // The first is the primary one (completes domain-less addresses).
  std::vector<std::string> local_domains;
  // Domains we relay for anyone (backup MX style).
  std::vector<std::string> relay_domains;
  // The server's own address literals, e.g. "[127.0.0.1]", treated as local domains.
  std::vector<std::string> local_literals;
  // CIDR ("192.0.2.0/24", "::1/128") or a bare address (one host). EMPTY by default.
  // A malformed entry never matches (ValidatePolicyConfig reports it).
  std::vector<std::string> trusted_networks;
  // Known local users (local parts), e.g. alice, bob. "postmaster" is always known.
  std::vector<std::string> local_mailboxes;
  // Unknown local user: true → 550 5.1.1 at RCPT; false → accept and NDR later.
  bool recipient_filtering = true;
  // An authenticated user may only use the senders in his allowed_senders.
  bool sender_login_match = false;
  Profile profile = Profile::kSecure;
};

struct SessionFacts {
  std::string client_address;  // "127.0.0.1" or "::1" (no port, no brackets)
  bool authenticated = false;
  std::string identity;  // authorization identity after AUTH
  bool tls = false;
};

enum class Disposition {
  kDeliverLocal,  // a known local mailbox (or postmaster)
  kRelay,         // sent on to another server
  kNdr,           // accepted now, bounced later (unknown local user, no recipient filtering)
  kReject,        // refused with `code`
};

std::string_view DispositionName(Disposition disposition);

struct Decision {
  Disposition disposition = Disposition::kReject;
  int code = 550;        // the reply: 250 for accepted recipients/senders
  std::string enhanced;  // "2.1.5", "5.7.1", "5.1.1", ...
  std::string reason;    // why, always set
  // The domain the decision was made on (after completion): the one delivery must use.
  // Empty only when the path has none (the null sender).
  std::string routing_domain;
  bool allowed() const { return disposition != Disposition::kReject; }
};

// MAIL FROM. The null sender and ordinary senders → 250 2.1.0 (disposition kDeliverLocal: for
// a sender only allowed() matters). A domain-less sender is completed with the primary local
// domain. With sender_login_match, an authenticated session may only use an address listed in
// its account's allowed_senders (else 553 5.7.1); the null sender is owned by no one and stays
// allowed. Unauthenticated senders are not restricted here: RCPT decides relaying.
Decision DecideSender(const SessionFacts& facts, const Path& sender, const UserDirectory& users,
                      const PolicyConfig& config);

// RCPT TO. See policy.cc for the rules, in order.
Decision DecideRecipient(const SessionFacts& facts, const Path& recipient,
                         const UserDirectory& users, const PolicyConfig& config);

// Reports the first bad entry of a config (for the config loader): a domain that is not a
// valid RFC 5321 domain (a trailing dot included), a local literal that is not an address
// literal, a malformed CIDR or prefix out of range, an empty or '@'-bearing mailbox name.
// InvalidArgumentError whose message names the field, the index and the entry.
absl::Status ValidatePolicyConfig(const PolicyConfig& config);

// True if `client_address` lies in the CIDR `network` ("192.0.2.0/24", "2001:db8::/32", or a
// bare address). IPv4-mapped IPv6 clients ("::ffff:192.0.2.1") also match IPv4 networks.
// Malformed input never matches. Exposed for tests and the config loader.
bool AddressInNetwork(std::string_view client_address, std::string_view network);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_POLICY_POLICY_H_
