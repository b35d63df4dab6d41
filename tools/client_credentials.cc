#include "tools/client_credentials.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/jwt.h"

namespace tripdesk::tools {
namespace {

absl::StatusOr<std::string> Read(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read '", path, "'"));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::StatusOr<std::string> TokenFor(const std::string& token, const std::string& role,
                                     const std::string& dev_dir) {
  if (!token.empty()) return token;
  if (const char* env = std::getenv("TRIPDESK_TOKEN"); env != nullptr && *env != '\0') return env;
  absl::StatusOr<std::string> dev =
      Read(absl::StrCat(dev_dir, "/tokens/", role.empty() ? "agent" : role, ".jwt"),
           "no --token or TRIPDESK_TOKEN, and the development token");
  if (!dev.ok()) return dev.status();
  return std::string(absl::StripAsciiWhitespace(*dev));
}

absl::StatusOr<std::string> MintDevToken(const std::string& dev_dir, const std::string& subject,
                                         const std::vector<std::string>& roles,
                                         const std::string& location) {
  absl::StatusOr<std::string> secret = Read(dev_dir + "/jwt-hs256.key", "the development key");
  if (!secret.ok()) return secret.status();
  return services::SignHs256Jwt(absl::StripAsciiWhitespace(*secret), "tripdesk", "tripdesk",
                                subject, roles, absl::Now(), absl::Hours(24), location);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                           const TlsFiles& tls,
                                                           grpc::ChannelArguments args) {
  if (tls.ca_file.empty()) {
    if (!tls.cert_file.empty()) {
      return absl::InvalidArgumentError("--tls_cert_file needs --tls_ca_file (TLS)");
    }
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = Read(tls.ca_file, "--tls_ca_file");
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *ca;
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> cert = Read(tls.cert_file, "--tls_cert_file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = Read(tls.key_file, "--tls_key_file");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

}  // namespace tripdesk::tools
