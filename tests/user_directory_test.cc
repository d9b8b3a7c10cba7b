// The user directory: authentication (password, authzid) kept apart from authorization.
#include "harness/policy/user_directory.h"

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

UserDirectory DemoUsers() {
  UserDirectory users;
  users.Add({"relayer", "relayer-pass", true, {"relayer@example.test"}, {}});
  users.Add({"guest", "guest-pass", false, {"guest@example.test"}, {}});
  users.Add({"admin", "admin-pass", true, {}, {"bob", "relayer@example.test"}});
  users.Add({"disabled", "", true, {}, {}});
  return users;
}

TEST(UserDirectoryTest, FindIsExact) {
  const UserDirectory users = DemoUsers();
  ASSERT_NE(users.Find("relayer"), nullptr);
  EXPECT_TRUE(users.Find("relayer")->may_relay);
  ASSERT_NE(users.Find("guest"), nullptr);
  EXPECT_FALSE(users.Find("guest")->may_relay);
  EXPECT_EQ(users.Find("Relayer"), nullptr);
  EXPECT_EQ(users.Find("relayer "), nullptr);
  EXPECT_EQ(users.Find(""), nullptr);
  EXPECT_EQ(users.Find("nobody"), nullptr);
  EXPECT_EQ(users.size(), 4u);
}

TEST(UserDirectoryTest, AddReplacesSameName) {
  UserDirectory users = DemoUsers();
  const UserAccount* before = users.Find("guest");
  users.Add({"guest", "new-pass", true, {}, {}});
  EXPECT_EQ(users.size(), 4u);
  const UserAccount* after = users.Find("guest");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after, before);  // replaced in place: pointers stay valid
  EXPECT_TRUE(after->may_relay);
  EXPECT_TRUE(users.Authenticate("", "guest", "new-pass").ok());
  EXPECT_FALSE(users.Authenticate("", "guest", "guest-pass").ok());
}

struct AuthCase {
  std::string name;
  std::string authzid;
  std::string authcid;
  std::string password;
  std::string want_identity;  // empty = must fail with 535 5.7.8
  std::string reason_has = "authentication credentials invalid";
};

std::ostream& operator<<(std::ostream& os, const AuthCase& c) { return os << c.name; }

class AuthenticateTest : public testing::TestWithParam<AuthCase> {};

TEST_P(AuthenticateTest, Checks) {
  const AuthCase& c = GetParam();
  const absl::StatusOr<std::string> result =
      DemoUsers().Authenticate(c.authzid, c.authcid, c.password);
  if (!c.want_identity.empty()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, c.want_identity);
    return;
  }
  ASSERT_FALSE(result.ok());
  const SmtpError error = SmtpErrorOf(result.status());
  EXPECT_EQ(error.code, 535);
  EXPECT_EQ(error.enhanced, "5.7.8");
  EXPECT_NE(error.reason.find(c.reason_has), std::string::npos) << error.reason;
  // Never the password in the reply.
  if (!c.password.empty()) {
    EXPECT_EQ(error.reason.find(c.password), std::string::npos);
  }
}

const char kInvalid[] = "authentication credentials invalid";

