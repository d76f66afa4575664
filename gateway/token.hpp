#pragma once
// Bearer tokens: JWTs signed with HS256 by the node secret. Claims: sub (principal), tenant, role,
// iat, exp. Any alg other than HS256, "none" included, is rejected.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::gateway {

// Each tenant role includes the ones before it; platform is separate and sees no tenant data.
enum class Role : std::uint8_t { viewer, operator_role, approver, admin, platform };

[[nodiscard]] const char* to_string(Role role);
[[nodiscard]] std::optional<Role> role_from_string(std::string_view name);
// True when `held` grants `required` (viewer < operator < approver < admin; platform only itself).
[[nodiscard]] bool role_allows(Role held, Role required);

inline constexpr std::size_t secret_bytes_min = 32;

struct TokenClaims {
  std::string subject;  // principal id
  std::string tenant;   // empty for the platform role
  Role role = Role::viewer;
  std::int64_t issued_at_s = 0;   // Unix seconds
  std::int64_t expires_at_s = 0;  // Unix seconds
};

// Reads the HMAC key: the file's content with one trailing newline removed. Throws
// std::runtime_error when the file is unreadable or the key is shorter than secret_bytes_min.
[[nodiscard]] std::string read_secret_file(const std::string& path);

[[nodiscard]] std::string sign_token(const TokenClaims& claims, std::string_view key);

enum class TokenError : std::uint8_t { malformed, bad_signature, wrong_algorithm, expired, invalid_claims };

struct TokenCheck {
  std::optional<TokenClaims> claims;  // set when the token is valid
  TokenError error = TokenError::malformed;
};

// Verifies signature, algorithm, expiry (against now_s, Unix seconds) and claim formats.
[[nodiscard]] TokenCheck verify_token(std::string_view token, std::string_view key,
                                      std::int64_t now_s);

}  // namespace bulwark::gateway
