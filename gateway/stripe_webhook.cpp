#include "gateway/stripe_webhook.hpp"

#include <spdlog/spdlog.h>

#include "domain/decide.hpp"
#include "domain/ids.hpp"
#include "gateway/errors.hpp"
#include "gateway/router.hpp"

namespace bulwark::gateway {
namespace {

using nlohmann::json;

// Principal recorded on the events that inbound Stripe deliveries cause.
constexpr const char* stripe_principal = "stripe";

RequestError invalid(const char* field, std::string message) {
  return RequestError{400, "invalid_request", std::move(message), {{"field", field}}};
}

// An id field that Stripe sends as a string, or as an object with an "id" when expanded.
std::string id_of(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto id = it->find("id");
    if (id != it->end() && id->is_string()) return id->get<std::string>();
  }
  return "";
}

HttpResponse ignored_response(const StripeEnvelope& envelope, const char* reason) {
  return json_response(200, {{"event_id", envelope.event_id},
                             {"event_type", envelope.event_type},
                             {"status", "ignored"},
                             {"reason", reason}});
}

}  // namespace

Parsed<StripeEnvelope> parse_stripe_envelope(std::string_view body) {
  json event = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded() || !event.is_object()) {
    return invalid("body", "the event must be a JSON object");
  }
  StripeEnvelope envelope;
  auto id = event.find("id");
  if (id == event.end() || !id->is_string()) return invalid("id", "the event has no string id");
  envelope.event_id = id->get<std::string>();
  auto type = event.find("type");
  if (type == event.end() || !type->is_string()) {
    return invalid("type", "the event has no string type");
  }
  envelope.event_type = type->get<std::string>();
  auto created = event.find("created");
  if (created == event.end() || !created->is_number_integer()) {
    return invalid("created", "the event has no integer created time");
  }
  envelope.created = created->get<std::int64_t>();
  auto data = event.find("data");
  if (data == event.end() || !data->is_object() || !data->contains("object") ||
      !data->at("object").is_object()) {
    return invalid("data", "the event has no data.object");
  }
  const json& object = data->at("object");
  envelope.customer_id = id_of(object, "customer");
  if (envelope.customer_id.empty() && object.value("object", "") == "customer") {
    envelope.customer_id = id_of(object, "id");
  }
  return envelope;
}

Parsed<domain::Command> parse_set_stripe_customers(const json& body) {
  for (const auto& [name, value] : body.items()) {
    if (name == "customer_ids" || name == "tenant" || name == "tenant_id") continue;
    return invalid("body", "unknown field '" + name + "'");
  }
  auto ids = body.find("customer_ids");
  if (ids == body.end() || !ids->is_array()) {
    return invalid("customer_ids", "customer_ids must be an array of Stripe customer ids");
  }
  domain::SetStripeCustomers command;
  for (const auto& id : *ids) {
    if (!id.is_string()) return invalid("customer_ids", "customer_ids must contain strings");
    command.customer_ids.push_back(id.get<std::string>());
  }
  return domain::Command{std::move(command)};
}

Parsed<domain::Command> parse_requeue_webhook(const std::string& event_id, const json& body) {
  for (const auto& [name, value] : body.items()) {
    if (name == "tenant" || name == "tenant_id") continue;
    return invalid("body", "unknown field '" + name + "'; the body must be empty");
  }
  if (!domain::is_valid_entity_id(event_id)) {
    return invalid("event_id", "invalid event id: use [A-Za-z0-9_.:-]{1,128}");
  }
  return domain::Command{domain::RequeueWebhook{event_id}};
}

// Both reads take the same parameters as the guardrails list: none besides the tenant.
Parsed<Query> parse_subscription_query(const QueryParams& params) {
  auto checked = parse_guardrails_query(params);
  if (auto* error = std::get_if<RequestError>(&checked)) return *error;
  return Query{SubscriptionQuery{}};
}

Parsed<Query> parse_dead_letters_query(const QueryParams& params) {
  auto checked = parse_guardrails_query(params);
  if (auto* error = std::get_if<RequestError>(&checked)) return *error;
  return Query{DeadLettersQuery{}};
}

void Router::set_stripe_webhooks(StripeWebhookOptions options) {
  stripe_ = std::make_shared<const StripeWebhookOptions>(std::move(options));
}

// POST /v1/webhooks/stripe. Authenticated by the Stripe-Signature header instead of a bearer
// token. The tenant comes from the customer directory, never from the request.
// NOTE: the server's body limit (64 KiB by default) applies here as on every route, so a larger
// Stripe event gets 413, which Stripe keeps retrying.
void Router::handle_stripe_webhook(const HttpRequest& request, ResponseCallback done) {
  if (!stripe_) {
    done(error_response(503, "unavailable",
                        "Stripe webhooks are not configured on this node: start it with "
                        "--stripe-secret-file"));
    return;
  }
  std::int64_t now_s = domain::to_unix_ms(now_()) / 1000;
  if (auto error = verify_stripe_signature(request.stripe_signature, request.body, stripe_->secret,
                                           now_s, stripe_->tolerance)) {
    spdlog::warn("stripe_signature_rejected request_id={} reason={}", request.request_id,
                 to_string(*error));
    done(error_response(400, "invalid_signature",
                        "the Stripe-Signature header does not verify this body",
                        {{"reason", to_string(*error)}}));
    return;
  }

  auto parsed = parse_stripe_envelope(request.body);
  if (auto* error = std::get_if<RequestError>(&parsed)) {
    done(error_response(error->status, error->code, error->message, error->details));
    return;
  }
  const StripeEnvelope& envelope = std::get<StripeEnvelope>(parsed);
  // Events that name no customer, or a customer no tenant has claimed, are answered 200 because
  // Stripe retries every non-2xx delivery for days and disables endpoints that keep failing; no
  // retry could route them. The warning log keeps them visible.
  if (envelope.customer_id.empty()) {
    spdlog::warn("stripe_event_ignored request_id={} event_id={} type={} reason=no_customer",
                 request.request_id, envelope.event_id, envelope.event_type);
    done(ignored_response(envelope, "no_customer"));
    return;
  }
  StripeCustomerLookup lookup = backend_.find_stripe_customer(envelope.customer_id);
  if (lookup.status == StripeCustomerLookup::Status::not_ready) {
    HttpResponse response = error_response(
        503, "unavailable", "tenants are still recovering; the event's owner is not known yet");
    response.headers.emplace_back("Retry-After", "1");
    done(std::move(response));
    return;
  }
  if (lookup.status == StripeCustomerLookup::Status::unknown) {
    spdlog::warn(
        "stripe_event_ignored request_id={} event_id={} type={} customer={} "
        "reason=unknown_customer",
        request.request_id, envelope.event_id, envelope.event_type, envelope.customer_id);
    done(ignored_response(envelope, "unknown_customer"));
    return;
  }

  domain::ReceiveStripeEvent command{envelope.event_id, envelope.event_type, envelope.created,
                                     envelope.customer_id, request.body, stripe_->attempts_max,
                                     sha256_hex(request.body)};
  domain::Command valid_command{std::move(command)};
  if (auto rejection = domain::validate(valid_command)) {
    done(error_response(400, domain::to_string(rejection->code), rejection->message,
                        rejection->details));
    return;
  }
  submit(RequestContext{lookup.tenant, stripe_principal, request.request_id},
         std::move(valid_command), std::move(done));
}

}  // namespace bulwark::gateway
