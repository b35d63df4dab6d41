#include "services/jwt.h"

#include <algorithm>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tripdesk::services {

struct JwtVerifier::Keys {
  EVP_PKEY* rsa = nullptr;
  ~Keys() { EVP_PKEY_free(rsa); }
};

namespace {

constexpr size_t kMaxTokenBytes = 8192;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token refused: ", why));
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<google::protobuf::Struct> JsonPart(absl::string_view encoded, absl::string_view what) {
  std::string json;
  if (!absl::WebSafeBase64Unescape(encoded, &json)) {
    return Unauthenticated(absl::StrCat("the ", what, " is not base64url"));
  }
  google::protobuf::Struct out;
  if (!google::protobuf::util::JsonStringToMessage(json, &out).ok()) {
    return Unauthenticated(absl::StrCat("the ", what, " is not a JSON object"));
  }
  return out;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

// A NumericDate claim: nullopt when absent; UNAUTHENTICATED unless a number
// of seconds between 1970 and 9999 (converting anything else to an integer
// would be undefined).
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const google::protobuf::Struct& claims,
                                                    const std::string& name) {
  const google::protobuf::Value* v = Field(claims, name);
  if (v == nullptr) return std::optional<absl::Time>();
  if (v->kind_case() != google::protobuf::Value::kNumberValue || !std::isfinite(v->number_value()) ||
      v->number_value() < 0 || v->number_value() > 253402300799.0) {
    return Unauthenticated(absl::StrCat(name, " is not a time (seconds from 1970 to 9999)"));
  }
  return std::optional<absl::Time>(absl::FromUnixSeconds(static_cast<int64_t>(v->number_value())));
}

std::string Encode(absl::string_view raw) { return absl::WebSafeBase64Escape(raw); }

}  // namespace

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtVerifierOptions options) {
  if (options.hs256_secret.empty() && options.rs256_public_pem.empty()) {
    return absl::InvalidArgumentError("no token key: give an HS256 secret or an RS256 public key");
  }
  if (!options.hs256_secret.empty() && options.hs256_secret.size() < 32) {
    return absl::InvalidArgumentError("the HS256 secret must be at least 32 bytes");
  }
  std::unique_ptr<JwtVerifier> v(new JwtVerifier());
  v->keys_ = std::make_unique<Keys>();
  if (!options.rs256_public_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.rs256_public_pem.data(),
                               static_cast<int>(options.rs256_public_pem.size()));
    v->keys_->rsa = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (v->keys_->rsa == nullptr || EVP_PKEY_base_id(v->keys_->rsa) != EVP_PKEY_RSA) {
      return absl::InvalidArgumentError("the RS256 key is not a PEM RSA public key");
    }
  }
  v->options_ = std::move(options);
  return v;
}

