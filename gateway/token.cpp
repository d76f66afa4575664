#include "gateway/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "domain/ids.hpp"

namespace bulwark::gateway {
namespace {

using nlohmann::json;

// Longer tokens are rejected before decoding, so a hostile header cannot force large allocations.
constexpr std::size_t token_bytes_max = 8 * 1024;
constexpr std::size_t hmac_sha256_bytes = 32;

constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view input) {
  std::string output;
  output.reserve((input.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < input.size(); i += 3) {
    std::uint32_t n = (static_cast<std::uint8_t>(input[i]) << 16) |
                      (static_cast<std::uint8_t>(input[i + 1]) << 8) |
                      static_cast<std::uint8_t>(input[i + 2]);
    output.push_back(base64url_alphabet[(n >> 18) & 63]);
    output.push_back(base64url_alphabet[(n >> 12) & 63]);
    output.push_back(base64url_alphabet[(n >> 6) & 63]);
    output.push_back(base64url_alphabet[n & 63]);
  }
  std::size_t rest = input.size() - i;
  if (rest == 1) {
    std::uint32_t n = static_cast<std::uint8_t>(input[i]) << 16;
    output.push_back(base64url_alphabet[(n >> 18) & 63]);
    output.push_back(base64url_alphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    std::uint32_t n = (static_cast<std::uint8_t>(input[i]) << 16) |
                      (static_cast<std::uint8_t>(input[i + 1]) << 8);
    output.push_back(base64url_alphabet[(n >> 18) & 63]);
    output.push_back(base64url_alphabet[(n >> 12) & 63]);
    output.push_back(base64url_alphabet[(n >> 6) & 63]);
  }
  return output;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Decodes unpadded base64url as JWTs use it (RFC 7515, section 2). Padding and characters outside
// the URL-safe alphabet make the token malformed.
std::optional<std::string> base64url_decode(std::string_view input) {
  if (input.size() % 4 == 1) return std::nullopt;
  std::string output;
  output.reserve(input.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char c : input) {
    int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      output.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  // The bits left over after the last whole byte must be zero, so each token has exactly one
  // accepted spelling and a changed last character cannot pass as the same signature.
  if ((accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return output;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  const unsigned char* result = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), digest.data(), &digest_length);
  if (result == nullptr || digest_length != hmac_sha256_bytes) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), digest_length);
}

std::optional<json> parse_object(std::string_view encoded) {
  auto decoded = base64url_decode(encoded);
  if (!decoded) return std::nullopt;
  json value = json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> integer_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX) return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<std::string> string_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

TokenCheck failure(TokenError error) {
  TokenCheck check;
  check.error = error;
  return check;
}

std::optional<TokenClaims> claims_from_payload(const json& payload) {
  TokenClaims claims;

  auto subject = string_claim(payload, "sub");
  if (!subject || !domain::is_valid_principal_id(*subject)) return std::nullopt;
  claims.subject = *subject;

  auto role_name = string_claim(payload, "role");
  auto role = role_name ? role_from_string(*role_name) : std::nullopt;
  if (!role) return std::nullopt;
  claims.role = *role;

  // A platform token has no access to tenant data, so any tenant it carries is dropped.
  if (claims.role != Role::platform) {
    auto tenant = string_claim(payload, "tenant");
    if (!tenant || !domain::is_valid_tenant_id(*tenant)) return std::nullopt;
    claims.tenant = *tenant;
  }

  auto issued_at = integer_claim(payload, "iat");
  auto expires_at = integer_claim(payload, "exp");
  if (!issued_at || !expires_at) return std::nullopt;
  claims.issued_at_s = *issued_at;
  claims.expires_at_s = *expires_at;
  return claims;
}

}  // namespace

const char* to_string(Role role) {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::operator_role:
      return "operator";
    case Role::approver:
      return "approver";
    case Role::admin:
      return "admin";
    case Role::platform:
      return "platform";
  }
  return "unknown";
}

std::optional<Role> role_from_string(std::string_view name) {
  if (name == "viewer") return Role::viewer;
  if (name == "operator") return Role::operator_role;
  if (name == "approver") return Role::approver;
  if (name == "admin") return Role::admin;
  if (name == "platform") return Role::platform;
  return std::nullopt;
}

bool role_allows(Role held, Role required) {
  if (held == Role::platform || required == Role::platform) return held == required;
  return static_cast<std::uint8_t>(held) >= static_cast<std::uint8_t>(required);
}

std::string read_secret_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot read secret file '" + path +
                             "': check the path and its permissions");
  std::string key((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw std::runtime_error("cannot read secret file '" + path + "'");

  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (key.size() < secret_bytes_min) {
    throw std::runtime_error("secret file '" + path + "' contains a " + std::to_string(key.size()) +
                             "-byte key; at least " + std::to_string(secret_bytes_min) +
                             " bytes are required (for example: openssl rand -hex 32)");
  }
  return key;
}

std::string sign_token(const TokenClaims& claims, std::string_view key) {
  json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  json payload = {{"sub", claims.subject},
                  {"role", to_string(claims.role)},
                  {"iat", claims.issued_at_s},
                  {"exp", claims.expires_at_s}};
  if (!claims.tenant.empty()) payload["tenant"] = claims.tenant;

  std::string signing_input =
      base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  std::string signature = hmac_sha256(key, signing_input);
  return signing_input + "." + base64url_encode(signature);
}

TokenCheck verify_token(std::string_view token, std::string_view key, std::int64_t now_s) {
  if (token.empty() || token.size() > token_bytes_max) return failure(TokenError::malformed);
  std::size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return failure(TokenError::malformed);
  std::size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return failure(TokenError::malformed);
  if (token.find('.', second_dot + 1) != std::string_view::npos) {
    return failure(TokenError::malformed);
  }
  std::string_view encoded_header = token.substr(0, first_dot);
  std::string_view encoded_payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string_view encoded_signature = token.substr(second_dot + 1);

  // The algorithm is checked before the signature, so "none" and any other algorithm fail the
  // same way whatever their signature part contains.
  auto header = parse_object(encoded_header);
  if (!header) return failure(TokenError::malformed);
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return failure(TokenError::wrong_algorithm);
  }

  auto signature = base64url_decode(encoded_signature);
  if (!signature || signature->size() != hmac_sha256_bytes) {
    return failure(TokenError::bad_signature);
  }
  std::string signing_input(token.substr(0, second_dot));
  std::string expected = hmac_sha256(key, signing_input);
  if (CRYPTO_memcmp(expected.data(), signature->data(), hmac_sha256_bytes) != 0) {
    return failure(TokenError::bad_signature);
  }

  auto payload = parse_object(encoded_payload);
  if (!payload) return failure(TokenError::malformed);
  auto claims = claims_from_payload(*payload);
  if (!claims) return failure(TokenError::invalid_claims);
  if (claims->expires_at_s <= now_s) return failure(TokenError::expired);

  TokenCheck check;
  check.claims = std::move(claims);
  return check;
}

}  // namespace bulwark::gateway
