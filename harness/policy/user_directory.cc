#include "harness/policy/user_directory.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

constexpr std::string_view kInvalidCredentials = "authentication credentials invalid";

// Compared against when the user is unknown, so that an unknown user and a wrong password
// cost the same work and get the same reply.
constexpr std::string_view kDummyPassword = "smtpgate-dummy-password-never-matches";

// Identities end up in reply text: printable, one line, bounded.
std::string Printable(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    out.push_back(u < 0x21 || u > 0x7e ? '?' : text[i]);
  }
  if (text.size() > kMax) {
    out += "...";
  }
  return out;
}

}  // namespace

bool ConstantTimeEquals(std::string_view expected, std::string_view given) {
  const size_t n = expected.size();
  // Non-zero when the lengths differ; folded in at the end, never an early exit.
  size_t diff = n ^ given.size();
  for (size_t i = 0; i < given.size(); ++i) {
    // Every octet of `given` is compared with some octet of `expected` (or with 0 past
    // its end); the index selection is arithmetic, not a data-dependent exit.
    const size_t in_range = static_cast<size_t>(i < n);
    const size_t j = i * in_range;
    const unsigned char e =
        n == 0 ? 0 : static_cast<unsigned char>(static_cast<unsigned char>(expected[j]) * in_range);
    diff |= static_cast<unsigned char>(e ^ static_cast<unsigned char>(given[i]));
  }
  return diff == 0;
}

void UserDirectory::Add(UserAccount account) {
  auto it = accounts_.find(account.name);
  if (it != accounts_.end()) {
    it->second = std::move(account);
    return;
  }
  std::string name = account.name;
  accounts_.emplace(std::move(name), std::move(account));
}

const UserAccount* UserDirectory::Find(std::string_view name) const {
  const auto it = accounts_.find(name);
  return it == accounts_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> UserDirectory::Authenticate(std::string_view authzid,
                                                        std::string_view authcid,
                                                        std::string_view password) const {
  const UserAccount* account = authcid.empty() ? nullptr : Find(authcid);
  // The comparison always runs, against the dummy when there is no usable account.
  const bool usable = account != nullptr && !account->password.empty();
  const bool password_ok =
      ConstantTimeEquals(usable ? std::string_view(account->password) : kDummyPassword, password);
  if (!usable || !password_ok || password.empty()) {
    return SmtpStatus(535, "5.7.8", kInvalidCredentials);
  }
  // RFC 4616 §2: an empty authzid (or one equal to the authcid) asks for the user's own
  // identity; any other identity must be one this account may act for.
  if (authzid.empty() || authzid == authcid) {
    return std::string(authcid);
  }
  if (std::find(account->may_act_for.begin(), account->may_act_for.end(), authzid) !=
      account->may_act_for.end()) {
    return std::string(authzid);
  }
  return SmtpStatus(535, "5.7.8",
                    absl::StrCat("authentication credentials invalid: ", AsAbsl(Printable(authcid)),
                                 " is not authorized to act as ", AsAbsl(Printable(authzid))));
}

}  // namespace smtpgate
