// JSON Web Tokens (RFC 7519), compact form, HS256 and RS256 only, with
// OpenSSL's HMAC and RSA verification and protobuf's JSON parser. The
// algorithm comes from the verifier's configured keys, never from the token
// alone: a token's "alg" must name a configured key, so "none" and HS256
// signed with an RSA public key (algorithm confusion) are refused.
//
// Thread-safe once constructed.
#ifndef TRIPDESK_SERVICES_JWT_H_
#define TRIPDESK_SERVICES_JWT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tripdesk::services {

struct JwtClaims {
  std::string subject;
  std::vector<std::string> roles;
  // The last instant the token is accepted: its exp plus the clock skew.
  absl::Time expires;
  // Where the caller is logged in (claim "location", e.g. an RV counter
  // TUS or central reservations CEN); empty when the token names none.
  std::string location;
};

struct JwtVerifierOptions {
  std::string hs256_secret;      // empty: HS256 not accepted
  std::string rs256_public_pem;  // empty: RS256 not accepted
  std::string issuer;
  std::string audience;
  absl::Duration clock_skew = absl::Seconds(60);
};

class JwtVerifier {
 public:
  // INVALID_ARGUMENT when no key is given or the PEM does not parse.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtVerifierOptions options);
  ~JwtVerifier();

  // UNAUTHENTICATED, saying what is wrong (never echoing the token): bad
  // form, unknown or unconfigured algorithm, bad signature, wrong issuer or
  // audience, expired, not yet valid, no subject or roles.
  absl::StatusOr<JwtClaims> Verify(absl::string_view token, absl::Time now) const;

 private:
  JwtVerifier() = default;
  struct Keys;
  JwtVerifierOptions options_;
  std::unique_ptr<Keys> keys_;
};

// An HS256 token: iss, aud, sub, roles, iat, nbf, exp, and location when
// given. For development tokens, tests and tools.
std::string SignHs256Jwt(absl::string_view secret, absl::string_view issuer,
                         absl::string_view audience, absl::string_view subject,
                         const std::vector<std::string>& roles, absl::Time issued,
                         absl::Duration lifetime, absl::string_view location = "");

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_JWT_H_
