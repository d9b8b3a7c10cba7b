#include "harness/core/smtp_status.h"

#include "gtest/gtest.h"

namespace smtpgate {
namespace {

TEST(SmtpStatusTest, RoundTripsCodeEnhancedAndReason) {
  const absl::Status status = SmtpStatus(553, "5.1.3", "bad address syntax at offset 4");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const SmtpError error = SmtpErrorOf(status);
  EXPECT_EQ(error.code, 553);
  EXPECT_EQ(error.enhanced, "5.1.3");
  EXPECT_EQ(error.reason, "bad address syntax at offset 4");
}

TEST(SmtpStatusTest, AbslCodeFollowsSmtpMeaning) {
  EXPECT_EQ(SmtpStatus(550, "5.7.1", "relay").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SmtpStatus(552, "5.3.4", "big").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SmtpStatus(500, "5.5.1", "what").code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(SmtpStatus(421, "4.7.0", "bye").code(), absl::StatusCode::kUnavailable);
}

TEST(SmtpStatusTest, ReasonIsKeptOnOneLine) {
  const SmtpError error = SmtpErrorOf(SmtpStatus(501, "5.5.2", "a\r\nRCPT TO:<x>\0y"));
  EXPECT_EQ(error.reason.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
}

TEST(SmtpStatusTest, PlainStatusBecomesLocalError) {
  const SmtpError error = SmtpErrorOf(absl::InternalError("disk full"));
  EXPECT_EQ(error.code, 451);
  EXPECT_EQ(error.enhanced, "4.3.0");
  EXPECT_EQ(error.reason, "disk full");
}

TEST(SmtpStatusTest, EmptyEnhancedCodeIsAllowed) {
  const SmtpError error = SmtpErrorOf(SmtpStatus(500, "", "line too long"));
  EXPECT_EQ(error.code, 500);
  EXPECT_EQ(error.enhanced, "");
}

}  // namespace
}  // namespace smtpgate