absl::StatusOr<JwtClaims> JwtVerifier::Verify(absl::string_view token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("empty");
  if (token.size() > kMaxTokenBytes) return Unauthenticated("longer than 8 KiB");
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("not a compact JWT (three dot-separated parts)");
  absl::StatusOr<google::protobuf::Struct> header = JsonPart(parts[0], "header");
  if (!header.ok()) return header.status();
  const google::protobuf::Value* alg = Field(*header, "alg");
  const std::string algorithm = alg != nullptr ? alg->string_value() : "";
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("the signature is not base64url");
  }
  const absl::string_view signed_part(token.data(), parts[0].size() + 1 + parts[1].size());
  if (algorithm == "HS256" && !options_.hs256_secret.empty()) {
    const std::string expected = HmacSha256(options_.hs256_secret, signed_part);
    if (signature.size() != expected.size() ||
        CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
      return Unauthenticated("bad signature");
    }
  } else if (algorithm == "RS256" && keys_->rsa != nullptr) {
    if (!VerifyRs256(keys_->rsa, signed_part, signature)) return Unauthenticated("bad signature");
  } else {
    return Unauthenticated(absl::StrCat("algorithm '", algorithm.substr(0, 16),
                                        "' is not accepted here (configured: ",
                                        options_.hs256_secret.empty() ? "" : "HS256 ",
                                        keys_->rsa == nullptr ? "" : "RS256", ")"));
  }

  absl::StatusOr<google::protobuf::Struct> claims = JsonPart(parts[1], "payload");
  if (!claims.ok()) return claims.status();
  const google::protobuf::Value* iss = Field(*claims, "iss");
  if (iss == nullptr || iss->string_value() != options_.issuer) {
    return Unauthenticated("wrong issuer");
  }
  const google::protobuf::Value* aud = Field(*claims, "aud");
  bool audience_ok = aud != nullptr && aud->string_value() == options_.audience;
  if (aud != nullptr && aud->has_list_value()) {
    for (const auto& a : aud->list_value().values()) audience_ok |= a.string_value() == options_.audience;
  }
  if (!audience_ok) return Unauthenticated("wrong audience");
  const absl::StatusOr<std::optional<absl::Time>> exp = TimeClaim(*claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Unauthenticated("no expiry (exp)");
  if (now > **exp + options_.clock_skew) return Unauthenticated("expired");
  const absl::StatusOr<std::optional<absl::Time>> nbf = TimeClaim(*claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (nbf->has_value() && now + options_.clock_skew < **nbf) {
    return Unauthenticated("not valid yet (nbf)");
  }
  JwtClaims out;
  out.expires = **exp + options_.clock_skew;
  const google::protobuf::Value* sub = Field(*claims, "sub");
  out.subject = sub != nullptr ? sub->string_value() : "";
  if (out.subject.empty() || out.subject.size() > 128) return Unauthenticated("no subject (sub)");
  for (char c : out.subject) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return Unauthenticated("the subject must be printable ASCII without spaces");
    }
  }
  if (const google::protobuf::Value* roles = Field(*claims, "roles"); roles != nullptr) {
    for (const auto& r : roles->list_value().values()) {
      if (!r.string_value().empty()) out.roles.push_back(r.string_value());
    }
  }
  if (out.roles.empty()) return Unauthenticated("no roles");
  // The scheduler's role (workflows/timekeeping.h): the server's own, never a caller's.
  if (std::find(out.roles.begin(), out.roles.end(), "system") != out.roles.end()) {
    return Unauthenticated("role 'system' is the server's own and no token may claim it");
  }
  if (const google::protobuf::Value* location = Field(*claims, "location"); location != nullptr) {
    out.location = location->string_value();
    if (out.location.size() > 16 ||
        !std::all_of(out.location.begin(), out.location.end(), [](char c) {
          return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
                 absl::ascii_isdigit(static_cast<unsigned char>(c));
        })) {
      return Unauthenticated("the location claim is not a location code (A-Z and 0-9, at most 16)");
    }
  }
  return out;
}

std::string SignHs256Jwt(absl::string_view secret, absl::string_view issuer,
                         absl::string_view audience, absl::string_view subject,
                         const std::vector<std::string>& roles, absl::Time issued,
                         absl::Duration lifetime, absl::string_view location) {
  google::protobuf::Struct claims;
  auto& f = *claims.mutable_fields();
  f["iss"].set_string_value(std::string(issuer));
  f["aud"].set_string_value(std::string(audience));
  f["sub"].set_string_value(std::string(subject));
  if (!location.empty()) f["location"].set_string_value(std::string(location));
  for (const std::string& role : roles) {
    f["roles"].mutable_list_value()->add_values()->set_string_value(role);
  }
  f["iat"].set_number_value(static_cast<double>(absl::ToUnixSeconds(issued)));
  f["nbf"].set_number_value(static_cast<double>(absl::ToUnixSeconds(issued)));
  f["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(issued + lifetime)));
  std::string payload;
  (void)google::protobuf::util::MessageToJsonString(claims, &payload);
  const std::string signing_input =
      absl::StrCat(Encode(R"({"alg":"HS256","typ":"JWT"})"), ".", Encode(payload));
  return absl::StrCat(signing_input, ".", Encode(HmacSha256(secret, signing_input)));
}

}  // namespace tripdesk::services
