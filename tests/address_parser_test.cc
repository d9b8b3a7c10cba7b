// Tests for the RFC 5321 4.1.2 path parser (harness/core/address.h).
//
// Notation of the relay forms (catalogue.md section A): X = remote.invalid, IP =
// 192.0.2.10, SRV = mx.example.test (the target's banner name), D = example.test.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/address.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

using Kind = Path::Kind;

constexpr AddressOptions kFwd{};
constexpr AddressOptions kRev{.reverse_path = true};
constexpr AddressOptions kStrictFwd{.allow_unbracketed = false, .allow_domainless = false};
constexpr AddressOptions kStrictRev{
    .reverse_path = true, .allow_unbracketed = false, .allow_domainless = false};
constexpr AddressOptions kUtf8{.smtputf8 = true};
constexpr AddressOptions kUtf8Rev{.reverse_path = true, .smtputf8 = true};

// Test names come from each case's `name` field.
template <typename T>
std::string CaseName(const ::testing::TestParamInfo<T>& param) {
  return param.param.name;
}

std::string OptionsName(const AddressOptions& o) {
  return std::string(o.reverse_path ? "rev" : "fwd") + (o.smtputf8 ? "+utf8" : "") +
         (o.allow_unbracketed ? "" : "+bracketonly") + (o.allow_domainless ? "" : "+domainonly");
}

// ---------------------------------------------------------------------------------------
// Accepted paths: the parsed value and, above all, the routing domain.

struct AcceptCase {
  std::string name;
  std::string input;
  AddressOptions options;
  Kind kind = Kind::kMailbox;
  std::vector<std::string> route;
  std::string local_part;
  bool quoted = false;
  std::string domain;
  DomainKind domain_kind = DomainKind::kNone;
  std::string routing_domain;
  std::string content;  // LocalPartContent()
};

std::ostream& operator<<(std::ostream& os, const AcceptCase& c) {
  return os << c.name << " [" << c.input << "] " << OptionsName(c.options);
}

AcceptCase Name(std::string name, std::string input, AddressOptions options, std::string local,
                std::string domain, std::string routing, std::vector<std::string> route = {}) {
  AcceptCase c;
  c.name = std::move(name);
  c.input = std::move(input);
  c.options = options;
  c.route = std::move(route);
  c.local_part = local;
  c.quoted = !local.empty() && local.front() == '"';
  c.domain = std::move(domain);
  c.domain_kind = DomainKind::kName;
  c.routing_domain = std::move(routing);
  c.content = c.quoted ? local.substr(1, local.size() - 2) : local;
  return c;
}

AcceptCase WithKind(AcceptCase c, DomainKind kind) {
  c.domain_kind = kind;
  return c;
}

AcceptCase WithContent(AcceptCase c, std::string content) {
  c.content = std::move(content);
  return c;
}

AcceptCase Literal(std::string name, std::string input, AddressOptions options, std::string local,
                   std::string domain, DomainKind kind, std::string routing,
                   std::vector<std::string> route = {}) {
  return WithKind(Name(std::move(name), std::move(input), options, std::move(local),
                       std::move(domain), std::move(routing), std::move(route)),
                  kind);
}

AcceptCase NoDomain(std::string name, std::string input, AddressOptions options,
                    std::string local) {
  AcceptCase c = Name(std::move(name), std::move(input), options, std::move(local), "", "");
  c.domain_kind = DomainKind::kNone;
  return c;
}

AcceptCase Special(std::string name, std::string input, AddressOptions options, Kind kind) {
  AcceptCase c;
  c.name = std::move(name);
  c.input = std::move(input);
  c.options = options;
  c.kind = kind;
  return c;
}

constexpr DomainKind kV4 = DomainKind::kIpv4Literal;
constexpr DomainKind kV6 = DomainKind::kIpv6Literal;
constexpr DomainKind kGen = DomainKind::kGeneralLiteral;

