#include "domain/rejection.hpp"

namespace bulwark::domain {

const char* to_string(RejectionCode code) {
  switch (code) {
    case RejectionCode::invalid_request: return "invalid_request";
    case RejectionCode::not_found: return "not_found";
    case RejectionCode::limit_exceeded: return "limit_exceeded";
    case RejectionCode::approval_required: return "approval_required";
    case RejectionCode::approval_mismatch: return "approval_mismatch";
    case RejectionCode::invalid_transition: return "invalid_transition";
    case RejectionCode::idempotency_conflict: return "idempotency_conflict";
    case RejectionCode::guardrail_blocked: return "guardrail_blocked";
    case RejectionCode::budget_not_set: return "budget_not_set";
    case RejectionCode::limit_below_usage: return "limit_below_usage";
    case RejectionCode::reservation_expired: return "reservation_expired";
    case RejectionCode::customer_conflict: return "customer_conflict";
    case RejectionCode::webhook_processing_failed: return "webhook_processing_failed";
    case RejectionCode::rate_limited: return "rate_limited";
    case RejectionCode::lease_held: return "lease_held";
    case RejectionCode::lease_fenced: return "lease_fenced";
    case RejectionCode::lease_expired: return "lease_expired";
  }
  return "unknown";
}

}  // namespace bulwark::domain
