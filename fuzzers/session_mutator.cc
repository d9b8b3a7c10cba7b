#include "fuzzers/session_mutator.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

// libFuzzer's own mutator. Weak: the unit tests link this file without libFuzzer, and then
// the byte-level fallback below stands in for it.
extern "C" __attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t* data, size_t size,
                                                         size_t max_size);

namespace smtpgate::fuzz {
namespace {

constexpr size_t kHeader = 2;

template <size_t N>
std::string_view Pick(std::minstd_rand& rng, const std::array<std::string_view, N>& items) {
  return items[rng() % N];
}

bool Chance(std::minstd_rand& rng, unsigned percent) { return rng() % 100 < percent; }

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                       static_cast<uint8_t>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// Mailboxes the demo configuration delivers to, mailboxes elsewhere, and the relay forms
// that hide a remote domain behind a local one (or the reverse).
constexpr std::array<std::string_view, 8> kLocal = {
    "alice@example.test",    "bob@example.test",    "postmaster",         "postmaster@example.test",
    "alice@mx.example.test", "nobody@example.test", "ALICE@EXAMPLE.TEST", "relayer@example.test"};
constexpr std::array<std::string_view, 4> kRemote = {
    "victim@remote.invalid", "x@other.test", "victim@remote.invalid.", "victim@[192.0.2.1]"};
constexpr std::array<std::string_view, 12> kRelayForms = {
    "victim%remote.invalid@example.test",
    "victim@remote.invalid@example.test",
    "@example.test:victim@remote.invalid",
    "@remote.invalid:alice@example.test",
    "@mx.example.test,@remote.invalid:victim@remote.invalid",
    "remote.invalid!victim@example.test",
    "remote.invalid!victim",
    "\"victim@remote.invalid\"@example.test",
    "\"victim%remote.invalid\"",
    "victim@[127.0.0.1]",
    "alice@[IPv6:::1]",
    "victim@remote.invalid%example.test"};

std::string Mailbox(std::minstd_rand& rng) {
  switch (rng() % 3) {
    case 0:
      return std::string(Pick(rng, kLocal));
    case 1:
      return std::string(Pick(rng, kRemote));
    default:
      return std::string(Pick(rng, kRelayForms));
  }
}

std::string Path(std::minstd_rand& rng) {
  std::string box = Chance(rng, 8) ? std::string() : Mailbox(rng);
  switch (rng() % 10) {
    case 0:
      return box;  // no angle brackets
    case 1:
      return " <" + box + ">";
    case 2:
      return "<" + box + "> ";
    case 3:
      return "<<" + box + ">>";
    default:
      return "<" + box + ">";
  }
}

constexpr std::array<std::string_view, 14> kMailParameters = {" SIZE=0",
                                                              " SIZE=64",
                                                              " SIZE=65",
                                                              " SIZE=10485761",
                                                              " SIZE=4294967296",
                                                              " SIZE=18446744073709551616",
                                                              " BODY=8BITMIME",
                                                              " BODY=BINARYMIME",
                                                              " BODY=7BIT",
                                                              " AUTH=<>",
                                                              " AUTH=relayer@example.test",
                                                              " SMTPUTF8",
                                                              " RET=FULL",
                                                              " ENVID=x+2B"};

// Senders: the accounts' own addresses (the demo's accounts may send only as themselves),
// a local user, a remote one, the null path.
constexpr std::array<std::string_view, 6> kSenders = {
    "guest@example.test",   "relayer@example.test", "alice@example.test", "a@remote.invalid", "",
    "victim@remote.invalid"};

std::string Credentials(std::minstd_rand& rng) {
  // Mostly an account's exact credentials (the exchanges that authenticate are the ones a
  // byte mutator never builds), otherwise near misses.
  if (Chance(rng, 60)) {
    return Chance(rng, 50) ? std::string("\0relayer\0relayer-pass", 21)
                           : std::string("\0guest\0guest-pass", 17);
  }
  static constexpr std::array<std::string_view, 6> kUsers = {"relayer", "guest",   "",
                                                             "alice",   "RELAYER", "nobody"};
  static constexpr std::array<std::string_view, 6> kPasswords = {
      "relayer-pass", "guest-pass", "", "wrong", "relayer-pass ", "guest-pass\r"};
  static constexpr std::array<std::string_view, 4> kAuthzids = {"", "", "relayer", "guest"};
  std::string blob(Pick(rng, kAuthzids));
  blob.push_back('\0');
  blob += Pick(rng, kUsers);
  blob.push_back('\0');
  blob += Pick(rng, kPasswords);
  if (Chance(rng, 5)) blob.push_back('\0');
  return blob;
}

std::string Auth(std::minstd_rand& rng) {
  static constexpr std::array<std::string_view, 3> kLoginUsers = {"relayer", "guest", ""};
  static constexpr std::array<std::string_view, 3> kLoginPasswords = {"relayer-pass", "guest-pass",
                                                                      "x"};
  switch (rng() % 7) {
    case 0:
    case 1:
      return "AUTH PLAIN " + Base64(Credentials(rng)) + "\r\n";
    case 2:
      return "AUTH PLAIN\r\n" + Base64(Credentials(rng)) + "\r\n";
    case 3:
      return "AUTH LOGIN\r\n" + Base64(Pick(rng, kLoginUsers)) + "\r\n" +
             Base64(Pick(rng, kLoginPasswords)) + "\r\n";
    case 4:
      return "AUTH LOGIN " + Base64(Pick(rng, kLoginUsers)) + "\r\n" +
             Base64(Pick(rng, kLoginPasswords)) + "\r\n";
    case 5:
      return std::string(
          Pick(rng, std::array<std::string_view, 4>{"AUTH PLAIN =\r\n", "AUTH PLAIN AAA=\r\n",
                                                    "AUTH PLAIN\r\n*\r\n", "AUTH CRAM-MD5\r\n"}));
    default:
      return "AUTH " +
             std::string(Pick(rng, std::array<std::string_view, 3>{"PLAIN", "LOGIN", "plain"})) +
             " " + Base64(Credentials(rng)).substr(0, rng() % 24) + "\r\n";
  }
}

// Sizes a BDAT line can carry: small ones, the limits of the demo configuration, and the
// integer boundaries where a truncating parser reads a small size.
constexpr std::array<std::string_view, 10> kBigSizes = {"4294967295",
                                                        "4294967296",
                                                        "4294967297",
                                                        "4294967310",
                                                        "18446744073709551615",
                                                        "18446744073709551616",
                                                        "18446744073709551630",
                                                        "99999999999999999999",
                                                        "10485761",
                                                        "-1"};
constexpr std::array<std::string_view, 6> kChunkText = {
    "abc", "\r\n.\r\n", "MAIL FROM:<s@remote.invalid>\r\n", "RCPT TO:<victim@remote.invalid>\r\n",
    "\n",  "\r"};

}  // namespace

const std::vector<std::string_view>& EndOfDataForms() {
  static const std::vector<std::string_view> forms = {
      std::string_view("\r\n.\r\n"),      std::string_view("\r\r\n.\r\r\n"),
      std::string_view("\r.\r"),          std::string_view("\r.\r\n"),
      std::string_view("\r.\n"),          std::string_view("\r\n.\r\r\n"),
      std::string_view("\r\n.\r"),        std::string_view("\r\n.\n"),
      std::string_view("\r\n.\0\r\n", 6), std::string_view("\r\n\0.\r\n", 6),
      std::string_view("\n.\r"),          std::string_view("\n.\r\n"),
      std::string_view("\n.\n")};
  return forms;
}

std::vector<std::string_view> SplitUnits(std::string_view stream) {
  std::vector<std::string_view> units;
  while (!stream.empty()) {
    const size_t lf = stream.find('\n');
    const size_t end = lf == std::string_view::npos ? stream.size() : lf + 1;
    units.push_back(stream.substr(0, end));
    stream.remove_prefix(end);
  }
  return units;
}

std::string GenerateCommand(std::minstd_rand& rng) {
  static constexpr std::array<std::string_view, 5> kHelo = {"c.test", "[127.0.0.1]",
                                                            "mx.example.test", "", "[IPv6:::1]"};
  switch (rng() % 16) {
    case 0:
      return "EHLO " + std::string(Pick(rng, kHelo)) + "\r\n";
    case 1:
      return "HELO " + std::string(Pick(rng, kHelo)) + "\r\n";
    case 2:
    case 3: {
      std::string line = "MAIL FROM:" + Path(rng);
      for (unsigned n = rng() % 3; n > 0; --n) line += Pick(rng, kMailParameters);
      return line + "\r\n";
    }
    case 4:
    case 5:
    case 6:
      return "RCPT TO:" + Path(rng) + (Chance(rng, 10) ? " NOTIFY=NEVER" : "") + "\r\n";
    case 7:
    case 8:
      return Auth(rng);
    case 9:
      return "DATA\r\n";
    case 10:
      return "RSET\r\n";
    case 11:
      return "STARTTLS\r\n";
    case 12:
      return "BDAT " + std::to_string(rng() % 16) + (Chance(rng, 50) ? " LAST" : "") + "\r\n";
    default:
      return std::string(Pick(
          rng, std::array<std::string_view, 8>{
                   "NOOP\r\n", "QUIT\r\n", "VRFY alice\r\n", "EXPN staff\r\n", "HELP\r\n", "*\r\n",
                   "\r\n", "MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<alice@example.test>\r\n"}));
  }
}

std::string GenerateDataBlock(std::minstd_rand& rng);
std::string GenerateBdat(std::minstd_rand& rng);

// A whole transaction: EHLO, sometimes an AUTH exchange, MAIL with a sender, one to three
// recipients, and a DATA block or BDAT chunks: the shape of every relay, impersonation and
// smuggling test, which byte mutations of another session rarely assemble.
std::string GenerateTransaction(std::minstd_rand& rng) {
  std::string out = Chance(rng, 80) ? "EHLO c.test\r\n" : "";
  if (Chance(rng, 50)) out += Auth(rng);
  out += "MAIL FROM:<" + std::string(Pick(rng, kSenders)) + ">";
  if (Chance(rng, 15)) out += Pick(rng, kMailParameters);
  out += "\r\n";
  for (unsigned n = 1 + (Chance(rng, 30) ? rng() % 3 : 0); n > 0; --n) {
    out += "RCPT TO:<" + Mailbox(rng) + ">\r\n";
  }
  out += Chance(rng, 65) ? GenerateDataBlock(rng) : GenerateBdat(rng);
  return out;
}

std::string GenerateDataBlock(std::minstd_rand& rng) {
  static constexpr std::array<std::string_view, 7> kBodyLines = {"Subject: x",
                                                                 "",
                                                                 "hello",
                                                                 "..stuffed",
                                                                 ".",
                                                                 "From: <victim@remote.invalid>",
                                                                 std::string_view("x\0y", 3)};
  std::string block = Chance(rng, 85) ? "DATA\r\n" : "";
  for (unsigned n = rng() % 4; n > 0; --n) {
    block += Pick(rng, kBodyLines);
    block += "\r\n";
  }
  if (Chance(rng, 5)) block += std::string(1 + rng() % 1100, 'x') + "\r\n";
  const auto& forms = EndOfDataForms();
  // Half the time the proper end; otherwise a smuggling form, usually with a second
  // envelope behind it and the proper end after that (so a server that took the smuggling
  // form as the end sees a second message, and one that did not sees one message).
  const std::string_view end = Chance(rng, 50) ? forms[0] : forms[1 + rng() % (forms.size() - 1)];
  if (!block.empty() && block.size() >= 2 && block.compare(block.size() - 2, 2, "\r\n") == 0 &&
      end.size() > 0 && (end[0] == '\r' || end[0] == '\n')) {
    block.resize(block.size() - 2);  // the form brings its own line end
  }
  block += end;
  if (end != forms[0] && Chance(rng, 75)) {
    block += "MAIL FROM:<smuggled@remote.invalid>\r\nRCPT TO:<" +
             std::string(Chance(rng, 50) ? "alice@example.test" : "victim@remote.invalid") +
             ">\r\nDATA\r\nsmuggled\r\n.\r\n";
    if (Chance(rng, 50)) block += "NOOP\r\n";
  }
  return block;
}

std::string GenerateBdat(std::minstd_rand& rng) {
  std::string out;
  for (unsigned chunks = 1 + rng() % 3; chunks > 0; --chunks) {
    std::string payload;
    for (unsigned n = rng() % 3; n > 0; --n) payload += Pick(rng, kChunkText);
    const bool last = chunks == 1 && Chance(rng, 70);
    std::string size;
    if (Chance(rng, 15)) {
      size = Pick(rng, kBigSizes);
    } else {
      // The size of the payload, or one off either way (framing errors).
      size_t n = payload.size();
      const unsigned skew = rng() % 10;
      if (skew == 0) n += 1;
      if (skew == 1 && n > 0) n -= 1;
      size = std::to_string(n);
    }
    out.append("BDAT ").append(size).append(last ? " LAST\r\n" : "\r\n").append(payload);
    if (Chance(rng, 10)) out += "RSET\r\n";
  }
  return out;
}

std::string GenerateBatch(std::minstd_rand& rng) {
  std::string out;
  for (unsigned n = 2 + rng() % 4; n > 0; --n) {
    switch (rng() % 6) {
      case 0:
        out += GenerateDataBlock(rng);
        break;
      case 1:
        out += GenerateBdat(rng);
        break;
      default:
        out += GenerateCommand(rng);
    }
  }
  return out;
}

namespace {

// Byte-level mutation of buf[0, size): libFuzzer's when it is linked, else a small stand-in.
size_t ByteMutate(uint8_t* buf, size_t size, size_t max_size, std::minstd_rand& rng) {
  if (LLVMFuzzerMutate != nullptr) return LLVMFuzzerMutate(buf, size, max_size);
  if (size == 0 || (size < max_size && Chance(rng, 30))) {
    const size_t at = size == 0 ? 0 : rng() % (size + 1);
    std::memmove(buf + at + 1, buf + at, size - at);
    buf[at] = static_cast<uint8_t>(rng());
    return size + 1;
  }
  if (Chance(rng, 20) && size > 1) {
    const size_t at = rng() % size;
    std::memmove(buf + at, buf + at + 1, size - at - 1);
    return size - 1;
  }
  buf[rng() % size] ^= static_cast<uint8_t>(1u << (rng() % 8));
  return size;
}

std::string Join(const std::vector<std::string>& units) {
  std::string out;
  for (const std::string& u : units) out += u;
  return out;
}

// One structural mutation of the stream's units.
void MutateUnits(std::vector<std::string>& units, std::minstd_rand& rng) {
  const size_t n = units.size();
  const size_t at = rng() % (n + 1);  // a unit boundary
  size_t bytes = 0;
  for (const std::string& u : units) bytes += u.size();
  // Long inputs run slowly and rarely matter for more than their first transactions: past
  // 1 KiB, half of the mutations shorten them.
  const unsigned pick = bytes > 1024 && Chance(rng, 50) ? 6 : rng() % 14;
  switch (pick) {
    case 12:  // a whole transaction at a boundary
      units.insert(units.begin() + static_cast<ptrdiff_t>(at), GenerateTransaction(rng));
      return;
    case 13:  // a whole transaction instead of the rest of the session
      units.resize(std::min(at, n));
      units.push_back(GenerateTransaction(rng));
      return;
    case 0:
    case 1:
      units.insert(units.begin() + static_cast<ptrdiff_t>(at), GenerateCommand(rng));
      return;
    case 2:
      if (n > 0) {
        units[std::min(at, n - 1)] = GenerateCommand(rng);
        return;
      }
      units.push_back(GenerateCommand(rng));
      return;
    case 3:
      units.insert(units.begin() + static_cast<ptrdiff_t>(at), GenerateDataBlock(rng));
      return;
    case 4:
      units.insert(units.begin() + static_cast<ptrdiff_t>(at), GenerateBdat(rng));
      return;
    case 5:
      units.insert(units.begin() + static_cast<ptrdiff_t>(at), GenerateBatch(rng));
      return;
    case 6:  // delete a run of units
      if (n > 0) {
        const size_t first = std::min(at, n - 1);
        const size_t count = 1 + rng() % std::min<size_t>(bytes > 1024 ? 8 : 3, n - first);
        units.erase(units.begin() + static_cast<ptrdiff_t>(first),
                    units.begin() + static_cast<ptrdiff_t>(first + count));
      }
      return;
    case 7:  // duplicate a unit (repetition: error limits, tar pit, RCPT limits)
      if (n > 0) {
        const size_t i = std::min(at, n - 1);
        const std::string copy = units[i];
        for (unsigned k = 1 + rng() % (Chance(rng, 10) ? 30 : 3); k > 0; --k) {
          units.insert(units.begin() + static_cast<ptrdiff_t>(i), copy);
        }
      }
      return;
    case 8:  // swap two units (command order)
      if (n > 1) std::swap(units[rng() % n], units[rng() % n]);
      return;
    case 9: {  // another line end for one unit
      if (n == 0) return;
      std::string& u = units[std::min(at, n - 1)];
      while (!u.empty() && (u.back() == '\n' || u.back() == '\r')) u.pop_back();
      u += Pick(rng, std::array<std::string_view, 6>{"\n", "\r", "\r\r\n", "\r\n", "", "\r\n\r\n"});
      return;
    }
    default: {  // a unit mutated byte-wise, the rest left alone
      if (n == 0) return;
      std::string& u = units[std::min(at, n - 1)];
      const size_t max = u.size() + 64;
      std::string buf = u;
      buf.resize(max);
      buf.resize(ByteMutate(reinterpret_cast<uint8_t*>(buf.data()), u.size(), max, rng));
      u = buf;
      return;
    }
  }
}

}  // namespace

size_t MutateSession(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  std::minstd_rand rng(seed | 1u);
  size = std::min(size, max_size);  // libFuzzer never asks otherwise; a caller might
  if (max_size < kHeader) return ByteMutate(data, size, max_size, rng);
  if (size < kHeader) {
    for (size_t i = size; i < kHeader; ++i) data[i] = static_cast<uint8_t>(rng());
    size = kHeader;
  }
  const unsigned choice = rng() % 100;
  if (choice < 25) {  // libFuzzer's own mutations: the dictionary, CMP feedback, bit flips
    const size_t out = ByteMutate(data, size, max_size, rng);
    return out;
  }
  if (choice < 32) {  // the header: profile and configuration bits, or the write splits
    if (Chance(rng, 50)) {
      data[0] = static_cast<uint8_t>(Chance(rng, 50) ? (data[0] & ~7u) | (rng() % 8)
                                                     : data[0] ^ (8u << (rng() % 5)));
    } else {
      data[1] = static_cast<uint8_t>(rng());
    }
    return size;
  }
  const std::string_view stream(reinterpret_cast<const char*>(data) + kHeader, size - kHeader);
  std::vector<std::string> units;
  for (std::string_view u : SplitUnits(stream)) units.emplace_back(u);
  for (unsigned rounds = 1 + (Chance(rng, 30) ? rng() % 3 : 0); rounds > 0; --rounds) {
    MutateUnits(units, rng);
  }
  std::string out = Join(units);
  out.resize(std::min(out.size(), max_size - kHeader));
  std::copy(out.begin(), out.end(), data + kHeader);
  return kHeader + out.size();
}

size_t CrossOverSessions(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
                         uint8_t* out, size_t max_out, unsigned seed) {
  std::minstd_rand rng(seed | 1u);
  if (a_size < kHeader || b_size < kHeader || max_out < kHeader) return 0;
  const auto units_of = [](const uint8_t* d, size_t s) {
    return SplitUnits(std::string_view(reinterpret_cast<const char*>(d) + kHeader, s - kHeader));
  };
  const std::vector<std::string_view> ua = units_of(a, a_size);
  const std::vector<std::string_view> ub = units_of(b, b_size);
  const uint8_t* header = Chance(rng, 50) ? a : b;
  std::string stream;
  const size_t cut_a = ua.empty() ? 0 : rng() % (ua.size() + 1);
  const size_t cut_b = ub.empty() ? 0 : rng() % (ub.size() + 1);
  for (size_t i = 0; i < cut_a; ++i) stream += ua[i];
  for (size_t i = cut_b; i < ub.size(); ++i) stream += ub[i];
  stream.resize(std::min(stream.size(), max_out - kHeader));
  out[0] = header[0];
  out[1] = header[1];
  std::copy(stream.begin(), stream.end(), out + kHeader);
  return kHeader + stream.size();
}

}  // namespace smtpgate::fuzz
