// Tests for ParseCommand() / FormatCommand() (harness/core/command.h).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "harness/core/address.h"
#include "harness/core/command.h"
#include "harness/core/smtp_status.h"
#include "tests/source_dir.h"

namespace smtpgate {
namespace {

using namespace std::string_literals;  // "NOOP\0"s keeps the NUL

// Option sets the tables refer to by name.
enum class Opts { kDefault, kStrict, kUtf8Tx, kBracketsOnly, kNoDomainless, kLong };

CommandOptions Make(Opts o) {
  CommandOptions options;
  switch (o) {
    case Opts::kDefault:
      break;
    case Opts::kStrict:
      options.strict_colon = true;
      break;
    case Opts::kUtf8Tx:
      options.smtputf8_transaction = true;
      break;
    case Opts::kBracketsOnly:
      options.allow_unbracketed = false;
      break;
    case Opts::kNoDomainless:
      options.allow_domainless = false;
      break;
    case Opts::kLong:
      options.max_line_length = 1000;
      break;
  }
  return options;
}

std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += {'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
    }
  }
  return out.size() > 80 ? out.substr(0, 80) + "...(" + std::to_string(s.size()) + ")" : out;
}

bool HasControl(const std::string& s) { return s.find_first_of("\r\n\0"s) != std::string::npos; }

// ---------------------------------------------------------------------------------------
// Accepted lines: verb and canonical form.

struct OkCase {
  std::string line;
  Verb verb;
  std::string canonical;  // FormatCommand() of the parsed command
  Opts opts = Opts::kDefault;
};
void PrintTo(const OkCase& c, std::ostream* os) { *os << '"' << Printable(c.line) << '"'; }

class AcceptTest : public testing::TestWithParam<OkCase> {};

TEST_P(AcceptTest, ParsesToCanonicalForm) {
  const OkCase& c = GetParam();
  const CommandOptions options = Make(c.opts);
  const absl::StatusOr<Command> command = ParseCommand(c.line, options);
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->verb, c.verb);
  const std::string formatted = FormatCommand(*command);
  EXPECT_EQ(formatted, c.canonical);
  // Round trip: the canonical form parses to the same command.
  const absl::StatusOr<Command> again = ParseCommand(formatted, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *command);
}

const OkCase kVerbCases[] = {
    {"HELO example.test", Verb::kHelo, "HELO example.test"},
    {"helo client.example.test", Verb::kHelo, "HELO client.example.test"},
    {"EHLO Client.Example.TEST", Verb::kEhlo, "EHLO Client.Example.TEST"},
    {"ehlo localhost", Verb::kEhlo, "EHLO localhost"},
    {"EhLo 123.example", Verb::kEhlo, "EHLO 123.example"},
    {"EHLO a-b.c-d.example", Verb::kEhlo, "EHLO a-b.c-d.example"},
    {"EHLO [192.0.2.1]", Verb::kEhlo, "EHLO [192.0.2.1]"},
    {"EHLO [IPv6:2001:db8::1]", Verb::kEhlo, "EHLO [IPv6:2001:db8::1]"},
    {"EHLO [ipv6:::1]", Verb::kEhlo, "EHLO [ipv6:::1]"},
    {"EHLO [IPv6:::ffff:192.0.2.1]", Verb::kEhlo, "EHLO [IPv6:::ffff:192.0.2.1]"},
    {"EHLO [IPv6:2001:db8:0:0:0:0:2:1]", Verb::kEhlo, "EHLO [IPv6:2001:db8:0:0:0:0:2:1]"},
    {"EHLO [x-tag:some-content]", Verb::kEhlo, "EHLO [x-tag:some-content]"},
    {"EHLO   spaced.example  ", Verb::kEhlo, "EHLO spaced.example"},
    {"DATA", Verb::kData, "DATA"},
    {"data", Verb::kData, "DATA"},
    {"DATA ", Verb::kData, "DATA"},  // trailing SP tolerated
    {"RSET", Verb::kRset, "RSET"},
    {"rSeT", Verb::kRset, "RSET"},
    {"NOOP", Verb::kNoop, "NOOP"},
    {"noop hello there", Verb::kNoop, "NOOP hello there"},
    {"NOOP   padded  ", Verb::kNoop, "NOOP padded"},
    {"QUIT", Verb::kQuit, "QUIT"},
    {"quit", Verb::kQuit, "QUIT"},
    {"VRFY alice", Verb::kVrfy, "VRFY alice"},
    {"vrfy John Smith", Verb::kVrfy, "VRFY John Smith"},
    {"VRFY <alice@example.test>", Verb::kVrfy, "VRFY <alice@example.test>"},
    {"EXPN staff", Verb::kExpn, "EXPN staff"},
    {"expn Mailing-List", Verb::kExpn, "EXPN Mailing-List"},
    {"HELP", Verb::kHelp, "HELP"},
    {"help MAIL", Verb::kHelp, "HELP MAIL"},
    {"STARTTLS", Verb::kStartTls, "STARTTLS"},
    {"StartTLS", Verb::kStartTls, "STARTTLS"},
    {"AUTH PLAIN", Verb::kAuth, "AUTH PLAIN"},
    {"auth login", Verb::kAuth, "AUTH LOGIN"},
    {"BDAT 1", Verb::kBdat, "BDAT 1"},
    {"MAIL FROM:<alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"mail from:<alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"RCPT TO:<bob@example.test>", Verb::kRcpt, "RCPT TO:<bob@example.test>"},
    {"rcpt to:<bob@example.test>", Verb::kRcpt, "RCPT TO:<bob@example.test>"},
};
INSTANTIATE_TEST_SUITE_P(Verbs, AcceptTest, testing::ValuesIn(kVerbCases));

