#include "harness/conformance/probe_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/conformance/target_file.h"
#include "harness/core/smtp_status.h"
#include "harness/net/smtp_client.h"

namespace smtpgate {
namespace conformance {
namespace {

using std::chrono::milliseconds;

// Printable ASCII only: a comment or a string never breaks the TOML (control bytes, bytes
// that are not valid UTF-8).
std::string Printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

// A TOML basic string. UTF-8 (a password, a path) is kept as it is; control bytes are
// escaped.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04X", u));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Seconds(milliseconds ms) { return absl::StrFormat("%.3f s", ms.count() / 1000.0); }

std::string NowRfc3339() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

bool IsIpLiteral(std::string_view host) {
  if (absl::StrContains(AsAbsl(host), ':')) return true;
  for (const char c : host) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return !host.empty();
}

std::string Mechanisms(const EhloFacts& facts) {
  return facts.auth.empty() ? "none" : absl::StrJoin(facts.auth, " ");
}

// A comment block: "# " before every line; long lines wrap at a space, continued under the
// value column ("  banner:          ...") or, for list items, under the item's text.
class Comments {
 public:
  explicit Comments(std::string& out) : out_(out) {}
  void Line(std::string_view text = "") {
    std::string rest = Printable(text);
    if (rest.empty()) {
      out_ += "#\n";
      return;
    }
    const size_t indent = absl::StartsWith(rest, "  - ") ? 4
                          : absl::StartsWith(rest, "  ") ? 19
                                                         : 0;
    bool first = true;
    while (!rest.empty()) {
      const size_t room = kWidth - (first ? 0 : indent);
      size_t cut = rest.size();
      if (rest.size() > room) {
        cut = rest.rfind(' ', room);
        if (cut == std::string::npos || cut <= indent) cut = room;
      }
      absl::StrAppend(&out_, "# ", first ? "" : std::string(indent, ' '), rest.substr(0, cut),
                      "\n");
      rest = std::string(absl::StripLeadingAsciiWhitespace(rest.substr(cut)));
      first = false;
    }
  }

