// The user directory: who can authenticate (a password) and what each user is authorized
// to do (relay, send as which addresses, act for which identities). The two are kept apart
// on purpose: MS02-011 was a server that treated "authenticated" as "may relay".
//
// Pure data and functions: no I/O, no clock, no global state.
#ifndef SMTPGATE_HARNESS_POLICY_USER_DIRECTORY_H_
#define SMTPGATE_HARNESS_POLICY_USER_DIRECTORY_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace smtpgate {

struct UserAccount {
  std::string name;        // SASL authcid, e.g. "relayer"; compared exactly (case-sensitive)
  std::string password;    // an empty password disables the account (it can never log in)
  bool may_relay = false;  // authorization to relay (separate from authentication!)
  // Envelope senders this user owns when sender-login matching is on: "alice@example.test"
  // (local part exact, domain case-insensitive) or "@example.test" (the whole domain).
  // Empty = none.
  std::vector<std::string> allowed_senders;
  // Identities this user may name as the PLAIN authzid (RFC 4616 §2), compared exactly.
  std::vector<std::string> may_act_for;
};

class UserDirectory {
 public:
  // Adds an account; replaces an account of the same name.
  void Add(UserAccount account);
  // The account named exactly `name`, or nullptr. The pointer stays valid until the
  // directory is destroyed (Add of the same name replaces the contents in place).
  const UserAccount* Find(std::string_view name) const;
  size_t size() const { return accounts_.size(); }

  // Checks a SASL login and returns the authorization identity (authzid if given, else
  // authcid). In order:
  // 1. the password, compared in constant time (the work depends only on the length of the
  //    password the client sent, never on the stored one; an unknown user is compared
  //    against a dummy so it costs the same);
  // 2. the authzid: empty or equal to authcid, or listed in the account's may_act_for.
  // Failures are SmtpStatus(535, "5.7.8", ...): "authentication credentials invalid" for
  // an unknown user, a wrong password, an empty authcid or password, or a disabled account
  // (one reply for all, so a client cannot tell which users exist); "not authorized to act
  // as <authzid>" when the password was right but the authzid is not permitted.
  absl::StatusOr<std::string> Authenticate(std::string_view authzid, std::string_view authcid,
                                           std::string_view password) const;

 private:
  std::map<std::string, UserAccount, std::less<>> accounts_;
};

// Compares `given` (client-supplied) with `expected` without an early exit: the loop runs
// over every octet of `given` and the lengths are folded into the result, so the time taken
// depends only on given.size(). Exposed for tests.
bool ConstantTimeEquals(std::string_view expected, std::string_view given);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_POLICY_USER_DIRECTORY_H_