const OkCase kPathCases[] = {
    {"MAIL FROM:<>", Verb::kMail, "MAIL FROM:<>"},
    {"MAIL FROM: <alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"MAIL FROM:    <alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"MAIL  FROM:<alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"MAIL FROM:<alice@example.test>   ", Verb::kMail, "MAIL FROM:<alice@example.test>"},
    {"RCPT TO: <bob@example.test>", Verb::kRcpt, "RCPT TO:<bob@example.test>"},
    {"RCPT TO:<Postmaster>", Verb::kRcpt, "RCPT TO:<Postmaster>"},
    {"MAIL FROM:<alice@example.test>", Verb::kMail, "MAIL FROM:<alice@example.test>",
     Opts::kStrict},
    // KB 304897, typed by hand in telnet.
    {"MAIL FROM:NomeUtente@dominio.tld", Verb::kMail, "MAIL FROM:<NomeUtente@dominio.tld>"},
    {"MAIL FROM:localuser", Verb::kMail, "MAIL FROM:<localuser>"},
    {"RCPT TO:user%remote.invalid", Verb::kRcpt, "RCPT TO:<user%remote.invalid>"},
    {"RCPT TO:\"user@remote.invalid\"", Verb::kRcpt, "RCPT TO:<\"user@remote.invalid\">"},
    {"MAIL FROM:<user@[192.0.2.1]>", Verb::kMail, "MAIL FROM:<user@[192.0.2.1]>"},
    // UTF-8 needs SMTPUTF8 (MAIL) or an SMTPUTF8 transaction (RCPT).
    {"MAIL FROM:<j\xC3\xB6rg@example.test> SMTPUTF8", Verb::kMail,
     "MAIL FROM:<j\xC3\xB6rg@example.test> SMTPUTF8"},
    {"RCPT TO:<j\xC3\xB6rg@example.test>", Verb::kRcpt, "RCPT TO:<j\xC3\xB6rg@example.test>",
     Opts::kUtf8Tx},
};
INSTANTIATE_TEST_SUITE_P(Paths, AcceptTest, testing::ValuesIn(kPathCases));

const OkCase kParamCases[] = {
    {"MAIL FROM:<a@example.test> SIZE=1000", Verb::kMail, "MAIL FROM:<a@example.test> SIZE=1000"},
    {"MAIL FROM:<a@example.test> size=0001000", Verb::kMail,
     "MAIL FROM:<a@example.test> SIZE=1000"},
    {"MAIL FROM:<> SIZE=0", Verb::kMail, "MAIL FROM:<> SIZE=0"},
    {"MAIL FROM:<a@example.test> SIZE=18446744073709551615", Verb::kMail,
     "MAIL FROM:<a@example.test> SIZE=18446744073709551615"},
    {"MAIL FROM:<a@example.test> BODY=8bitmime", Verb::kMail,
     "MAIL FROM:<a@example.test> BODY=8BITMIME"},
    {"MAIL FROM:<a@example.test> BODY=7BIT", Verb::kMail, "MAIL FROM:<a@example.test> BODY=7BIT"},
    {"MAIL FROM:<a@example.test> Body=BinaryMIME", Verb::kMail,
     "MAIL FROM:<a@example.test> BODY=BINARYMIME"},
    {"MAIL FROM:<a@example.test> smtputf8", Verb::kMail, "MAIL FROM:<a@example.test> SMTPUTF8"},
    {"MAIL FROM:<a@example.test> AUTH=<>", Verb::kMail, "MAIL FROM:<a@example.test> AUTH=<>"},
    {"MAIL FROM:<a@example.test> AUTH=alice+40example.test", Verb::kMail,
     "MAIL FROM:<a@example.test> AUTH=alice@example.test"},
    {"MAIL FROM:<a@example.test> AUTH=a+2Bb@example.test", Verb::kMail,
     "MAIL FROM:<a@example.test> AUTH=a+2Bb@example.test"},
    {"MAIL FROM:<a@example.test> RET=hdrs", Verb::kMail, "MAIL FROM:<a@example.test> RET=HDRS"},
    {"MAIL FROM:<a@example.test> RET=FULL", Verb::kMail, "MAIL FROM:<a@example.test> RET=FULL"},
    {"MAIL FROM:<a@example.test> ENVID=QQ314159", Verb::kMail,
     "MAIL FROM:<a@example.test> ENVID=QQ314159"},
    {"MAIL FROM:<a@example.test> ENVID=id+20with+20spaces", Verb::kMail,
     "MAIL FROM:<a@example.test> ENVID=id+20with+20spaces"},
    {"MAIL FROM:<a@example.test> ENVID=" + std::string(100, 'e'), Verb::kMail,
     "MAIL FROM:<a@example.test> ENVID=" + std::string(100, 'e')},
    // Fixed order in the canonical form, any order and spacing on input.
    {"MAIL FROM:<a@example.test> ENVID=x RET=FULL SMTPUTF8 BODY=8BITMIME SIZE=5 AUTH=<>",
     Verb::kMail,
     "MAIL FROM:<a@example.test> SIZE=5 BODY=8BITMIME SMTPUTF8 AUTH=<> RET=FULL ENVID=x"},
    {"MAIL FROM:<a@example.test>   SIZE=5    BODY=7BIT  ", Verb::kMail,
     "MAIL FROM:<a@example.test> SIZE=5 BODY=7BIT"},
    {"RCPT TO:<b@example.test> NOTIFY=NEVER", Verb::kRcpt, "RCPT TO:<b@example.test> NOTIFY=NEVER"},
    {"RCPT TO:<b@example.test> notify=failure,success", Verb::kRcpt,
     "RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE"},
    {"RCPT TO:<b@example.test> NOTIFY=DELAY,SUCCESS,FAILURE", Verb::kRcpt,
     "RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE,DELAY"},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;b@example.test", Verb::kRcpt,
     "RCPT TO:<b@example.test> ORCPT=rfc822;b@example.test"},
    {"RCPT TO:<b@example.test> ORCPT=RFC822;b+2Bx@example.test", Verb::kRcpt,
     "RCPT TO:<b@example.test> ORCPT=rfc822;b+2Bx@example.test"},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;b+40example.test NOTIFY=DELAY", Verb::kRcpt,
     "RCPT TO:<b@example.test> NOTIFY=DELAY ORCPT=rfc822;b@example.test"},
};
INSTANTIATE_TEST_SUITE_P(Params, AcceptTest, testing::ValuesIn(kParamCases));