 private:
  static constexpr size_t kWidth = 94;
  std::string& out_;
};

void Findings(const ProbeResult& r, const ProbeCommandOptions& options, Comments& c) {
  c.Line("What the probe found:");
  c.Line(absl::StrCat("  banner:          ", r.banner.Summary()));
  c.Line(absl::StrCat("  EHLO before TLS: ",
                      r.ehlo.ok() ? absl::StrJoin(r.ehlo.keywords, ", ") : r.ehlo.reply.Summary()));
  if (!r.starttls_offered) {
    c.Line("  STARTTLS:        not offered");
  } else if (r.tls) {
    c.Line("  STARTTLS:        offered; the handshake succeeded");
    c.Line(absl::StrCat("  EHLO inside TLS: ", r.ehlo_tls->ok()
                                                   ? absl::StrJoin(r.ehlo_tls->keywords, ", ")
                                                   : r.ehlo_tls->reply.Summary()));
  } else {
    c.Line(absl::StrCat("  STARTTLS:        offered, but it failed: ", r.tls_problem));
  }
  std::string auth = absl::StrCat("  AUTH:            before TLS: ", Mechanisms(r.ehlo));
  if (r.ehlo_tls) absl::StrAppend(&auth, "; inside TLS: ", Mechanisms(*r.ehlo_tls));
  c.Line(auth);
  if (r.ehlo.auth.empty() && r.ehlo_tls && !r.ehlo_tls->auth.empty()) {
    c.Line("  AUTH offered only after STARTTLS (a common hardening).");
  }
  const EhloFacts& ehlo = r.effective_ehlo();
  c.Line(absl::StrCat("  SIZE:            ", !ehlo.size ? std::string("not advertised")
                                             : *ehlo.size == 0
                                                 ? std::string("advertised, no fixed limit")
                                                 : absl::StrCat(*ehlo.size, " octets")));
  std::string attempt = absl::StrCat("  relay attempt:   MAIL FROM:<probe@", options.remote_domain,
                                     "> ", r.mail_reply ? r.mail_reply->Summary() : "-");
  if (r.mail_reply && r.refused_command != "MAIL") {
    absl::StrAppend(&attempt, " in ", Seconds(r.accepted_delay));
  }
  c.Line(attempt);
  if (r.rcpt_reply) {
    c.Line(absl::StrCat("                   RCPT TO:<probe-x@", options.remote_domain, "> ",
                        r.rcpt_reply->Summary()));
  }
  if (r.refusal) {
    c.Line(absl::StrCat("  5xx delay:       ", r.refused_command, "'s ", r.refusal->code,
                        " came after ", Seconds(r.refusal_delay),
                        r.tarpit_seconds() > 0 ? ": a tar pit" : ": no tar pit"));
  } else {
    c.Line(absl::StrCat("  5xx delay:       not measured: ", r.refusal_problem));
  }
  for (const std::string& note : r.notes) c.Line(absl::StrCat("  note: ", note));
}

void StillToCheck(const ProbeResult& r, const ProbeCommandOptions& options, bool accounts,
                  Comments& c) {
  c.Line("What you must still check:");
  c.Line(absl::StrCat("  - local_domain, local_user: mail to ", options.local_user, "@",
                      options.local_domain,
                      " must be accepted (an existing mailbox of a domain the server is final "
                      "destination for). Set them with --local-domain and --local-user."));
  c.Line(absl::StrCat("  - remote_domain (", options.remote_domain,
                      ") must be a domain the server neither accepts nor relays for."));
  if (!accounts) {
    c.Line(
        "  - No [accounts] table: the AUTH tests SKIP. Give --authorized USER:PASS (may relay) "
        "and --unauthorized USER:PASS (can authenticate, must not relay).");
  } else {
    c.Line(
        "  - [accounts]: authorized must be allowed to relay; unauthorized must be able to "
        "log in but not to relay.");
  }
  if (r.ehlo.auth.empty() && r.ehlo_tls && !r.ehlo_tls->auth.empty()) {
    c.Line(
        "  - AUTH is offered only after STARTTLS: the AUTH tests follow what conform finds in "
        "the EHLO reply. Do not force [capabilities] auth = true: AUTH would be sent in "
        "plaintext and refused, a FAIL for the wrong reason.");
  }
  if (options.sink.empty()) {
    c.Line(
        "  - No delivery oracle: relay verdicts are WARN, never PASS. Route the server's "
        "non-local mail to a sink (Postfix: relayhost = [127.0.0.1]:2526) and give --sink "
        "127.0.0.1:2526.");
  } else {
    c.Line(absl::StrCat("  - [oracle] sink: conform listens on ", options.sink,
                        "; the server must hand all its non-local mail there."));
  }
  if (options.maildirs.empty()) {
    c.Line(
        "  - Local mail is not seen (the @requires local-oracle tests SKIP): give --maildir DIR, "
        "the server's Maildir root (conform needs read access).");
  }
  c.Line(
      "  - Add [server] crash_log = [\"/var/log/mail.log\"] (the server's log) to catch "
      "per-connection crashes.");
  if (r.tarpit_seconds() == 0 && r.refusal) {
    c.Line(
        "  - tarpit_seconds = 0: the tar-pit tests SKIP. If the server delays 5xx replies only "
        "after some errors, set its delay here by hand.");
  }
}

}  // namespace

std::string DefaultLocalDomain(const std::string& banner_host, const std::string& host) {
  if (banner_host.empty()) return host;
  const size_t dot = banner_host.find('.');
  if (dot == std::string::npos) return banner_host;
  const std::string rest = banner_host.substr(dot + 1);
  return absl::StrContains(rest, '.') ? rest : banner_host;
}

std::string RenderTargetFile(const ProbeResult& r, const ProbeCommandOptions& options,
                             const std::string& host, uint16_t port) {
  const std::string where = FormatHostPort(host, port);
  const bool accounts = !options.authorized.empty() || !options.unauthorized.empty();
  std::string out;
  Comments c(out);
  c.Line(
      absl::StrCat("Target file written by `smtpgate probe ", where, "` on ", NowRfc3339(), "."));
  c.Line("Run it with: smtpgate conform --target-file THIS_FILE  (docs/transcripts.md,");
  c.Line("\"Target files\", describes every key).");
  c.Line();
  Findings(r, options, c);
  c.Line();
  StillToCheck(r, options, accounts, c);
  out += "\n";
  absl::StrAppend(
      &out, "description = ",
      Quote(absl::StrCat("probed ", where,
                         r.banner_host.empty() ? "" : absl::StrCat(" (", r.banner_host, ")"),
                         " by smtpgate probe")),
      "\n");
  absl::StrAppend(&out, "host = ", Quote(host), "\n");
  absl::StrAppend(&out, "port = ", port, "\n");
  absl::StrAppend(&out, "tls = ", r.tls ? "\"starttls\"" : "\"none\"",
                  r.tls                ? "  # STARTTLS offered and the handshake succeeded"
                  : r.starttls_offered ? "  # STARTTLS offered but it failed"
                                       : "  # STARTTLS not offered",
                  "\n\n");
  absl::StrAppend(&out, "helo = ", Quote(options.helo), "\n");
  if (!r.banner_host.empty()) {
    absl::StrAppend(&out, "server_name = ", Quote(r.banner_host), "  # from the banner\n");
  }
  if (IsIpLiteral(host)) {
    const std::string literal = absl::StrContains(host, ':') ? absl::StrCat("[IPv6:", host, "]")
                                                             : absl::StrCat("[", host, "]");
    absl::StrAppend(&out, "server_ip_literal = ", Quote(literal), "\n");
  }
  absl::StrAppend(&out, "local_domain = ", Quote(options.local_domain), "  # CHECK\n");
  absl::StrAppend(&out, "local_user = ", Quote(options.local_user),
                  "  # CHECK: an existing mailbox\n");
  absl::StrAppend(&out, "remote_domain = ", Quote(options.remote_domain), "\n");
  absl::StrAppend(&out, "tarpit_seconds = ", r.tarpit_seconds(),
                  r.refusal
                      ? absl::StrCat("  # the anonymous 5xx came after ", Seconds(r.refusal_delay))
                      : std::string("  # not measured"),
                  "\n");
  if (accounts) {
    for (const auto& [kind, account] :
         {std::pair<std::string_view, const std::string*>{"authorized", &options.authorized},
          {"unauthorized", &options.unauthorized}}) {
      if (account->empty()) continue;
      const size_t colon = account->find(':');
      absl::StrAppend(
          &out, "\n[accounts.", AsAbsl(kind), "]",
          kind == "authorized" ? "  # may relay" : "  # can authenticate, must not relay",
          "\nuser = ", Quote(account->substr(0, colon)),
          "\npassword = ", Quote(account->substr(colon + 1)), "\n");
    }
  }
  if (!accounts) {
    // Without accounts the parser marks only `auth` missing; transcripts that require
    // auth-plain or auth-login would still run, with empty credentials (false FAILs).
    out +=
        "\n[capabilities]  # no accounts given: every AUTH test SKIPs (drop this with "
        "[accounts])\nauth = false\nauth-plain = false\nauth-login = false\n";
  }
  // A tar pit longer than the reply timeout would make every refusal a missing reply.
  const int64_t reply_ms = std::max<int64_t>(10000, (r.tarpit_seconds() + 10) * int64_t{1000});
  absl::StrAppend(&out, "\n[timeouts]\nconnect_ms = 5000\nreply_ms = ", reply_ms,
                  "\noracle_wait_ms = 2000\ngrace_ms = 200\n");
  if (!options.sink.empty() || !options.maildirs.empty()) {
    out += "\n[oracle]\n";
    if (!options.sink.empty()) {
      absl::StrAppend(&out, "sink = ", Quote(options.sink),
                      "  # conform listens here: route non-local mail to it\n");
    }
    if (!options.maildirs.empty()) {
      std::vector<std::string> quoted;
      for (const std::string& dir : options.maildirs) {
        std::error_code ec;
        const std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
        quoted.push_back(Quote(ec ? dir : absolute.lexically_normal().string()));
      }
      absl::StrAppend(&out, "maildir = [", absl::StrJoin(quoted, ", "), "]\n");
    }
  }
  return out;
}

}  // namespace conformance

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "smtpgate probe: %s\n", message.c_str());
  return kProbeUsage;
}