std::vector<AcceptCase> AcceptCases() {
  const std::string a64(64, 'a');
  const std::string l63(63, 'd');
  // 63 + 1 + 63 + 1 + 63 + 1 + 50 = 242 octets; "<" + 11 + "@" + 242 + ">" = 256.
  const std::string d242 = l63 + "." + l63 + "." + l63 + "." + std::string(50, 'e');
  const std::string l11(11, 'l');
  return {
      // RFC 5321 4.1.2 grammar.
      Name("DotString", "<user@example.test>", kFwd, "user", "example.test", "example.test"),
      Name("DotStringAtoms", "<first.middle.last@example.test>", kFwd, "first.middle.last",
           "example.test", "example.test"),
      Name("AllAtext", "<!#$%&'*+-/=?^_`{|}~@example.test>", kFwd, "!#$%&'*+-/=?^_`{|}~",
           "example.test", "example.test"),
      Name("DomainIsLowerCased", "<User@EXAMPLE.Test>", kFwd, "User", "EXAMPLE.Test",
           "example.test"),
      Name("SingleLabelDomain", "<a@localhost>", kFwd, "a", "localhost", "localhost"),
      Name("HyphenatedLabels", "<a@x-y.example-test.test>", kFwd, "a", "x-y.example-test.test",
           "x-y.example-test.test"),
      Name("LabelStartsWithDigit", "<a@3com.test>", kFwd, "a", "3com.test", "3com.test"),
      Name("QuotedWithSpace", "<\"john doe\"@example.test>", kFwd, "\"john doe\"", "example.test",
           "example.test"),
      WithContent(Name("QuotedEscapes", R"(<"a\"b\\c\ d"@example.test>)", kFwd, R"("a\"b\\c\ d")",
                       "example.test", "example.test"),
                  R"(a"b\c d)"),
      Name("QuotedAtSign", "<\"a@b\"@c.test>", kFwd, "\"a@b\"", "c.test", "c.test"),
      Name("QuotedEmpty", "<\"\"@example.test>", kFwd, "\"\"", "example.test", "example.test"),
      Name("QuotedSpecials", "<\"<>[]:,;>\"@example.test>", kFwd, "\"<>[]:,;>\"", "example.test",
           "example.test"),
      Literal("Ipv4Literal", "<user@[192.0.2.1]>", kFwd, "user", "[192.0.2.1]", kV4, "[192.0.2.1]"),
      Literal("Ipv4LiteralLeadingZeros", "<user@[127.000.0.01]>", kFwd, "user", "[127.000.0.01]",
              kV4, "[127.0.0.1]"),
      Literal("Ipv6Full", "<user@[IPv6:2001:DB8:0:0:0:0:0:1]>", kFwd, "user",
              "[IPv6:2001:DB8:0:0:0:0:0:1]", kV6, "[ipv6:2001:db8::1]"),
      Literal("Ipv6Comp", "<user@[IPv6:2001:db8::1]>", kFwd, "user", "[IPv6:2001:db8::1]", kV6,
              "[ipv6:2001:db8::1]"),
      Literal("Ipv6TagAnyCase", "<user@[ipv6:::1]>", kFwd, "user", "[ipv6:::1]", kV6, "[ipv6:::1]"),
      Literal("Ipv6Unspecified", "<user@[IPv6:::]>", kFwd, "user", "[IPv6:::]", kV6, "[ipv6:::]"),
      Literal("Ipv6CompSixGroups", "<user@[IPv6:1:2:3::4:5:6]>", kFwd, "user",
              "[IPv6:1:2:3::4:5:6]", kV6, "[ipv6:1:2:3::4:5:6]"),
      Literal("Ipv6v4Full", "<user@[IPv6:0:0:0:0:0:FFFF:192.0.2.1]>", kFwd, "user",
              "[IPv6:0:0:0:0:0:FFFF:192.0.2.1]", kV6, "[ipv6:::ffff:192.0.2.1]"),
      Literal("Ipv6v4CompLeadingZeros", "<user@[IPv6:::ffff:192.0.2.001]>", kFwd, "user",
              "[IPv6:::ffff:192.0.2.001]", kV6, "[ipv6:::ffff:192.0.2.1]"),
      Literal("GeneralLiteral", "<user@[x-tag:Some+Content]>", kFwd, "user", "[x-tag:Some+Content]",
              kGen, "[x-tag:some+content]"),
      Literal("GeneralLiteralWithGtAndQuote", "<user@[tag:a>b\"c]>", kFwd, "user", "[tag:a>b\"c]",
              kGen, "[tag:a>b\"c]"),
      // "2001" is an Ldh-str, so this is a general literal, never the IPv6 address.
      Literal("UntaggedIpv6IsGeneralLiteral", "<user@[2001:db8::1]>", kFwd, "user", "[2001:db8::1]",
              kGen, "[2001:db8::1]"),
      Name("SourceRouteSingle", "<@relay.test:user@example.test>", kFwd, "user", "example.test",
           "example.test", {"relay.test"}),
      Name("SourceRouteMultiHop", "<@a.test,@B.test,@c.test:user@example.test>", kFwd, "user",
           "example.test", "example.test", {"a.test", "B.test", "c.test"}),
      Name("SourceRouteUnbracketed", "@a.test:user@example.test", kRev, "user", "example.test",
           "example.test", {"a.test"}),
      Special("PostmasterForward", "<Postmaster>", kFwd, Kind::kPostmaster),
      Special("PostmasterAnyCase", "<pOsTmAsTeR>", kFwd, Kind::kPostmaster),
      Special("PostmasterUnbracketed", "postmaster", kFwd, Kind::kPostmaster),
      Special("PostmasterStrict", "<Postmaster>", kStrictFwd, Kind::kPostmaster),
      NoDomain("PostmasterAsReversePathIsDomainless", "<Postmaster>", kRev, "Postmaster"),
      NoDomain("QuotedPostmasterIsDomainless", "<\"Postmaster\">", kFwd, "\"Postmaster\""),
      // RFC 5321 4.5.1: postmaster@domain is an ordinary mailbox.
      Name("PostmasterAtDomainIsMailbox", "<postmaster@remote.invalid>", kFwd, "postmaster",
           "remote.invalid", "remote.invalid"),
      Special("NullReversePath", "<>", kRev, Kind::kNull),
      Special("NullReversePathStrict", "<>", kStrictRev, Kind::kNull),
      // KB 304897 tests 1-7, typed without brackets as in the article.
      Name("Kb304897_1_RemoteSender", "user@remote.invalid", kRev, "user", "remote.invalid",
           "remote.invalid"),
      NoDomain("Kb304897_2_LocalUserNoDomain", "localuser", kRev, "localuser"),
      NoDomain("Kb304897_2_Bracketed", "<localuser>", kRev, "localuser"),
      Special("Kb304897_3_NullSender", "<>", kRev, Kind::kNull),
      Name("Kb304897_4_LocalSender", "user@example.test", kRev, "user", "example.test",
           "example.test"),
      Literal("Kb304897_5_IpLiteralSender", "user@[10.10.10.10]", kRev, "user", "[10.10.10.10]",
              kV4, "[10.10.10.10]"),
      // A numeric *name*: never the literal [10.10.10.10].
      Name("Kb304897_5_UnbracketedIpIsAName", "user@10.10.10.10", kRev, "user", "10.10.10.10",
           "10.10.10.10"),
      NoDomain("Kb304897_6_PercentHack", "user%remote.invalid", kFwd, "user%remote.invalid"),
      NoDomain("Kb304897_6_Bracketed", "<user%remote.invalid>", kFwd, "user%remote.invalid"),
      NoDomain("Kb304897_7_QuotedLocalPart", "\"user@remote.invalid\"", kFwd,
               "\"user@remote.invalid\""),
      NoDomain("Kb304897_7_Bracketed", "<\"user@remote.invalid\">", kFwd,
               "\"user@remote.invalid\""),
      // nmap smtp-open-relay / Metasploit smtp_relay forms (5-16 after MAIL FROM:<from@[IP]>).
      Name("Nmap01To", "<to@remote.invalid>", kFwd, "to", "remote.invalid", "remote.invalid"),
      Name("Nmap02From", "<from@remote.invalid>", kRev, "from", "remote.invalid", "remote.invalid"),
      Name("Nmap03FromSrv", "<from@mx.example.test>", kRev, "from", "mx.example.test",
           "mx.example.test"),
      Literal("Nmap04FromIp", "<from@[192.0.2.10]>", kRev, "from", "[192.0.2.10]", kV4,
              "[192.0.2.10]"),
      Literal("Nmap05PercentAtIp", "<to%remote.invalid@[192.0.2.10]>", kFwd, "to%remote.invalid",
              "[192.0.2.10]", kV4, "[192.0.2.10]"),
      Name("Nmap06PercentAtSrv", "<to%remote.invalid@mx.example.test>", kFwd, "to%remote.invalid",
           "mx.example.test", "mx.example.test"),
      NoDomain("Nmap07QuotedAt", "<\"to@remote.invalid\">", kFwd, "\"to@remote.invalid\""),
      NoDomain("Nmap08QuotedPercent", "<\"to%remote.invalid\">", kFwd, "\"to%remote.invalid\""),
      Literal("Nmap10QuotedAtIp", "<\"to@remote.invalid\"@[192.0.2.10]>", kFwd,
              "\"to@remote.invalid\"", "[192.0.2.10]", kV4, "[192.0.2.10]"),
      Name("Nmap12RouteViaIp", "<@[192.0.2.10]:to@remote.invalid>", kFwd, "to", "remote.invalid",
           "remote.invalid", {"[192.0.2.10]"}),
      Name("Nmap13RouteViaSrv", "<@mx.example.test:to@remote.invalid>", kFwd, "to",
           "remote.invalid", "remote.invalid", {"mx.example.test"}),
      NoDomain("Nmap14Bang", "<remote.invalid!to>", kFwd, "remote.invalid!to"),
      Literal("Nmap15BangAtIp", "<remote.invalid!to@[192.0.2.10]>", kFwd, "remote.invalid!to",
              "[192.0.2.10]", kV4, "[192.0.2.10]"),
      Name("Nmap16BangAtSrv", "<remote.invalid!to@mx.example.test>", kFwd, "remote.invalid!to",
           "mx.example.test", "mx.example.test"),
      // OpenVAS / MAPS extras.
      NoDomain("OpenvasUnqualifiedSender", "<u>", kRev, "u"),
      Literal("OpenvasPercentAtIp", "<nobody%remote.invalid@[192.0.2.10]>", kFwd,
              "nobody%remote.invalid", "[192.0.2.10]", kV4, "[192.0.2.10]"),
      Literal("OpenvasQuotedAtIp", "<\"nobody@remote.invalid\"@[192.0.2.10]>", kFwd,
              "\"nobody@remote.invalid\"", "[192.0.2.10]", kV4, "[192.0.2.10]"),
      // The security property: only the mailbox's own domain routes.
      Name("RouteNeverRoutes", "<@evil.invalid:to@example.test>", kFwd, "to", "example.test",
           "example.test", {"evil.invalid"}),
      Name("MultiHopRouteNeverRoutes", "<@evil.invalid,@evil2.invalid:to@example.test>", kFwd, "to",
           "example.test", "example.test", {"evil.invalid", "evil2.invalid"}),
      Name("PercentNeverRoutes", "<to%evil.invalid@example.test>", kFwd, "to%evil.invalid",
           "example.test", "example.test"),
      Name("QuotedAtNeverRoutes", "<\"to@evil.invalid\"@example.test>", kFwd, "\"to@evil.invalid\"",
           "example.test", "example.test"),
      NoDomain("BangHasNoDomain", "<evil.invalid!to>", kFwd, "evil.invalid!to"),
      NoDomain("DoubleBangHasNoDomain", "<example.test!evil.invalid!to>", kFwd,
               "example.test!evil.invalid!to"),
      Name("UppercaseRemote", "<to@REMOTE.INVALID>", kFwd, "to", "REMOTE.INVALID",
           "remote.invalid"),
      // Exim CVE-2019-10149 without escapes is plain atext: accepted as data, never expanded.
      Name("EximExpansionIsPlainAtext", "<${run{/bin/true}}@localhost>", kFwd, "${run{/bin/true}}",
           "localhost", "localhost"),
      // SMTPUTF8 (RFC 6531).
      Name("Utf8LocalAndDomain", "<\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.test>", kUtf8,
           "\xE7\x94\xA8\xE6\x88\xB7", "\xE4\xBE\x8B\xE5\xAD\x90.test",
           "\xE4\xBE\x8B\xE5\xAD\x90.test"),
      Name("Utf8OnlyAsciiIsLowerCased", "<\xC3\x9C@\xC3\x89XAMPLE.Test>", kUtf8Rev, "\xC3\x9C",
           "\xC3\x89XAMPLE.Test", "\xC3\x89xample.test"),
      Name("Utf8Quoted", "<\"\xC3\xA9 x\"@example.test>", kUtf8, "\"\xC3\xA9 x\"", "example.test",
           "example.test"),
      Name("Utf8FourByte", "<\xF0\x9F\x93\xA7@example.test>", kUtf8, "\xF0\x9F\x93\xA7",
           "example.test", "example.test"),
      // Length limits, at the boundary.
      Name("LocalPart64", "<" + a64 + "@example.test>", kFwd, a64, "example.test", "example.test"),
      Name("QuotedLocalPart64", "<\"" + a64.substr(2) + "\"@example.test>", kFwd,
           "\"" + a64.substr(2) + "\"", "example.test", "example.test"),
      Name("Label63", "<a@" + l63 + ".test>", kFwd, "a", l63 + ".test", l63 + ".test"),
      Name("Path256", "<" + l11 + "@" + d242 + ">", kFwd, l11, d242, d242),
      // Unbracketed: 11 + 1 + 242 = 254 octets, counted as 256 with the brackets.
      Name("UnbracketedPath254", l11 + "@" + d242, kFwd, l11, d242, d242),
  };
}

class AcceptTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptTest, ParsesAndRoutesToTheMailboxDomainOnly) {
  const AcceptCase& c = GetParam();
  const absl::StatusOr<Path> path = ParsePath(c.input, c.options);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->kind, c.kind);
  EXPECT_EQ(path->source_route, c.route);
  EXPECT_EQ(path->mailbox.local_part, c.local_part);
  EXPECT_EQ(path->mailbox.quoted, c.quoted);
  EXPECT_EQ(path->mailbox.domain, c.domain);
  EXPECT_EQ(path->mailbox.domain_kind, c.domain_kind);
  EXPECT_EQ(path->mailbox.RoutingDomain(), c.routing_domain);
  EXPECT_EQ(path->mailbox.LocalPartContent(), c.content);
}

TEST_P(AcceptTest, RoundTripsThroughFormatPath) {
  const AcceptCase& c = GetParam();
  const absl::StatusOr<Path> path = ParsePath(c.input, c.options);
  ASSERT_TRUE(path.ok()) << path.status();
  const std::string wire = FormatPath(*path);
  ASSERT_EQ(wire.front(), '<');
  ASSERT_EQ(wire.back(), '>');
  EXPECT_EQ(PathTokenLength(wire + " SIZE=1"), wire.size());
  const absl::StatusOr<Path> again = ParsePath(wire, c.options);
  ASSERT_TRUE(again.ok()) << wire << ": " << again.status();
  EXPECT_EQ(*again, *path) << wire;
  EXPECT_EQ(FormatPath(*again), wire);
  if (c.input.front() == '<') {
    EXPECT_EQ(wire, c.kind == Kind::kPostmaster ? "<Postmaster>" : c.input);
  }
}

