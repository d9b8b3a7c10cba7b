#include "harness/conformance/reply_pattern.h"

#include <cctype>

#include "absl/strings/str_split.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

bool IsCodePattern(std::string_view token) {
  if (token.size() != 3) return false;
  for (const char c : token) {
    if (!IsDigit(c) && c != 'x') return false;
  }
  return true;
}

// One component of an enhanced code: 1..3 digits, or 'x'.
bool IsEnhancedComponent(std::string_view part) {
  if (part == "x") return true;
  if (part.empty() || part.size() > 3) return false;
  for (const char c : part) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

}  // namespace

bool CodeMatches(std::string_view pattern, int code) {
  if (code < 100 || code > 999 || pattern.size() != 3) return false;
  const std::string digits = std::to_string(code);
  for (size_t i = 0; i < 3; ++i) {
    if (pattern[i] != 'x' && pattern[i] != digits[i]) return false;
  }
  return true;
}

bool EnhancedMatches(std::string_view pattern, std::string_view enhanced) {
  const std::vector<absl::string_view> want = absl::StrSplit(AsAbsl(pattern), '.');
  const std::vector<absl::string_view> got = absl::StrSplit(AsAbsl(enhanced), '.');
  if (want.size() != 3 || got.size() != 3) return false;
  for (size_t i = 0; i < 3; ++i) {
    if (want[i] == "x") {
      if (got[i].empty()) return false;
      continue;
    }
    if (want[i] != got[i]) return false;
  }
  return true;
}

bool IsAlternativesToken(std::string_view token) {
  if (token.empty()) return false;
  for (absl::string_view part : absl::StrSplit(AsAbsl(token), '|')) {
    if (part == "close" || part == "any" || part == "silence") continue;
    if (!part.empty() && part[0] == '!') part.remove_prefix(1);
    if (!IsCodePattern(AsStd(part))) return false;
  }
  return true;
}

bool IsEnhancedToken(std::string_view token) {
  const std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(token), '.');
  if (parts.size() != 3) return false;
  if (parts[0] != "2" && parts[0] != "4" && parts[0] != "5" && parts[0] != "x") return false;
  return IsEnhancedComponent(AsStd(parts[1])) && IsEnhancedComponent(AsStd(parts[2]));
}

bool ReplyPattern::AcceptsClose() const {
  for (const CodeAlternative& alternative : alternatives) {
    if (alternative.kind == CodeAlternative::Kind::kClose ||
        alternative.kind == CodeAlternative::Kind::kAny) {
      return true;
    }
  }
  return false;
}

bool ReplyPattern::AcceptsSilence() const {
  for (const CodeAlternative& alternative : alternatives) {
    if (alternative.kind == CodeAlternative::Kind::kSilence) return true;
  }
  return false;
}

bool ReplyPattern::Matches(const Reply& reply) const {
  bool code_ok = false;
  bool any = false;
  for (const CodeAlternative& alternative : alternatives) {
    switch (alternative.kind) {
      case CodeAlternative::Kind::kCode:
        code_ok = code_ok || CodeMatches(alternative.code, reply.code);
        break;
      case CodeAlternative::Kind::kNotCode:
        code_ok = code_ok || !CodeMatches(alternative.code, reply.code);
        break;
      case CodeAlternative::Kind::kAny:
        any = true;
        break;
      case CodeAlternative::Kind::kClose:
      case CodeAlternative::Kind::kSilence:
        break;
    }
  }
  if (any) return true;
  if (!code_ok) return false;
  return enhanced.empty() || EnhancedMatches(enhanced, reply.enhanced);
}

bool ReplyPattern::Matches(const Reply& reply, std::chrono::milliseconds elapsed) const {
  if (after_at_least && elapsed < *after_at_least) return false;
  if (after_below && elapsed >= *after_below) return false;
  return Matches(reply);
}

}  // namespace smtpgate::conformance
