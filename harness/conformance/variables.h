// The variables transcripts use: the standard names, the reference server's demo values
// (--embedded, bare --target HOST:PORT), and the per-run ${token}.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_VARIABLES_H_
#define SMTPGATE_HARNESS_CONFORMANCE_VARIABLES_H_

#include <set>
#include <string>
#include <string_view>

#include "harness/conformance/template.h"

namespace smtpgate::conformance {

using NameSet = std::set<std::string, std::less<>>;

// helo, server_name, server_ip_literal, local_domain, local_user, remote_domain,
// relay_domain (= remote_domain), authorized_user, authorized_password, unauthorized_user,
// unauthorized_password, tarpit_seconds. Not ${token}: see MakeToken.
const NameSet& StandardVariableNames();

// The demo configuration's values (harness/core/demo_config.h), for the standard names.
Variables DemoVariables(int tarpit_seconds);

// "sgtok-" + 8 random hex digits; unique per transcript run.
std::string MakeToken();

// `variables` plus token (what a transcript run expands with).
Variables WithToken(Variables variables, std::string_view token);

// Names usable in a transcript given a variable set: its keys plus "token".
NameSet UsableNames(const Variables& variables);

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_VARIABLES_H_