INSTANTIATE_TEST_SUITE_P(AddressParser, AcceptTest, ::testing::ValuesIn(AcceptCases()),
                         CaseName<AcceptCase>);

// ---------------------------------------------------------------------------------------
// Rejected paths: exact reply and a reason that names the problem and where it is.

struct RejectCase {
  std::string name;
  std::string input;
  AddressOptions options;
  int code;
  std::string enhanced;
  std::vector<std::string> reason_has;
};

std::ostream& operator<<(std::ostream& os, const RejectCase& c) {
  return os << c.name << " [" << c.input << "] " << OptionsName(c.options);
}

std::vector<RejectCase> RejectCases() {
  const std::string a65(65, 'a');
  const std::string l63(63, 'd');
  const std::string l64(64, 'd');
  // 63 * 3 + 62 + 1 + 4 dots = 256 octets, every label within its own limit.
  const std::string d256 = l63 + "." + l63 + "." + l63 + "." + std::string(62, 'd') + ".x";
  const std::string d242 = l63 + "." + l63 + "." + l63 + "." + std::string(50, 'e');
  const std::string l12(12, 'l');
  const std::string l10(10, 'l');
  constexpr std::string_view kSyntax = "bad address syntax";
  return {
      // Two unquoted '@': nmap forms 9 and 11.
      {"Nmap09TwoAtsIp",
       "<to@remote.invalid@[192.0.2.10]>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '@' at offset 18 in domain", "second '@'"}},
      {"Nmap11TwoAtsSrv",
       "<to@remote.invalid@mx.example.test>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '@' at offset 18 in domain"}},
      {"TwoAtsUnbracketed",
       "to@remote.invalid@[192.0.2.10]",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '@' at offset 17 in domain"}},
      {"TwoAtsReversePath", "<a@b@c>", kRev, 553, "5.1.7", {"unexpected '@' at offset 4"}},
      {"TrailingDotInDomain",
       "<to@x.invalid.>",
       kFwd,
       553,
       "5.1.3",
       {"trailing dot at offset 13 in domain"}},
      {"TrailingDotUnbracketed",
       "to@x.invalid.",
       kFwd,
       553,
       "5.1.3",
       {"trailing dot at offset 12 in domain"}},
      {"EmptyLabel", "<a@b..c>", kFwd, 553, "5.1.3", {"empty label", "offset 4"}},
      {"DomainStartsWithDot", "<a@.b>", kFwd, 553, "5.1.3", {"leading dot at offset 3 in domain"}},
      {"LeadingDotLocalPart",
       ".a@b",
       kFwd,
       553,
       "5.1.3",
       {"local part starts with '.' at offset 0"}},
      {"DoubleDotLocalPart", "<a..b@c>", kFwd, 553, "5.1.3", {"empty atom", "offset 2"}},
      {"TrailingDotLocalPart",
       "<a.@b>",
       kFwd,
       553,
       "5.1.3",
       {"local part ends with '.' at offset 2"}},
      {"MissingCloseBracket", "<a@b", kFwd, 553, "5.1.3", {"missing '>' at offset 4"}},
      {"MissingCloseBracketDomainless", "<abc", kRev, 553, "5.1.7", {"missing '>' at offset 4"}},
      {"TextAfterPath", "<a@b>x", kFwd, 553, "5.1.3", {"unexpected 'x' at offset 5 after '>'"}},
      {"ParametersAfterPath",
       "<a@b> SIZE=100",
       kFwd,
       553,
       "5.1.3",
       {"unexpected space at offset 5 after '>'"}},
      {"DoubleOpenBracket",
       "<<a@b>>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '<' at offset 1 in local part"}},
      {"DoubleCloseBracket", "<a@b>>", kFwd, 553, "5.1.3", {"unexpected '>' at offset 5"}},
      {"CloseWithoutOpen", "a@b>", kFwd, 553, "5.1.3", {"unexpected '>' at offset 3 in domain"}},
      {"LoneAt", "@", kFwd, 553, "5.1.3", {"missing domain", "offset 1", "source route"}},
      {"LoneAtBracketed", "<@>", kRev, 553, "5.1.7", {"missing domain", "offset 2"}},
      {"MissingDomain", "<a@>", kFwd, 553, "5.1.3", {"missing domain after '@' at offset 3"}},
      {"RouteWithoutMailbox",
       "<@a:>",
       kRev,
       553,
       "5.1.7",
       {"source route without mailbox at offset 4"}},
      {"RouteWithoutColon",
       "<@a>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '>' at offset 3 in source route"}},
      {"RouteHopWithoutAt",
       "<@a,b:c@d>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected 'b' at offset 4 in source route"}},
      {"RouteWithDomainlessMailbox",
       "<@a:localuser>",
       kFwd,
       553,
       "5.1.3",
       {"source route", "without domain"}},
      {"CrInLocalPart",
       "<a\r@b>",
       kFwd,
       553,
       "5.1.3",
       {"control character 0x0D at offset 2 in local part"}},
      {"LfInDomain",
       "<a@b\nc>",
       kFwd,
       553,
       "5.1.3",
       {"control character 0x0A at offset 4 in domain"}},
      {"NulInDomain",
       "<a@b\0c>"s,
       kFwd,
       553,
       "5.1.3",
       {"control character 0x00 at offset 4 in domain"}},
      {"LfInQuotedString",
       "<\"a\nb\"@c>",
       kFwd,
       553,
       "5.1.3",
       {"control character 0x0A at offset 3 in quoted local part"}},
      {"CrAfterBackslash",
       "<\"a\\\r\"@c>",
       kFwd,
       553,
       "5.1.3",
       {"control character 0x0D at offset 4 in quoted local part"}},
      {"DelInLocalPart", "<a\x7f@b>", kFwd, 553, "5.1.3", {"control character 0x7F at offset 2"}},
      {"SpaceInLocalPart",
       "<a b@c>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected space at offset 2 in local part"}},
      {"SpaceInDomain", "<a@b c>", kFwd, 553, "5.1.3", {"unexpected space at offset 4 in domain"}},
      {"LeadingSpace", "< a@b>", kFwd, 553, "5.1.3", {"unexpected space at offset 1"}},
      {"Utf8LocalPartWithoutSmtputf8",
       "<\xC3\xA9@b>",
       kFwd,
       553,
       "5.6.7",
       {"non-ASCII octet 0xC3 at offset 1 in local part", "SMTPUTF8"}},
      {"Utf8DomainWithoutSmtputf8",
       "<a@\xC3\xA9.test>",
       kRev,
       553,
       "5.6.7",
       {"non-ASCII octet 0xC3 at offset 3 in domain", "SMTPUTF8"}},
      {"Utf8QuotedWithoutSmtputf8",
       "<\"\xC3\xA9\"@b>",
       kFwd,
       553,
       "5.6.7",
       {"offset 2 in quoted local part"}},
      {"TruncatedUtf8", "<\xC3@b>", kUtf8, 553, "5.1.3", {"malformed UTF-8 at offset 1"}},
      {"OverlongUtf8", "<\xC0\xAF@b>", kUtf8, 553, "5.1.3", {"malformed UTF-8 at offset 1"}},
      {"SurrogateUtf8",
       "<a@\xED\xA0\x80.test>",
       kUtf8Rev,
       553,
       "5.1.7",
       {"malformed UTF-8 at offset 3 in domain"}},
      {"Utf8AboveMaxCodePoint", "<\xF4\x90\x80\x80@b>", kUtf8, 553, "5.1.3", {"malformed UTF-8"}},
      {"Utf8InAddressLiteral",
       "<a@[\xC3\xA9]>",
       kUtf8,
       553,
       "5.1.3",
       {"unexpected octet 0xC3 at offset 4 in address literal"}},
      {"NullPathAsForwardPath", "<>", kFwd, 553, "5.1.3", {"null path", "reverse-path"}},
      {"EmptyInput", "", kRev, 553, "5.1.7", {"empty path"}},
      {"UnbracketedNotAllowed",
       "user@example.test",
       kStrictFwd,
       553,
       "5.1.3",
       {"enclosed in '<' and '>'"}},
      {"DomainlessNotAllowed",
       "<localuser>",
       kStrictRev,
       553,
       "5.1.7",
       {"missing '@' and domain at offset 10"}},
      {"QuotedDomainlessNotAllowed",
       "<\"user@remote.invalid\">",
       kStrictFwd,
       553,
       "5.1.3",
       {"missing '@' and domain"}},
      {"PostmasterReversePathStrict",
       "<Postmaster>",
       kStrictRev,
       553,
       "5.1.7",
       {"missing '@' and domain"}},
      {"Ipv4OctetOver255",
       "<a@[256.0.0.1]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv4 address literal at offset 3"}},
      {"Ipv4ThreeOctets", "<a@[1.2.3]>", kFwd, 553, "5.1.3", {"bad IPv4 address literal"}},
      {"Ipv4FourDigits", "<a@[0001.2.3.4]>", kFwd, 553, "5.1.3", {"bad IPv4 address literal"}},
      {"Ipv4TrailingDot", "<a@[1.2.3.4.]>", kFwd, 553, "5.1.3", {"bad IPv4 address literal"}},
      {"Ipv6NineGroups",
       "<a@[IPv6:1:2:3:4:5:6:7:8:9]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv6 address literal at offset 3"}},
      // inet_pton accepts these; RFC 5321 4.1.3 does not ("::" is at least two groups).
      {"Ipv6CompSevenGroups",
       "<a@[IPv6:1:2:3:4:5:6:7::]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv6 address literal"}},
      {"Ipv6v4CompFiveGroups",
       "<a@[IPv6:1:2:3:4:5::1.2.3.4]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv6 address literal"}},
      {"Ipv6TwoDoubleColons",
       "<a@[IPv6:1::2::3]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv6 address literal"}},
      {"Ipv6ZoneId", "<a@[IPv6:fe80::1%eth0]>", kFwd, 553, "5.1.3", {"bad IPv6 address literal"}},
      {"Ipv6FiveHexDigits",
       "<a@[IPv6:12345::1]>",
       kFwd,
       553,
       "5.1.3",
       {"bad IPv6 address literal"}},
      {"MissingCloseSquareBracket",
       "<a@[1.2.3.4>",
       kFwd,
       553,
       "5.1.3",
       {"missing ']'", "offset 3"}},
      {"EmptyAddressLiteral", "<a@[]>", kFwd, 553, "5.1.3", {"empty address literal at offset 3"}},
      {"BadLiteralTag", "<a@[x_y:z]>", kFwd, 553, "5.1.3", {"bad address literal tag at offset 4"}},
      {"GeneralLiteralWithoutContent",
       "<a@[x:]>",
       kFwd,
       553,
       "5.1.3",
       {"address literal without content"}},
      {"SpaceInAddressLiteral",
       "<a@[1.2.3.4 ]>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected space at offset 11 in address literal"}},
      {"OpenBracketInAddressLiteral",
       "<a@[a[b]>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '[' at offset 5 in address literal"}},
      {"LabelStartsWithHyphen",
       "<a@-x.test>",
       kFwd,
       553,
       "5.1.3",
       {"label starts with '-' at offset 3"}},
      {"LabelEndsWithHyphen",
       "<a@x-.test>",
       kFwd,
       553,
       "5.1.3",
       {"label ends with '-' at offset 4"}},
      {"UnderscoreInDomain",
       "<a@x_y.test>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '_' at offset 4 in domain"}},
      {"CommaInDomain", "<a@b,c>", kFwd, 553, "5.1.3", {"unexpected ',' at offset 4 in domain"}},
      {"UnterminatedQuote",
       "<\"abc@d>",
       kFwd,
       553,
       "5.1.3",
       {"unterminated quoted local part starting at offset 1"}},
      {"TrailingBackslashInQuote", "\"a\\", kFwd, 553, "5.1.3", {"unterminated quoted"}},
      {"TextAfterQuotedLocalPart",
       "<\"a\"b@c>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected 'b' at offset 4 after quoted local part"}},
      {"OpenSmtpdCve2020_7247",
       "<;sleep 66;>",
       kRev,
       553,
       "5.1.7",
       {"unexpected ';' at offset 1 in local part"}},
      {"EximCve2019_10149Escaped",
       "<${run{\\x2Fbin\\x2Fsh}}@localhost>",
       kFwd,
       553,
       "5.1.3",
       {"unexpected '\\' at offset 7 in local part"}},
      // Length limits (RFC 5321 4.5.3.1): 501 with the limit named.
      {"LocalPart65",
       "<" + a65 + "@example.test>",
       kFwd,
       501,
       "5.1.3",
       {"local part too long: 65 octets", "limit 64"}},
      {"LocalPart65Reverse",
       "<" + a65 + "@example.test>",
       kRev,
       501,
       "5.1.7",
       {"local part too long: 65 octets"}},
      {"QuotedLocalPart65",
       "<\"" + a65.substr(2) + "\"@example.test>",
       kFwd,
       501,
       "5.1.3",
       {"local part too long: 65 octets"}},
      {"DomainlessLocalPart65", a65, kRev, 501, "5.1.7", {"local part too long"}},
      {"Label64",
       "<a@" + l64 + ".test>",
       kFwd,
       501,
       "5.1.3",
       {"domain label too long: 64 octets at offset 3", "limit 63"}},
      {"RouteLabel64",
       "<@" + l64 + ":a@b>",
       kFwd,
       501,
       "5.1.3",
       {"domain label too long: 64 octets", "in source route"}},
      {"Domain256",
       "<a@" + d256 + ">",
       kFwd,
       501,
       "5.1.3",
       {"domain too long: 256 octets", "limit 255"}},
      {"Path257",
       "<" + l12 + "@" + d242 + ">",
       kFwd,
       501,
       "5.1.3",
       {"path too long: 257 octets", "limit 256"}},
      {"Path257Reverse", "<" + l12 + "@" + d242 + ">", kRev, 501, "5.1.7", {"path too long"}},
      {"UnbracketedPath255CountsBrackets",
       l12 + "@" + d242,
       kFwd,
       501,
       "5.1.3",
       {"path too long: 257 octets"}},
      {"UnbracketedPath255",
       l10 + "@" + d242 + "xx",
       kFwd,
       501,
       "5.1.3",
       {"path too long: 257 octets"}},
      {"SyntaxReasonPrefix", "<a@b@c>", kFwd, 553, "5.1.3", {std::string(kSyntax)}},
  };
}

class RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, FailsWithSmtpReplyAndSpecificReason) {
  const RejectCase& c = GetParam();
  const absl::StatusOr<Path> path = ParsePath(c.input, c.options);
  ASSERT_FALSE(path.ok()) << FormatPath(*path);
  const SmtpError error = SmtpErrorOf(path.status());
  EXPECT_EQ(error.code, c.code) << error.reason;
  EXPECT_EQ(error.enhanced, c.enhanced) << error.reason;
  for (const std::string& part : c.reason_has) EXPECT_THAT(error.reason, HasSubstr(part));
  if (c.code == 553 && c.enhanced != "5.6.7") {
    EXPECT_THAT(error.reason, HasSubstr("bad address syntax"));
  }
}

INSTANTIATE_TEST_SUITE_P(AddressParser, RejectTest, ::testing::ValuesIn(RejectCases()),
                         CaseName<RejectCase>);

// ---------------------------------------------------------------------------------------
// PathTokenLength: how the command parser splits a path from its parameters.

struct TokenCase {
  std::string name;
  std::string text;
  size_t length;
};

std::ostream& operator<<(std::ostream& os, const TokenCase& c) {
  return os << c.name << " [" << c.text << "]";
}

class TokenTest : public ::testing::TestWithParam<TokenCase> {};

