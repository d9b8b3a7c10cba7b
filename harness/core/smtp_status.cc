#include "harness/core/smtp_status.h"

#include <charconv>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace smtpgate {
namespace {

constexpr absl::string_view kPayloadUrl = "type.smtpgate/smtp-reply";

absl::StatusCode CodeFor(int code, std::string_view enhanced) {
  if (code >= 400 && code < 500 && code != 452) return absl::StatusCode::kUnavailable;
  if (enhanced.size() >= 3 && enhanced.substr(1, 3) == ".7.") {
    return absl::StatusCode::kPermissionDenied;
  }
  if (code == 552 || code == 452) return absl::StatusCode::kResourceExhausted;
  if (code == 500 || code == 502 || code == 504) return absl::StatusCode::kUnimplemented;
  return absl::StatusCode::kInvalidArgument;
}

// Reasons end up in reply text: keep them on one printable line.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

}  // namespace

absl::Status SmtpStatus(int code, std::string_view enhanced, std::string_view reason) {
  absl::Status status(CodeFor(code, enhanced), OneLine(reason));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(code, " ", AsAbsl(enhanced))));
  return status;
}

SmtpError SmtpErrorOf(const absl::Status& status) {
  SmtpError error{451, "4.3.0", std::string(status.message())};
  if (status.ok()) {
    error.reason = "internal error: no error";
    return error;
  }
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return error;
  const std::string text(*payload);
  int code = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (ec != std::errc() || code < 400 || code > 599) return error;
  error.code = code;
  error.enhanced = (end < text.data() + text.size()) ? std::string(end + 1) : std::string();
  return error;
}

}  // namespace smtpgate
