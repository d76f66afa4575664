#pragma once
// Rate-limit configuration of a tenant, with its command and event. The limiter itself lives in
// domain/rate_limit.hpp; this header has no dependency on commands or events, so events.hpp and
// commands.hpp can include it.
//
// JSON form, shared by PUT /v1/tenant/rate-limits and the rate_limits_set event:
//   {"approvals":    {"per_principal": {"rate_per_minute": 60, "burst": 10},
//                     "per_tenant":    {"rate_per_minute": 600, "burst": 100}},
//    "executions":   {...}, "rule_changes": {...}}
#include <cstdint>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

#include "domain/rejection.hpp"

namespace bulwark::domain {

// The limited commands, grouped so that a tenant can give each group its own limit.
enum class RouteClass : std::uint8_t {
  approvals,     // approve or reject an action
  executions,    // execute an action
  rule_changes,  // set a guardrail rule or the rate limits
};

// Scope of one allowance: each principal of the tenant, or the whole tenant.
enum class RateLimitScope : std::uint8_t { principal, tenant };

inline constexpr std::int64_t rate_per_minute_max = 1'000'000;
inline constexpr std::int64_t rate_limit_burst_max = 1'000'000;

struct RateLimit {
  std::int64_t rate_per_minute = 1;  // sustained requests per minute, 1 to rate_per_minute_max
  std::int64_t burst = 1;            // requests allowed at once after a pause, 1 to rate_limit_burst_max

  bool operator==(const RateLimit& other) const;
};

struct RouteClassLimits {
  RateLimit per_principal;
  RateLimit per_tenant;

  bool operator==(const RouteClassLimits& other) const;
};

struct RateLimitConfig {
  RouteClassLimits approvals;
  RouteClassLimits executions;
  RouteClassLimits rule_changes;

  [[nodiscard]] const RouteClassLimits& limits_for(RouteClass route_class) const;
  bool operator==(const RateLimitConfig& other) const;
};

// Limits of a tenant that never set its own. They are far above what people approve or change by
// hand, so they only stop runaway automation.
[[nodiscard]] RateLimitConfig default_rate_limits();

struct SetRateLimits {
  RateLimitConfig config;
};

struct RateLimitsSet {
  RateLimitConfig config;
};

[[nodiscard]] const char* to_string(RouteClass route_class);
[[nodiscard]] const char* to_string(RateLimitScope scope);

// The JSON form above, with every class and scope present.
[[nodiscard]] nlohmann::json rate_limits_to_json(const RateLimitConfig& config);

// Handling of a route class or scope that is missing from the JSON form.
enum class MissingLimits : std::uint8_t {
  take_defaults,  // request bodies: {} is the default configuration
  reject,         // events and snapshots, which always contain every class and scope
};

// Parses the JSON form strictly: unknown fields, non-integers (5.0 included) and values outside
// 1 to the maximum are an invalid_request rejection naming the field.
[[nodiscard]] std::variant<RateLimitConfig, Rejection> rate_limits_from_json(
    const nlohmann::json& json, MissingLimits missing);

// Returns the invalid_request rejection for a value out of range, or nullopt.
[[nodiscard]] std::optional<Rejection> validate_rate_limits(const RateLimitConfig& config);

}  // namespace bulwark::domain