TEST_P(TokenTest, FindsTheEndOfThePath) {
  EXPECT_EQ(PathTokenLength(GetParam().text), GetParam().length);
}

INSTANTIATE_TEST_SUITE_P(AddressParser, TokenTest,
                         ::testing::ValuesIn(std::vector<TokenCase>{
                             {"Empty", "", 0},
                             {"Bracketed", "<a@b>", 5},
                             {"BracketedWithParameters", "<a@b> SIZE=1 BODY=8BITMIME", 5},
                             {"NullPath", "<> SIZE=1", 2},
                             {"GtInsideQuotes", "<\"a>b\"@c> SIZE=1", 9},
                             {"EscapedQuoteThenGt", "<\"a\\\">\"@c> X", 10},
                             {"EscapedBackslashEndsQuote", "<\"a\\\\\"@c> X", 9},
                             {"GtInsideGeneralLiteral", "<a@[tag:>]> X", 11},
                             {"QuoteInsideGeneralLiteral", "<a@[tag:\"]> X", 11},
                             {"NoClosingBracket", "<a@b SIZE=1", 11},
                             {"UnterminatedQuote", "<\"a> SIZE=1", 11},
                             {"TrailingBackslash", "<\"a\\", 4},
                             {"Unbracketed", "a@b SIZE=1", 3},
                             {"UnbracketedAlone", "localuser", 9},
                             {"UnbracketedQuotedSpace", "\"a b\"@c SIZE=1", 7},
                             {"UnbracketedLeadingSpace", " a@b", 0},
                             {"LtInQuotedUnbracketed", "\"<x>\" y", 5},
                         }),
                         CaseName<TokenCase>);

