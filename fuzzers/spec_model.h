// An independent, spec-level model of an SMTP session, for the session fuzz targets.
//
// The model reads the client's byte stream the way RFC 5321 (§2.3.8 lines, §4.1.1.4 end of
// data, §4.1.4 order of commands, §4.5.3.1.4 line length), RFC 3030 (chunk framing), RFC 4954
// and RFC 4616 (AUTH PLAIN/LOGIN), RFC 3207 (STARTTLS resets the session) and KB 842851 (tar
// pit) describe it, and walks the server's replies in order. It shares no code with the
// session: not its parsers, receivers, SASL decoder or policy. It takes from the session only
// what a client sees (the replies, their delays), what a mailbox would see (the queued
// messages) and the routing domain of each accepted recipient (to compare, never to decide).
//
// What it decides by itself, from the input and the configuration's user table and domains:
//  - framing: no reply while a DATA body or a BDAT chunk is still open; exactly one reply
//    per command; nothing answered of what was pipelined after STARTTLS's 220;
//  - messages, one by one: each 250 to the end of data / BDAT LAST delivers exactly the
//    model's message (DATA: dot-unstuffed up to the first <CRLF>.<CRLF>; BDAT: the chunks of
//    this transaction, none from before RSET), and no other message exists (a second
//    envelope out of one body);
//  - authentication: a 235 only for the exact credentials of an account (or an authzid it
//    may act for); anything else is an authentication bypass;
//  - relaying: a recipient whose RFC 5321 routing domain is not local is accepted only for
//    an identity the model authenticated whose account may relay; the session's routing
//    domain must be the model's;
//  - order: MAIL only after HELO/EHLO (again after STARTTLS) and outside a transaction,
//    RCPT inside one, DATA/BDAT with a recipient; SIZE and line limits; the tar pit.
// Each emulation profile's one deliberate flaw is tolerated (and only that one), unless
// SpecRun::tolerate_flaw is false.
#ifndef SMTPGATE_FUZZERS_SPEC_MODEL_H_
#define SMTPGATE_FUZZERS_SPEC_MODEL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/in_process_host.h"
#include "harness/core/session.h"

namespace smtpgate::fuzz {

struct SpecRun {
  const SessionConfig* config = nullptr;
  std::string_view stream;                  // every byte the client sent, in order
  std::vector<size_t> feed_ends;            // where each Feed() call ended (offsets into stream)
  std::vector<SendReply> replies;           // every reply, banner first
  std::vector<EnvelopeRecipient> accepted;  // RecipientAccepted, in order
  const std::vector<StoredMessage>* queued = nullptr;
  bool closed = false;  // the session closed the connection
  // false: the profile's deliberate flaw is a departure like any other (planted-flaw mode).
  bool tolerate_flaw = true;
};

// The first way the run departs from the specification, or nothing.
std::optional<std::string> CheckAgainstSpec(const SpecRun& run);

// The RFC 5321 routing domain of a path's text ("<@a,@b:user@Domain.>" → "domain."), lower
// case; "" for a domain-less mailbox; nothing when the text is not a path.
std::optional<std::string> RoutingDomainOf(std::string_view path);

// A routing domain by value: an address literal is one address however it is written (RFC
// 5321 §4.1.3: Snum is a decimal value; IPv6 in its RFC 5952 text form, from the C library);
// a domain name as it is. Both in spec_path.cc.
std::string RoutingDomainByValue(std::string domain);

}  // namespace smtpgate::fuzz

#endif  // SMTPGATE_FUZZERS_SPEC_MODEL_H_
