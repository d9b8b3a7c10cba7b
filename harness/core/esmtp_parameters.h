// ESMTP parameters of MAIL and RCPT (SIZE, BODY, SMTPUTF8, AUTH, RET, ENVID, NOTIFY,
// ORCPT) and xtext (RFC 3461 4), for the command parser. Internal to harness/core.
#ifndef SMTPGATE_HARNESS_CORE_ESMTP_PARAMETERS_H_
#define SMTPGATE_HARNESS_CORE_ESMTP_PARAMETERS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "harness/core/command.h"

namespace smtpgate::esmtp_parameters {

// Appends `text` xtext-encoded (RFC 3461 4) to `out`.
void AppendXtext(std::string& out, std::string_view text);

// One "keyword[=value]" token (a view into `line`) of a MAIL (is_mail) or RCPT command,
// stored in `out`; `seen` tracks the parameters already given (a repeat is an error).
absl::Status ParseParam(std::string_view line, std::string_view token, bool is_mail, unsigned& seen,
                        Command& out);

}  // namespace smtpgate::esmtp_parameters

#endif  // SMTPGATE_HARNESS_CORE_ESMTP_PARAMETERS_H_