// ---------------------------------------------------------------------------------------
// FormatPath, CompleteDomain and the Mailbox accessors.

Path MustParse(std::string_view text, const AddressOptions& options) {
  absl::StatusOr<Path> path = ParsePath(text, options);
  EXPECT_TRUE(path.ok()) << text << ": " << path.status();
  return path.ok() ? *path : Path();
}

TEST(FormatPathTest, AlwaysBracketed) {
  EXPECT_EQ(FormatPath(MustParse("user@Example.TEST", kRev)), "<user@Example.TEST>");
  EXPECT_EQ(FormatPath(MustParse("localuser", kRev)), "<localuser>");
  EXPECT_EQ(FormatPath(MustParse("postmaster", kFwd)), "<Postmaster>");
  EXPECT_EQ(FormatPath(MustParse("<>", kRev)), "<>");
  EXPECT_EQ(FormatPath(MustParse("@a,@b:c@d", kFwd)), "<@a,@b:c@d>");
  EXPECT_EQ(FormatPath(MustParse("\"a b\"@c", kFwd)), "<\"a b\"@c>");
}

TEST(FormatPathTest, DomainlessRoundTripsOnlyWhenAllowed) {
  const Path path = MustParse("user%remote.invalid", kFwd);
  EXPECT_EQ(ParsePath(FormatPath(path), kFwd).value(), path);
  EXPECT_FALSE(ParsePath(FormatPath(path), kStrictFwd).ok());
}

struct CompleteCase {
  std::string name;
  std::string input;
  AddressOptions options;
  std::string local_domain;
  std::string formatted;  // FormatPath after CompleteDomain
  std::string routing_domain;
};

std::ostream& operator<<(std::ostream& os, const CompleteCase& c) {
  return os << c.name << " [" << c.input << "]";
}

class CompleteDomainTest : public ::testing::TestWithParam<CompleteCase> {};

