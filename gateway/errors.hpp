#pragma once
// Mapping from backend outcomes and business rejections to HTTP statuses. The table is part of the
// external contract and is mirrored in gateway/openapi.yaml.
#include "gateway/backend.hpp"
#include "gateway/http_types.hpp"

namespace bulwark::gateway {

// 400 for invalid_request, 404 for not_found, 409 for every rejection that depends on the
// tenant's current state (limits, approvals, transitions, idempotency, guardrails).
[[nodiscard]] unsigned http_status_for(domain::RejectionCode code);

// Turns a backend outcome into the response: 200 or 201 with the body, the rejection's status and
// error body, 503 `unavailable` or 500 `internal` with a generic message.
[[nodiscard]] HttpResponse response_for(const BackendResult& result);

}  // namespace bulwark::gateway
