#include "harness/net/tls_server_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL's queued errors as one line (and the queue cleared).
std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    const char* reason = ERR_reason_error_string(code);
    if (!text.empty()) text += "; ";
    text += reason != nullptr ? reason : buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

absl::Status TlsError(std::string_view what, std::string_view action) {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(what), ": ", AsAbsl(action), ": ", OpenSslErrors()));
}

absl::StatusOr<SslCtxPtr> NewServerCtx() {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

std::unique_ptr<asio::ssl::context> Wrap(SslCtxPtr ctx) {
  // asio::ssl::context takes ownership of the native handle.
  return std::make_unique<asio::ssl::context>(ctx.release());
}

}  // namespace

absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_file, const std::string& key_file) {
  absl::StatusOr<SslCtxPtr> ctx = NewServerCtx();
  if (!ctx.ok()) return ctx.status();
  if (SSL_CTX_use_certificate_chain_file(ctx->get(), cert_file.c_str()) != 1) {
    return TlsError(absl::StrCat("tls.cert ", cert_file), "cannot load certificate chain");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx->get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsError(absl::StrCat("tls.key ", key_file), "cannot load private key");
  }
  if (SSL_CTX_check_private_key(ctx->get()) != 1) {
    return TlsError(absl::StrCat("tls.key ", key_file),
                    absl::StrCat("key does not match the certificate ", cert_file));
  }
  return Wrap(std::move(*ctx));
}

absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsServerContextFromPem(
    std::string_view cert_pem, std::string_view key_pem, std::string_view what) {
  absl::StatusOr<SslCtxPtr> ctx = NewServerCtx();
  if (!ctx.ok()) return ctx.status();
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert || SSL_CTX_use_certificate(ctx->get(), cert.get()) != 1) {
    return TlsError(absl::StrCat(AsAbsl(what), " certificate"), "cannot load certificate");
  }
  // Further certificates in the PEM are the chain.
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx->get(), extra) != 1) {
      X509_free(extra);
      return TlsError(absl::StrCat(AsAbsl(what), " certificate"), "cannot add chain certificate");
    }
  }
  ERR_clear_error();  // the end of the PEM stream is reported as an error
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(ctx->get(), key.get()) != 1) {
    return TlsError(absl::StrCat(AsAbsl(what), " key"), "cannot load private key");
  }
  if (SSL_CTX_check_private_key(ctx->get()) != 1) {
    return TlsError(absl::StrCat(AsAbsl(what), " key"), "key does not match the certificate");
  }
  return Wrap(std::move(*ctx));
}

absl::StatusOr<PemCertificate> GenerateSelfSignedCertificate(std::string_view common_name,
                                                             int days) {
  ERR_clear_error();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError(absl::StrCat("EC key generation: ", OpenSslErrors()));
  X509Ptr cert(X509_new());
  if (!cert) return absl::InternalError(absl::StrCat("X509_new: ", OpenSslErrors()));
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) {
    return absl::InternalError(absl::StrCat("RAND_bytes: ", OpenSslErrors()));
  }
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 60 * 60);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = absl::StrCat("DNS:", AsAbsl(common_name));
  for (const auto& [nid, value] :
       {std::pair<int, std::string>{NID_subject_alt_name, san},
        std::pair<int, std::string>{NID_basic_constraints, "critical,CA:FALSE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (ext == nullptr) {
      return absl::InternalError(absl::StrCat("certificate extension: ", OpenSslErrors()));
    }
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return absl::InternalError(absl::StrCat("X509_sign: ", OpenSslErrors()));
  }
  const auto to_pem = [](auto write) -> std::string {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  };
  PemCertificate pem;
  pem.cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  pem.key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (pem.cert_pem.empty() || pem.key_pem.empty()) {
    return absl::InternalError(absl::StrCat("PEM encoding: ", OpenSslErrors()));
  }
  return pem;
}

}  // namespace smtpgate
