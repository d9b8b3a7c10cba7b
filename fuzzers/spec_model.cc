#include "fuzzers/spec_model.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/core/sasl.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::fuzz {
namespace {

constexpr uint64_t kMaxU64 = ~uint64_t{0};

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(AsAbsl(s)); }

std::string Show(std::string_view s) {
  std::string out = absl::CHexEscape(AsAbsl(s.substr(0, 120)));
  if (s.size() > 120) out += "...";
  return out;
}

// Decimal digits only, value in *out; false (with *overflow) past 2^64 - 1.
bool ParseDecimal(std::string_view digits, uint64_t* out, bool* overflow) {
  *overflow = false;
  if (digits.empty()) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMaxU64 - d) / 10) {
      *overflow = true;
      return false;
    }
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool Base64(std::string_view text, std::string* out) {
  if (text == "=") {
    out->clear();
    return true;
  }
  return absl::Base64Unescape(AsAbsl(text), out);
}

struct Identity {
  std::string name;
  bool may_relay = false;
};

class Model {
 public:
  explicit Model(const SpecRun& run) : run_(run), config_(*run.config) {}

  std::optional<std::string> Check() {
    if (run_.replies.empty() || run_.replies[0].reply.code != 220) return std::nullopt;
    next_reply_ = 1;
    while (pos_ < run_.stream.size() && !stopped_ && !violation_) Unit();
    if (violation_ || gave_up_) return violation_;
    if (!stopped_ && pending_line_reply_allowed_ && next_reply_ < run_.replies.size()) {
      // A refusal of an over-long partial line (and the error limit's 421 after it).
      if (const SendReply* r = Take(); r != nullptr) MaybeErrorLimit(*r);
    }
    if (next_reply_ < run_.replies.size()) {
      return absl::StrCat(
          "a reply the commands did not ask for: ", run_.replies[next_reply_].reply.code, " ",
          Show(run_.replies[next_reply_].reply.Summary()),
          stopped_ ? " (after the connection closed)" : "");
    }
    if (!stopped_ && queued_seen_ != run_.queued->size()) {
      return absl::StrCat(run_.queued->size(), " messages queued where the specification delivers ",
                          queued_seen_, " (a second envelope out of one body?)");
    }
    return std::nullopt;
  }

 private:
  Profile profile() const { return config_.policy.profile; }
  // The profile's deliberate flaw is `p`'s and is tolerated.
  bool Flaw(Profile p) const { return run_.tolerate_flaw && profile() == p; }
  void Violation(std::string what) {
    if (!violation_) violation_ = std::move(what);
  }
  void GiveUp() { gave_up_ = stopped_ = true; }

  // The next reply, checked against the tar pit; nullptr when there is none.
  const SendReply* Take() {
    if (next_reply_ >= run_.replies.size()) return nullptr;
    const SendReply& r = run_.replies[next_reply_++];
    const int code = r.reply.code;
    if (config_.tarpit.count() > 0) {
      const bool permanent = code >= 500 && code <= 599;
      if (permanent && !identity_ && r.delay < config_.tarpit) {
        Violation(absl::StrCat("tar pit: an anonymous ", code, " came after ", r.delay.count(),
                               " ms, not ", config_.tarpit.count(), " ms"));
      }
      if ((identity_ || !permanent) && r.delay.count() != 0) {
        Violation(absl::StrCat("tar pit: a ", code, " to an ",
                               identity_ ? "authenticated" : "anonymous", " session was delayed ",
                               r.delay.count(), " ms"));
      }
    }
    if (code == 421) stopped_ = true;  // the server closes
    return &r;
  }

  // The reply a complete unit must get; nullptr (and the model stops) when there is none.
  const SendReply* Answer(std::string_view what) {
    const SendReply* r = Take();
    if (r != nullptr) return r;
    if (run_.closed) {
      // A server may close after a refusal (5xx and close); after a success only a dying
      // service or handler (profiles ms02-012, per-connection-crash) drops it without a word.
      const int previous = run_.replies[next_reply_ - 1].reply.code;
      const bool dies = Flaw(Profile::kMs02012) || Flaw(Profile::kPerConnectionCrash);
      if (!dies && previous < 400) {
        Violation(absl::StrCat("connection closed without a reply to ", AsAbsl(what)));
      }
    } else {
      Violation(
          absl::StrCat("no reply to a complete ", AsAbsl(what), " (the server waits for more)"));
    }
    stopped_ = true;
    return nullptr;
  }

