// Test fixture that drives the reference Session through an InProcessHost.
#ifndef SMTPGATE_TESTS_SESSION_FIXTURE_H_
#define SMTPGATE_TESTS_SESSION_FIXTURE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"
#include "harness/core/reply.h"
#include "harness/core/sasl.h"

namespace smtpgate {

class SessionFixture : public ::testing::Test {
 protected:
  // Opens a new connection with the current config_ and checks the banner.
  void Connect(std::string client_address = "127.0.0.1") {
    host_ = std::make_unique<InProcessHost>(config_, std::move(client_address));
    const auto banner = host_->Start();
    ASSERT_EQ(banner.size(), 1u);
    ASSERT_EQ(banner[0].reply.code, 220);
  }

  // Sends one line; expects exactly one reply and returns it.
  Reply One(std::string_view line) {
    const auto replies = host_->Line(line);
    EXPECT_EQ(replies.size(), 1u) << "for line: " << line;
    return replies.empty() ? Reply{} : replies.back().reply;
  }
  int Code(std::string_view line) { return One(line).code; }

  // Sends raw bytes; returns the codes of all replies they caused.
  std::vector<int> Codes(std::string_view bytes) {
    std::vector<int> codes;
    for (const SendReply& r : host_->Feed(bytes)) codes.push_back(r.reply.code);
    return codes;
  }

  static std::string PlainAuth(std::string_view authcid, std::string_view password,
                               std::string_view authzid = "") {
    std::string message(authzid);
    message.push_back('\0');
    message.append(authcid);
    message.push_back('\0');
    message.append(password);
    return "AUTH PLAIN " + EncodeBase64(message);
  }

  void Ehlo() { ASSERT_EQ(Code("EHLO client.test"), 250); }
  void Login(std::string_view user, std::string_view password) {
    ASSERT_EQ(Code(PlainAuth(user, password)), 235);
  }
  // A whole DATA transaction for one recipient; returns the final reply code (0 if the
  // recipient was refused, with the RCPT code in *rcpt_code).
  int SendMail(std::string_view from, std::string_view to, int* rcpt_code = nullptr) {
    EXPECT_EQ(Code(std::string("MAIL FROM:") + std::string(from)), 250);
    const int rcpt = Code(std::string("RCPT TO:") + std::string(to));
    if (rcpt_code != nullptr) *rcpt_code = rcpt;
    if (rcpt / 100 != 2) {
      EXPECT_EQ(Code("RSET"), 250);
      return 0;
    }
    EXPECT_EQ(Code("DATA"), 354);
    return One("Subject: probe\r\n\r\nbody\r\n.").code;
  }

  SessionConfig config_ = DemoConfig();
  std::unique_ptr<InProcessHost> host_;
};

}  // namespace smtpgate

#endif  // SMTPGATE_TESTS_SESSION_FIXTURE_H_
