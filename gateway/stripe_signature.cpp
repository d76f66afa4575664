#include "gateway/stripe_signature.hpp"

#include "domain/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace bulwark::gateway {
namespace {

constexpr std::size_t sha256_bytes = 32;
// Unix seconds fit in 11 digits until the year 5138; more digits can only be an attack.
constexpr std::size_t timestamp_digits_max = 11;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::array<unsigned char, sha256_bytes>> decode_hex(std::string_view hex) {
  if (hex.size() != 2 * sha256_bytes) return std::nullopt;
  std::array<unsigned char, sha256_bytes> bytes{};
  for (std::size_t i = 0; i < sha256_bytes; ++i) {
    int high = hex_value(hex[2 * i]);
    int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return bytes;
}

std::array<unsigned char, sha256_bytes> hmac(std::string_view secret, std::string_view timestamp,
                                             std::string_view body) {
  std::string payload;
  payload.reserve(timestamp.size() + 1 + body.size());
  payload.append(timestamp).append(".").append(body);
  std::array<unsigned char, sha256_bytes> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest.data(),
       &length);
  return digest;
}

}  // namespace

const char* to_string(StripeSignatureError error) {
  switch (error) {
    case StripeSignatureError::missing_header: return "missing_header";
    case StripeSignatureError::malformed_header: return "malformed_header";
    case StripeSignatureError::no_v1_signature: return "no_v1_signature";
    case StripeSignatureError::timestamp_outside_tolerance: return "timestamp_outside_tolerance";
    case StripeSignatureError::signature_mismatch: return "signature_mismatch";
  }
  return "unknown";
}

std::optional<StripeSignatureError> verify_stripe_signature(std::string_view header,
                                                            std::string_view body,
                                                            std::string_view secret,
                                                            std::int64_t now_s,
                                                            std::chrono::seconds tolerance) {
  if (trim(header).empty()) return StripeSignatureError::missing_header;

  std::optional<std::string_view> timestamp;
  std::vector<std::array<unsigned char, sha256_bytes>> candidates;
  std::size_t v1_count = 0;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) return StripeSignatureError::malformed_header;
    std::string_view key = item.substr(0, equals);
    std::string_view value = item.substr(equals + 1);
    if (key == "t") {
      if (timestamp || value.empty() || value.size() > timestamp_digits_max) {
        return StripeSignatureError::malformed_header;
      }
      for (char c : value) {
        if (c < '0' || c > '9') return StripeSignatureError::malformed_header;
      }
      timestamp = value;
    } else if (key == "v1") {
      // A v1 value that is not 64 hex digits cannot match, but another v1 may, as in Stripe's
      // own libraries, which compare every v1 and ignore the ones that differ.
      ++v1_count;
      if (auto bytes = decode_hex(value)) candidates.push_back(*bytes);
    }
  }
  if (!timestamp) return StripeSignatureError::malformed_header;
  if (v1_count == 0) return StripeSignatureError::no_v1_signature;

  std::int64_t t = std::stoll(std::string(*timestamp));
  std::int64_t skew = now_s >= t ? now_s - t : t - now_s;
  if (skew > tolerance.count()) return StripeSignatureError::timestamp_outside_tolerance;

  auto expected = hmac(secret, *timestamp, body);
  bool matched = false;
  for (const auto& candidate : candidates) {
    // Every candidate is compared, in constant time, so timing does not reveal which one matched.
    matched |= CRYPTO_memcmp(candidate.data(), expected.data(), sha256_bytes) == 0;
  }
  if (!matched) return StripeSignatureError::signature_mismatch;
  return std::nullopt;
}

std::string stripe_signature_hex(std::string_view secret, std::int64_t timestamp,
                                 std::string_view body) {
  auto digest = hmac(secret, std::to_string(timestamp), body);
  return domain::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                         digest.size()));
}

std::string read_stripe_secret_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot read Stripe secret file '" + path +
                             "': check the path and its permissions");
  }
  std::string secret((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw std::runtime_error("cannot read Stripe secret file '" + path + "'");
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (secret.empty()) {
    throw std::runtime_error("Stripe secret file '" + path +
                             "' is empty: put the endpoint's whsec_... signing secret in it");
  }
  return secret;
}

}  // namespace bulwark::gateway
