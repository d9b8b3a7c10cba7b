// The structure-aware mutator of fuzz_session (fuzzers/session_mutator.h): what it makes of
// a session must stay a well-framed input, and over many seeds it must produce each input
// class the byte-level mutator rarely reaches (authenticating credentials, relay forms, the
// BDAT integer boundaries, smuggling end-of-data forms with a second envelope).
#include "fuzzers/session_mutator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace smtpgate::fuzz {
namespace {

std::string Mutated(const std::string& input, size_t max_size, unsigned seed) {
  std::string buf = input;
  buf.resize(std::max(max_size, input.size()));
  const size_t n =
      MutateSession(reinterpret_cast<uint8_t*>(buf.data()), input.size(), max_size, seed);
  EXPECT_LE(n, max_size);
  buf.resize(n);
  return buf;
}

const std::string kSession = std::string("\x00\x07", 2) +
                             "EHLO c.test\r\nMAIL FROM:<a@remote.invalid>\r\n"
                             "RCPT TO:<alice@example.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";

TEST(SplitUnits, UnitsAreLinesWithTheirEndsAndJoinBackToTheStream) {
  const std::string stream = "EHLO a\r\nNOOP\nx\r\r\ntail";
  const std::vector<std::string_view> units = SplitUnits(stream);
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[0], "EHLO a\r\n");
  EXPECT_EQ(units[1], "NOOP\n");
  EXPECT_EQ(units[2], "x\r\r\n");
  EXPECT_EQ(units[3], "tail");
  std::string joined;
  for (std::string_view u : units) joined += u;
  EXPECT_EQ(joined, stream);
  EXPECT_TRUE(SplitUnits("").empty());
}

TEST(MutateSession, StaysWithinMaxSizeKeepsAHeaderAndIsDeterministic) {
  for (unsigned seed = 1; seed < 3000; ++seed) {
    const size_t max = 16 + seed % 400;
    const std::string out = Mutated(kSession, max, seed);
    ASSERT_GE(out.size(), 2u) << "seed " << seed;
    ASSERT_LE(out.size(), max) << "seed " << seed;
    ASSERT_EQ(out, Mutated(kSession, max, seed)) << "seed " << seed;
  }
  // Inputs shorter than the header get one.
  EXPECT_GE(Mutated("", 64, 5).size(), 2u);
  EXPECT_GE(Mutated("x", 64, 5).size(), 2u);
}

TEST(MutateSession, ChangesTheInputMostOfTheTime) {
  int changed = 0;
  for (unsigned seed = 1; seed <= 1000; ++seed)
    changed += Mutated(kSession, 4096, seed) != kSession;
  EXPECT_GT(changed, 900);
}

// Over many seeds, mutating one plain session reaches the classes the planted flaws and the
// security mutants need.
TEST(MutateSession, ReachesTheSecurityRelevantInputClasses) {
  std::set<std::string> seen;
  const auto note = [&](const std::string& out, const char* what, const char* needle) {
    if (out.find(needle) != std::string::npos) seen.insert(what);
  };
  for (unsigned seed = 1; seed <= 20000; ++seed) {
    const std::string out = Mutated(kSession, 4096, seed);
    // The PLAIN blobs "\0relayer\0relayer-pass" and "\0guest\0guest-pass" in base64.
    note(out, "plain-relayer", "AUTH PLAIN AHJlbGF5ZXIAcmVsYXllci1wYXNz");
    note(out, "plain-guest", "AUTH PLAIN AGd1ZXN0AGd1ZXN0LXBhc3M=");
    note(out, "plain-null", "AUTH PLAIN AAA=");
    note(out, "login", "AUTH LOGIN");
    note(out, "remote-rcpt", "RCPT TO:<victim@remote.invalid>");
    note(out, "percent-hack", "victim%remote.invalid@example.test");
    note(out, "source-route", "@example.test:victim@remote.invalid");
    note(out, "bang-path", "remote.invalid!victim@example.test");
    note(out, "bdat-2^32", "BDAT 4294967296");
    note(out, "bdat-2^64", "BDAT 18446744073709551616");
    note(out, "lf-dot-lf-smuggled", "\n.\nMAIL FROM:<smuggled@remote.invalid>");
    note(out, "cr-dot-cr", "\r.\r");
    note(out, "size-param", " SIZE=");
    note(out, "starttls", "STARTTLS\r\n");
    if (out[0] != kSession[0]) seen.insert("profile-or-config-changed");
    if (out[1] != kSession[1]) seen.insert("chunking-changed");
  }
  for (const char* what :
       {"plain-relayer", "plain-guest", "plain-null", "login", "remote-rcpt", "percent-hack",
        "source-route", "bang-path", "bdat-2^32", "bdat-2^64", "lf-dot-lf-smuggled", "cr-dot-cr",
        "size-param", "starttls", "profile-or-config-changed", "chunking-changed"}) {
    EXPECT_TRUE(seen.count(what)) << "never generated: " << what;
  }
}