  // After an error reply, the server may add its 421 (error limit) and close.
  void MaybeErrorLimit(const SendReply& r) {
    if (stopped_ || r.reply.code < 400) return;
    if (next_reply_ < run_.replies.size() && run_.replies[next_reply_].reply.code == 421) Take();
  }

  void ResetTransaction() {
    tx_ = false;
    recipients_ = 0;
    bdat_body_.clear();
    bdat_used_ = false;
  }

  void Unit() {
    const std::string_view rest = run_.stream.substr(pos_);
    const size_t lf = rest.find('\n');
    const size_t limit = in_auth_ ? kMaxSaslLine + 2 : config_.command.max_line_length;
    if (lf == std::string_view::npos) {
      // A partial line: no reply is owed, unless it is already too long to be a line.
      pending_line_reply_allowed_ = rest.size() > limit;
      pos_ = run_.stream.size();
      return;
    }
    const std::string_view raw = rest.substr(0, lf + 1);
    pos_ += lf + 1;
    const bool crlf = raw.size() >= 2 && raw[raw.size() - 2] == '\r';
    const std::string_view line = raw.substr(0, raw.size() - (crlf ? 2 : 1));
    const bool too_long = raw.size() > limit;
    if (!crlf || too_long) {
      // Not a well-formed line: no command of it may succeed (RFC 5321 §2.3.8, §4.5.3.1.4).
      const SendReply* r = Answer(absl::StrCat("the line '", Show(raw), "'"));
      if (r == nullptr) return;
      if (in_auth_) {
        in_auth_ = false;
        if (r->reply.code == 235)
          Violation(
              absl::StrCat("authentication bypass: 235 to the "
                           "malformed AUTH line '",
                           Show(raw), "'"));
      }
      if (r->reply.code < 400) {
        Violation(absl::StrCat(too_long ? "a command line over the limit of " : "a line ended by ",
                               too_long ? absl::StrCat(limit, " octets") : "a bare LF",
                               " was accepted: ", r->reply.code, " to '", Show(raw), "'"));
      }
      MaybeErrorLimit(*r);
      return;
    }
    if (in_auth_) {
      AuthResponse(line);
      return;
    }
    Command(line);
  }

  void Command(std::string_view line) {
    const size_t space = line.find(' ');
    const std::string verb = absl::AsciiStrToUpper(
        AsAbsl(line.substr(0, space == std::string_view::npos ? line.size() : space)));
    const std::string_view arg =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (verb == "BDAT") {
      Bdat(arg);  // its reply comes after the chunk
      return;
    }
    const SendReply* r = Answer(absl::StrCat("'", Show(line), "'"));
    if (r == nullptr) return;
    const int code = r->reply.code;
    const bool ok = code >= 200 && code < 400;
    if (verb == "EHLO" || verb == "HELO") {
      if (code == 250) {
        greeted_ = true;
        esmtp_ = verb == "EHLO";
        ResetTransaction();
      }
    } else if (verb == "MAIL") {
      if (ok) Mail(line, arg);
    } else if (verb == "RCPT") {
      if (ok) Rcpt(line, arg);
    } else if (verb == "RSET") {
      if (ok) ResetTransaction();
    } else if (verb == "DATA") {
      if (code == 354) {
        Data();
        return;
      }
      if (ok) Violation(absl::StrCat("DATA answered ", code, " instead of 354 or a refusal"));
    } else if (verb == "AUTH") {
      Auth(arg, *r);
      return;
    } else if (verb == "STARTTLS") {
      if (code == 220) {
        StartTls();
        return;
      }
    } else if (verb == "QUIT") {
      if (code == 221) {
        stopped_ = true;
        return;
      }
    }
    MaybeErrorLimit(*r);
  }