const OkCase kAuthCases[] = {
    {"AUTH PLAIN AGd1ZXN0AGd1ZXN0LXBhc3M=", Verb::kAuth, "AUTH PLAIN AGd1ZXN0AGd1ZXN0LXBhc3M="},
    {"auth plain AGd1ZXN0AGd1ZXN0LXBhc3M=", Verb::kAuth, "AUTH PLAIN AGd1ZXN0AGd1ZXN0LXBhc3M="},
    {"AUTH PLAIN =", Verb::kAuth, "AUTH PLAIN ="},
    {"AUTH PLAIN AAAA", Verb::kAuth, "AUTH PLAIN AAAA"},  // base64("\0\0\0"): null creds
    {"AUTH LOGIN dXNlcg==", Verb::kAuth, "AUTH LOGIN dXNlcg=="},
    {"AUTH CRAM-MD5", Verb::kAuth, "AUTH CRAM-MD5"},
    {"AUTH scram-sha-256", Verb::kAuth, "AUTH SCRAM-SHA-256"},
    {"AUTH X_OAUTH2 dGVzdA+/", Verb::kAuth, "AUTH X_OAUTH2 dGVzdA+/"},
    {"AUTH NTLM", Verb::kAuth, "AUTH NTLM"},  // MS02-011's mechanism
    {"AUTH ABCDEFGHIJKLMNOPQRST", Verb::kAuth, "AUTH ABCDEFGHIJKLMNOPQRST"},  // 20 chars
    {"AUTH  PLAIN   AAAA  ", Verb::kAuth, "AUTH PLAIN AAAA"},
};
INSTANTIATE_TEST_SUITE_P(Auth, AcceptTest, testing::ValuesIn(kAuthCases));

const OkCase kBdatCases[] = {
    {"BDAT 0 LAST", Verb::kBdat, "BDAT 0 LAST"},
    {"BDAT 18446744073709551615", Verb::kBdat, "BDAT 18446744073709551615"},
    {"bdat 5 last", Verb::kBdat, "BDAT 5 LAST"},
    {"BDAT 0005", Verb::kBdat, "BDAT 5"},
    {"BDAT 00000000000000000000000000000042 LAST", Verb::kBdat, "BDAT 42 LAST"},
    {"BDAT 1000 Last", Verb::kBdat, "BDAT 1000 LAST"},
    {"BDAT 4", Verb::kBdat, "BDAT 4"},  // the MS02-012 (Nessus 10885) chunk header
};
INSTANTIATE_TEST_SUITE_P(Bdat, AcceptTest, testing::ValuesIn(kBdatCases));

const OkCase kLengthCases[] = {
    {"NOOP " + std::string(505, 'x'), Verb::kNoop, "NOOP " + std::string(505, 'x')},  // 510
    {"NOOP " + std::string(993, 'x'), Verb::kNoop, "NOOP " + std::string(993, 'x'),
     Opts::kLong},  // 998 + CRLF = 1000
};
INSTANTIATE_TEST_SUITE_P(Length, AcceptTest, testing::ValuesIn(kLengthCases));

// ---------------------------------------------------------------------------------------
// Refused lines: exact reply code, enhanced code and a reason substring.

struct ErrCase {
  std::string line;
  int code;
  std::string enhanced;
  std::string reason;  // substring of the reason
  Opts opts = Opts::kDefault;
};
void PrintTo(const ErrCase& c, std::ostream* os) { *os << '"' << Printable(c.line) << '"'; }

class RejectTest : public testing::TestWithParam<ErrCase> {};

TEST_P(RejectTest, FailsWithReply) {
  const ErrCase& c = GetParam();
  const absl::StatusOr<Command> command = ParseCommand(c.line, Make(c.opts));
  ASSERT_FALSE(command.ok()) << "accepted as " << FormatCommand(*command);
  const SmtpError error = SmtpErrorOf(command.status());
  EXPECT_EQ(error.code, c.code) << error.reason;
  EXPECT_EQ(error.enhanced, c.enhanced) << error.reason;
  EXPECT_NE(error.reason.find(c.reason), std::string::npos)
      << "reason \"" << error.reason << "\" lacks \"" << c.reason << '"';
  EXPECT_FALSE(HasControl(error.reason));
  EXPECT_LE(error.reason.size(), 200u) << error.reason;
}

const ErrCase kFramingErrors[] = {
    {"NOOP " + std::string(506, 'x'), 500, "5.5.2",
     "command line too long (513 octets, limit 512)"},
    {"EHLO " + std::string(2000, 'a'), 500, "5.5.2", "(2007 octets, limit 512)"},  // CVE-2019-16928
    {"NOOP " + std::string(994, 'x'), 500, "5.5.2", "(1001 octets, limit 1000)", Opts::kLong},
    {"NOOP " + std::string(600, 'x') + "\n", 500, "5.5.2", "too long"},  // length checked first
    {"NOOP\0"s, 501, "5.5.2", "NUL in command at offset 4"},
    {"MAIL FROM:<a\0@example.test>"s, 501, "5.5.2", "NUL in command at offset 12"},
    {"EHLO c.test\n", 501, "5.5.2", "bare LF in command at offset 11"},
    {"EHLO c.test\r", 501, "5.5.2", "bare CR in command at offset 11"},
    {"RSET\r\nRSET", 501, "5.5.2", "CRLF in command at offset 4"},
    {"\n", 501, "5.5.2", "bare LF in command at offset 0"},
};
INSTANTIATE_TEST_SUITE_P(Framing, RejectTest, testing::ValuesIn(kFramingErrors));