TEST_P(CompleteDomainTest, CompletesOnlyDomainlessMailboxes) {
  const CompleteCase& c = GetParam();
  Path path = MustParse(c.input, c.options);
  const Path before = path;
  CompleteDomain(path, c.local_domain);
  EXPECT_EQ(FormatPath(path), c.formatted);
  EXPECT_EQ(path.mailbox.RoutingDomain(), c.routing_domain);
  EXPECT_EQ(path.source_route, before.source_route);
  EXPECT_EQ(path.mailbox.local_part, before.mailbox.local_part);
  // A completed mailbox is an ordinary, fully qualified path.
  if (path.kind == Kind::kMailbox && path.mailbox.domain_kind != DomainKind::kNone) {
    const absl::StatusOr<Path> again = ParsePath(FormatPath(path), kStrictRev);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, path);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AddressParser, CompleteDomainTest,
    ::testing::ValuesIn(std::vector<CompleteCase>{
        {"Kb304897_2_LocalUser", "localuser", kRev, "example.test", "<localuser@example.test>",
         "example.test"},
        {"Kb304897_6_PercentHack", "user%remote.invalid", kFwd, "example.test",
         "<user%remote.invalid@example.test>", "example.test"},
        {"Kb304897_7_QuotedAt", "\"user@remote.invalid\"", kFwd, "Example.TEST",
         "<\"user@remote.invalid\"@Example.TEST>", "example.test"},
        {"BangPath", "<remote.invalid!to>", kFwd, "example.test",
         "<remote.invalid!to@example.test>", "example.test"},
        {"LiteralLocalDomain", "<u>", kRev, "[192.0.2.001]", "<u@[192.0.2.001]>", "[192.0.2.1]"},
        {"NullPathUnchanged", "<>", kRev, "example.test", "<>", ""},
        {"PostmasterUnchanged", "<Postmaster>", kFwd, "example.test", "<Postmaster>", ""},
        {"QualifiedUnchanged", "<user@remote.invalid>", kFwd, "example.test",
         "<user@remote.invalid>", "remote.invalid"},
        {"LiteralUnchanged", "<user@[192.0.2.10]>", kFwd, "example.test", "<user@[192.0.2.10]>",
         "[192.0.2.10]"},
        {"EmptyLocalDomainIsNoOp", "localuser", kRev, "", "<localuser>", ""},
    }),
    CaseName<CompleteCase>);

TEST(MailboxTest, ToStringIsWireForm) {
  EXPECT_EQ(MustParse("<\"a\\\"b\"@Example.test>", kFwd).mailbox.ToString(),
            "\"a\\\"b\"@Example.test");
  EXPECT_EQ(MustParse("<localuser>", kRev).mailbox.ToString(), "localuser");
  EXPECT_EQ(MustParse("<@r:u@[IPv6:::1]>", kFwd).mailbox.ToString(), "u@[IPv6:::1]");
}

TEST(MailboxTest, InconsistentHandBuiltValuesNeverCrash) {
  Mailbox m;
  m.local_part = "\"";  // quoted flag with a lone quote
  m.quoted = true;
  m.domain = "[not-an-ip]";
  m.domain_kind = DomainKind::kIpv4Literal;
  EXPECT_EQ(m.LocalPartContent(), "\"");
  EXPECT_EQ(m.RoutingDomain(), "[not-an-ip]");
  m.domain = "[IPv6:zz]";
  m.domain_kind = DomainKind::kIpv6Literal;
  EXPECT_EQ(m.RoutingDomain(), "[ipv6:zz]");
  m.domain = "ignored.test";
  m.domain_kind = DomainKind::kNone;
  EXPECT_EQ(m.RoutingDomain(), "");
  EXPECT_EQ(m.ToString(), "\"");
}

TEST(ParsePathTest, NeverReadsPastTheView) {
  // The view ends inside a longer buffer: nothing after it may influence the result.
  const std::string buffer = "<a@example.test>@evil.invalid>";
  const std::string_view prefix(buffer.data(), 10);  // "<a@example"
  const absl::StatusOr<Path> path = ParsePath(prefix, kFwd);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("missing '>' at offset 10"));
  const std::string_view whole(buffer.data(), 16);
  EXPECT_EQ(ParsePath(whole, kFwd)->mailbox.RoutingDomain(), "example.test");
}

TEST(ParsePathTest, EveryPrefixOfAValidPathIsHandled) {
  const std::string text = "<@a.test,@[192.0.2.1]:\"q\\\"x\"@[IPv6:2001:db8::1]>";
  ASSERT_TRUE(ParsePath(text, kFwd).ok());
  for (size_t n = 0; n < text.size(); ++n) {
    const std::string prefix = text.substr(0, n);
    EXPECT_FALSE(ParsePath(prefix, kFwd).ok()) << prefix;
    EXPECT_LE(PathTokenLength(prefix), prefix.size());
  }
}

TEST(PathAddressTest, AddressWithoutBracketsOrRoute) {
  AddressOptions reverse;
  reverse.reverse_path = true;
  EXPECT_EQ(PathAddress(*ParsePath("<>", reverse)), "");
  EXPECT_EQ(PathAddress(*ParsePath("<Postmaster>", AddressOptions())), "Postmaster");
  EXPECT_EQ(PathAddress(*ParsePath("<@a.test,@b.test:to@Remote.invalid>", AddressOptions())),
            "to@Remote.invalid");
  EXPECT_EQ(PathAddress(*ParsePath("<\"a b\"@[127.0.0.1]>", AddressOptions())),
            "\"a b\"@[127.0.0.1]");
}

}  // namespace
}  // namespace smtpgate
