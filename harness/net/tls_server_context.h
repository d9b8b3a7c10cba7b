// TLS for the reference server: an asio::ssl::context from PEM files (or PEM text), TLS 1.2
// or later, and an in-process self-signed certificate generator for the demo and the tests
// (scripts/make-test-cert.sh does the same with the openssl CLI).
#ifndef SMTPGATE_HARNESS_NET_TLS_SERVER_CONTEXT_H_
#define SMTPGATE_HARNESS_NET_TLS_SERVER_CONTEXT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"

namespace smtpgate {

// A server context: TLS 1.2+, no client certificates. Errors name the file and carry
// OpenSSL's reason: "tls.cert /x/cert.pem: cannot load certificate chain: No such file or
// directory", "... key does not match the certificate".
absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_file, const std::string& key_file);
// The same from PEM text (`what` names the source in messages).
absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsServerContextFromPem(
    std::string_view cert_pem, std::string_view key_pem, std::string_view what = "in-memory");

struct PemCertificate {
  std::string cert_pem;
  std::string key_pem;
};
// A self-signed certificate (EC P-256, SHA-256) for CN=`common_name` (also a DNS
// subjectAltName), valid from now for `days` days.
absl::StatusOr<PemCertificate> GenerateSelfSignedCertificate(std::string_view common_name,
                                                             int days = 30);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_TLS_SERVER_CONTEXT_H_
