#pragma once
// The inbound Stripe webhook inbox: deduplication by event id, subscription status transitions,
// ordering by the event's `created` time, attempt counting and the dead letters. Pure functions
// over the tenant state; decide.cpp, state.cpp, events.cpp, views.cpp and audit.cpp call them.
//
// Subscription statuses are Stripe's: incomplete, incomplete_expired, trialing, active,
// past_due, unpaid, canceled, paused. Allowed changes (any other change is a processing failure):
//
//   from         to
//   incomplete   active, incomplete_expired, canceled
//   trialing     active, past_due, unpaid, canceled, paused
//   active       past_due, unpaid, canceled
//   past_due     active, unpaid, canceled
//   unpaid       active, canceled
//   paused       active, canceled
//   canceled, incomplete_expired: terminal, nothing leaves them
//
// An event whose status equals the current one is applied and changes nothing. The first event
// seen for a subscription sets any status.
//
// Outcomes of one delivery:
// - applied: a subscription event (customer.subscription.*) sets its object's status; an invoice
//   event moves its subscription: invoice.paid and invoice.payment_succeeded to active from
//   incomplete, past_due or unpaid; invoice.payment_failed to past_due from active.
// - ignored (final, 2xx, Stripe stops retrying) with a reason: `stale` (created before the
//   newest event applied to the subscription), `terminal_status` (the subscription is canceled or
//   incomplete_expired), `unsupported_type`, `no_subscription` (an invoice without one),
//   `unknown_subscription` (an invoice for a subscription no event has created yet),
//   `no_status_change` (an invoice that does not move its subscription's current status).
// - failed (counted, non-2xx so Stripe retries): `malformed_event` or `malformed_object` (the
//   JSON or the fields this code reads are missing or mistyped), `unknown_status`, or
//   `invalid_transition` (a change outside the table, which means an event is missing or Stripe's
//   model changed; it can succeed later, once the missing event has arrived). After
//   attempts_max failed attempts the event is dead-lettered, which is final until an operator
//   requeues it. A requeue is one more attempt, and its failure dead-letters the event again, so
//   no event waits in `failed` for a retry that nobody will send.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "domain/decide.hpp"
#include "domain/events.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {

[[nodiscard]] bool is_subscription_status(std::string_view status);
[[nodiscard]] bool is_terminal_status(std::string_view status);
// True when the table above allows `from` -> `to`; false for equal statuses.
[[nodiscard]] bool is_allowed_transition(std::string_view from, std::string_view to);

[[nodiscard]] const char* to_string(InboxStatus status);

// The result of processing one event against the inbox, before anything is written.
struct WebhookProcessing {
  enum class Kind : std::uint8_t { applied, ignored, failed };
  Kind kind = Kind::ignored;
  std::string reason;   // ignored or failed: stable code
  std::string error;    // failed: message for the operator
  WebhookApplied applied;  // applied: the event to journal
};

// Processes the raw Stripe event JSON (event_id, event_type and created come from its envelope).
[[nodiscard]] WebhookProcessing process_stripe_event(const WebhookInbox& inbox,
                                                     const std::string& event_id,
                                                     const std::string& event_type,
                                                     std::int64_t created, const std::string& raw);

[[nodiscard]] std::optional<Rejection> validate_webhook_command(const SetStripeCustomers& command);
[[nodiscard]] std::optional<Rejection> validate_webhook_command(const ReceiveStripeEvent& command);
[[nodiscard]] std::optional<Rejection> validate_webhook_command(const RequeueWebhook& command);

// A repeated event id whose outcome is final writes nothing and returns that outcome. The same id
// with another event type or another body hash is an `idempotency_conflict`. A failed attempt
// returns its events together with a `webhook_processing_failed` rejection.
[[nodiscard]] Decision decide_webhook_command(const TenantState& state,
                                              const SetStripeCustomers& command);
[[nodiscard]] Decision decide_webhook_command(const TenantState& state,
                                              const ReceiveStripeEvent& command);
[[nodiscard]] Decision decide_webhook_command(const TenantState& state,
                                              const RequeueWebhook& command);

// Fold functions. They throw std::logic_error on an event the inbox cannot take (a requeue of an
// event that is not dead-lettered), because that is a broken journal.
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookApplied& e);
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookIgnored& e);
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookAttemptFailed& e);
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookDeadLettered& e);
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookRequeued& e);
void apply_webhook_event(WebhookInbox& inbox, const Event& event, const StripeCustomersSet& e);

[[nodiscard]] nlohmann::json webhook_event_to_json(const WebhookApplied& e);
[[nodiscard]] nlohmann::json webhook_event_to_json(const WebhookIgnored& e);
[[nodiscard]] nlohmann::json webhook_event_to_json(const WebhookAttemptFailed& e);
[[nodiscard]] nlohmann::json webhook_event_to_json(const WebhookDeadLettered& e);
[[nodiscard]] nlohmann::json webhook_event_to_json(const WebhookRequeued& e);
[[nodiscard]] nlohmann::json webhook_event_to_json(const StripeCustomersSet& e);
// Inverse of webhook_event_to_json for the six webhook types. Throws std::invalid_argument on a
// missing or mistyped field or a type that is not a webhook type.
[[nodiscard]] EventData webhook_event_from_json(EventType type, const nlohmann::json& data);

// Snapshot form of the inbox; webhook_inbox_from_json throws std::invalid_argument when malformed.
[[nodiscard]] nlohmann::json webhook_inbox_to_json(const WebhookInbox& inbox);
[[nodiscard]] WebhookInbox webhook_inbox_from_json(const nlohmann::json& json);

// GET /v1/subscription: the subscription changed last, or {"subscription_id": null} when none,
// plus every known subscription under "subscriptions".
[[nodiscard]] nlohmann::json subscription_view(const TenantState& state);
// GET /v1/webhooks/dead-letters: {"dead_letters": [{event_id, event_type, attempts, ...}]}.
[[nodiscard]] nlohmann::json dead_letters_view(const TenantState& state);
[[nodiscard]] nlohmann::json webhook_outcome_view(const TenantState& state,
                                                  const SetStripeCustomers& command);
[[nodiscard]] nlohmann::json webhook_outcome_view(const TenantState& state,
                                                  const ReceiveStripeEvent& command);
[[nodiscard]] nlohmann::json webhook_outcome_view(const TenantState& state,
                                                  const RequeueWebhook& command);

// Audit checks for replay: `webhook_once` (no event id reaches a final outcome twice without a
// requeue in between), `webhook_requeue_dead_letter` (only dead letters are requeued) and
// `webhook_allowed_transition` (an applied event is not stale and follows the table). Returns
// the invariant's name and a message.
using WebhookViolation = std::optional<std::pair<const char*, std::string>>;
[[nodiscard]] WebhookViolation check_webhook_event(const TenantState& before,
                                                   const EventData& data);

}  // namespace bulwark::domain
