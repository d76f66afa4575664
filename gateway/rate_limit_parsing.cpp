#include "gateway/rate_limit_parsing.hpp"

#include "domain/rate_limit_types.hpp"

namespace bulwark::gateway {

Parsed<domain::Command> parse_set_rate_limits(const nlohmann::json& body) {
  // The router has already checked that "tenant" and "tenant_id", when given, name the caller's
  // tenant, so they are dropped before the strict parse.
  nlohmann::json limits = body;
  limits.erase("tenant");
  limits.erase("tenant_id");
  auto parsed = domain::rate_limits_from_json(limits, domain::MissingLimits::take_defaults);
  if (auto* rejection = std::get_if<domain::Rejection>(&parsed)) {
    RequestError error;
    error.message = rejection->message;
    error.details = rejection->details;
    return error;
  }
  return domain::Command{domain::SetRateLimits{std::get<domain::RateLimitConfig>(parsed)}};
}

}  // namespace bulwark::gateway
