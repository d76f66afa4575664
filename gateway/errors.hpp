#pragma once
// Mapping from backend outcomes and business rejections to HTTP statuses. The table is part of the
// external contract and is mirrored in gateway/openapi.yaml.
#include "gateway/backend.hpp"
#include "gateway/http_types.hpp"

namespace bulwark::gateway {

// 400 for invalid_request, 404 for not_found, 429 for rate_limited, 409 for every other rejection
// that depends on the tenant's current state (limits, approvals, transitions, idempotency,
// guardrails).
[[nodiscard]] unsigned http_status_for(domain::RejectionCode code);

// Turns a backend outcome into the response: 200 or 201 with the body, the rejection's status and
// error body, 503 `unavailable` or 500 `internal` with a generic message. A 429 and a 503 carry
// Retry-After in whole seconds.
[[nodiscard]] HttpResponse response_for(const BackendResult& result);

// Adds a Retry-After header of `seconds`, at least 1.
void set_retry_after(HttpResponse& response, std::int64_t seconds);

}  // namespace bulwark::gateway
