// The server's transport and token settings: TLS credentials (with optional
// client-certificate verification), where token keys come from, and the
// development credentials written on first start on loopback.
#ifndef TRIPDESK_SERVICES_SECURITY_H_
#define TRIPDESK_SERVICES_SECURITY_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/jwt.h"

namespace tripdesk::services {

struct SecurityOptions {
  // PEM files. No certificate: plaintext, allowed on loopback only unless
  // allow_plaintext_non_loopback.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Set: clients must present a certificate signed by this CA (mTLS).
  std::string tls_client_ca_file;
  bool allow_plaintext_non_loopback = false;
  // Token keys. Neither set: on loopback, a development key and tokens are
  // made under <data_dir>/dev; elsewhere the server refuses to start.
  std::string jwt_hs256_key_file;
  std::string jwt_rs256_public_key_file;
  std::string jwt_issuer = "tripdesk";
  std::string jwt_audience = "tripdesk";
  absl::Duration jwt_clock_skew = absl::Seconds(60);
  double calls_per_second = 500;
  double burst = 1000;
  // Calls without a valid token, per peer address (bursts of twice that).
  double unauthenticated_per_second = 20;
  // Denials logged per second; the rest are counted only.
  double denial_log_lines_per_second = 10;
  int max_message_bytes = 4 << 20;
};

// Whether a listen address ("127.0.0.1:50051", "localhost:0", "[::1]:1")
// is loopback only: its host parsed as an IPv4 address in 127.0.0.0/8, the
// IPv6 address ::1 (or ::ffff:127.x.y.z), or the name localhost. Any other
// name is not, whatever it starts with ("127.example.com").
bool IsLoopback(const std::string& listen);

// The listening credentials; INVALID_ARGUMENT for an unreadable file or a
// plaintext non-loopback address without the explicit allowance.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const SecurityOptions& options, const std::string& listen);

// The token verifier for the configured keys, or the development one.
absl::StatusOr<std::unique_ptr<JwtVerifier>> VerifierFor(const SecurityOptions& options,
                                                         const std::string& listen,
                                                         const std::string& data_dir);

// The development identities: a token per role (agent: alice at TUS, ...).
struct DevIdentity {
  std::string role;
  std::string subject;
  std::string location;  // the token's location claim; empty: none
};
const std::vector<DevIdentity>& DevIdentities();

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_SECURITY_H_
