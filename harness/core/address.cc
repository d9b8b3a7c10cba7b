// The address model of address.h: routing domain, local-part content, formatting.
#include "harness/core/address.h"

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/core/address_literal.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

void AppendMailbox(const Mailbox& mailbox, std::string& out) {
  out += mailbox.local_part;
  if (mailbox.domain_kind != DomainKind::kNone) {
    out += '@';
    out += mailbox.domain;
  }
}

}  // namespace

std::string Mailbox::RoutingDomain() const {
  const std::string_view d = domain;
  switch (domain_kind) {
    case DomainKind::kNone:
      return {};
    case DomainKind::kName:
    case DomainKind::kGeneralLiteral:
      return absl::AsciiStrToLower(AsAbsl(d));
    case DomainKind::kIpv4Literal: {
      uint8_t v4[4];
      if (d.size() >= 2 && d.front() == '[' && d.back() == ']' &&
          ParseIpv4(d.substr(1, d.size() - 2), v4)) {
        return absl::StrCat("[", v4[0], ".", v4[1], ".", v4[2], ".", v4[3], "]");
      }
      break;
    }
    case DomainKind::kIpv6Literal: {
      constexpr std::string_view kPrefix = "[IPv6:";
      unsigned char v6[16];
      char text[INET6_ADDRSTRLEN];
      if (d.size() > kPrefix.size() &&
          absl::EqualsIgnoreCase(AsAbsl(d.substr(0, kPrefix.size())), AsAbsl(kPrefix)) &&
          d.back() == ']' &&
          ParseIpv6(d.substr(kPrefix.size(), d.size() - kPrefix.size() - 1), v6) &&
          inet_ntop(AF_INET6, v6, text, sizeof(text)) != nullptr) {
        return absl::StrCat("[ipv6:", absl::AsciiStrToLower(text), "]");
      }
      break;
    }
  }
  // Not produced by ParsePath (kind and text disagree): the lower-cased text can never
  // equal a canonical literal, so policy treats it as some other, remote domain.
  return absl::AsciiStrToLower(AsAbsl(d));
}

std::string Mailbox::LocalPartContent() const {
  std::string_view s = local_part;
  if (!quoted || s.size() < 2 || s.front() != '"' || s.back() != '"') return local_part;
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

std::string Mailbox::ToString() const {
  std::string out;
  out.reserve(local_part.size() + 1 + domain.size());
  AppendMailbox(*this, out);
  return out;
}

std::string FormatPath(const Path& path) {
  switch (path.kind) {
    case Path::Kind::kNull:
      return "<>";
    case Path::Kind::kPostmaster:
      return "<Postmaster>";
    case Path::Kind::kMailbox:
      break;
  }
  size_t size = 3 + path.mailbox.local_part.size() + path.mailbox.domain.size();
  for (const std::string& hop : path.source_route) size += hop.size() + 2;
  std::string out;
  out.reserve(size);
  out += '<';
  for (size_t i = 0; i < path.source_route.size(); ++i) {
    out += i == 0 ? "@" : ",@";
    out += path.source_route[i];
  }
  if (!path.source_route.empty()) out += ':';
  AppendMailbox(path.mailbox, out);
  out += '>';
  return out;
}

void CompleteDomain(Path& path, std::string_view local_domain) {
  if (path.kind != Path::Kind::kMailbox || path.mailbox.domain_kind != DomainKind::kNone ||
      local_domain.empty()) {
    return;
  }
  path.mailbox.domain.assign(local_domain);
  path.mailbox.domain_kind = DomainKind::kName;
  // A local domain configured as an address literal ("[192.0.2.1]") keeps its kind, so
  // its routing domain is the canonical literal.
  if (local_domain.size() >= 2 && local_domain.front() == '[' && local_domain.back() == ']') {
    const std::string_view content = local_domain.substr(1, local_domain.size() - 2);
    bool dcontent = true;
    for (char c : content) dcontent = dcontent && IsDcontent(static_cast<unsigned char>(c));
    const LiteralResult r = dcontent ? ClassifyLiteral(content) : LiteralResult::kEmpty;
    if (r == LiteralResult::kIpv4 || r == LiteralResult::kIpv6 || r == LiteralResult::kGeneral) {
      path.mailbox.domain_kind = LiteralDomainKind(r);
    }
  }
}

std::string PathAddress(const Path& path) {
  switch (path.kind) {
    case Path::Kind::kNull:
      return "";
    case Path::Kind::kPostmaster:
      return "Postmaster";
    case Path::Kind::kMailbox:
      return path.mailbox.ToString();
  }
  return "";
}

}  // namespace smtpgate