  void Mail(std::string_view line, std::string_view arg) {
    if (!greeted_) {
      Violation(absl::StrCat("MAIL accepted before HELO/EHLO",
                             tls_ ? " (after STARTTLS: RFC 3207 "
                                    "§4.2 forgets the greeting)"
                                  : "",
                             ": '", Show(line), "'"));
    }
    if (tx_)
      Violation(absl::StrCat("a second MAIL accepted inside a transaction: '", Show(line), "'"));
    // SIZE=n (RFC 1870) over the limit must be refused. Parameters follow the reverse-path:
    // "<...>", or, in a lenient form without angle brackets, the first word after "FROM:"
    // ("MAIL FROM: SIZE=9" has the path "SIZE=9" and no parameter).
    std::string_view params = arg;
    if (absl::StartsWithIgnoreCase(AsAbsl(params), "FROM:")) params.remove_prefix(5);
    while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
    const size_t path_end =
        !params.empty() && params.front() == '<' ? params.find('>') : params.find(' ');
    params = path_end == std::string_view::npos ? std::string_view() : params.substr(path_end + 1);
    for (absl::string_view word : absl::StrSplit(AsAbsl(params), ' ', absl::SkipEmpty())) {
      if (!absl::StartsWithIgnoreCase(word, "SIZE=")) continue;
      uint64_t size = 0;
      bool overflow = false;
      const bool parsed = ParseDecimal(AsStd(word.substr(5)), &size, &overflow);
      if (overflow || (parsed && size > config_.max_message_size)) {
        Violation(absl::StrCat("MAIL with ", std::string(word), " over the limit of ",
                               config_.max_message_size, " octets accepted"));
      }
    }
    ResetTransaction();
    tx_ = true;
  }

  void Rcpt(std::string_view line, std::string_view arg) {
    if (!tx_) Violation(absl::StrCat("RCPT accepted without MAIL: '", Show(line), "'"));
    ++recipients_;
    const size_t index = accepted_seen_++;
    const EnvelopeRecipient* session =
        index < run_.accepted.size() ? &run_.accepted[index] : nullptr;
    if (session == nullptr) {
      Violation(
          absl::StrCat("a recipient accepted without a RecipientAccepted: '", Show(line), "'"));
      return;
    }
    const size_t open = arg.find('<');
    if (!absl::StartsWithIgnoreCase(AsAbsl(arg), "TO:") || open == std::string_view::npos) {
      return;  // not the RFC form: the session's leniency, nothing to decide on
    }
    const std::optional<std::string> routing = RoutingDomainOf(arg.substr(open));
    if (!routing) return;  // a path this grammar does not read (a lenient form)
    const std::string domain = routing->empty() ? std::string() : RoutingDomainByValue(*routing);
    if (!domain.empty() && domain.back() != '.' &&
        RoutingDomainByValue(Lower(session->routing_domain)) != domain) {
      Violation(absl::StrCat("routing domain: the session routes '", Show(line), "' by '",
                             session->routing_domain, "', RFC 5321 by '", domain, "'"));
    }
    if (domain.empty() || domain.back() == '.' || IsLocal(domain)) return;
    if (std::find(config_.policy.relay_domains.begin(), config_.policy.relay_domains.end(),
                  domain) != config_.policy.relay_domains.end()) {
      return;
    }
    if (!config_.policy.trusted_networks.empty()) return;  // not modelled
    const bool authorized = identity_ && identity_->may_relay;
    const bool flaw =
        Flaw(Profile::kOpenRelay) || (Flaw(Profile::kAuthImpliesRelay) && identity_.has_value());
    if (!authorized && !flaw) {
      Violation(absl::StrCat("relay without authorization: '", Show(line), "' (routing domain ",
                             domain, ") accepted for ",
                             identity_ ? absl::StrCat("'", identity_->name, "', who may not relay")
                                       : std::string("an anonymous session")));
    }
  }

  bool IsLocal(std::string_view domain) const {
    for (const std::string& local : config_.policy.local_domains) {
      if (Lower(local) == domain) return true;
    }
    for (const std::string& literal : config_.policy.local_literals) {
      if (RoutingDomainByValue(Lower(literal)) == domain) return true;
    }
    return false;
  }

  void RequireTransaction(std::string_view what) {
    if (!tx_ || recipients_ == 0) {
      Violation(absl::StrCat(AsAbsl(what), " accepted without a transaction with a recipient"));
    }
  }

