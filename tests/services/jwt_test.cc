// Bearer tokens: what is accepted and every way a token is refused
// (missing, expired, not yet valid, wrong issuer or audience, bad signature,
// alg none, HS256 signed with the RSA public key).
#include "services/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tripdesk::services {
namespace {

using ::testing::HasSubstr;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::unique_ptr<JwtVerifier> Hs256Verifier() {
  JwtVerifierOptions o;
  o.hs256_secret = kSecret;
  o.issuer = "tripdesk";
  o.audience = "tripdesk";
  return *JwtVerifier::Create(o);
}

std::string Token(absl::Time issued = kNow, absl::Duration lifetime = absl::Hours(1),
                  const std::string& issuer = "tripdesk", const std::string& audience = "tripdesk",
                  const std::string& secret = kSecret) {
  return SignHs256Jwt(secret, issuer, audience, "alice", {"agent"}, issued, lifetime);
}

std::string Refusal(const JwtVerifier& v, const std::string& token, absl::Time now = kNow) {
  absl::StatusOr<JwtClaims> claims = v.Verify(token, now);
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << token;
  return std::string(claims.status().message());
}

// An RSA key pair as PEM: private (to sign here) and public (to configure).
struct RsaKeys {
  EVP_PKEY* key = nullptr;
  std::string public_pem;
  RsaKeys() {
    key = EVP_RSA_gen(2048);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    public_pem.assign(data, len);
    BIO_free(bio);
  }
  ~RsaKeys() { EVP_PKEY_free(key); }
  std::string SignRs256(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }
};

std::string Claims() {
  return absl::StrCat(R"({"iss":"tripdesk","aud":"tripdesk","sub":"ann","roles":["auditor"],)",
                      R"("exp":)", absl::ToUnixSeconds(kNow + absl::Hours(1)), "}");
}

TEST(Jwt, AcceptsAValidHs256TokenWithItsSubjectAndRoles) {
  absl::StatusOr<JwtClaims> claims = Hs256Verifier()->Verify(Token(), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"agent"});
}

TEST(Jwt, RefusesMissingMalformedExpiredAndNotYetValidTokens) {
  auto v = Hs256Verifier();
  EXPECT_THAT(Refusal(*v, ""), HasSubstr("empty"));
  EXPECT_THAT(Refusal(*v, "not-a-token"), HasSubstr("three dot-separated parts"));
  EXPECT_THAT(Refusal(*v, "a.b.c"), HasSubstr("header"));
  EXPECT_THAT(Refusal(*v, std::string(9000, 'a')), HasSubstr("longer than 8 KiB"));
  EXPECT_THAT(Refusal(*v, Token(kNow - absl::Hours(3))), HasSubstr("expired"));
  // Inside the clock skew (60 s) an expired token still passes.
  EXPECT_TRUE(v->Verify(Token(kNow - absl::Hours(1) - absl::Seconds(30)), kNow).ok());
  EXPECT_THAT(Refusal(*v, Token(kNow + absl::Hours(1))), HasSubstr("not valid yet"));
}

TEST(Jwt, RefusesTheWrongIssuerAudienceOrSignature) {
  auto v = Hs256Verifier();
  EXPECT_THAT(Refusal(*v, Token(kNow, absl::Hours(1), "someone-else")), HasSubstr("wrong issuer"));
  EXPECT_THAT(Refusal(*v, Token(kNow, absl::Hours(1), "tripdesk", "billing")),
              HasSubstr("wrong audience"));
  EXPECT_THAT(Refusal(*v, Token(kNow, absl::Hours(1), "tripdesk", "tripdesk",
                                "another-secret-another-secret-xx")),
              HasSubstr("bad signature"));
  // A payload changed after signing.
  std::vector<std::string> parts = absl::StrSplit(Token(), '.');
  parts[1] = absl::WebSafeBase64Escape(
      R"({"iss":"tripdesk","aud":"tripdesk","sub":"root","roles":["admin"],"exp":9999999999})");
  EXPECT_THAT(Refusal(*v, absl::StrJoin(parts, ".")), HasSubstr("bad signature"));
}

// An HS256 token over any claims JSON.
std::string SignedClaims(const std::string& claims) {
  const std::string input = absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256"})"), ".",
                                         absl::WebSafeBase64Escape(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return absl::StrCat(input, ".",
                      absl::WebSafeBase64Escape(std::string(reinterpret_cast<char*>(mac), len)));
}

TEST(Jwt, RefusesTimeClaimsOutsideWhatATimeCanBeBeforeConvertingThem) {
  auto v = Hs256Verifier();
  const std::string base = R"({"iss":"tripdesk","aud":"tripdesk","sub":"ann","roles":["auditor"],)";
  ASSERT_TRUE(v->Verify(SignedClaims(base + R"("exp":1800003600})"), kNow).ok());
  EXPECT_THAT(Refusal(*v, SignedClaims(base + R"("exp":1e300})")),
              HasSubstr("exp is not a time (seconds from 1970 to 9999)"));
  EXPECT_THAT(Refusal(*v, SignedClaims(base + R"("exp":-9.3e18})")), HasSubstr("exp is not a time"));
  EXPECT_THAT(Refusal(*v, SignedClaims(base + R"("exp":"tomorrow"})")), HasSubstr("exp is not a time"));
  EXPECT_THAT(Refusal(*v, SignedClaims(base + R"("exp":1800003600,"nbf":1e308})")),
              HasSubstr("nbf is not a time"));
}

TEST(Jwt, RefusesAlgNone) {
  auto v = Hs256Verifier();
  const std::string none = absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})"),
                                        ".", absl::WebSafeBase64Escape(Claims()), ".");
  EXPECT_THAT(Refusal(*v, none), HasSubstr("algorithm 'none' is not accepted"));
}

TEST(Jwt, AcceptsRs256AndRefusesHs256SignedWithThePublicKey) {
  RsaKeys rsa;
  JwtVerifierOptions o;
  o.rs256_public_pem = rsa.public_pem;
  o.issuer = "tripdesk";
  o.audience = "tripdesk";
  absl::StatusOr<std::unique_ptr<JwtVerifier>> v = JwtVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  const std::string input = absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"RS256"})"), ".",
                                         absl::WebSafeBase64Escape(Claims()));
  const std::string good = absl::StrCat(input, ".", absl::WebSafeBase64Escape(rsa.SignRs256(input)));
  absl::StatusOr<JwtClaims> claims = (*v)->Verify(good, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "ann");
  // Algorithm confusion: HS256 keyed with the public key's PEM.
  const std::string confused = SignHs256Jwt(rsa.public_pem, "tripdesk", "tripdesk", "root",
                                            {"admin"}, kNow, absl::Hours(1));
  EXPECT_THAT(Refusal(**v, confused), HasSubstr("algorithm 'HS256' is not accepted"));
}

TEST(Jwt, RefusesToStartWithoutAKeyOrWithAShortSecret) {
  JwtVerifierOptions o;
  EXPECT_EQ(JwtVerifier::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.hs256_secret = "short";
  EXPECT_EQ(JwtVerifier::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.hs256_secret.clear();
  o.rs256_public_pem = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n";
  EXPECT_EQ(JwtVerifier::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tripdesk::services