const ErrCase kVerbErrors[] = {
    {"", 500, "5.5.1", "unrecognized command: empty line"},
    {" HELO x", 500, "5.5.1", "starts with a space"},
    {"FOO", 500, "5.5.1", "unrecognized command \"FOO\""},
    {"GET / HTTP/1.1", 500, "5.5.1", "unrecognized command \"GET\""},
    {"HELOX example.test", 500, "5.5.1", "\"HELOX\""},
    {"STARTTLSX", 500, "5.5.1", "\"STARTTLSX\""},
    {"MAIL\tFROM:<a@example.test>", 500, "5.5.1", "\"MAIL?FROM:<a@example\"..."},
    {"BDAT\t10", 500, "5.5.1", "\"BDAT?10\""},
    {"\xFF\xFEHELO", 500, "5.5.1", "\"??HELO\""},
    {std::string(100, 'Z'), 500, "5.5.1", "\"" + std::string(20, 'Z') + "\"..."},
    {"DATA x", 501, "5.5.4", "DATA takes no argument"},
    {"RSET now", 501, "5.5.4", "RSET takes no argument"},
    {"QUIT please", 501, "5.5.4", "QUIT takes no argument"},
    {"STARTTLS x", 501, "5.5.4", "STARTTLS takes no argument (RFC 3207)"},
    {"VRFY", 501, "5.5.4", "VRFY requires an argument"},
    {"EXPN   ", 501, "5.5.4", "EXPN requires an argument"},
    {"EHLO", 501, "5.5.4", "EHLO requires a domain"},
    {"HELO ", 501, "5.5.4", "HELO requires a domain"},
    {"EHLO a.example b.example", 501, "5.5.4", "exactly one argument"},
    {"EHLO -bad.example", 501, "5.5.4", "label starts with '-'"},
    {"EHLO bad-.example", 501, "5.5.4", "label ends with '-'"},
    {"EHLO bad_host", 501, "5.5.4", "character '_' not allowed in a domain at offset 3"},
    {"EHLO a..example", 501, "5.5.4", "empty domain label at offset 2"},
    {"EHLO example.test.", 501, "5.5.4", "trailing dot"},
    {"EHLO " + std::string(64, 'a') + ".example", 501, "5.5.4", "64 octets long, limit 63"},
    {"EHLO " + std::string(200, 'a') + "." + std::string(60, 'b'), 501, "5.5.4",
     "261 octets long, limit 255", Opts::kLong},
    {"EHLO j\xC3\xB6rg.example", 501, "5.5.4", "character '\\xC3'"},
    {"EHLO [300.0.0.1]", 501, "5.5.4", "malformed IPv4 address literal"},
    {"EHLO [192.0.2]", 501, "5.5.4", "malformed IPv4 address literal"},
    {"EHLO [192.0.2.1", 501, "5.5.4", "does not end with ']'"},
    {"EHLO []", 501, "5.5.4", "empty address literal"},
    {"EHLO [IPv6:2001:db8:::1]", 501, "5.5.4", "malformed IPv6"},
    {"EHLO [IPv6:1:2:3:4:5:6:7:8:9]", 501, "5.5.4", "malformed IPv6"},
    {"EHLO [IPv6:192.0.2.1]", 501, "5.5.4", "malformed IPv6"},
    {"EHLO [tag-:x]", 501, "5.5.4", "malformed address literal tag"},
    {"EHLO [t_g:x]", 501, "5.5.4", "malformed address literal tag"},
    {"EHLO [tag:a[b]", 501, "5.5.4", "character '['"},
};
INSTANTIATE_TEST_SUITE_P(Verbs, RejectTest, testing::ValuesIn(kVerbErrors));

const ErrCase kPathErrors[] = {
    {"MAIL", 501, "5.5.2", "syntax: MAIL FROM:<address>"},
    {"MAIL <a@example.test>", 501, "5.5.2", "syntax: MAIL FROM:<address>"},
    {"MAIL TO:<a@example.test>", 501, "5.5.2", "syntax: MAIL FROM:<address>"},
    {"MAIL FROM", 501, "5.5.2", "(missing colon)"},
    {"MAIL FROM <a@example.test>", 501, "5.5.2", "(missing colon)"},
    {"MAIL FROMAGE:<a@example.test>", 501, "5.5.2", "unexpected \"A\" at offset 9"},
    {"MAIL FROM :<a@example.test>", 501, "5.5.2", "no space allowed before the colon"},
    {"RCPT TO :<b@example.test>", 501, "5.5.2", "no space allowed before the colon"},
    {"RCPT", 501, "5.5.2", "syntax: RCPT TO:<address>"},
    {"RCPT FROM:<b@example.test>", 501, "5.5.2", "syntax: RCPT TO:<address>"},
    {"MAIL FROM:", 501, "5.5.2", "MAIL FROM: requires a reverse-path"},
    {"MAIL FROM:    ", 501, "5.5.2", "MAIL FROM: requires a reverse-path"},
    {"RCPT TO:", 501, "5.5.2", "RCPT TO: requires a forward-path"},
    {"MAIL FROM: <a@example.test>", 501, "5.5.2", "no space allowed after colon (RFC 5321 3.3)",
     Opts::kStrict},
    {"RCPT TO: <b@example.test>", 501, "5.5.2", "no space allowed after colon", Opts::kStrict},
    {"MAIL FROM:<a@example.test>SIZE=5", 501, "5.5.2",
     "expected a space after the path at offset 26"},
    {"MAIL FROM:<;sleep 66;>@example.test", 501, "5.5.2",
     "expected a space after the path at offset 22"},
    {"RCPT TO:<a@example.test>\"", 501, "5.5.2", "expected a space after the path at offset 24"},
};
INSTANTIATE_TEST_SUITE_P(Paths, RejectTest, testing::ValuesIn(kPathErrors));