  void Data() {
    RequireTransaction("DATA");
    if (bdat_used_) Violation("DATA accepted after BDAT in the same transaction (RFC 3030 §2)");
    if (Flaw(Profile::kBareLfEod)) {  // its flaw: the end of data is not the RFC's
      GiveUp();
      return;
    }
    // RFC 5321 §4.1.1.4: the data ends at the first <CRLF>.<CRLF>; its first line counts as
    // following a CRLF.
    const std::string_view rest = run_.stream.substr(pos_);
    size_t end = std::string_view::npos;  // offset in rest of the "." line
    if (absl::StartsWith(AsAbsl(rest), ".\r\n")) {
      end = 0;
    } else {
      const size_t at = rest.find("\r\n.\r\n");
      if (at != std::string_view::npos) end = at + 2;
    }
    if (end == std::string_view::npos) {
      // Still inside the body: nothing may be answered.
      pos_ = run_.stream.size();
      if (next_reply_ < run_.replies.size()) {
        Violation(absl::StrCat("a reply inside the DATA body (only <CRLF>.<CRLF> ends it): ",
                               run_.replies[next_reply_].reply.code, " ",
                               Show(run_.replies[next_reply_].reply.Summary())));
      }
      stopped_ = true;
      return;
    }
    const std::string_view body = rest.substr(0, end);
    pos_ += end + 3;
    // Dot-unstuffing: a line (after a CRLF) starting with "." loses it.
    std::string message;
    size_t line_start = 0;
    while (line_start < body.size()) {
      size_t next = body.find("\r\n", line_start);
      next = next == std::string_view::npos ? body.size() : next + 2;
      std::string_view text = body.substr(line_start, next - line_start);
      if (!text.empty() && text[0] == '.') text.remove_prefix(1);
      message.append(text);
      line_start = next;
    }
    const SendReply* r = Answer("the end of the DATA body");
    if (r == nullptr) return;
    if (r->reply.code == 250) Delivered(message, "DATA");
    ResetTransaction();
    MaybeErrorLimit(*r);
  }

  void Bdat(std::string_view arg) {
    // RFC 3030 §3: "BDAT" SP chunk-size [SP "LAST"]; only the exact form is modelled.
    const std::vector<absl::string_view> words = absl::StrSplit(AsAbsl(arg), ' ');
    const bool last = words.size() == 2 && absl::EqualsIgnoreCase(words[1], "LAST");
    uint64_t size = 0;
    bool overflow = false;
    const bool form = words.size() == 1 || last;
    const bool parsed = form && ParseDecimal(AsStd(words[0]), &size, &overflow);
    if (!parsed) {
      if (form && overflow) {
        // Beyond 64 bits: the chunk end is unknowable; a refusal (and a close) is the only
        // safe answer (RFC 3030 §2), and nothing can be modelled after it.
        const SendReply* r = Answer(absl::StrCat("'BDAT ", Show(arg), "'"));
        if (r != nullptr && r->reply.code < 400) {
          Violation(absl::StrCat("a BDAT size beyond 64 bits '", Show(arg), "' was answered ",
                                 r->reply.code));
        }
      }
      GiveUp();  // other forms: the server's own reading of them is not modelled
      return;
    }
    const std::string_view rest = run_.stream.substr(pos_);
    if (size > rest.size()) {
      pos_ = run_.stream.size();
      if (next_reply_ < run_.replies.size()) {
        Violation(absl::StrCat("a reply while the ", size,
                               " octets of a BDAT chunk were being "
                               "read (only ",
                               rest.size(), " had arrived): ", run_.replies[next_reply_].reply.code,
                               " ", Show(run_.replies[next_reply_].reply.Summary())));
      }
      stopped_ = true;
      return;
    }
    const std::string_view chunk = rest.substr(0, size);
    pos_ += size;
    const SendReply* r = Answer(absl::StrCat("a BDAT chunk of ", size, " octets"));
    if (r == nullptr) return;
    const int code = r->reply.code;
    if (code == 250) {
      if (!esmtp_) Violation("BDAT accepted without EHLO (CHUNKING is negotiated by EHLO)");
      RequireTransaction("BDAT");
      bdat_used_ = true;
      bdat_body_.append(chunk);
      if (last) {
        Delivered(bdat_body_, "BDAT");
        ResetTransaction();
      }
    } else if (code != 503) {
      ResetTransaction();  // 552, 550, 451: the message is refused
    }
    MaybeErrorLimit(*r);
  }

  void Delivered(const std::string& body, std::string_view how) {
    const size_t index = queued_seen_++;
    if (index >= run_.queued->size()) {
      Violation(
          absl::StrCat("250 to the end of a ", AsAbsl(how), " message, but nothing was queued"));
      return;
    }
    const StoredMessage& m = (*run_.queued)[index];
    if (m.body != body) {
      Violation(absl::StrCat(AsAbsl(how), " message ", index + 1,
                             " differs from the specification's: "
                             "queued '",
                             Show(m.body), "', sent '", Show(body), "'"));
    }
    if (m.envelope.recipients.size() != recipients_) {
      Violation(absl::StrCat(AsAbsl(how), " message ", index + 1, " has ",
                             m.envelope.recipients.size(), " recipients, the transaction accepted ",
                             recipients_));
    }
  }

