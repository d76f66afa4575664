#include "gateway/token.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace bulwark::gateway {
namespace {

const std::string key = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t now_s = 1'790'000'000;

TokenClaims claims_for(Role role, std::string tenant = "t1") {
  TokenClaims claims;
  claims.subject = "alice";
  claims.tenant = std::move(tenant);
  claims.role = role;
  claims.issued_at_s = now_s - 10;
  claims.expires_at_s = now_s + 3600;
  return claims;
}

std::string base64url(const std::string& text) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string output;
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (unsigned char c : text) {
    accumulator = (accumulator << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      output.push_back(alphabet[(accumulator >> bits) & 63]);
    }
  }
  if (bits > 0) output.push_back(alphabet[(accumulator << (6 - bits)) & 63]);
  return output;
}

// Replaces a signed token's header, keeping its payload and signature.
std::string with_header(const std::string& token, const nlohmann::json& header) {
  return base64url(header.dump()) + token.substr(token.find('.'));
}

std::string with_payload(const std::string& token, const nlohmann::json& payload) {
  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  return token.substr(0, first + 1) + base64url(payload.dump()) + token.substr(second);
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("bulwark_token_test_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST(Token, RoundTripKeepsClaims) {
  auto claims = claims_for(Role::approver);
  auto check = verify_token(sign_token(claims, key), key, now_s);
  ASSERT_TRUE(check.claims.has_value());
  EXPECT_EQ(check.claims->subject, "alice");
  EXPECT_EQ(check.claims->tenant, "t1");
  EXPECT_EQ(check.claims->role, Role::approver);
  EXPECT_EQ(check.claims->issued_at_s, now_s - 10);
  EXPECT_EQ(check.claims->expires_at_s, now_s + 3600);
}

TEST(Token, PlatformTokenNeedsNoTenant) {
  auto check = verify_token(sign_token(claims_for(Role::platform, ""), key), key, now_s);
  ASSERT_TRUE(check.claims.has_value());
  EXPECT_EQ(check.claims->role, Role::platform);
  EXPECT_TRUE(check.claims->tenant.empty());
}

TEST(Token, TenantRoleWithoutTenantIsRejected) {
  auto check = verify_token(sign_token(claims_for(Role::viewer, ""), key), key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::invalid_claims);
}

TEST(Token, ForgedSignatureIsRejected) {
  std::string token = sign_token(claims_for(Role::viewer), key);
  std::string other_key_token = sign_token(claims_for(Role::viewer), key + "x");
  auto check = verify_token(other_key_token, key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::bad_signature);

  // Raising the role in the payload must break the signature.
  auto payload = nlohmann::json{
      {"sub", "alice"}, {"tenant", "t1"}, {"role", "admin"}, {"iat", now_s}, {"exp", now_s + 3600}};
  check = verify_token(with_payload(token, payload), key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::bad_signature);
}

TEST(Token, NonCanonicalSignatureIsRejected) {
  // 32 signature bytes take 43 base64url characters, and the last one carries 2 unused bits.
  // Setting one of them decodes to the same bytes, but the token is not the one that was signed.
  std::string token = sign_token(claims_for(Role::viewer), key);
  std::string changed = token;
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto last = alphabet.find(changed.back());
  ASSERT_NE(last, std::string::npos);
  changed.back() = alphabet[last ^ 1];
  auto check = verify_token(changed, key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_TRUE(verify_token(token, key, now_s).claims.has_value());
}

TEST(Token, AlgNoneIsRejected) {
  std::string token = sign_token(claims_for(Role::admin), key);
  std::string none = with_header(token, {{"alg", "none"}, {"typ", "JWT"}});
  auto check = verify_token(none, key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::wrong_algorithm);

  // The classic form: no signature at all after the last dot.
  std::string unsigned_token = none.substr(0, none.rfind('.') + 1);
  check = verify_token(unsigned_token, key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::wrong_algorithm);
}

TEST(Token, AlgHs512HeaderIsRejected) {
  std::string token = sign_token(claims_for(Role::admin), key);
  auto check = verify_token(with_header(token, {{"alg", "HS512"}, {"typ", "JWT"}}), key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::wrong_algorithm);
}

TEST(Token, MissingAlgIsRejected) {
  std::string token = sign_token(claims_for(Role::admin), key);
  auto check = verify_token(with_header(token, {{"typ", "JWT"}}), key, now_s);
  EXPECT_EQ(check.error, TokenError::wrong_algorithm);
}

TEST(Token, ExpiredTokenIsRejected) {
  auto claims = claims_for(Role::viewer);
  claims.expires_at_s = now_s;
  auto check = verify_token(sign_token(claims, key), key, now_s);
  EXPECT_FALSE(check.claims.has_value());
  EXPECT_EQ(check.error, TokenError::expired);

  claims.expires_at_s = now_s + 1;
  EXPECT_TRUE(verify_token(sign_token(claims, key), key, now_s).claims.has_value());
}

TEST(Token, MalformedTokensAreRejected) {
  std::string token = sign_token(claims_for(Role::viewer), key);
  for (const std::string& bad :
       {std::string(), std::string("abc"), std::string("a.b"), token + ".extra",
        std::string("!!!.") + token.substr(token.find('.') + 1), std::string(9000, 'a')}) {
    auto check = verify_token(bad, key, now_s);
    EXPECT_FALSE(check.claims.has_value()) << bad.substr(0, 40);
    EXPECT_EQ(check.error, TokenError::malformed) << bad.substr(0, 40);
  }
}

TEST(Token, InvalidClaimsAreRejected) {
  auto claims = claims_for(Role::viewer);
  claims.subject = "alice smith";
  EXPECT_EQ(verify_token(sign_token(claims, key), key, now_s).error, TokenError::invalid_claims);

  claims = claims_for(Role::viewer, "t1/../t2");
  EXPECT_EQ(verify_token(sign_token(claims, key), key, now_s).error, TokenError::invalid_claims);
}

TEST(Token, RoleOrderAndPlatformSeparation) {
  EXPECT_TRUE(role_allows(Role::admin, Role::viewer));
  EXPECT_TRUE(role_allows(Role::approver, Role::operator_role));
  EXPECT_FALSE(role_allows(Role::operator_role, Role::approver));
  EXPECT_FALSE(role_allows(Role::viewer, Role::operator_role));
  EXPECT_FALSE(role_allows(Role::platform, Role::viewer));
  EXPECT_FALSE(role_allows(Role::admin, Role::platform));
  EXPECT_TRUE(role_allows(Role::platform, Role::platform));
  EXPECT_EQ(role_from_string("operator"), Role::operator_role);
  EXPECT_EQ(role_from_string("root"), std::nullopt);
}

TEST(SecretFile, StripsOneTrailingNewline) {
  std::string secret(32, 'k');
  EXPECT_EQ(read_secret_file(write_temp_file("newline", secret + "\n")), secret);
  EXPECT_EQ(read_secret_file(write_temp_file("two_newlines", secret + "\n\n")), secret + "\n");
  EXPECT_EQ(read_secret_file(write_temp_file("no_newline", secret)), secret);
}

TEST(SecretFile, RejectsShortKey) {
  // 31 bytes plus a newline: the newline does not count towards the minimum.
  EXPECT_THROW((void)read_secret_file(write_temp_file("short", std::string(31, 'k') + "\n")),
               std::runtime_error);
}

TEST(SecretFile, RejectsMissingFile) {
  EXPECT_THROW((void)read_secret_file("/nonexistent/bulwark/secret"), std::runtime_error);
}

}  // namespace
}  // namespace bulwark::gateway
