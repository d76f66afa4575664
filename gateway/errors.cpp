#include "gateway/errors.hpp"

#include <algorithm>

namespace bulwark::gateway {

using nlohmann::json;

HttpResponse error_response(unsigned status, std::string_view code, std::string message,
                            json details) {
  if (!details.is_object()) details = json::object();
  json body = {{"error",
                {{"code", std::string(code)},
                 {"message", std::move(message)},
                 {"details", std::move(details)}}}};
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse json_response(unsigned status, const json& body) {
  HttpResponse response;
  response.status = status;
  // Replacement keeps a reply flowing if a backend ever puts invalid UTF-8 in a string.
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

void set_retry_after(HttpResponse& response, std::int64_t seconds) {
  response.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, seconds)));
}

unsigned http_status_for(domain::RejectionCode code) {
  using domain::RejectionCode;
  switch (code) {
    case RejectionCode::invalid_request:
      return 400;
    case RejectionCode::not_found:
      return 404;
    case RejectionCode::limit_exceeded:
    case RejectionCode::approval_required:
    case RejectionCode::approval_mismatch:
    case RejectionCode::invalid_transition:
    case RejectionCode::idempotency_conflict:
    case RejectionCode::guardrail_blocked:
    case RejectionCode::budget_not_set:
    case RejectionCode::limit_below_usage:
    case RejectionCode::reservation_expired:
    case RejectionCode::customer_conflict:
    case RejectionCode::lease_held:
    case RejectionCode::lease_fenced:
    case RejectionCode::lease_expired:
      return 409;
    // 422 rather than 5xx: the node works, the event does not process. Any non-2xx makes Stripe
    // deliver the event again, and each delivery is one more attempt.
    case RejectionCode::webhook_processing_failed:
      return 422;
    case RejectionCode::rate_limited:
      return 429;
  }
  return 409;
}

HttpResponse response_for(const BackendResult& result) {
  switch (result.status) {
    case BackendResult::Status::ok:
      return json_response(result.created ? 201 : 200, result.body);
    case BackendResult::Status::rejected: {
      if (!result.rejection) {
        return error_response(500, "internal", "internal error; the request id identifies it");
      }
      const domain::Rejection& rejection = *result.rejection;
      HttpResponse response =
          error_response(http_status_for(rejection.code), domain::to_string(rejection.code),
                         rejection.message, rejection.details);
      if (rejection.code == domain::RejectionCode::rate_limited) {
        set_retry_after(response, rejection.details.value("retry_after_s", std::int64_t{1}));
      }
      return response;
    }
    case BackendResult::Status::unavailable: {
      HttpResponse response = error_response(
          503, "unavailable", "the tenant's owner or journal is unavailable; retry later");
      set_retry_after(response, 1);
      return response;
    }
    case BackendResult::Status::internal:
      break;
  }
  return error_response(500, "internal", "internal error; the request id identifies it");
}

}  // namespace bulwark::gateway
