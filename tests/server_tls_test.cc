#include <openssl/ssl.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/net/tls_server_context.h"
#include "server_test_client.h"

namespace smtpgate {
namespace {

using ::smtpgate::testing::TempDir;
using ::smtpgate::testing::WriteFile;
using ::testing::HasSubstr;

TEST(ServerTlsTest, GeneratedCertificateLoadsFromPemAndFiles) {
  absl::StatusOr<PemCertificate> cert = GenerateSelfSignedCertificate("mx.example.test", 1);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_THAT(cert->cert_pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(cert->key_pem, HasSubstr("PRIVATE KEY-----"));
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> from_pem =
      MakeTlsServerContextFromPem(cert->cert_pem, cert->key_pem);
  ASSERT_TRUE(from_pem.ok()) << from_pem.status();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*from_pem)->native_handle()), TLS1_2_VERSION);

  TempDir tmp;
  ASSERT_TRUE(WriteFile(tmp / "cert.pem", cert->cert_pem));
  ASSERT_TRUE(WriteFile(tmp / "key.pem", cert->key_pem));
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> from_files =
      MakeTlsServerContext(tmp / "cert.pem", tmp / "key.pem");
  ASSERT_TRUE(from_files.ok()) << from_files.status();
}

TEST(ServerTlsTest, ErrorsNameTheFile) {
  TempDir tmp;
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> missing =
      MakeTlsServerContext(tmp / "nope.pem", tmp / "key.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("tls.cert " + (tmp / "nope.pem") + ": cannot load certificate chain"));

  absl::StatusOr<PemCertificate> a = GenerateSelfSignedCertificate("a.example.test", 1);
  absl::StatusOr<PemCertificate> b = GenerateSelfSignedCertificate("b.example.test", 1);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WriteFile(tmp / "cert.pem", a->cert_pem));
  ASSERT_TRUE(WriteFile(tmp / "other-key.pem", b->key_pem));
  ASSERT_TRUE(WriteFile(tmp / "garbage.pem", "not a key"));
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> mismatch =
      MakeTlsServerContext(tmp / "cert.pem", tmp / "other-key.pem");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(std::string(mismatch.status().message()), HasSubstr(tmp / "other-key.pem"));
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> garbage =
      MakeTlsServerContext(tmp / "cert.pem", tmp / "garbage.pem");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(std::string(garbage.status().message()),
              HasSubstr("tls.key " + (tmp / "garbage.pem") + ": cannot load private key"));
  EXPECT_FALSE(MakeTlsServerContextFromPem("junk", "junk").ok());
}

}  // namespace
}  // namespace smtpgate
