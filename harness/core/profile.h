// Emulation profiles: deliberate, clearly marked flaws of the reference server, so the
// conformance suite can prove it detects each one. "profile" always means one of these;
// an external server under test is described by a target file instead.
#ifndef SMTPGATE_HARNESS_CORE_PROFILE_H_
#define SMTPGATE_HARNESS_CORE_PROFILE_H_

#include <optional>
#include <string_view>

namespace smtpgate {

enum class Profile {
  kSecure,              // the default: every lesson of the seeds applied
  kOpenRelay,           // policy: relays for anyone
  kAuthImpliesRelay,    // policy: any successful AUTH allows relay (MS02-011)
  kMs02012,             // session: a malformed BDAT stops the service (MS02-012)
  kBareLfEod,           // DATA receiver: <LF>.<LF> ends the message (SMTP smuggling)
  kNullSessionAuth,     // AUTH: empty credentials authenticate (MS02-011's null session)
  kPerConnectionCrash,  // session: an over-long EHLO kills the connection's handler
                        // (Exim CVE-2019-16928); the daemon keeps accepting
  kStrict,  // no flaw: hardened the way strict MTAs are (no PIPELINING: 554 and close on
            // pipelined input; AUTH only after STARTTLS; 500 and close on over-long lines and
            // bare LFs; 421 after 5 errors). The whole catalogue must PASS it: a refusal is
            // never a failure.
};

inline constexpr Profile kAllProfiles[] = {
    Profile::kSecure,    Profile::kOpenRelay,       Profile::kAuthImpliesRelay,   Profile::kMs02012,
    Profile::kBareLfEod, Profile::kNullSessionAuth, Profile::kPerConnectionCrash, Profile::kStrict};

constexpr std::string_view ProfileName(Profile profile) {
  switch (profile) {
    case Profile::kSecure:
      return "secure";
    case Profile::kOpenRelay:
      return "open-relay";
    case Profile::kAuthImpliesRelay:
      return "auth-implies-relay";
    case Profile::kMs02012:
      return "ms02-012";
    case Profile::kBareLfEod:
      return "bare-lf-eod";
    case Profile::kNullSessionAuth:
      return "null-session-auth";
    case Profile::kPerConnectionCrash:
      return "per-connection-crash";
    case Profile::kStrict:
      return "strict";
  }
  return "secure";
}

constexpr std::optional<Profile> ParseProfile(std::string_view name) {
  for (Profile p : kAllProfiles) {
    if (ProfileName(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_CORE_PROFILE_H_
