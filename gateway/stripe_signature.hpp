#pragma once
// Verification of Stripe's webhook signature header, as Stripe documents it:
//   Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]
// The signed payload is "<t>.<raw body>", signed with HMAC-SHA256 keyed by the endpoint's whole
// signing secret ("whsec_..."). A delivery is accepted when any v1 matches and `t` is within the
// tolerance of the node clock in either direction. v0 and unknown keys are ignored.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::gateway {

inline constexpr std::chrono::seconds stripe_tolerance_default{300};

enum class StripeSignatureError : std::uint8_t {
  missing_header,
  malformed_header,             // no t, a repeated or non-numeric t, or an item without '='
  no_v1_signature,
  timestamp_outside_tolerance,
  signature_mismatch,           // no v1 equals the HMAC of this body (non-hex v1s never do)
};

[[nodiscard]] const char* to_string(StripeSignatureError error);

// Returns nullopt when the header verifies `body` with `secret` at `now_s` (unix seconds).
[[nodiscard]] std::optional<StripeSignatureError> verify_stripe_signature(
    std::string_view header, std::string_view body, std::string_view secret, std::int64_t now_s,
    std::chrono::seconds tolerance = stripe_tolerance_default);

// Lowercase hex HMAC-SHA256 of "<timestamp>.<body>": the v1 value Stripe would send.
[[nodiscard]] std::string stripe_signature_hex(std::string_view secret, std::int64_t timestamp,
                                               std::string_view body);

// Reads a Stripe signing secret file: its content with one trailing newline removed. Throws
// std::runtime_error when the file is unreadable or empty.
[[nodiscard]] std::string read_stripe_secret_file(const std::string& path);

}  // namespace bulwark::gateway
