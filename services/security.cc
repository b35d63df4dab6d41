#include "services/security.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/rand.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace tripdesk::services {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read '", path, "'"));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::Status WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out || ::chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
  }
  return absl::OkStatus();
}

// The development key (created once, 0600) and a fresh token per role.
absl::StatusOr<std::string> DevSecret(const SecurityOptions& options, const std::string& data_dir) {
  const std::filesystem::path dev = std::filesystem::path(data_dir) / "dev";
  const std::string key_path = (dev / "jwt-hs256.key").string();
  std::error_code ec;
  std::filesystem::create_directories(dev / "tokens", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dev.string(), ": ", ec.message()));
  std::string secret;
  bool created = false;
  if (std::filesystem::exists(key_path)) {
    absl::StatusOr<std::string> read = ReadFile(key_path, "development key");
    if (!read.ok()) return read.status();
    secret = *read;
  } else {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("no randomness");
    secret = absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
    if (absl::Status s = WriteFile(key_path, secret, 0600); !s.ok()) return s;
    created = true;
  }
  for (const auto& [role, subject, location] : DevIdentities()) {
    const std::string token =
        SignHs256Jwt(secret, options.jwt_issuer, options.jwt_audience, subject, {role}, absl::Now(),
                     absl::Hours(24 * 30), location);
    if (absl::Status s = WriteFile((dev / "tokens" / (role + ".jwt")).string(), token, 0600);
        !s.ok()) {
      return s;
    }
  }
  if (created) {
    spdlog::warn("development credentials (loopback only): key {}, a token per role in {} "
                 "(tripdesk --as=ROLE uses them); configure --jwt_hs256_key_file or "
                 "--jwt_rs256_public_key_file for real use",
                 key_path, (dev / "tokens").string());
  }
  return secret;
}

}  // namespace

const std::vector<DevIdentity>& DevIdentities() {
  // The agent at the Tucson RV counter, the supervisor at central
  // reservations (see deploy/reference.textproto's user access).
  static const auto* const kIds = new std::vector<DevIdentity>{
      {"agent", "alice", "TUS"}, {"tech_spoc", "tom", ""},  {"supervisor", "sue", "CEN"},
      {"auditor", "ann", ""},    {"dashboard", "dash", ""}, {"admin", "root", ""}};
  return *kIds;
}

bool IsLoopback(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) host = host.substr(1, host.size() - 2);
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const SecurityOptions& options, const std::string& listen) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (options.tls_cert_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    if (!IsLoopback(listen)) {
      if (!options.allow_plaintext_non_loopback) {
        return absl::InvalidArgumentError(absl::StrCat(
            "refusing plaintext on ", listen,
            ": give --tls_cert_file and --tls_key_file, listen on loopback, or pass "
            "--allow_plaintext_non_loopback"));
      }
      spdlog::warn("serving PLAINTEXT on non-loopback {}: tokens and case data cross the "
                   "network unencrypted",
                   listen);
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file, "--tls_cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(options.tls_key_file, "--tls_key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(options.tls_client_ca_file, "--tls_client_ca_file");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> VerifierFor(const SecurityOptions& options,
                                                         const std::string& listen,
                                                         const std::string& data_dir) {
  JwtVerifierOptions v;
  v.issuer = options.jwt_issuer;
  v.audience = options.jwt_audience;
  v.clock_skew = options.jwt_clock_skew;
  if (!options.jwt_hs256_key_file.empty()) {
    absl::StatusOr<std::string> secret = ReadFile(options.jwt_hs256_key_file, "--jwt_hs256_key_file");
    if (!secret.ok()) return secret.status();
    v.hs256_secret = std::string(absl::StripTrailingAsciiWhitespace(*secret));
  }
  if (!options.jwt_rs256_public_key_file.empty()) {
    absl::StatusOr<std::string> pem =
        ReadFile(options.jwt_rs256_public_key_file, "--jwt_rs256_public_key_file");
    if (!pem.ok()) return pem.status();
    v.rs256_public_pem = *pem;
  }
  if (v.hs256_secret.empty() && v.rs256_public_pem.empty()) {
    if (!IsLoopback(listen)) {
      return absl::InvalidArgumentError(
          "no token key: give --jwt_hs256_key_file or --jwt_rs256_public_key_file (development "
          "keys are made only for a loopback address)");
    }
    absl::StatusOr<std::string> secret = DevSecret(options, data_dir);
    if (!secret.ok()) return secret.status();
    v.hs256_secret = *secret;
  }
  return JwtVerifier::Create(std::move(v));
}

}  // namespace tripdesk::services