const ErrCase kParamErrors[] = {
    {"MAIL FROM:<a@example.test> SIZE", 501, "5.5.4", "SIZE requires a value"},
    {"MAIL FROM:<a@example.test> SIZE=", 501, "5.5.4", "SIZE requires a value"},
    {"MAIL FROM:<a@example.test> SIZE=abc", 501, "5.5.4", "not a decimal number"},
    {"MAIL FROM:<a@example.test> SIZE=-1", 501, "5.5.4", "SIZE value \"-1\" at offset 32"},
    {"MAIL FROM:<a@example.test> SIZE=1.5", 501, "5.5.4", "not a decimal number"},
    {"MAIL FROM:<a@example.test> SIZE=18446744073709551616", 501, "5.5.4",
     "SIZE value does not fit in 64 bits"},
    {"MAIL FROM:<a@example.test> SIZE=000000000000000000001", 501, "5.5.4", "21 digits, limit 20"},
    {"MAIL FROM:<a@example.test> SIZE=1 SIZE=2", 501, "5.5.4", "duplicate parameter SIZE"},
    {"MAIL FROM:<a@example.test> SIZE=1=2", 501, "5.5.4", "'=' at offset 33"},
    {"MAIL FROM:<a@example.test> SIZE=5\x80", 501, "5.5.4", "octet 0x80 at offset 33"},
    {"MAIL FROM:<a@example.test> BODY=9BIT", 501, "5.5.4",
     "BODY value \"9BIT\" is not 7BIT, 8BITMIME or BINARYMIME"},
    {"MAIL FROM:<a@example.test> BODY", 501, "5.5.4", "BODY requires a value"},
    {"MAIL FROM:<a@example.test> body=8bitmime BODY=7BIT", 501, "5.5.4",
     "duplicate parameter BODY"},
    {"MAIL FROM:<a@example.test> SMTPUTF8=yes", 501, "5.5.4", "SMTPUTF8 takes no value"},
    {"MAIL FROM:<a@example.test> SMTPUTF8 smtputf8", 501, "5.5.4", "duplicate parameter SMTPUTF8"},
    {"MAIL FROM:<a@example.test> AUTH", 501, "5.5.4", "AUTH requires a value"},
    {"MAIL FROM:<a@example.test> AUTH=a+2", 501, "5.5.4", "malformed xtext in AUTH at offset 33"},
    {"MAIL FROM:<a@example.test> AUTH=a+2b", 501, "5.5.4", "two upper-case hex digits"},
    {"MAIL FROM:<a@example.test> AUTH=a+ZZ@x", 501, "5.5.4", "malformed xtext in AUTH"},
    {"MAIL FROM:<a@example.test> AUTH=a+0D+0ARCPT", 501, "5.5.4", "encodes octet 0x0D"},
    {"MAIL FROM:<a@example.test> RET=NONE", 501, "5.5.4", "RET value \"NONE\" is not FULL or HDRS"},
    {"MAIL FROM:<a@example.test> ENVID=" + std::string(101, 'e'), 501, "5.5.4",
     "ENVID is 101 characters long, limit 100"},
    {"MAIL FROM:<a@example.test> ENVID=+00", 501, "5.5.4", "encodes octet 0x00"},
    {"MAIL FROM:<a@example.test> ENVID=+", 501, "5.5.4", "malformed xtext in ENVID"},
    {"MAIL FROM:<a@example.test> FOO=bar", 555, "5.5.4", "unknown MAIL parameter FOO"},
    {"MAIL FROM:<a@example.test> foo", 555, "5.5.4", "unknown MAIL parameter FOO"},
    {"MAIL FROM:<a@example.test> NOTIFY=NEVER", 555, "5.5.4",
     "NOTIFY is a RCPT parameter, not allowed on MAIL"},
    {"MAIL FROM:<a@example.test> ORCPT=rfc822;a@example.test", 555, "5.5.4",
     "ORCPT is a RCPT parameter"},
    {"RCPT TO:<b@example.test> SIZE=5", 555, "5.5.4",
     "SIZE is a MAIL parameter, not allowed on RCPT"},
    {"RCPT TO:<b@example.test> SMTPUTF8", 555, "5.5.4", "SMTPUTF8 is a MAIL parameter"},
    {"RCPT TO:<b@example.test> X-FOO=1", 555, "5.5.4", "unknown RCPT parameter X-FOO"},
    {"MAIL FROM:<a@example.test> -FOO=1", 501, "5.5.4", "malformed parameter \"-FOO=1\""},
    {"MAIL FROM:<a@example.test> =5", 501, "5.5.4", "malformed parameter \"=5\" at offset 27"},
    {"MAIL FROM:<a@example.test> SI_ZE=5", 501, "5.5.4", "esmtp-keyword"},
    {"RCPT TO:<b@example.test> NOTIFY=NEVER,SUCCESS", 501, "5.5.4",
     "NOTIFY=NEVER cannot be combined"},
    {"RCPT TO:<b@example.test> NOTIFY=SUCCESS,NEVER", 501, "5.5.4",
     "NOTIFY=NEVER cannot be combined"},
    {"RCPT TO:<b@example.test> NOTIFY=SUCCESS,success", 501, "5.5.4",
     "NOTIFY lists \"success\" twice"},
    {"RCPT TO:<b@example.test> NOTIFY=SOMETIMES", 501, "5.5.4",
     "\"SOMETIMES\" at offset 32 is not NEVER, SUCCESS, FAILURE or DELAY"},
    {"RCPT TO:<b@example.test> NOTIFY=SUCCESS,", 501, "5.5.4", "NOTIFY value \"\" at offset 40"},
    {"RCPT TO:<b@example.test> NOTIFY=,DELAY", 501, "5.5.4", "NOTIFY value \"\""},
    {"RCPT TO:<b@example.test> NOTIFY", 501, "5.5.4", "NOTIFY requires a value"},
    {"RCPT TO:<b@example.test> NOTIFY=NEVER NOTIFY=NEVER", 501, "5.5.4",
     "duplicate parameter NOTIFY"},
    {"RCPT TO:<b@example.test> ORCPT=b@example.test", 501, "5.5.4",
     "ORCPT must be addr-type;xtext"},
    {"RCPT TO:<b@example.test> ORCPT=;b@example.test", 501, "5.5.4",
     "ORCPT address type \"\" at offset 31 is not an atom"},
    {"RCPT TO:<b@example.test> ORCPT=rfc@822;b", 501, "5.5.4", "is not an atom"},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;", 501, "5.5.4", "ORCPT has an empty original address"},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;b+0A", 501, "5.5.4", "encodes octet 0x0A"},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;" + std::string(495, 'o'), 501, "5.5.4",
     "ORCPT value is 502 characters long, limit 500", Opts::kLong},
    {"RCPT TO:<b@example.test> ORCPT=rfc822;a ORCPT=rfc822;b", 501, "5.5.4",
     "duplicate parameter ORCPT"},
};
INSTANTIATE_TEST_SUITE_P(Params, RejectTest, testing::ValuesIn(kParamErrors));

const ErrCase kAuthErrors[] = {
    {"AUTH", 501, "5.5.4", "AUTH requires a mechanism name"},
    {"AUTH   ", 501, "5.5.4", "AUTH requires a mechanism name"},
    {"AUTH PL@IN", 501, "5.5.4", "malformed SASL mechanism name \"PL@IN\""},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU", 501, "5.5.4", "malformed SASL mechanism name"},  // 21
    {"AUTH PL\xC3\x84IN", 501, "5.5.4", "malformed SASL mechanism name \"PL??IN\""},
    {"AUTH PLAIN abc", 501, "5.5.2", "length 3 is not a multiple of 4"},
    {"AUTH PLAIN ab!d", 501, "5.5.2",
     "initial response is not base64: character \"!\" at offset 13"},
    {"AUTH PLAIN ==", 501, "5.5.2", "not a multiple of 4"},
    {"AUTH PLAIN a=bc", 501, "5.5.2", "data after '=' padding at offset 13"},
    {"AUTH PLAIN A===", 501, "5.5.2", "more than two '='"},
    {"AUTH PLAIN *", 501, "5.5.2", "initial response is not base64"},
    {"AUTH PLAIN AAAA extra", 501, "5.5.4",
     "unexpected text at offset 16: AUTH takes a mechanism and at most one initial response"},
};
INSTANTIATE_TEST_SUITE_P(Auth, RejectTest, testing::ValuesIn(kAuthErrors));