INSTANTIATE_TEST_SUITE_P(
    Table, AuthenticateTest,
    testing::Values(
        AuthCase{"right_password", "", "relayer", "relayer-pass", "relayer"},
        AuthCase{"guest_right_password", "", "guest", "guest-pass", "guest"},
        AuthCase{"wrong_password", "", "relayer", "guest-pass", ""},
        AuthCase{"password_prefix", "", "relayer", "relayer-pas", ""},
        AuthCase{"password_extended", "", "relayer", "relayer-pass1", ""},
        AuthCase{"password_case", "", "relayer", "Relayer-pass", ""},
        AuthCase{"password_with_nul", "", "relayer", std::string("relayer-pass\0", 13), ""},
        AuthCase{"empty_password", "", "relayer", "", ""},
        AuthCase{"unknown_user", "", "nobody", "relayer-pass", ""},
        AuthCase{"authcid_case_sensitive", "", "Relayer", "relayer-pass", ""},
        AuthCase{"null_credentials", "", "", "", ""},
        AuthCase{"empty_authcid", "", "", "relayer-pass", ""},
        AuthCase{"disabled_account_empty_password", "", "disabled", "", ""},
        AuthCase{"disabled_account_any_password", "", "disabled", "x", ""},
        AuthCase{"authzid_equal_to_authcid", "relayer", "relayer", "relayer-pass", "relayer"},
        AuthCase{"authzid_other_refused", "bob", "guest", "guest-pass", "",
                 "not authorized to act as bob"},
        AuthCase{"authzid_relayer_impersonation_refused", "relayer", "guest", "guest-pass", "",
                 "guest is not authorized to act as relayer"},
        AuthCase{"authzid_listed", "bob", "admin", "admin-pass", "bob"},
        AuthCase{"authzid_listed_address", "relayer@example.test", "admin", "admin-pass",
                 "relayer@example.test"},
        AuthCase{"authzid_listed_is_exact", "Bob", "admin", "admin-pass", "",
                 "not authorized to act as Bob"},
        AuthCase{"authzid_listed_wrong_password", "bob", "admin", "guest-pass", "", kInvalid},
        AuthCase{"authzid_with_wrong_password_says_nothing_about_authz", "bob", "guest", "x", "",
                 kInvalid}),
    [](const testing::TestParamInfo<AuthCase>& param_info) { return param_info.param.name; });

// One reply for "no such user" and "wrong password": a client cannot harvest accounts.
TEST(AuthenticateTest, UnknownUserAndWrongPasswordLookTheSame) {
  const UserDirectory users = DemoUsers();
  const absl::Status unknown = users.Authenticate("", "nobody", "guest-pass").status();
  const absl::Status wrong = users.Authenticate("", "guest", "wrong").status();
  const absl::Status disabled = users.Authenticate("", "disabled", "").status();
  EXPECT_EQ(unknown, wrong);
  EXPECT_EQ(unknown, disabled);
  EXPECT_EQ(SmtpErrorOf(unknown).reason, kInvalid);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kPermissionDenied);
}

TEST(AuthenticateTest, ReasonIsPrintableAndBounded) {
  UserDirectory users = DemoUsers();
  users.Add({"ops", "pw", false, {}, {}});
  const std::string authzid = "evil\r\n250 ok" + std::string(300, 'x');
  const absl::Status status = users.Authenticate(authzid, "ops", "pw").status();
  const SmtpError error = SmtpErrorOf(status);
  EXPECT_EQ(error.code, 535);
  EXPECT_EQ(error.reason.find_first_of("\r\n"), std::string::npos) << error.reason;
  EXPECT_LT(error.reason.size(), 200u) << error.reason;
}

struct EqualsCase {
  std::string expected;
  std::string given;
  bool equal;
};

class ConstantTimeEqualsTest : public testing::TestWithParam<EqualsCase> {};

TEST_P(ConstantTimeEqualsTest, Compares) {
  EXPECT_EQ(ConstantTimeEquals(GetParam().expected, GetParam().given), GetParam().equal)
      << "'" << GetParam().expected << "' vs '" << GetParam().given << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConstantTimeEqualsTest,
    testing::Values(EqualsCase{"secret", "secret", true}, EqualsCase{"", "", true},
                    EqualsCase{"secret", "secreT", false}, EqualsCase{"secret", "Secret", false},
                    EqualsCase{"secret", "secre", false}, EqualsCase{"secret", "secrets", false},
                    EqualsCase{"secret", "", false}, EqualsCase{"", "secret", false},
                    EqualsCase{"a", std::string("a\0", 2), false},
                    EqualsCase{std::string("a\0", 2), "a", false},
                    // Equal prefixes padded with what would be read past the end.
                    EqualsCase{"ab", std::string("ab\0\0", 4), false},
                    EqualsCase{"abc", "abcabc", false}));

}  // namespace
}  // namespace smtpgate
