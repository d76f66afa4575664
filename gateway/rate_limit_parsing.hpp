#pragma once
// Request parsing for PUT /v1/tenant/rate-limits. The body has the JSON form documented in
// domain/rate_limit_types.hpp; a route class or scope left out takes its default.
#include <nlohmann/json.hpp>

#include "gateway/request_parsing.hpp"

namespace bulwark::gateway {

[[nodiscard]] Parsed<domain::Command> parse_set_rate_limits(const nlohmann::json& body);

}  // namespace bulwark::gateway
