// The reply patterns of S: steps: 250, 2xx, 250|251, !2xx, 550 5.7.1, 5xx 5.7.x, close,
// silence, any; a reply alternative may be qualified by how long the reply took
// (5xx after>=900ms: a tar-pitted reply).
#ifndef SMTPGATE_HARNESS_CONFORMANCE_REPLY_PATTERN_H_
#define SMTPGATE_HARNESS_CONFORMANCE_REPLY_PATTERN_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/reply.h"

namespace smtpgate::conformance {

struct CodeAlternative {
  // kSilence: no reply within the silence window (the server is still reading, e.g. the
  // octets of a BDAT chunk whose size it took at face value).
  enum class Kind { kCode, kNotCode, kClose, kSilence, kAny };
  Kind kind = Kind::kCode;
  std::string code;  // kCode/kNotCode: 3 characters, digits or 'x'
};

struct ReplyPattern {
  std::vector<CodeAlternative> alternatives;
  std::string enhanced;  // "5.7.1", "5.7.x" or empty (then not checked)
  // after>=D / after<D: a reply matches only when it took at least / less than D (how long
  // the runner waited for it: since the previous reply or send). Close and silence are not
  // timed.
  std::optional<std::chrono::milliseconds> after_at_least;
  std::optional<std::chrono::milliseconds> after_below;
  std::string text;  // as written

  // The connection closing (or resetting) without a reply satisfies the pattern.
  bool AcceptsClose() const;
  // No reply within the silence window satisfies the pattern.
  bool AcceptsSilence() const;
  // The code and enhanced code only (not the timing).
  bool Matches(const Reply& reply) const;
  // The code, enhanced code and timing of a reply that took `elapsed`.
  bool Matches(const Reply& reply, std::chrono::milliseconds elapsed) const;
  bool HasTiming() const { return after_at_least.has_value() || after_below.has_value(); }
};

// Matches a code pattern ("2xx", "250", "5x1") against a reply code.
bool CodeMatches(std::string_view pattern, int code);
// Matches an enhanced-code pattern ("5.7.x") against a reply's enhanced code ("5.7.1").
bool EnhancedMatches(std::string_view pattern, std::string_view enhanced);

// Checks one alternatives token ("250|251", "!2xx", "close") and one enhanced-code token.
bool IsAlternativesToken(std::string_view token);
bool IsEnhancedToken(std::string_view token);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_REPLY_PATTERN_H_
