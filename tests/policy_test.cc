// Relay policy, sender policy, trusted networks, config validation and the tar pit.
#include "harness/policy/policy.h"

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "harness/core/address.h"
#include "harness/core/profile.h"
#include "harness/policy/tarpit.h"
#include "harness/policy/user_directory.h"

namespace smtpgate {
namespace {

constexpr std::string_view kRemoteClient = "203.0.113.9";

enum class Who { kAnonymous, kGuest, kRelayer, kGhost, kUnauthenticatedRelayerIdentity };

SessionFacts FactsFor(Who who, std::string_view client = kRemoteClient) {
  SessionFacts facts;
  facts.client_address = std::string(client);
  switch (who) {
    case Who::kAnonymous:
      break;
    case Who::kGuest:
      facts.authenticated = true;
      facts.identity = "guest";
      break;
    case Who::kRelayer:
      facts.authenticated = true;
      facts.identity = "relayer";
      break;
    case Who::kGhost:  // authenticated, but the identity has no account
      facts.authenticated = true;
      facts.identity = "ghost";
      break;
    case Who::kUnauthenticatedRelayerIdentity:  // an identity without AUTH counts for nothing
      facts.identity = "relayer";
      break;
  }
  return facts;
}

UserDirectory DemoUsers() {
  UserDirectory users;
  users.Add({"relayer", "relayer-pass", true, {"relayer@example.test"}, {}});
  users.Add({"guest", "guest-pass", false, {"guest@example.test"}, {}});
  users.Add({"domainowner", "pw", false, {"@example.test"}, {}});
  users.Add({"bare", "pw", false, {"bare"}, {}});
  return users;
}

PolicyConfig DemoConfig() {
  PolicyConfig config;
  config.local_domains = {"example.test", "other.example"};
  config.relay_domains = {"backup.test"};
  config.local_literals = {"[127.0.0.1]"};
  config.local_mailboxes = {"alice", "bob"};
  return config;
}

// Forward paths as the session parses them (KB 304897 lenience: unbracketed, domain-less).
Path Parse(std::string_view text) {
  absl::StatusOr<Path> path = ParsePath(text, AddressOptions{});
  EXPECT_TRUE(path.ok()) << text << ": " << path.status();
  return path.ok() ? *path : Path{};
}

Path ParseReverse(std::string_view text) {
  AddressOptions options;
  options.reverse_path = true;
  absl::StatusOr<Path> path = ParsePath(text, options);
  EXPECT_TRUE(path.ok()) << text << ": " << path.status();
  return path.ok() ? *path : Path{};
}

void ExpectWellFormed(const Decision& d) {
  EXPECT_FALSE(d.reason.empty());
  EXPECT_EQ(d.reason.find_first_of("\r\n"), std::string::npos) << d.reason;
  EXPECT_GE(d.code, 200);
  EXPECT_LE(d.code, 599);
  ASSERT_FALSE(d.enhanced.empty());
  EXPECT_EQ(d.enhanced[0], static_cast<char>('0' + d.code / 100)) << d.code << " " << d.enhanced;
  EXPECT_EQ(d.allowed(), d.code / 100 == 2) << d.code;
}

// ---------------------------------------------------------------------------------------
// DecideRecipient: one table. Empty `reason_has` means "do not check the text".

struct RcptCase {
  std::string name;
  std::string rcpt;
  Who who = Who::kAnonymous;
  Disposition want = Disposition::kReject;
  int code = 550;
  std::string enhanced = "5.7.1";
  std::string routing;
  std::string reason_has;
  Profile profile = Profile::kSecure;
  bool filtering = true;
  std::string client = std::string(kRemoteClient);
  std::vector<std::string> trusted = {};
};

std::ostream& operator<<(std::ostream& os, const RcptCase& c) { return os << c.name; }

constexpr Disposition kLocal = Disposition::kDeliverLocal;
constexpr Disposition kRelay = Disposition::kRelay;
constexpr Disposition kNdr = Disposition::kNdr;
constexpr Disposition kReject = Disposition::kReject;

std::vector<RcptCase> RecipientCases() {
  const std::string relay_denied = "relay denied: remote.invalid is not a local domain";
  return {
      // KB 304897 tests 1-5: anonymous, remote recipient → 550 5.7.1 at RCPT.
      {"kb304897_1_remote_to_remote", "<victim@remote2.invalid>", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote2.invalid", "not authenticated"},
      {"kb304897_2_unqualified_sender", "victim@remote.invalid", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote.invalid", relay_denied},
      {"kb304897_3_null_sender", "<victim@remote.invalid>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied},
      {"kb304897_4_local_sender", "<user@remote.invalid>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied},
      {"kb304897_5_literal_sender", "<user@remote.invalid>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied},
      // KB 304897 tests 6 and 7: completed with the local domain, never relayed.
      {"kb304897_6_percent_hack", "user%remote.invalid", Who::kAnonymous, kReject, 550, "5.1.1",
       "example.test", "unknown user"},
      {"kb304897_7_quoted_local_part", "\"user@remote.invalid\"", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"kb304897_6_no_filtering_ndr", "user%remote.invalid", Who::kAnonymous, kNdr, 250, "2.1.5",
       "example.test", "not relayed", Profile::kSecure, false},
      {"kb304897_7_no_filtering_ndr", "\"user@remote.invalid\"", Who::kAnonymous, kNdr, 250,
       "2.1.5", "example.test", "bounced", Profile::kSecure, false},
      // KB 304897 6/7 even for a session that may relay: still local.
      {"kb304897_6_relayer_still_local", "user%remote.invalid", Who::kRelayer, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"kb304897_7_trusted_still_local",
       "\"user@remote.invalid\"",
       Who::kAnonymous,
       kReject,
       550,
       "5.1.1",
       "example.test",
       "unknown user",
       Profile::kSecure,
       true,
       "192.0.2.1",
       {"192.0.2.0/24"}},
      // nmap smtp-open-relay forms that parse (9 and 11 are syntax errors, see below).
      {"nmap_01_to_remote", "<to@remote.invalid>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied},
      {"nmap_05_percent_at_literal", "<to%remote.invalid@[127.0.0.1]>", Who::kAnonymous, kReject,
       550, "5.1.1", "[127.0.0.1]", "unknown user"},
      {"nmap_06_percent_at_srv", "<to%remote.invalid@example.test>", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"nmap_07_quoted_at", "<\"to@remote.invalid\">", Who::kAnonymous, kReject, 550, "5.1.1",
       "example.test", "unknown user"},
      {"nmap_08_quoted_percent", "<\"to%remote.invalid\">", Who::kAnonymous, kReject, 550, "5.1.1",
       "example.test", "unknown user"},
      {"nmap_10_quoted_at_literal", "<\"to@remote.invalid\"@[127.0.0.1]>", Who::kAnonymous, kReject,
       550, "5.1.1", "[127.0.0.1]", "unknown user"},
      {"nmap_12_source_route_literal", "<@[127.0.0.1]:to@remote.invalid>", Who::kAnonymous, kReject,
       550, "5.7.1", "remote.invalid", relay_denied},
      {"nmap_13_source_route_srv", "<@example.test:to@remote.invalid>", Who::kAnonymous, kReject,
       550, "5.7.1", "remote.invalid", relay_denied},
      {"nmap_14_bang_path", "<remote.invalid!to>", Who::kAnonymous, kReject, 550, "5.1.1",
       "example.test", "unknown user"},
      {"nmap_15_bang_at_literal", "<remote.invalid!to@[127.0.0.1]>", Who::kAnonymous, kReject, 550,
       "5.1.1", "[127.0.0.1]", "unknown user"},
      {"nmap_16_bang_at_srv", "<remote.invalid!to@example.test>", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"nmap_05_no_filtering_ndr", "<to%remote.invalid@[127.0.0.1]>", Who::kAnonymous, kNdr, 250,
       "2.1.5", "[127.0.0.1]", "not relayed", Profile::kSecure, false},
      // Variants no scanner tries.
      {"uppercase_remote_domain", "<to@REMOTE.INVALID>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied},
      {"multi_hop_source_route", "<@a.example.test,@b.example.test:to@remote.invalid>",
       Who::kAnonymous, kReject, 550, "5.7.1", "remote.invalid", relay_denied},
      {"double_bang_local", "<example.test!remote.invalid!to>", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"imcea_encapsulated", "<\"IMCEASMTP-to+40remote+2Einvalid\">", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"unbracketed_ip_is_a_name_not_the_literal", "<to@127.0.0.1>", Who::kAnonymous, kReject, 550,
       "5.7.1", "127.0.0.1", "not authorized to relay"},
      {"other_literal_is_remote", "<alice@[192.0.2.99]>", Who::kAnonymous, kReject, 550, "5.7.1",
       "[192.0.2.99]", "not authorized to relay"},
      {"subdomain_of_local_is_remote", "<alice@sub.example.test>", Who::kAnonymous, kReject, 550,
       "5.7.1", "sub.example.test", "not a local domain"},
      // Postmaster (RFC 5321 4.5.1).
      {"postmaster_bare", "<Postmaster>", Who::kAnonymous, kLocal, 250, "2.1.5", "example.test",
       "RFC 5321 4.5.1"},
      {"postmaster_bare_lowercase", "<postmaster>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "RFC 5321 4.5.1"},
      {"postmaster_at_local", "<postmaster@example.test>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      {"postmaster_at_literal_mixed_case", "<PostMaster@[127.0.0.1]>", Who::kAnonymous, kLocal, 250,
       "2.1.5", "[127.0.0.1]", "local recipient"},
      {"postmaster_at_remote_refused", "<postmaster@remote.invalid>", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote.invalid", relay_denied},
      // Local recipients.
      {"local_known_user", "<alice@example.test>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      {"local_second_domain", "<bob@other.example>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "other.example", "local recipient"},
      {"local_case_insensitive", "<ALICE@Example.TEST>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      {"local_quoted_known_user", "<\"alice\"@example.test>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      {"local_domainless_known_user", "alice", Who::kAnonymous, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      {"local_literal_known_user", "<bob@[127.0.0.1]>", Who::kAnonymous, kLocal, 250, "2.1.5",
       "[127.0.0.1]", "local recipient"},
      {"local_unknown_user_filtering", "<nobody@example.test>", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user"},
      {"local_unknown_user_no_filtering", "<nobody@example.test>", Who::kAnonymous, kNdr, 250,
       "2.1.5", "example.test", "will be bounced", Profile::kSecure, false},
      // Authentication is not authorization (MS02-011).
      {"guest_may_not_relay", "<to@remote.invalid>", Who::kGuest, kReject, 550, "5.7.1",
       "remote.invalid", "authenticated as guest, who may not relay"},
      {"relayer_relays", "<to@remote.invalid>", Who::kRelayer, kRelay, 250, "2.1.5",
       "remote.invalid", "authenticated as relayer, who may relay"},
      {"unknown_identity_denied", "<to@remote.invalid>", Who::kGhost, kReject, 550, "5.7.1",
       "remote.invalid", "ghost, who has no account"},
      {"identity_without_auth_denied", "<to@remote.invalid>", Who::kUnauthenticatedRelayerIdentity,
       kReject, 550, "5.7.1", "remote.invalid", "not authenticated"},
      {"guest_local_delivery_fine", "<alice@example.test>", Who::kGuest, kLocal, 250, "2.1.5",
       "example.test", "local recipient"},
      // Relay domains: for anyone, exact domain only.
      {"relay_domain_anonymous", "<to@backup.test>", Who::kAnonymous, kRelay, 250, "2.1.5",
       "backup.test", "relay domain"},
      {"relay_domain_uppercase", "<to@BACKUP.Test>", Who::kAnonymous, kRelay, 250, "2.1.5",
       "backup.test", "relay domain"},
      {"relay_domain_subdomain_is_remote", "<to@sub.backup.test>", Who::kAnonymous, kReject, 550,
       "5.7.1", "sub.backup.test", "not authorized"},
      // Trusted networks.
      {"trusted_ipv4_inside",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kRelay,
       250,
       "2.1.5",
       "remote.invalid",
       "trusted network 192.0.2.0/24",
       Profile::kSecure,
       true,
       "192.0.2.77",
       {"192.0.2.0/24"}},
      {"trusted_ipv4_outside",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kReject,
       550,
       "5.7.1",
       "remote.invalid",
       relay_denied,
       Profile::kSecure,
       true,
       "192.0.3.1",
       {"192.0.2.0/24"}},
      {"trusted_ipv6_loopback",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kRelay,
       250,
       "2.1.5",
       "remote.invalid",
       "trusted network ::1/128",
       Profile::kSecure,
       true,
       "::1",
       {"::1/128"}},
      {"trusted_ipv6_inside",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kRelay,
       250,
       "2.1.5",
       "remote.invalid",
       "trusted network",
       Profile::kSecure,
       true,
       "2001:db8:1::5",
       {"2001:db8::/32"}},
      {"trusted_ipv6_outside",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kReject,
       550,
       "5.7.1",
       "remote.invalid",
       relay_denied,
       Profile::kSecure,
       true,
       "2001:db9::1",
       {"2001:db8::/32"}},
      {"trusted_ipv4_mapped_client",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kRelay,
       250,
       "2.1.5",
       "remote.invalid",
       "trusted network",
       Profile::kSecure,
       true,
       "::ffff:192.0.2.5",
       {"192.0.2.0/24"}},
      {"trusted_v4_entry_does_not_match_v6_client",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kReject,
       550,
       "5.7.1",
       "remote.invalid",
       relay_denied,
       Profile::kSecure,
       true,
       "::1",
       {"127.0.0.0/8"}},
      {"trusted_malformed_prefix_never_matches",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kReject,
       550,
       "5.7.1",
       "remote.invalid",
       relay_denied,
       Profile::kSecure,
       true,
       "192.0.2.1",
       {"192.0.2.0/33", "192.0.2.0/", "bogus", "192.0.2.0/-1"}},
      {"trusted_malformed_client_never_matches",
       "<to@remote.invalid>",
       Who::kAnonymous,
       kReject,
       550,
       "5.7.1",
       "remote.invalid",
       relay_denied,
       Profile::kSecure,
       true,
       "192.0.2.1:25",
       {"192.0.2.0/24"}},
      {"loopback_not_trusted_by_default", "<to@remote.invalid>", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote.invalid", relay_denied, Profile::kSecure, true, "127.0.0.1"},
      // Profiles: each flips only its own case.
      {"open_relay_anonymous_allowed", "<to@remote.invalid>", Who::kAnonymous, kRelay, 250, "2.1.5",
       "remote.invalid", "profile open-relay:", Profile::kOpenRelay},
      {"open_relay_local_unknown_unchanged", "<nobody@example.test>", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user", Profile::kOpenRelay},
      {"open_relay_percent_hack_still_local", "user%remote.invalid", Who::kAnonymous, kReject, 550,
       "5.1.1", "example.test", "unknown user", Profile::kOpenRelay},
      {"open_relay_relayer_normal_reason", "<to@remote.invalid>", Who::kRelayer, kRelay, 250,
       "2.1.5", "remote.invalid", "who may relay", Profile::kOpenRelay},
      {"auth_implies_relay_guest_allowed", "<to@remote.invalid>", Who::kGuest, kRelay, 250, "2.1.5",
       "remote.invalid", "profile auth-implies-relay:", Profile::kAuthImpliesRelay},
      {"auth_implies_relay_ghost_allowed", "<to@remote.invalid>", Who::kGhost, kRelay, 250, "2.1.5",
       "remote.invalid", "profile auth-implies-relay:", Profile::kAuthImpliesRelay},
      {"auth_implies_relay_anonymous_denied", "<to@remote.invalid>", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote.invalid", relay_denied, Profile::kAuthImpliesRelay},
      {"auth_implies_relay_relayer_normal_reason", "<to@remote.invalid>", Who::kRelayer, kRelay,
       250, "2.1.5", "remote.invalid", "who may relay", Profile::kAuthImpliesRelay},
      {"ms02012_guest_denied", "<to@remote.invalid>", Who::kGuest, kReject, 550, "5.7.1",
       "remote.invalid", "who may not relay", Profile::kMs02012},
      {"ms02012_anonymous_denied", "<to@remote.invalid>", Who::kAnonymous, kReject, 550, "5.7.1",
       "remote.invalid", relay_denied, Profile::kMs02012},
      {"bare_lf_eod_guest_denied", "<to@remote.invalid>", Who::kGuest, kReject, 550, "5.7.1",
       "remote.invalid", "who may not relay", Profile::kBareLfEod},
      {"bare_lf_eod_anonymous_denied", "<to@remote.invalid>", Who::kAnonymous, kReject, 550,
       "5.7.1", "remote.invalid", relay_denied, Profile::kBareLfEod},
  };
}

class RecipientTest : public testing::TestWithParam<RcptCase> {};

TEST_P(RecipientTest, Decides) {
  const RcptCase& c = GetParam();
  PolicyConfig config = DemoConfig();
  config.profile = c.profile;
  config.recipient_filtering = c.filtering;
  config.trusted_networks = c.trusted;
  const Path path = Parse(c.rcpt);
  const Decision d = DecideRecipient(FactsFor(c.who, c.client), path, DemoUsers(), config);
  EXPECT_EQ(DispositionName(d.disposition), DispositionName(c.want)) << d.reason;
  EXPECT_EQ(d.code, c.code) << d.reason;
  EXPECT_EQ(d.enhanced, c.enhanced) << d.reason;
  EXPECT_EQ(d.routing_domain, c.routing) << d.reason;
  if (!c.reason_has.empty()) {
    EXPECT_NE(d.reason.find(c.reason_has), std::string::npos) << d.reason;
  }
  ExpectWellFormed(d);
}

INSTANTIATE_TEST_SUITE_P(Table, RecipientTest, testing::ValuesIn(RecipientCases()),
                         [](const testing::TestParamInfo<RcptCase>& param_info) {
                           return param_info.param.name;
                         });

// The invariant the fuzzers check: a recipient whose routing domain is local is never
// relayed, and a remote one is relayed only with authorization (or a deviating profile).
TEST(RecipientInvariantTest, LocalRoutingDomainIsNeverRelayed) {
  for (const RcptCase& c : RecipientCases()) {
    PolicyConfig config = DemoConfig();
    config.profile = c.profile;
    config.recipient_filtering = c.filtering;
    config.trusted_networks = c.trusted;
    const Decision d =
        DecideRecipient(FactsFor(c.who, c.client), Parse(c.rcpt), DemoUsers(), config);
    const bool local = d.routing_domain == "example.test" || d.routing_domain == "other.example" ||
                       d.routing_domain == "[127.0.0.1]";
    if (local) {
      EXPECT_NE(d.disposition, Disposition::kRelay) << c.name;
    }
    if (d.disposition == Disposition::kRelay && c.profile == Profile::kSecure) {
      EXPECT_TRUE(c.who == Who::kRelayer || !c.trusted.empty() || d.routing_domain == "backup.test")
          << c.name << ": " << d.reason;
    }
  }
}

// ms02-012 and bare-lf-eod are session / receiver flaws: policy must be byte-for-byte the
// secure one. open-relay and auth-implies-relay may only turn a 5.7.1 denial into a relay.
TEST(ProfileTest, EachProfileChangesOnlyItsCase) {
  const std::vector<Who> everyone = {Who::kAnonymous, Who::kGuest, Who::kRelayer, Who::kGhost,
                                     Who::kUnauthenticatedRelayerIdentity};
  for (const RcptCase& c : RecipientCases()) {
    for (Who who : everyone) {
      PolicyConfig config = DemoConfig();
      config.recipient_filtering = c.filtering;
      config.trusted_networks = c.trusted;
      const SessionFacts facts = FactsFor(who, c.client);
      const Path path = Parse(c.rcpt);
      const Decision secure = DecideRecipient(facts, path, DemoUsers(), config);
      for (Profile profile : kAllProfiles) {
        config.profile = profile;
        const Decision d = DecideRecipient(facts, path, DemoUsers(), config);
        const std::string where = c.name + " / " + std::string(ProfileName(profile));
        EXPECT_EQ(d.routing_domain, secure.routing_domain) << where;
        const bool flips = secure.enhanced == "5.7.1" &&
                           (profile == Profile::kOpenRelay ||
                            (profile == Profile::kAuthImpliesRelay && facts.authenticated));
        if (flips) {
          EXPECT_EQ(d.disposition, Disposition::kRelay) << where;
          EXPECT_EQ(d.reason.rfind("profile " + std::string(ProfileName(profile)) + ": ", 0), 0u)
              << where << ": " << d.reason;
        } else {
          EXPECT_EQ(d.disposition, secure.disposition) << where;
          EXPECT_EQ(d.code, secure.code) << where;
          EXPECT_EQ(d.enhanced, secure.enhanced) << where;
          EXPECT_EQ(d.reason, secure.reason) << where;
        }
      }
    }
  }
}

// nmap forms 9 and 11 (two unquoted '@') never reach policy: the parser refuses them.
TEST(RecipientTest, DoubleAtFormsAreSyntaxErrors) {
  for (std::string_view text :
       {"<to@remote.invalid@[127.0.0.1]>", "<to@remote.invalid@example.test>"}) {
    EXPECT_FALSE(ParsePath(text, AddressOptions{}).ok()) << text;
  }
}

TEST(RecipientTest, HandBuiltPathsDecideOnTheMailboxDomainOnly) {
  // A source route naming the remote domain with a local mailbox: local.
  Path path;
  path.source_route = {"remote.invalid"};
  path.mailbox = Mailbox{"alice", false, "example.test", DomainKind::kName};
  Decision d = DecideRecipient(FactsFor(Who::kAnonymous), path, DemoUsers(), DemoConfig());
  EXPECT_EQ(d.disposition, Disposition::kDeliverLocal) << d.reason;
  EXPECT_EQ(d.routing_domain, "example.test");

  // The caller's path is not modified by completion.
  Path domainless;
  domainless.mailbox = Mailbox{"user%remote.invalid", false, "", DomainKind::kNone};
  const Path before = domainless;
  d = DecideRecipient(FactsFor(Who::kRelayer), domainless, DemoUsers(), DemoConfig());
  EXPECT_EQ(domainless, before);
  EXPECT_EQ(d.disposition, Disposition::kReject);
  EXPECT_EQ(d.enhanced, "5.1.1");
  EXPECT_EQ(d.routing_domain, "example.test");
}

TEST(RecipientTest, LiteralsCompareInCanonicalForm) {
  PolicyConfig config = DemoConfig();
  config.local_literals = {"[IPv6:::1]", "[127.0.0.1]"};
  const Decision d = DecideRecipient(FactsFor(Who::kAnonymous),
                                     Parse("<alice@[IPv6:0:0:0:0:0:0:0:1]>"), DemoUsers(), config);
  EXPECT_EQ(d.disposition, Disposition::kDeliverLocal) << d.reason;
  EXPECT_EQ(d.routing_domain, "[ipv6:::1]");
}

TEST(RecipientTest, ConfigDomainsAreCaseInsensitive) {
  PolicyConfig config = DemoConfig();
  config.local_domains = {"Example.TEST"};
  config.relay_domains = {"Backup.Test"};
  config.local_mailboxes = {"Alice"};
  Decision d = DecideRecipient(FactsFor(Who::kAnonymous), Parse("<alice@example.test>"),
                               DemoUsers(), config);
  EXPECT_EQ(d.disposition, Disposition::kDeliverLocal) << d.reason;
  d = DecideRecipient(FactsFor(Who::kAnonymous), Parse("user%remote.invalid"), DemoUsers(), config);
  EXPECT_EQ(d.routing_domain, "example.test") << d.reason;
  EXPECT_EQ(d.enhanced, "5.1.1") << d.reason;
  d = DecideRecipient(FactsFor(Who::kAnonymous), Parse("<x@backup.test>"), DemoUsers(), config);
  EXPECT_EQ(d.disposition, Disposition::kRelay) << d.reason;
}

TEST(RecipientTest, NoLocalDomainDomainlessIsNeverRelayed) {
  PolicyConfig config;
  config.profile = Profile::kOpenRelay;
  const Decision d =
      DecideRecipient(FactsFor(Who::kRelayer), Parse("user%remote.invalid"), DemoUsers(), config);
  EXPECT_EQ(d.disposition, Disposition::kReject) << d.reason;
  EXPECT_EQ(d.code, 550);
  ExpectWellFormed(d);
}

TEST(RecipientTest, NullPathIsNotARecipient) {
  const Decision d =
      DecideRecipient(FactsFor(Who::kRelayer), ParseReverse("<>"), DemoUsers(), DemoConfig());
  EXPECT_EQ(d.disposition, Disposition::kReject);
  EXPECT_EQ(d.code / 100, 5);
  ExpectWellFormed(d);
}

// ---------------------------------------------------------------------------------------
// DecideSender

struct SenderCase {
  std::string name;
  std::string sender;
  Who who;
  bool login_match;
  int code;
  std::string routing;
  std::string reason_has;
};

std::ostream& operator<<(std::ostream& os, const SenderCase& c) { return os << c.name; }

std::vector<SenderCase> SenderCases() {
  return {
      {"null_sender_anonymous", "<>", Who::kAnonymous, false, 250, "", "null sender"},
      {"null_sender_matched_login", "<>", Who::kGuest, true, 250, "", "null sender"},
      {"remote_sender_anonymous", "<user@remote.invalid>", Who::kAnonymous, false, 250,
       "remote.invalid", "RCPT decides"},
      {"unqualified_sender_completed", "localuser", Who::kAnonymous, false, 250, "example.test",
       "localuser@example.test"},
      {"literal_sender", "<user@[127.0.0.1]>", Who::kAnonymous, false, 250, "[127.0.0.1]", ""},
      {"anonymous_not_restricted_by_login_match", "<alice@example.test>", Who::kAnonymous, true,
       250, "example.test", "accepted"},
      {"authenticated_not_restricted_without_login_match", "<alice@example.test>", Who::kGuest,
       false, 250, "example.test", "accepted"},
      {"owner_uses_own_address", "<relayer@example.test>", Who::kRelayer, true, 250, "example.test",
       "owned by user relayer"},
      {"owner_domain_case_insensitive", "<relayer@EXAMPLE.Test>", Who::kRelayer, true, 250,
       "example.test", "owned"},
      {"owner_quoted_local_part", "<\"relayer\"@example.test>", Who::kRelayer, true, 250,
       "example.test", "owned"},
      {"local_part_is_exact", "<RELAYER@example.test>", Who::kRelayer, true, 553, "example.test",
       "not owned by user relayer"},
      {"guest_as_alice_refused", "<alice@example.test>", Who::kGuest, true, 553, "example.test",
       "sender <alice@example.test> not owned by user guest"},
      {"percent_hack_sender_refused", "<relayer%remote.invalid@example.test>", Who::kRelayer, true,
       553, "example.test", "not owned"},
      {"other_domain_refused", "<relayer@remote.invalid>", Who::kRelayer, true, 553,
       "remote.invalid", "not owned"},
      {"unknown_identity_refused", "<ghost@example.test>", Who::kGhost, true, 553, "example.test",
       "no such account"},
      {"relayer_cannot_use_other_local_part", "<anyone@example.test>", Who::kRelayer, true, 553,
       "example.test", "not owned"},
      {"unqualified_owned_sender", "relayer", Who::kRelayer, true, 250, "example.test", "owned"},
  };
}

class SenderTest : public testing::TestWithParam<SenderCase> {};

TEST_P(SenderTest, Decides) {
  const SenderCase& c = GetParam();
  PolicyConfig config = DemoConfig();
  config.sender_login_match = c.login_match;
  const Decision d = DecideSender(FactsFor(c.who), ParseReverse(c.sender), DemoUsers(), config);
  EXPECT_EQ(d.code, c.code) << d.reason;
  EXPECT_EQ(d.enhanced, c.code == 250 ? "2.1.0" : "5.7.1") << d.reason;
  EXPECT_EQ(d.allowed(), c.code == 250);
  EXPECT_EQ(d.routing_domain, c.routing) << d.reason;
  if (!c.reason_has.empty()) {
    EXPECT_NE(d.reason.find(c.reason_has), std::string::npos) << d.reason;
  }
  ExpectWellFormed(d);
}

INSTANTIATE_TEST_SUITE_P(Table, SenderTest, testing::ValuesIn(SenderCases()),
                         [](const testing::TestParamInfo<SenderCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(SenderTest, DomainAndBareEntries) {
  PolicyConfig config = DemoConfig();
  config.sender_login_match = true;
  SessionFacts owner;
  owner.authenticated = true;
  owner.identity = "domainowner";
  EXPECT_EQ(DecideSender(owner, ParseReverse("<anyone@Example.Test>"), DemoUsers(), config).code,
            250);
  EXPECT_EQ(DecideSender(owner, ParseReverse("<x@sub.example.test>"), DemoUsers(), config).code,
            553);
  EXPECT_EQ(DecideSender(owner, ParseReverse("<x@other.example>"), DemoUsers(), config).code, 553);
  SessionFacts bare = owner;
  bare.identity = "bare";  // allowed_senders {"bare"}: bare@<primary local domain>
  EXPECT_EQ(DecideSender(bare, ParseReverse("<bare@example.test>"), DemoUsers(), config).code, 250);
  EXPECT_EQ(DecideSender(bare, ParseReverse("<bare@other.example>"), DemoUsers(), config).code,
            553);
}

// ---------------------------------------------------------------------------------------
// Trusted networks and config validation

struct NetworkCase {
  std::string client;
  std::string network;
  bool inside;
};

class NetworkTest : public testing::TestWithParam<NetworkCase> {};

TEST_P(NetworkTest, Matches) {
  const NetworkCase& c = GetParam();
  EXPECT_EQ(AddressInNetwork(c.client, c.network), c.inside) << c.client << " in " << c.network;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NetworkTest,
    testing::Values(
        NetworkCase{"192.0.2.1", "192.0.2.0/24", true},
        NetworkCase{"192.0.2.255", "192.0.2.0/24", true},
        NetworkCase{"192.0.3.0", "192.0.2.0/24", false},
        NetworkCase{"10.1.2.3", "10.0.0.0/8", true}, NetworkCase{"10.1.2.3", "10.0.0.0/15", true},
        NetworkCase{"10.2.0.0", "10.0.0.0/15", false},
        NetworkCase{"203.0.113.7", "0.0.0.0/0", true},
        NetworkCase{"203.0.113.7", "203.0.113.7", true},
        NetworkCase{"203.0.113.8", "203.0.113.7", false},
        NetworkCase{"203.0.113.7", "203.0.113.7/32", true}, NetworkCase{"::1", "::1/128", true},
        NetworkCase{"::2", "::1/128", false}, NetworkCase{"2001:db8::1", "2001:db8::/32", true},
        NetworkCase{"2001:db8:ffff::1", "2001:db8::/33", false},
        NetworkCase{"::ffff:10.0.0.1", "10.0.0.0/8", true},
        NetworkCase{"::ffff:10.0.0.1", "::ffff:0:0/96", true},
        NetworkCase{"127.0.0.1", "::1/128", false}, NetworkCase{"::1", "127.0.0.0/8", false},
        NetworkCase{"192.0.2.1", "192.0.2.0/33", false}, NetworkCase{"::1", "::/129", false},
        NetworkCase{"192.0.2.1", "192.0.2.0/", false},
        NetworkCase{"192.0.2.1", "192.0.2.0/+8", false},
        NetworkCase{"192.0.2.1", "192.0.2/24", false}, NetworkCase{"192.0.2.1", "", false},
        NetworkCase{"", "0.0.0.0/0", false}, NetworkCase{"localhost", "0.0.0.0/0", false},
        NetworkCase{"[::1]", "::/0", false},
        NetworkCase{std::string("192.0.2.1\0x", 11), "192.0.2.0/24", false}));

TEST(ValidatePolicyConfigTest, AcceptsTheDemoConfig) {
  PolicyConfig config = DemoConfig();
  config.trusted_networks = {"127.0.0.0/8", "::1/128", "192.0.2.7"};
  config.local_literals = {"[127.0.0.1]", "[IPv6:::1]"};
  EXPECT_TRUE(ValidatePolicyConfig(config).ok()) << ValidatePolicyConfig(config);
  EXPECT_TRUE(ValidatePolicyConfig(PolicyConfig{}).ok());
}

struct BadConfigCase {
  std::string name;
  PolicyConfig config;
  std::string message_has;
};

std::ostream& operator<<(std::ostream& os, const BadConfigCase& c) { return os << c.name; }

PolicyConfig With(void (*edit)(PolicyConfig&)) {
  PolicyConfig config = DemoConfig();
  edit(config);
  return config;
}

class BadConfigTest : public testing::TestWithParam<BadConfigCase> {};

TEST_P(BadConfigTest, ReportsTheBadEntry) {
  const absl::Status status = ValidatePolicyConfig(GetParam().config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find(GetParam().message_has), std::string::npos)
      << status;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadConfigTest,
    testing::Values(
        BadConfigCase{"trailing_dot_local_domain",
                      With([](PolicyConfig& c) { c.local_domains = {"example.test."}; }),
                      "local_domains[0] \"example.test.\""},
        BadConfigCase{"empty_relay_domain", With([](PolicyConfig& c) {
                        c.relay_domains = {"ok.test", ""};
                      }),
                      "relay_domains[1]"},
        BadConfigCase{"relay_domain_with_space",
                      With([](PolicyConfig& c) { c.relay_domains = {"bad domain.test"}; }),
                      "relay_domains[0]"},
        BadConfigCase{"literal_without_brackets",
                      With([](PolicyConfig& c) { c.local_literals = {"127.0.0.1"}; }),
                      "local_literals[0] \"127.0.0.1\": not an address literal"},
        BadConfigCase{"bad_literal",
                      With([](PolicyConfig& c) { c.local_literals = {"[300.0.0.1]"}; }),
                      "local_literals[0]"},
        BadConfigCase{"ipv4_prefix_too_long",
                      With([](PolicyConfig& c) { c.trusted_networks = {"10.0.0.0/33"}; }),
                      "trusted_networks[0] \"10.0.0.0/33\": prefix length 33 out of range 0..32"},
        BadConfigCase{"ipv6_prefix_too_long", With([](PolicyConfig& c) {
                        c.trusted_networks = {"::1/128", "::/129"};
                      }),
                      "trusted_networks[1] \"::/129\": prefix length 129 out of range 0..128"},
        BadConfigCase{"prefix_not_a_number",
                      With([](PolicyConfig& c) { c.trusted_networks = {"10.0.0.0/x"}; }),
                      "is not a number"},
        BadConfigCase{"network_not_an_address",
                      With([](PolicyConfig& c) { c.trusted_networks = {"example.test/8"}; }),
                      "is not an IPv4 or IPv6 address"},
        BadConfigCase{"mailbox_with_at",
                      With([](PolicyConfig& c) { c.local_mailboxes = {"alice@example.test"}; }),
                      "local_mailboxes[0]"},
        BadConfigCase{"empty_mailbox", With([](PolicyConfig& c) { c.local_mailboxes = {""}; }),
                      "local_mailboxes[0]"}),
    [](const testing::TestParamInfo<BadConfigCase>& param_info) { return param_info.param.name; });

// ---------------------------------------------------------------------------------------
// Tar pit (KB 842851)

struct TarpitCase {
  std::string name;
  bool authenticated;
  int code;
  std::chrono::milliseconds tarpit;
  std::chrono::milliseconds want;
};

std::ostream& operator<<(std::ostream& os, const TarpitCase& c) { return os << c.name; }

class TarpitTest : public testing::TestWithParam<TarpitCase> {};

TEST_P(TarpitTest, Delay) {
  SessionFacts facts;
  facts.client_address = "203.0.113.9";
  facts.authenticated = GetParam().authenticated;
  if (facts.authenticated) facts.identity = "guest";
  EXPECT_EQ(TarpitDelay(facts, GetParam().code, GetParam().tarpit).count(),
            GetParam().want.count());
}

using std::chrono::milliseconds;
INSTANTIATE_TEST_SUITE_P(
    Table, TarpitTest,
    testing::Values(
        TarpitCase{"anonymous_550", false, 550, milliseconds(5000), milliseconds(5000)},
        TarpitCase{"anonymous_553", false, 553, milliseconds(5000), milliseconds(5000)},
        TarpitCase{"anonymous_500", false, 500, milliseconds(5000), milliseconds(5000)},
        TarpitCase{"anonymous_599", false, 599, milliseconds(7), milliseconds(7)},
        TarpitCase{"authenticated_550", true, 550, milliseconds(5000), milliseconds(0)},
        TarpitCase{"authenticated_535", true, 535, milliseconds(5000), milliseconds(0)},
        TarpitCase{"anonymous_250", false, 250, milliseconds(5000), milliseconds(0)},
        TarpitCase{"anonymous_354", false, 354, milliseconds(5000), milliseconds(0)},
        TarpitCase{"anonymous_421", false, 421, milliseconds(5000), milliseconds(0)},
        TarpitCase{"anonymous_451", false, 451, milliseconds(5000), milliseconds(0)},
        TarpitCase{"tarpit_off", false, 550, milliseconds(0), milliseconds(0)},
        TarpitCase{"negative_tarpit_is_off", false, 550, milliseconds(-5), milliseconds(0)},
        TarpitCase{"code_600_is_not_5xx", false, 600, milliseconds(5000), milliseconds(0)}),
    [](const testing::TestParamInfo<TarpitCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace smtpgate