  void StartTls() {
    // RFC 3207 §4.2: whatever was pipelined after STARTTLS (here: the rest of this write) is
    // discarded, and everything learnt before the handshake is forgotten.
    size_t end = run_.stream.size();
    for (size_t e : run_.feed_ends) {
      if (e >= pos_) {
        end = e;
        break;
      }
    }
    pos_ = end;
    tls_ = true;
    greeted_ = esmtp_ = false;
    identity_.reset();
    ResetTransaction();
  }

  // AUTH (RFC 4954): PLAIN (RFC 4616) or LOGIN, with or without an initial response.
  void Auth(std::string_view arg, const SendReply& r) {
    const std::vector<absl::string_view> words =
        absl::StrSplit(AsAbsl(arg), ' ', absl::SkipEmpty());
    mechanism_ = words.empty() ? std::string() : absl::AsciiStrToUpper(words[0]);
    sasl_.clear();
    sasl_malformed_ = words.size() > 2;
    if (words.size() >= 2) sasl_.push_back(std::string(words[1]));
    AuthReply(r);
  }

  void AuthResponse(std::string_view line) {
    sasl_.push_back(std::string(line));
    const SendReply* r = Answer("an AUTH response line");
    if (r == nullptr) return;
    AuthReply(*r);
  }

  void AuthReply(const SendReply& r) {
    in_auth_ = r.reply.code == 334;
    if (r.reply.code == 235) Authenticated();
    if (!in_auth_) MaybeErrorLimit(r);
  }

  void Authenticated() {
    const std::string why = absl::StrCat("authentication bypass: 235 to AUTH ", mechanism_);
    if (identity_) {
      Violation(absl::StrCat(why, " in a session already authenticated (RFC 4954 §4)"));
      return;
    }
    std::string authzid, authcid, password;
    bool decoded = !sasl_malformed_;
    for (const std::string& s : sasl_) decoded = decoded && s != "*";
    if (decoded && mechanism_ == "PLAIN" && sasl_.size() == 1) {
      std::string message;
      decoded = Base64(sasl_[0], &message);
      const std::vector<std::string> fields = absl::StrSplit(message, '\0');
      decoded = decoded && fields.size() == 3;
      if (decoded) {
        authzid = fields[0];
        authcid = fields[1];
        password = fields[2];
      }
    } else if (decoded && mechanism_ == "LOGIN" && sasl_.size() == 2) {
      decoded = Base64(sasl_[0], &authcid) && Base64(sasl_[1], &password);
    } else {
      decoded = false;
    }
    if (!decoded) {
      Violation(absl::StrCat(why, " without a complete, decodable ", mechanism_, " exchange"));
      return;
    }
    if (Flaw(Profile::kNullSessionAuth) && authcid.empty() && password.empty()) {
      identity_ = Identity{"anonymous", false};  // its flaw: the null session
      return;
    }
    const UserAccount* account = authcid.empty() ? nullptr : config_.users.Find(authcid);
    if (account == nullptr || account->password.empty() || account->password != password) {
      Violation(
          absl::StrCat(why, ": the credentials are not an account's (user '", Show(authcid), "')"));
      return;
    }
    if (authzid.empty() || authzid == authcid) {
      identity_ = Identity{authcid, account->may_relay};
      return;
    }
    if (std::find(account->may_act_for.begin(), account->may_act_for.end(), authzid) ==
        account->may_act_for.end()) {
      Violation(absl::StrCat(why, ": '", Show(authcid), "' may not act as '", Show(authzid),
                             "' (RFC 4616 §2)"));
      return;
    }
    const UserAccount* as = config_.users.Find(authzid);
    identity_ = Identity{authzid, as != nullptr && as->may_relay};
  }

  const SpecRun& run_;
  const SessionConfig& config_;
  size_t pos_ = 0;
  size_t next_reply_ = 0;
  size_t queued_seen_ = 0;
  size_t accepted_seen_ = 0;
  bool stopped_ = false;
  bool gave_up_ = false;
  bool pending_line_reply_allowed_ = false;
  std::optional<std::string> violation_;

  bool greeted_ = false;
  bool esmtp_ = false;
  bool tls_ = false;
  bool tx_ = false;
  size_t recipients_ = 0;
  bool bdat_used_ = false;
  std::string bdat_body_;
  std::optional<Identity> identity_;

  bool in_auth_ = false;
  std::string mechanism_;
  std::vector<std::string> sasl_;
  bool sasl_malformed_ = false;
};

}  // namespace

std::optional<std::string> CheckAgainstSpec(const SpecRun& run) { return Model(run).Check(); }

}  // namespace smtpgate::fuzz
