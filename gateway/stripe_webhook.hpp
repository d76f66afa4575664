#pragma once
// The Stripe webhook endpoint's configuration and its request parsing: the event envelope, the
// customer the event belongs to, and the tenant routes that manage the inbox. The route itself is
// Router::handle_stripe_webhook, in stripe_webhook.cpp.
#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/webhook_types.hpp"
#include "gateway/request_parsing.hpp"
#include "gateway/stripe_signature.hpp"

namespace bulwark::gateway {

struct StripeWebhookOptions {
  std::string secret;  // the endpoint's signing secret, "whsec_..."
  std::chrono::seconds tolerance = stripe_tolerance_default;
  // Failed processing attempts before an event is dead-lettered.
  std::int64_t attempts_max = domain::webhook_attempts_max_default;
};

// The fields of a Stripe event that routing needs. `customer_id` is data.object.customer, or
// data.object.id when the object is a customer; empty when the event names no customer.
struct StripeEnvelope {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::string customer_id;
};

// Parses a verified event body. A body that is not a JSON object with a string id, a string
// type, an integer created and an object data.object is invalid_request.
[[nodiscard]] Parsed<StripeEnvelope> parse_stripe_envelope(std::string_view body);

// PUT /v1/tenant/stripe: {"customer_ids": ["cus_..."]}.
[[nodiscard]] Parsed<domain::Command> parse_set_stripe_customers(const nlohmann::json& body);
// POST /v1/webhooks/dead-letters/{event_id}/requeue, with an empty body.
[[nodiscard]] Parsed<domain::Command> parse_requeue_webhook(const std::string& event_id,
                                                            const nlohmann::json& body);
// GET /v1/subscription and GET /v1/webhooks/dead-letters take no query parameters.
[[nodiscard]] Parsed<Query> parse_subscription_query(const QueryParams& params);
[[nodiscard]] Parsed<Query> parse_dead_letters_query(const QueryParams& params);

}  // namespace bulwark::gateway
