// Whole SMTP sessions through the reference Session, in arbitrary chunking.
//
// Input (harness/core/session_fuzz_input.h): byte 0 chooses the configuration (bits 0-2 the
// emulation profile), byte 1 seeds the chunking, the rest is what the client sends. After the
// run, an independent spec-level model (spec_model.h: framing, messages one by one,
// authentication from the credentials in the input and the user table, relaying by the RFC 5321
// routing domain, command order, limits, tar pit) must agree with what the session answered and
// queued; each profile's one flaw is tolerated.
//
// Planted-flaw mode (SMTPGATE_FUZZ_PROFILE=open-relay, bare-lf-eod, ...): every input runs that
// profile in the configuration the embedded conformance target runs (byte 0 ignored), and its
// flaw is not tolerated: the fuzzer must find it, and each finding replays as a transcript
// (smtpgate fuzz-to-transcript; scripts/planted-flaws.sh measures it).
//
// Mutations: a structure-aware mutator (session_mutator.h: a grammar of SMTP commands,
// addresses in the relay forms, AUTH exchanges, DATA bodies with every end-of-data form,
// BDAT sizes at the integer boundaries, pipelined batches, the header bytes) with
// libFuzzer's byte-level mutator for a quarter of the mutations. Built with
// SMTPGATE_PLAIN_MUTATOR (the fuzz_session_plain target) it uses libFuzzer's alone.
//
// Besides (abort on violation, checked after every chunk):
//  - every reply is well-formed (formats and re-parses strictly to itself);
//  - buffers stay bounded; nothing is answered after the connection is closed;
//  - with bare line endings refused, no queued message body has a bare CR or LF (except a
//    BODY=BINARYMIME one, whose octets are binary);
//  - no reply of an AUTH exchange ever contains a password.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "fuzzers/session_mutator.h"
#include "fuzzers/spec_model.h"
#include "harness/core/in_process_host.h"
#include "harness/core/reply.h"
#include "harness/core/session_fuzz_input.h"

namespace smtpgate {
namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_session invariant violated: %s [%.*s]\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool HasBareLineEnding(std::string_view body) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) return true;
    if (body[i] == '\r' && (i + 1 == body.size() || body[i + 1] != '\n')) return true;
  }
  return false;
}

// Replies already parsed back (the wire form and what it parses to): a session sends the
// same few replies over and over, and parsing each again took a third of the time spent in the
// target. A reply whose wire form is known is compared with that parse instead: the same check.
// Bounded, so replies that echo the input cannot grow it without limit.
absl::flat_hash_map<std::string, Reply>& ParsedReplies() {
  static absl::flat_hash_map<std::string, Reply> parsed;
  return parsed;
}

void CheckReply(const SendReply& r) {
  if (r.reply.code < 200 || r.reply.code > 599) Fail("reply code out of range");
  const std::string wire = FormatReply(r.reply);
  auto& cache = ParsedReplies();
  if (const auto it = cache.find(wire); it != cache.end()) {
    if (!(it->second == r.reply)) Fail("reply does not round-trip", wire);
  } else {
    const auto parsed = ParseReply(wire, ReadMode::kStrict);
    if (!parsed.ok()) Fail("reply does not parse strictly", wire);
    if (!(*parsed == r.reply)) Fail("reply does not round-trip", wire);
    if (cache.size() >= 4096) cache.clear();
    cache.emplace(wire, *parsed);
  }
  // Replies of the AUTH exchange never carry a credential. (Other replies may echo what
  // the client sent where a command was expected, e.g. an unrecognized verb: that is the
  // client's own text, sent back to it, not a credential the exchange received.)
  const int code = r.reply.code;
  const bool auth_reply = code == 334 || code == 235 || code == 535 || code == 538 || code == 504 ||
                          r.reply.enhanced == "5.5.6" || r.reply.enhanced == "5.0.0" ||
                          r.reply.enhanced == "5.7.8";
  for (std::string_view secret : {"relayer-pass", "guest-pass", "cmVsYXllci1wYXNz"}) {
    if (auth_reply && wire.find(secret) != std::string::npos) Fail("password in a reply", wire);
  }
  if (r.delay.count() < 0) Fail("negative delay");
}

}  // namespace
}  // namespace smtpgate

