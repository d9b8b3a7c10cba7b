// libFuzzer target for the RFC 5321 path parser (harness/core/address.h).
//
// Input: the first byte picks AddressOptions (bit 0 reverse_path, bit 1 smtputf8, bit 2
// allow_unbracketed, bit 3 allow_domainless); the rest is the path text. Beyond "no crash",
// it checks that whatever the parser accepts formats to a clean wire form that re-parses to
// the same value, and that the routing domain depends on the mailbox's own domain only
// (never on a source route, '%', '!' or a quoted '@'); and, for every accepted bracketed
// path, that the parser's routing domain is the one an independent reading of the RFC 5321
// grammar gives (fuzzers/spec_model.h: RoutingDomainOf, which shares no code with it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fuzzers/spec_model.h"
#include "harness/core/address.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

[[noreturn]] void Fail(const char* what, std::string_view input, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_address: invariant violated: %s\n  input (%zu octets): ", what,
               input.size());
  for (char c : input) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && u != '\\') {
      std::fputc(u, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", u);
    }
  }
  std::fprintf(stderr, "\n  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void Check(bool ok, const char* what, std::string_view input, std::string_view detail = {}) {
  if (!ok) Fail(what, input, detail);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasAny(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The routing domain of `domain` alone, as the parser sees it in a plain "<x@domain>".
std::string RoutingDomainOf(std::string_view domain, const AddressOptions& options) {
  AddressOptions plain = options;
  plain.reverse_path = false;
  const absl::StatusOr<Path> path = ParsePath("<x@" + std::string(domain) + ">", plain);
  return path.ok() ? path->mailbox.RoutingDomain() : "<unparsable>";
}

void CheckError(const absl::Status& status, const AddressOptions& options, std::string_view input) {
  const SmtpError error = SmtpErrorOf(status);
  Check(error.code == 553 || error.code == 501, "error code is 553 or 501", input, error.reason);
  const std::string_view want = options.reverse_path ? "5.1.7" : "5.1.3";
  if (error.enhanced == "5.6.7") {
    Check(error.code == 553 && !options.smtputf8, "5.6.7 only without SMTPUTF8", input,
          error.reason);
  } else {
    Check(error.enhanced == want, "enhanced code matches the path direction", input,
          error.enhanced);
  }
  Check(!error.reason.empty() && !HasAny(error.reason, std::string_view("\r\n\0", 3)),
        "reason is one non-empty line", input, error.reason);
}

void CheckMailbox(const Path& path, const AddressOptions& options, std::string_view input) {
  const Mailbox& m = path.mailbox;
  const std::string rd = m.RoutingDomain();
  Check(m.local_part.size() <= kMaxLocalPart, "local part within 64 octets", input);
  Check(m.domain.size() <= kMaxDomain, "domain within 255 octets", input);
  Check(m.quoted == (!m.local_part.empty() && m.local_part.front() == '"'),
        "quoted flag matches the local part", input, m.local_part);
  switch (m.domain_kind) {
    case DomainKind::kNone:
      Check(m.domain.empty() && rd.empty(), "domain-less mailbox has no routing domain", input, rd);
      break;
    case DomainKind::kName:
      Check(rd == Lower(m.domain), "name routes to its lower-cased self", input, rd);
      Check(!HasAny(rd, "@%!\"[]:"), "name routing domain has no routing characters", input, rd);
      break;
    case DomainKind::kIpv4Literal:
    case DomainKind::kIpv6Literal:
      Check(rd.size() > 2 && rd.front() == '[' && rd.back() == ']' && !HasAny(rd, "@%!\"") &&
                IsAscii(rd),
            "IP literal routing domain is a canonical literal", input, rd);
      break;
    case DomainKind::kGeneralLiteral:
      // RFC 5321 dcontent (%d33-90 / %d94-126) may hold '@', '%', '!' and '"'; such a
      // literal is still one opaque routing domain.
      Check(rd == Lower(m.domain) && rd.front() == '[' && rd.back() == ']' &&
                !HasAny(rd.substr(1, rd.size() - 2), "[]\\ "),
            "general literal routes to its lower-cased self", input, rd);
      break;
  }
  if (m.domain_kind != DomainKind::kNone) {
    // A function of the mailbox's domain only: same answer without local part and route.
    const std::string alone = RoutingDomainOf(m.domain, options);
    Check(rd == alone, "routing domain depends on the domain only", input, rd + " vs " + alone);
    for (const std::string& hop : path.source_route) {
      if (rd == Lower(hop) || rd == RoutingDomainOf(hop, options)) {
        Check(RoutingDomainOf(hop, options) == alone, "source route never routes", input, hop);
      }
    }
  }
  const bool tricky = m.quoted || HasAny(m.local_part, "%!@");
  if (tricky && m.domain_kind != DomainKind::kNone) {
    Check(rd == RoutingDomainOf(m.domain, options),
          "quoted / percent / bang local part routes to the mailbox domain", input, rd);
  }
  if (!options.smtputf8) Check(IsAscii(m.local_part) && IsAscii(m.domain), "ASCII only", input);
  const std::string content = m.LocalPartContent();
  Check(content.size() <= m.local_part.size(), "local part content no longer than wire", input);
  if (!m.quoted) Check(content == m.local_part, "dot-string content is itself", input);
}

}  // namespace
}  // namespace smtpgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace smtpgate;
  if (size == 0) return 0;
  AddressOptions options;
  options.reverse_path = (data[0] & 1) != 0;
  options.smtputf8 = (data[0] & 2) != 0;
  options.allow_unbracketed = (data[0] & 4) != 0;
  options.allow_domainless = (data[0] & 8) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  const size_t token = PathTokenLength(input);
  Check(token <= input.size(), "PathTokenLength within the input", input);
  if (!input.empty() && input.front() == '<' && token < input.size()) {
    Check(input[token - 1] == '>', "bracketed token ends at '>'", input);
  }

  const absl::StatusOr<Path> parsed = ParsePath(input, options);
  if (!parsed.ok()) {
    CheckError(parsed.status(), options, input);
    return 0;
  }
  const Path& path = *parsed;
  Check(token == input.size(), "an accepted path is one whole token", input);
  Check(path.kind != Path::Kind::kNull || options.reverse_path, "<> only as reverse-path", input);
  Check(path.kind != Path::Kind::kPostmaster || !options.reverse_path,
        "<Postmaster> only as forward-path", input);

  const std::string wire = FormatPath(path);
  Check(!HasAny(wire, std::string_view("\r\n\0", 3)), "wire form has no CR, LF or NUL", input,
        wire);
  Check(wire.size() <= kMaxPath, "wire form within 256 octets", input, wire);
  Check(PathTokenLength(wire + " SIZE=1") == wire.size(), "wire form is one token", input, wire);
  const absl::StatusOr<Path> again = ParsePath(wire, options);
  Check(again.ok(), "wire form re-parses", input, wire);
  Check(*again == path, "parse(format(p)) == p", input, wire);
  Check(FormatPath(*again) == wire, "format is stable", input, wire);

  if (path.kind == Path::Kind::kMailbox) {
    CheckMailbox(path, options, input);
    if (path.mailbox.domain_kind == DomainKind::kName) {
      const std::optional<std::string> spec = fuzz::RoutingDomainOf(input);
      Check(!spec || *spec == path.mailbox.RoutingDomain(),
            "routing domain is the RFC 5321 one (source route ignored)", input,
            path.mailbox.RoutingDomain() + " vs " + spec.value_or(""));
    }
    Check(path.mailbox.ToString().size() + 2 <= wire.size(), "ToString is inside the wire form",
          input);
  }

  Path completed = path;
  CompleteDomain(completed, "example.test");
  if (path.kind == Path::Kind::kMailbox && path.mailbox.domain_kind == DomainKind::kNone) {
    Check(completed.mailbox.RoutingDomain() == "example.test",
          "completed domain-less path routes to the local domain", input);
    Check(completed.mailbox.local_part == path.mailbox.local_part,
          "completion keeps the local part", input);
    AddressOptions strict = options;
    strict.allow_domainless = false;
    const std::string completed_wire = FormatPath(completed);
    const absl::StatusOr<Path> reparsed = ParsePath(completed_wire, strict);
    // A domain-less mailbox has no source route and at most 64 octets of local part, so
    // the completed path is always an ordinary one within the limits.
    Check(reparsed.ok() && *reparsed == completed, "completed path re-parses", input,
          completed_wire);
  } else {
    Check(completed == path, "CompleteDomain leaves other paths alone", input);
  }
  return 0;
}
