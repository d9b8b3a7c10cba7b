// Relay policy. The rules for a recipient, in order (each result carries a reason and the
// routing domain it was decided on):
//  1. <Postmaster> → deliver locally, always (RFC 5321 4.5.1).
//  2. Work on a copy of the path; a domain-less mailbox is completed with the primary local
//     domain, so "user%remote" and "\"user@remote\"" (KB 304897 tests 6, 7) become local
//     recipients with an unusual local part and are never relayed.
//  3. The routing domain (Mailbox::RoutingDomain) is the only domain looked at. A local
//     domain or local literal → the local part decides: postmaster or a known mailbox →
//     deliver; otherwise 550 5.1.1 with recipient filtering, or accept-and-bounce without.
//  4. A relay domain → relay, for anyone.
//  5. Any other domain → relay only for a trusted client network or an authenticated
//     identity whose account may relay; else 550 5.7.1. Authenticated alone never relays.
//  6. Emulation profiles open-relay and auth-implies-relay flip rule 5's denial, in one
//     marked block, with a reason that names the profile.
#include "harness/policy/policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(AsAbsl(s)); }

// Client-supplied text in a reason: one printable line, bounded.
std::string Printable(std::string_view text) {
  constexpr size_t kMax = 256;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : text[i]);
  }
  if (text.size() > kMax) {
    out += "...";
  }
  return out;
}

// Parses "<x@entry>" with the address parser, so config and envelope share one notion of a
// domain and one canonical form for literals. Fails unless `entry` is exactly the domain.
std::optional<Mailbox> ParseDomainEntry(std::string_view entry) {
  if (entry.empty()) {
    return std::nullopt;
  }
  absl::StatusOr<Path> path = ParsePath(absl::StrCat("<x@", AsAbsl(entry), ">"), AddressOptions{});
  if (!path.ok() || path->kind != Path::Kind::kMailbox || !path->source_route.empty() ||
      path->mailbox.local_part != "x" || path->mailbox.domain != entry) {
    return std::nullopt;
  }
  return path->mailbox;
}

// The routing-domain form of a config entry: names lower-cased, literals canonical. Empty
// (never matches a routing domain) when a literal does not parse.
std::string CanonicalEntry(std::string_view entry) {
  if (entry.empty() || entry.front() != '[') {
    return Lower(entry);
  }
  const std::optional<Mailbox> mailbox = ParseDomainEntry(entry);
  return mailbox ? mailbox->RoutingDomain() : std::string();
}

bool InDomainList(const std::string& routing, const std::vector<std::string>& list) {
  if (routing.empty()) {
    return false;
  }
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& entry) { return CanonicalEntry(entry) == routing; });
}

std::string PrimaryLocalDomain(const PolicyConfig& config) {
  return config.local_domains.empty() ? std::string() : config.local_domains.front();
}

Decision Make(Disposition disposition, int code, std::string_view enhanced, std::string reason,
              std::string routing_domain) {
  Decision d;
  d.disposition = disposition;
  d.code = code;
  d.enhanced = std::string(enhanced);
  d.reason = std::move(reason);
  d.routing_domain = std::move(routing_domain);
  return d;
}

// --- IP networks (inet_pton only: no socket) ---

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
};

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

// "::ffff:a.b.c.d" → a.b.c.d (a dual-stack listener reports IPv4 clients this way).
std::optional<IpAddress> MappedIpv4(const IpAddress& ip) {
  static constexpr unsigned char kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip.family != AF_INET6 || std::memcmp(ip.bytes, kPrefix, sizeof(kPrefix)) != 0) {
    return std::nullopt;
  }
  IpAddress v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes, ip.bytes + 12, 4);
  return v4;
}

struct Network {
  IpAddress base;
  int prefix = 0;
};

absl::StatusOr<Network> ParseNetwork(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  const std::optional<IpAddress> base = ParseIp(address);
  if (!base) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(Printable(address)), "\" is not an IPv4 or IPv6 address"));
  }
  const int max = base->family == AF_INET ? 32 : 128;
  Network network{*base, max};
  if (slash == text.npos) {
    return network;  // a bare address: one host
  }
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length \"", AsAbsl(Printable(digits)), "\" is not a number"));
  }
  int prefix = 0;
  for (char c : digits) {
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length ", prefix, " out of range 0..", max));
  }
  network.prefix = prefix;
  return network;
}

