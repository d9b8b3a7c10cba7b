#include "harness/conformance/transcript.h"

#include <algorithm>

namespace smtpgate::conformance {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "critical";
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
    case Severity::kInfo:
      return "info";
  }
  return "medium";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity severity : kAllSeverities) {
    if (SeverityName(severity) == name) return severity;
  }
  return std::nullopt;
}

std::string_view OutcomeName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kNotRelayed:
      return "not-relayed";
    case OutcomeKind::kRelayed:
      return "relayed";
    case OutcomeKind::kDeliveredLocal:
      return "delivered-local";
    case OutcomeKind::kNoMessage:
      return "no-message";
    case OutcomeKind::kOneMessage:
      return "one-message";
    case OutcomeKind::kNoMessageFrom:
      return "no-message-from";
    case OutcomeKind::kMessageContains:
      return "message-contains";
    case OutcomeKind::kMessageLacks:
      return "message-lacks";
    case OutcomeKind::kEveryMessageContains:
      return "every-message-contains";
    case OutcomeKind::kAlive:
      return "alive";
    case OutcomeKind::kDelayAtLeast:
      return "delay>=";
    case OutcomeKind::kDelayBelow:
      return "delay<";
    case OutcomeKind::kSameReplyAs:
      return "same-reply-as";
  }
  return "alive";
}

bool IsDeferredOutcome(OutcomeKind kind) {
  return kind != OutcomeKind::kDelayAtLeast && kind != OutcomeKind::kDelayBelow &&
         kind != OutcomeKind::kSameReplyAs;
}

bool IsPositiveOutcome(OutcomeKind kind) {
  return kind == OutcomeKind::kRelayed || kind == OutcomeKind::kDeliveredLocal ||
         kind == OutcomeKind::kMessageContains;
}

bool Transcript::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool Transcript::HasOutcome(OutcomeKind kind) const {
  for (const Step& step : steps) {
    if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      if (expect->kind == kind) return true;
    }
  }
  return false;
}

std::vector<const Expression*> Transcript::Expressions() const {
  std::vector<const Expression*> out;
  for (const Step& step : steps) {
    if (const auto* send = std::get_if<SendStep>(&step.body)) {
      send->bytes.CollectExpressions(out);
    } else if (const auto* pipeline = std::get_if<PipelineStep>(&step.body)) {
      for (const SendStep& part : pipeline->parts) part.bytes.CollectExpressions(out);
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      expect->argument.CollectExpressions(out);
    } else if (const auto* reply = std::get_if<ReplyStep>(&step.body)) {
      if (reply->within) reply->within->CollectExpressions(out);
    }
  }
  return out;
}

}  // namespace smtpgate::conformance