const ErrCase kBdatErrors[] = {
    {"BDAT", 501, "5.5.4", "BDAT requires a chunk size"},
    {"BDAT ", 501, "5.5.4", "BDAT requires a chunk size"},
    {"BDAT abc", 501, "5.5.4", "BDAT chunk size \"abc\" is not a decimal number"},
    {"BDAT LAST", 501, "5.5.4", "\"LAST\" is not a decimal number"},
    {"BDAT -1", 501, "5.5.4", "must be unsigned digits, got sign '-' at offset 5"},
    {"BDAT +5", 501, "5.5.4", "must be unsigned digits, got sign '+'"},
    {"BDAT 1.5", 501, "5.5.4", "(character \".\" at offset 6)"},
    {"BDAT 0x10", 501, "5.5.4", "(character \"x\" at offset 6)"},
    {"BDAT 10LAST", 501, "5.5.4", "(character \"L\" at offset 7)"},
    {"BDAT 10 FIRST", 501, "5.5.4", "expected LAST after the BDAT chunk size, got \"FIRST\""},
    {"BDAT 4 b00mAUTH LOGIN", 501, "5.5.4", "got \"b00mAUTH\""},  // MS02-012 bytes on the line
    {"BDAT 10 LAST extra", 501, "5.5.4", "unexpected text after BDAT ... LAST at offset 12"},
    {"BDAT 10 LAST ", 501, "5.5.4", "unexpected text after BDAT ... LAST"},
    {"BDAT  10", 501, "5.5.4", "more than one space before the BDAT chunk size at offset 5"},
    {"BDAT 10  LAST", 501, "5.5.4", "more than one space after the BDAT chunk size"},
    {"BDAT 10 ", 501, "5.5.4", "trailing space after the BDAT chunk size at offset 7"},
    {"BDAT 18446744073709551616", 501, "5.5.4", "BDAT chunk size does not fit in 64 bits"},
    {"BDAT 99999999999999999999", 501, "5.5.4", "BDAT chunk size does not fit in 64 bits"},
    {"BDAT 184467440737095516150 LAST", 501, "5.5.4", "does not fit in 64 bits"},
};
INSTANTIATE_TEST_SUITE_P(Bdat, RejectTest, testing::ValuesIn(kBdatErrors));

// ---------------------------------------------------------------------------------------
// Path errors come from the address parser and pass through unchanged.

struct PathErrCase {
  std::string line;
  int code;                     // 553 or 501
  std::string enhanced_prefix;  // "5.1." or "5.6.7"
  Opts opts = Opts::kDefault;
};
void PrintTo(const PathErrCase& c, std::ostream* os) { *os << '"' << Printable(c.line) << '"'; }

class PathRejectTest : public testing::TestWithParam<PathErrCase> {};

TEST_P(PathRejectTest, AddressErrorPassesThrough) {
  const PathErrCase& c = GetParam();
  const CommandOptions options = Make(c.opts);
  const absl::StatusOr<Command> command = ParseCommand(c.line, options);
  ASSERT_FALSE(command.ok()) << "accepted as " << FormatCommand(*command);
  const SmtpError error = SmtpErrorOf(command.status());
  EXPECT_EQ(error.code, c.code) << error.reason;
  EXPECT_EQ(error.enhanced.rfind(c.enhanced_prefix, 0), 0u) << error.enhanced;
  EXPECT_FALSE(error.reason.empty());
  EXPECT_FALSE(HasControl(error.reason));
  // Exactly what ParsePath says about the same path token.
  const std::string_view line = c.line;
  const size_t colon = line.find(':');
  std::string_view token = line.substr(colon + 1);
  token = token.substr(token.find_first_not_of(' '));
  token = token.substr(0, PathTokenLength(token));
  AddressOptions address_options;
  address_options.reverse_path = line.substr(0, 4) == "MAIL";
  address_options.smtputf8 = options.smtputf8_transaction && !address_options.reverse_path;
  address_options.allow_unbracketed = options.allow_unbracketed;
  address_options.allow_domainless = options.allow_domainless;
  const absl::StatusOr<Path> path = ParsePath(token, address_options);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status(), command.status());
}

const PathErrCase kPathSyntaxErrors[] = {
    // Injection strings (catalogue C.7).
    {"MAIL FROM:<;sleep 66;>", 553, "5.1.7"},  // OpenSMTPD CVE-2020-7247
    {"RCPT TO:<${run{\\x2Fbin\\x2Fsh\\t-c\\t\\x22id\\x22}}@localhost>", 553, "5.1.3"},  // Exim
    {"RCPT TO:<${run{/bin/sh -c \"id\"}}@localhost>", 553, "5.1.3"},
    {"RCPT TO:<$(id)@localhost>", 553, "5.1.3"},
    // nmap / Metasploit relay forms that are not RFC 5321 syntax.
    {"RCPT TO:<to@remote.invalid@[192.0.2.1]>", 553, "5.1.3"},      // nmap 9
    {"RCPT TO:<to@remote.invalid@mx.example.test>", 553, "5.1.3"},  // nmap 11
    {"RCPT TO:<>", 553, "5.1.3"},  // the null path is a reverse-path only
    {"MAIL FROM:<a@example.test", 553, "5.1.7"},
    {"MAIL FROM:a@example.test", 553, "5.1.7", Opts::kBracketsOnly},
    {"MAIL FROM:<localuser>", 553, "5.1.7", Opts::kNoDomainless},
    {"MAIL FROM:<j\xC3\xB6rg@example.test>", 553, "5.6.7"},  // UTF-8 without SMTPUTF8
    {"RCPT TO:<j\xC3\xB6rg@example.test>", 553, "5.6.7"},
    {"RCPT TO:<" + std::string(65, 'l') + "@example.test>", 501, "5.1.3"},  // local part 65
};
INSTANTIATE_TEST_SUITE_P(Addresses, PathRejectTest, testing::ValuesIn(kPathSyntaxErrors));