bool PrefixMatches(const IpAddress& ip, const Network& network) {
  if (ip.family != network.base.family) {
    return false;
  }
  const int full = network.prefix / 8;
  if (std::memcmp(ip.bytes, network.base.bytes, static_cast<size_t>(full)) != 0) {
    return false;
  }
  const int rest = network.prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == (network.base.bytes[full] & mask);
}

// The trusted network the client is in, or nullptr.
const std::string* TrustedNetworkOf(std::string_view client, const PolicyConfig& config) {
  for (const std::string& entry : config.trusted_networks) {
    if (AddressInNetwork(client, entry)) {
      return &entry;
    }
  }
  return nullptr;
}

// Why the session is not authorized to relay, for the reason text.
std::string RelayRefusal(const SessionFacts& facts, const UserAccount* account) {
  if (!facts.authenticated) {
    return "not authenticated";
  }
  if (account == nullptr) {
    return absl::StrCat("authenticated as ", AsAbsl(Printable(facts.identity)),
                        ", who has no account");
  }
  return absl::StrCat("authenticated as ", AsAbsl(Printable(facts.identity)),
                      ", who may not relay");
}

bool SenderOwned(const Mailbox& sender, const UserAccount& account, const PolicyConfig& config) {
  const std::string routing = sender.RoutingDomain();
  if (routing.empty()) {
    return false;
  }
  const std::string content = sender.LocalPartContent();
  for (const std::string& entry : account.allowed_senders) {
    if (!entry.empty() && entry.front() == '@') {
      if (CanonicalEntry(std::string_view(entry).substr(1)) == routing) {
        return true;
      }
      continue;
    }
    // "alice@example.test", or "alice" (in the primary local domain): parsed like an
    // envelope address, local part compared exactly, domain in routing form.
    absl::StatusOr<Path> owned = ParsePath(entry, AddressOptions{});
    if (!owned.ok() || owned->kind != Path::Kind::kMailbox) {
      continue;
    }
    CompleteDomain(*owned, PrimaryLocalDomain(config));
    if (owned->mailbox.LocalPartContent() == content && owned->mailbox.RoutingDomain() == routing) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view DispositionName(Disposition disposition) {
  switch (disposition) {
    case Disposition::kDeliverLocal:
      return "deliver-local";
    case Disposition::kRelay:
      return "relay";
    case Disposition::kNdr:
      return "ndr";
    case Disposition::kReject:
      return "reject";
  }
  return "reject";
}

bool AddressInNetwork(std::string_view client_address, std::string_view network) {
  const absl::StatusOr<Network> parsed = ParseNetwork(network);
  const std::optional<IpAddress> client = ParseIp(client_address);
  if (!parsed.ok() || !client) {
    return false;
  }
  if (PrefixMatches(*client, *parsed)) {
    return true;
  }
  const std::optional<IpAddress> v4 = MappedIpv4(*client);
  return v4 && PrefixMatches(*v4, *parsed);
}

Decision DecideSender(const SessionFacts& facts, const Path& sender, const UserDirectory& users,
                      const PolicyConfig& config) {
  if (sender.kind == Path::Kind::kNull) {
    return Make(Disposition::kDeliverLocal, 250, "2.1.0",
                "null sender accepted (notifications are owned by no user)", "");
  }
  Path path = sender;
  if (path.kind == Path::Kind::kPostmaster) {  // not produced for MAIL; treat as "postmaster"
    path.kind = Path::Kind::kMailbox;
    path.mailbox = Mailbox{"postmaster", false, "", DomainKind::kNone};
  }
  CompleteDomain(path, PrimaryLocalDomain(config));
  const std::string routing = path.mailbox.RoutingDomain();
  const std::string shown = Printable(path.mailbox.ToString());

  if (config.sender_login_match && facts.authenticated) {
    const UserAccount* account = users.Find(facts.identity);
    if (account == nullptr || !SenderOwned(path.mailbox, *account, config)) {
      return Make(Disposition::kReject, 553, "5.7.1",
                  absl::StrCat("sender <", AsAbsl(shown), "> not owned by user ",
                               AsAbsl(Printable(facts.identity)),
                               account == nullptr ? " (no such account)" : ""),
                  routing);
    }
    return Make(Disposition::kDeliverLocal, 250, "2.1.0",
                absl::StrCat("sender <", AsAbsl(shown), "> owned by user ",
                             AsAbsl(Printable(facts.identity))),
                routing);
  }
  return Make(Disposition::kDeliverLocal, 250, "2.1.0",
              absl::StrCat("sender <", AsAbsl(shown),
                           "> accepted (senders are not restricted; RCPT decides relaying)"),
              routing);
}

Decision DecideRecipient(const SessionFacts& facts, const Path& recipient,
                         const UserDirectory& users, const PolicyConfig& config) {
  const std::string primary = PrimaryLocalDomain(config);

  // Rule 1: <Postmaster> without a domain is always accepted.
  if (recipient.kind == Path::Kind::kPostmaster) {
    Path postmaster;
    postmaster.mailbox = Mailbox{"postmaster", false, "", DomainKind::kNone};
    CompleteDomain(postmaster, primary);
    return Make(Disposition::kDeliverLocal, 250, "2.1.5",
                "postmaster is always accepted (RFC 5321 4.5.1)",
                postmaster.mailbox.RoutingDomain());
  }
  if (recipient.kind == Path::Kind::kNull) {
    return Make(Disposition::kReject, 553, "5.1.3", "the null path <> is not a recipient", "");
  }

  // Rule 2: complete a domain-less mailbox with the primary local domain.
  Path path = recipient;
  CompleteDomain(path, primary);
  const Mailbox& mailbox = path.mailbox;

  // Rule 3: the routing domain is the only domain that matters.
  const std::string routing = mailbox.RoutingDomain();
  const std::string user = Lower(mailbox.LocalPartContent());
  const std::string shown = Printable(mailbox.ToString());
  if (routing.empty()) {
    // Domain-less and no local domain to complete it: it can only be local, and there is
    // no local domain, so there is no such user. Never relayed.
    return Make(Disposition::kReject, 550, "5.1.1",
                absl::StrCat("unknown user: <", AsAbsl(shown),
                             "> has no domain and no local domain is configured"),
                "");
  }
  if (InDomainList(routing, config.local_domains) || InDomainList(routing, config.local_literals)) {
    const bool known = user == "postmaster" ||
                       std::any_of(config.local_mailboxes.begin(), config.local_mailboxes.end(),
                                   [&](const std::string& m) { return Lower(m) == user; });
    if (known) {
      return Make(Disposition::kDeliverLocal, 250, "2.1.5",
                  absl::StrCat("local recipient <", AsAbsl(shown), ">: ", AsAbsl(routing),
                               " is a local domain"),
                  routing);
    }
    if (config.recipient_filtering) {
      return Make(Disposition::kReject, 550, "5.1.1",
                  absl::StrCat("unknown user: no local mailbox \"", AsAbsl(Printable(user)),
                               "\" at ", AsAbsl(routing), " (local domain, never relayed)"),
                  routing);
    }
    return Make(
        Disposition::kNdr, 250, "2.1.5",
        absl::StrCat("unknown local user \"", AsAbsl(Printable(user)), "\" at ", AsAbsl(routing),
                     ": accepted and will be bounced (NDR), not relayed "
                     "(recipient filtering off)"),
        routing);
  }

  // Rule 4: domains we relay for anyone.
  if (InDomainList(routing, config.relay_domains)) {
    return Make(Disposition::kRelay, 250, "2.1.5",
                absl::StrCat("relay allowed: ", AsAbsl(routing),
                             " is a relay domain (relayed for any client)"),
                routing);
  }

  // Rule 5: a remote domain needs authorization, never mere authentication (MS02-011).
  if (const std::string* network = TrustedNetworkOf(facts.client_address, config)) {
    return Make(Disposition::kRelay, 250, "2.1.5",
                absl::StrCat("relay allowed: ", AsAbsl(routing), " is not a local domain; client ",
                             AsAbsl(Printable(facts.client_address)), " is in trusted network ",
                             AsAbsl(*network)),
                routing);
  }
  const UserAccount* account = facts.authenticated ? users.Find(facts.identity) : nullptr;
  if (facts.authenticated && account != nullptr && account->may_relay) {
    return Make(Disposition::kRelay, 250, "2.1.5",
                absl::StrCat("relay allowed: ", AsAbsl(routing),
                             " is not a local domain; authenticated as ",
                             AsAbsl(Printable(facts.identity)), ", who may relay"),
                routing);
  }
  const std::string refusal = RelayRefusal(facts, account);

  // ---- Rule 6: EMULATION PROFILE DEVIATIONS (deliberate flaws; the only place) ----------
  switch (config.profile) {
    case Profile::kOpenRelay:
      return Make(Disposition::kRelay, 250, "2.1.5",
                  absl::StrCat("profile open-relay: relaying to ", AsAbsl(routing),
                               " for anyone (deliberate flaw; secure policy would deny: ",
                               AsAbsl(refusal), ")"),
                  routing);
    case Profile::kAuthImpliesRelay:
      if (facts.authenticated) {
        return Make(Disposition::kRelay, 250, "2.1.5",
                    absl::StrCat("profile auth-implies-relay: relaying to ", AsAbsl(routing),
                                 " because the session authenticated (deliberate MS02-011 flaw; "
                                 "secure policy would deny: ",
                                 AsAbsl(refusal), ")"),
                    routing);
      }
      break;
    case Profile::kSecure:
    case Profile::kMs02012:
    case Profile::kBareLfEod:
    case Profile::kNullSessionAuth:
    case Profile::kPerConnectionCrash:
    case Profile::kStrict:
      break;
  }
  // ---- end of profile deviations ----------------------------------------------------------

  return Make(Disposition::kReject, 550, "5.7.1",
              absl::StrCat("relay denied: ", AsAbsl(routing),
                           " is not a local domain and the session is not authorized to relay (",
                           AsAbsl(refusal), ")"),
              routing);
}

absl::Status ValidatePolicyConfig(const PolicyConfig& config) {
  const auto bad = [](std::string_view field, size_t index, std::string_view entry,
                      std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), "[", index, "] \"",
                                                   AsAbsl(Printable(entry)), "\": ", AsAbsl(why)));
  };
  const auto check_domains = [&](std::string_view field, const std::vector<std::string>& list,
                                 bool literal_only) -> absl::Status {
    for (size_t i = 0; i < list.size(); ++i) {
      const std::optional<Mailbox> mailbox = ParseDomainEntry(list[i]);
      if (!mailbox) {
        return bad(field, i, list[i],
                   "not a valid domain or address literal (RFC 5321 4.1.2; no trailing dot)");
      }
      if (literal_only && mailbox->domain_kind != DomainKind::kIpv4Literal &&
          mailbox->domain_kind != DomainKind::kIpv6Literal &&
          mailbox->domain_kind != DomainKind::kGeneralLiteral) {
        return bad(field, i, list[i], "not an address literal such as \"[192.0.2.1]\"");
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check_domains("local_domains", config.local_domains, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = check_domains("relay_domains", config.relay_domains, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = check_domains("local_literals", config.local_literals, true); !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < config.trusted_networks.size(); ++i) {
    const absl::StatusOr<Network> network = ParseNetwork(config.trusted_networks[i]);
    if (!network.ok()) {
      return bad("trusted_networks", i, config.trusted_networks[i],
                 AsStd(network.status().message()));
    }
  }
  for (size_t i = 0; i < config.local_mailboxes.size(); ++i) {
    const std::string& name = config.local_mailboxes[i];
    const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u > 0x20 && u < 0x7f;
    });
    if (name.empty() || !printable || name.find('@') != name.npos) {
      return bad("local_mailboxes", i, name,
                 "a local part without '@', spaces or control characters is expected");
    }
  }
  return absl::OkStatus();
}

}  // namespace smtpgate