namespace {
std::optional<smtpgate::Profile> g_planted;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* name = std::getenv("SMTPGATE_FUZZ_PROFILE"); name != nullptr && *name != '\0') {
    g_planted = smtpgate::ParseProfile(name);
    if (!g_planted) {
      std::fprintf(stderr,
                   "fuzz_session: SMTPGATE_FUZZ_PROFILE=%s is not an emulation profile (secure, "
                   "open-relay, auth-implies-relay, ms02-012, bare-lf-eod, null-session-auth, "
                   "per-connection-crash, strict)\n",
                   name);
      std::exit(2);
    }
    std::fprintf(stderr, "fuzz_session: planted-flaw mode, profile %s, its flaw not tolerated\n",
                 name);
  }
  return 0;
}

#ifndef SMTPGATE_PLAIN_MUTATOR
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return smtpgate::fuzz::MutateSession(data, size, max_size, seed);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2, uint8_t* out,
                                            size_t max_out_size, unsigned int seed) {
  return smtpgate::fuzz::CrossOverSessions(data1, size1, data2, size2, out, max_out_size, seed);
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace smtpgate;
  const std::optional<FuzzSessionInput> decoded = DecodeFuzzSessionInput(
      std::string_view(reinterpret_cast<const char*>(data), size), g_planted);
  if (!decoded) return 0;
  const SessionConfig& config = decoded->config;
  const std::string_view input = decoded->stream;
  FuzzChunker chunker(decoded->chunk_seed);

  InProcessHost host(config, decoded->peer);
  host.set_storage_ok(decoded->storage_ok);
  fuzz::SpecRun spec;
  spec.config = &config;
  spec.stream = input;
  spec.tolerate_flaw = !g_planted.has_value();
  spec.replies = host.Start();
  for (const SendReply& r : spec.replies) CheckReply(r);

  const size_t line_bound = config.command.max_line_length + kMaxSaslLine + 4;
  size_t pos = 0;
  while (pos < input.size()) {
    const std::string_view piece = input.substr(pos, chunker.Next());
    pos += piece.size();
    spec.feed_ends.push_back(pos);
    const bool was_closed = host.closed();
    const std::vector<SendReply> replies = host.Feed(piece);
    if (was_closed && !replies.empty()) Fail("reply after the connection was closed");
    for (const SendReply& r : replies) {
      CheckReply(r);
      spec.replies.push_back(r);
    }
    if (host.session().buffered() > config.max_pending_input + line_bound) {
      Fail("session input buffer unbounded");
    }
    if (host.pending_body() > config.max_message_size) Fail("message body past its limit");
  }
  for (const StoredMessage& m : host.queued()) {
    if (m.body.size() > config.max_message_size) Fail("queued message past the size limit");
    // A BODY=BINARYMIME message is binary (RFC 3030 §3): its bare CRs and LFs are content.
    if (config.bare_line_endings == BareLineEndings::kReject &&
        m.envelope.parameters.body != BodyType::kBinaryMime &&
        (config.policy.profile != Profile::kBareLfEod || !spec.tolerate_flaw) &&
        HasBareLineEnding(m.body)) {
      Fail("queued body has a bare CR or LF", m.body);
    }
  }
  for (const SessionOutput& e : host.events()) {
    if (const auto* rcpt = std::get_if<RecipientAccepted>(&e))
      spec.accepted.push_back(rcpt->recipient);
  }
  spec.queued = &host.queued();
  spec.closed = host.closed();
  if (const std::optional<std::string> violation = fuzz::CheckAgainstSpec(spec)) {
    Fail("the session departs from the specification", *violation);
  }
  return 0;
}