// ---------------------------------------------------------------------------------------
// Field-level checks.

Command MustParse(std::string_view line, const CommandOptions& options = {}) {
  absl::StatusOr<Command> command = ParseCommand(line, options);
  EXPECT_TRUE(command.ok()) << line << ": " << command.status();
  return command.ok() ? *std::move(command) : Command{};
}

TEST(CommandParserTest, MailParametersAreDecoded) {
  const Command c = MustParse(
      "MAIL FROM:<a@example.test> SIZE=0001000 BODY=8bitmime SMTPUTF8 AUTH=a+2Bb+40x.test "
      "RET=hdrs ENVID=id+20one");
  EXPECT_EQ(c.path.mailbox.local_part, "a");
  EXPECT_EQ(c.mail.size, 1000u);
  EXPECT_EQ(c.mail.body, BodyType::k8BitMime);
  EXPECT_TRUE(c.mail.smtputf8);
  EXPECT_EQ(c.mail.auth, "a+b@x.test");
  EXPECT_EQ(c.mail.ret, DsnRet::kHdrs);
  EXPECT_EQ(c.mail.envid, "id one");
  EXPECT_EQ(c.rcpt, RcptParameters{});
}

TEST(CommandParserTest, NullAuthIsKeptAsAngleBrackets) {
  EXPECT_EQ(MustParse("MAIL FROM:<> AUTH=<>").mail.auth, "<>");
  EXPECT_EQ(MustParse("MAIL FROM:<>").mail.auth, std::nullopt);
}

TEST(CommandParserTest, RcptParametersAreDecoded) {
  const Command c =
      MustParse("RCPT TO:<b@example.test> NOTIFY=failure,DELAY ORCPT=RFC822;B+2Bx@Example.test");
  ASSERT_TRUE(c.rcpt.notify.has_value());
  EXPECT_EQ(*c.rcpt.notify, (DsnNotify{false, false, true, true}));
  EXPECT_EQ(c.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(c.rcpt.orcpt, "B+x@Example.test");  // the address keeps its case
  EXPECT_EQ(c.mail, MailParameters{});
  EXPECT_EQ(MustParse("RCPT TO:<b@example.test> NOTIFY=never").rcpt.notify,
            (DsnNotify{true, false, false, false}));
}

TEST(CommandParserTest, BdatSizeAndLast) {
  struct {
    std::string line;
    uint64_t size;
    bool last;
  } const cases[] = {
      {"BDAT 0 LAST", 0, true},
      {"BDAT 18446744073709551615", UINT64_MAX, false},
      {"bdat 5 last", 5, true},
      {"BDAT 0000000000000000000000001", 1, false},
      {"BDAT 4294967296 LAST", 4294967296u, true},
  };
  for (const auto& c : cases) {
    const Command command = MustParse(c.line);
    EXPECT_EQ(command.verb, Verb::kBdat) << c.line;
    EXPECT_EQ(command.bdat_size, c.size) << c.line;
    EXPECT_EQ(command.bdat_last, c.last) << c.line;
  }
}

TEST(CommandParserTest, AuthKeepsMechanismUpperAndResponseVerbatim) {
  const Command c = MustParse("auth plain AGd1ZXN0AGd1ZXN0LXBhc3M=");
  EXPECT_EQ(c.argument, "PLAIN");
  EXPECT_EQ(c.auth_initial_response, "AGd1ZXN0AGd1ZXN0LXBhc3M=");
  EXPECT_EQ(MustParse("AUTH PLAIN =").auth_initial_response, "=");
  EXPECT_EQ(MustParse("AUTH LOGIN").auth_initial_response, std::nullopt);
}

TEST(CommandParserTest, ArgumentsAreTrimmedNotRewritten) {
  EXPECT_EQ(MustParse("EHLO  Client.Example.TEST ").argument, "Client.Example.TEST");
  EXPECT_EQ(MustParse("VRFY  John  Smith ").argument, "John  Smith");
  EXPECT_EQ(MustParse("NOOP").argument, "");
  EXPECT_EQ(MustParse("HELP rcpt").argument, "rcpt");
}

TEST(CommandParserTest, VerbNames) {
  const std::pair<Verb, std::string_view> names[] = {
      {Verb::kHelo, "HELO"}, {Verb::kEhlo, "EHLO"}, {Verb::kMail, "MAIL"},
      {Verb::kRcpt, "RCPT"}, {Verb::kData, "DATA"}, {Verb::kRset, "RSET"},
      {Verb::kNoop, "NOOP"}, {Verb::kQuit, "QUIT"}, {Verb::kVrfy, "VRFY"},
      {Verb::kExpn, "EXPN"}, {Verb::kHelp, "HELP"}, {Verb::kStartTls, "STARTTLS"},
      {Verb::kAuth, "AUTH"}, {Verb::kBdat, "BDAT"},
  };
  static_assert(std::size(names) == kVerbCount);
  for (const auto& [verb, name] : names) EXPECT_EQ(VerbName(verb), name);
}

// ---------------------------------------------------------------------------------------
// Relay forms: the routing domain never comes from a source route, '%', '!' or a quoted
// local part (catalogue A, KB 304897 tests 6 and 7).

struct RouteCase {
  std::string line;
  std::string routing_domain;  // "" for a domain-less mailbox
  std::string local_part;      // as on the wire
};
void PrintTo(const RouteCase& c, std::ostream* os) { *os << '"' << Printable(c.line) << '"'; }

class RoutingTest : public testing::TestWithParam<RouteCase> {};

TEST_P(RoutingTest, RoutingDomainIsTheMailboxDomain) {
  const RouteCase& c = GetParam();
  const Command command = MustParse(c.line);
  ASSERT_EQ(command.path.kind, Path::Kind::kMailbox);
  EXPECT_EQ(command.path.mailbox.RoutingDomain(), c.routing_domain);
  EXPECT_EQ(command.path.mailbox.local_part, c.local_part);
  EXPECT_EQ(MustParse(FormatCommand(command)), command);
}

const RouteCase kRouteCases[] = {
    // nmap smtp-open-relay / Metasploit smtp_relay, MAIL side.
    {"MAIL FROM:<from@remote.invalid>", "remote.invalid", "from"},    // 2
    {"MAIL FROM:<from@mx.example.test>", "mx.example.test", "from"},  // 3
    {"MAIL FROM:<from@[192.0.2.1]>", "[192.0.2.1]", "from"},          // 4-16
    // RCPT side.
    {"RCPT TO:<to@remote.invalid>", "remote.invalid", "to"},                          // 1-4
    {"RCPT TO:<to%remote.invalid@[192.0.2.1]>", "[192.0.2.1]", "to%remote.invalid"},  // 5
    {"RCPT TO:<to%remote.invalid@mx.example.test>", "mx.example.test", "to%remote.invalid"},
    {"RCPT TO:<\"to@remote.invalid\">", "", "\"to@remote.invalid\""},  // 7
    {"RCPT TO:<\"to%remote.invalid\">", "", "\"to%remote.invalid\""},  // 8
    {"RCPT TO:<\"to@remote.invalid\"@[192.0.2.1]>", "[192.0.2.1]", "\"to@remote.invalid\""},
    {"RCPT TO:<@[192.0.2.1]:to@remote.invalid>", "remote.invalid", "to"},             // 12
    {"RCPT TO:<@mx.example.test:to@remote.invalid>", "remote.invalid", "to"},         // 13
    {"RCPT TO:<remote.invalid!to>", "", "remote.invalid!to"},                         // 14
    {"RCPT TO:<remote.invalid!to@[192.0.2.1]>", "[192.0.2.1]", "remote.invalid!to"},  // 15
    {"RCPT TO:<remote.invalid!to@mx.example.test>", "mx.example.test", "remote.invalid!to"},
    // KB 304897 (unbracketed, as typed in telnet).
    {"MAIL FROM:NomeUtente@dominio.tld", "dominio.tld", "NomeUtente"},
    {"MAIL FROM:localuser", "", "localuser"},
    {"RCPT TO:user%remote.invalid", "", "user%remote.invalid"},
    {"RCPT TO:\"user@remote.invalid\"", "", "\"user@remote.invalid\""},
    // Variants no scanner tries.
    {"RCPT TO:<to@EXAMPLE.INVALID>", "example.invalid", "to"},
    {"RCPT TO:<to%remote.invalid@example.test>", "example.test", "to%remote.invalid"},
    {"RCPT TO:<example.test!remote.invalid!to>", "", "example.test!remote.invalid!to"},
    {"RCPT TO:<@a.example,@b.example:to@remote.invalid>", "remote.invalid", "to"},
    // Exim CVE-2019-10149 in its plain form is valid atext: accepted verbatim, never expanded.
    {"RCPT TO:<${run{id}}@localhost>", "localhost", "${run{id}}"},
    {"RCPT TO:<`id`@localhost>", "localhost", "`id`"},  // '`' is atext too
};
INSTANTIATE_TEST_SUITE_P(Relay, RoutingTest, testing::ValuesIn(kRouteCases));

// ---------------------------------------------------------------------------------------
// Round trip over a list of commands, and idempotence of the canonical form.

TEST(CommandParserTest, FormatRoundTrips) {
  const std::string lines[] = {
      "HELO x.example",
      "ehlo [IPv6:::1]",
      "MAIL FROM:<>",
      "mail from: <a@b.example> body=binarymime size=7 ret=full envid=+2B+2B auth=<>",
      "MAIL FROM:<\"quoted local\"@example.test> SMTPUTF8",
      "MAIL FROM:<@a.example,@b.example:a@c.example>",
      "RCPT TO:<postmaster>",
      "RCPT TO:<b@[IPv6:2001:db8::1]> NOTIFY=delay ORCPT=x-local;abc+3Ddef",
      "RCPT TO:b@example.test",
      "DATA",
      "rset",
      "NOOP  some  text ",
      "quit",
      "VRFY postmaster",
      "EXPN list",
      "HELP",
      "STARTTLS",
      "AUTH PLAIN =",
      "auth x-custom_mech dGVzdA==",
      "BDAT 000 last",
      "BDAT 18446744073709551615",
  };
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    const Command first = MustParse(line);
    const std::string canonical = FormatCommand(first);
    const Command second = MustParse(canonical);
    EXPECT_EQ(second, first);
    EXPECT_EQ(FormatCommand(second), canonical);
  }
}