TEST(GenerateBdat, SizesMatchTheirOctetsUnlessDeliberatelyOff) {
  std::minstd_rand rng(7);
  int exact = 0;
  int off = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string bdat = GenerateBdat(rng);
    ASSERT_EQ(bdat.rfind("BDAT ", 0), 0u) << bdat;
    // The first chunk: its size against the octets up to the next "BDAT " (or RSET).
    const size_t eol = bdat.find("\r\n");
    const std::string size = bdat.substr(5, bdat.find_first_of(" \r", 5) - 5);
    if (size.size() > 6 || size[0] == '-') continue;  // a boundary size
    size_t end = bdat.find("BDAT ", eol + 2);
    const size_t rset = bdat.find("RSET\r\n", eol + 2);
    if (rset != std::string::npos && (end == std::string::npos || rset < end)) end = rset;
    if (end == std::string::npos) end = bdat.size();
    const size_t octets = end - (eol + 2);
    const size_t n = std::stoul(size);
    if (n == octets) {
      ++exact;
    } else if (n + 1 == octets || n == octets + 1) {
      ++off;
    }
  }
  EXPECT_GT(exact, 1000);
  EXPECT_GT(off, 50);
}

TEST(GenerateDataBlock, EndsInAnEndOfDataFormAndSmugglesASecondEnvelopeBehindOnlyAFakeOne) {
  std::minstd_rand rng(11);
  const auto& forms = EndOfDataForms();
  ASSERT_EQ(forms.size(), 13u);  // the proper end and the 12 smuggling forms
  int proper = 0;
  int smuggled = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string block = GenerateDataBlock(rng);
    const size_t second = block.find("MAIL FROM:<smuggled@remote.invalid>");
    if (second == std::string::npos) {
      proper += block.size() >= 5 && block.compare(block.size() - 5, 5, "\r\n.\r\n") == 0;
      continue;
    }
    ++smuggled;
    bool fake_end = false;
    for (size_t f = 1; f < forms.size(); ++f) {
      const std::string_view form = forms[f];
      fake_end = fake_end || (second >= form.size() &&
                              block.compare(second - form.size(), form.size(), form) == 0);
    }
    EXPECT_TRUE(fake_end) << "a second envelope not behind a smuggling form";
    EXPECT_EQ(block.compare(block.size() - 5, 5, "\r\n.\r\n") == 0 ||
                  block.compare(block.size() - 6, 6, "NOOP\r\n") == 0,
              true);
  }
  EXPECT_GT(proper, 500);
  EXPECT_GT(smuggled, 500);
}

TEST(CrossOverSessions, HeaderOfOneParentUnitsOfAThenB) {
  const std::string a = std::string("\x01\x02", 2) + "EHLO a\r\nNOOP\r\nQUIT\r\n";
  const std::string b = std::string("\x05\x06", 2) + "HELO b\r\nRSET\r\nVRFY x\r\n";
  const std::set<std::string> units_a = {"EHLO a\r\n", "NOOP\r\n", "QUIT\r\n"};
  const std::set<std::string> units_b = {"HELO b\r\n", "RSET\r\n", "VRFY x\r\n"};
  std::set<std::string> outcomes;
  for (unsigned seed = 1; seed < 500; ++seed) {
    uint8_t out[64];
    const size_t n = CrossOverSessions(reinterpret_cast<const uint8_t*>(a.data()), a.size(),
                                       reinterpret_cast<const uint8_t*>(b.data()), b.size(), out,
                                       sizeof(out), seed);
    ASSERT_GE(n, 2u);
    const std::string result(reinterpret_cast<const char*>(out), n);
    ASSERT_TRUE(result.substr(0, 2) == a.substr(0, 2) || result.substr(0, 2) == b.substr(0, 2));
    bool in_b = false;
    for (std::string_view u : SplitUnits(std::string_view(result).substr(2))) {
      const std::string unit(u);
      if (units_b.count(unit)) {
        in_b = true;
      } else {
        ASSERT_TRUE(units_a.count(unit)) << unit;
        ASSERT_FALSE(in_b) << "a unit of A after one of B: " << result;
      }
    }
    outcomes.insert(result);
  }
  EXPECT_GT(outcomes.size(), 8u);
  uint8_t small[4];
  EXPECT_LE(CrossOverSessions(reinterpret_cast<const uint8_t*>(a.data()), a.size(),
                              reinterpret_cast<const uint8_t*>(b.data()), b.size(), small,
                              sizeof(small), 3),
            sizeof(small));
}

}  // namespace
}  // namespace smtpgate::fuzz
