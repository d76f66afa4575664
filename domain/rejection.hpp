#pragma once
// Business rejections: the stable error codes clients see. A rejection is an expected outcome,
// never an exception and never logged as an error.
#include <string>

#include <nlohmann/json.hpp>

namespace bulwark::domain {

enum class RejectionCode : std::uint8_t {
  invalid_request,
  not_found,
  limit_exceeded,
  approval_required,
  approval_mismatch,
  invalid_transition,
  idempotency_conflict,
  guardrail_blocked,
  budget_not_set,
  limit_below_usage,
  reservation_expired,
  customer_conflict,          // a Stripe customer already belongs to another tenant
  webhook_processing_failed,  // an inbound event failed to process; the delivery is retried
  rate_limited,               // the route class's allowance is used up; retry after a delay
  lease_held,                 // another owner holds the job's live lease
  lease_fenced,               // the owner or fencing token is not the job's current one
  lease_expired,              // the holder's lease expired or was released
};

struct Rejection {
  RejectionCode code = RejectionCode::invalid_request;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

// Snake-case code as it appears in error bodies ("limit_exceeded").
[[nodiscard]] const char* to_string(RejectionCode code);

}  // namespace bulwark::domain