TEST(CommandParserTest, FormatNeverEmitsLineBreaks) {
  Command c;
  c.verb = Verb::kNoop;
  c.argument = "x\r\nRCPT TO:<victim@remote.invalid>";
  const std::string formatted = FormatCommand(c);
  EXPECT_FALSE(HasControl(formatted)) << formatted;
  c.verb = Verb::kMail;
  c.mail.envid = std::string("a\r\n\0b", 5);
  EXPECT_NE(FormatCommand(c).find("ENVID=a+0D+0A+00b"), std::string::npos);
}

// Every seed of the fuzz corpus keeps the fuzz target's invariants (a cheap regression run
// of fuzzers/fuzz_command.cc without libFuzzer).
TEST(CommandParserTest, CorpusSeedsKeepInvariants) {
  const std::filesystem::path dir = std::filesystem::path(SourceDir()) / "corpus" / "fuzz_command";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " missing";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.empty()) continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++seeds;
    const auto bits = static_cast<unsigned char>(data[0]);
    CommandOptions options;
    options.strict_colon = bits & 1;
    options.smtputf8_transaction = bits & 2;
    options.allow_unbracketed = !(bits & 4);
    options.allow_domainless = !(bits & 8);
    if (bits & 16) options.max_line_length = 2048;
    const absl::StatusOr<Command> command = ParseCommand(std::string_view(data).substr(1), options);
    if (command.ok()) {
      const std::string formatted = FormatCommand(*command);
      EXPECT_FALSE(HasControl(formatted));
      CommandOptions again_options = options;  // brackets may make it 2 octets longer
      again_options.max_line_length = std::max(options.max_line_length, formatted.size() + 2);
      const absl::StatusOr<Command> again = ParseCommand(formatted, again_options);
      ASSERT_TRUE(again.ok()) << formatted << ": " << again.status();
      EXPECT_EQ(*again, *command);
    } else {
      const SmtpError error = SmtpErrorOf(command.status());
      EXPECT_GE(error.code, 500);
      EXPECT_LE(error.code, 599);
      EXPECT_FALSE(error.reason.empty());
      EXPECT_FALSE(HasControl(error.reason));
    }
  }
  EXPECT_GE(seeds, 45);
}

}  // namespace
}  // namespace smtpgate