bool ValidAccount(const std::string& account) {
  const size_t colon = account.find(':');
  return colon != std::string::npos && colon > 0;
}

}  // namespace

int RunProbe(const ProbeCommandOptions& given) {
  ProbeCommandOptions options = given;
  if (options.target.empty()) return Usage("give the server as HOST:PORT");
  absl::StatusOr<HostPort> address = ParseHostPort(options.target, 25);
  if (!address.ok()) {
    return Usage(absl::StrCat(options.target, ": ", address.status().message()));
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string*>{"--authorized", &options.authorized},
        {"--unauthorized", &options.unauthorized}}) {
    if (!value->empty() && !ValidAccount(*value)) {
      return Usage(absl::StrCat(flag, " takes USER:PASS"));
    }
  }
  if (!options.sink.empty()) {
    absl::StatusOr<HostPort> sink = ParseHostPort(options.sink, 0);
    if (!sink.ok() || sink->port == 0) {
      return Usage(absl::StrCat("--sink ", options.sink, ": expected HOST:PORT"));
    }
  }
  std::vector<std::string> maildirs;
  for (const std::string& list : options.maildirs) {
    for (absl::string_view dir : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
      maildirs.emplace_back(absl::StripAsciiWhitespace(dir));
    }
  }
  options.maildirs = std::move(maildirs);
  if (options.timeout_seconds < 1 || options.timeout_seconds > 3600) {
    return Usage("--timeout must be 1..3600 seconds");
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string*>{"--local-user", &options.local_user},
        {"--remote-domain", &options.remote_domain},
        {"--helo", &options.helo}}) {
    if (value->empty()) return Usage(absl::StrCat(flag, " must not be empty"));
  }

  conformance::ProbeOptions probe;
  probe.host = address->host;
  probe.port = address->port;
  probe.helo = options.helo;
  probe.remote_domain = options.remote_domain;
  probe.connect_timeout = probe.reply_timeout = std::chrono::seconds(options.timeout_seconds);
  std::fprintf(stderr, "smtpgate probe: probing %s ...\n",
               FormatHostPort(address->host, address->port).c_str());
  absl::StatusOr<conformance::ProbeResult> result = conformance::Probe(probe);
  if (!result.ok()) {
    std::fprintf(stderr, "smtpgate probe: target unreachable: %s\n",
                 std::string(result.status().message()).c_str());
    return kProbeUnreachable;
  }
  if (options.local_domain.empty()) {
    options.local_domain = conformance::DefaultLocalDomain(result->banner_host, address->host);
  }
  const std::string text =
      conformance::RenderTargetFile(*result, options, address->host, address->port);
  // What is printed must load as it is: checked before anyone relies on it.
  const std::string name = options.out_path.empty() ? "<probe output>" : options.out_path;
  if (absl::StatusOr<conformance::TargetConfig> parsed = conformance::ParseTargetFile(text, name);
      !parsed.ok()) {
    std::fprintf(stderr, "smtpgate probe: the target file does not load (a bug): %s\n%s",
                 std::string(parsed.status().message()).c_str(), text.c_str());
    return kProbeUsage;
  }
  if (options.out_path.empty()) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  } else {
    std::ofstream out(options.out_path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Usage(absl::StrCat("cannot write ", options.out_path));
    std::fprintf(stderr, "smtpgate probe: wrote %s\n", options.out_path.c_str());
  }
  std::fprintf(stderr,
               "smtpgate probe: tls = %s, AUTH %s, tarpit_seconds = %d; check the "
               "comments, then: smtpgate conform --target-file %s\n",
               result->tls ? "starttls" : "none",
               result->ehlo.auth.empty() && result->ehlo_tls && !result->ehlo_tls->auth.empty()
                   ? "only after STARTTLS"
                   : (result->effective_ehlo().auth.empty() ? "not offered" : "offered"),
               result->tarpit_seconds(),
               options.out_path.empty() ? "FILE" : options.out_path.c_str());
  return kProbeOk;
}

}  // namespace smtpgate
