#pragma once
// Types of the inbound Stripe webhook inbox: its journaled events (type ids 24-29), its commands
// and its part of the tenant state. The logic lives in domain/webhooks.hpp. This header depends on
// nothing in the domain, so events.hpp, commands.hpp and state.hpp can all include it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bulwark::domain {

// Default number of failed processing attempts after which an inbound event is dead-lettered.
inline constexpr std::int64_t webhook_attempts_max_default = 5;
inline constexpr std::int64_t webhook_attempts_max_limit = 100;
inline constexpr std::size_t stripe_customers_count_max = 100;
// Largest raw event accepted into the journal; the HTTP body limit is normally smaller.
inline constexpr std::size_t webhook_raw_bytes_max = 1024 * 1024;

// Events. `created` is the Stripe event's own `created` time in unix seconds, which orders events
// for the same subscription; the journal timestamp is when the node received it.

// The event changed (or confirmed) a subscription's status.
struct WebhookApplied {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::string customer_id;
  std::string subscription_id;
  std::string status;           // the subscription status after this event
  std::string previous_status;  // empty when the subscription was first seen
  std::string body_sha256;      // lowercase hex SHA-256 of the delivered body; empty if unknown
};

// The event was recorded but changed nothing; `reason` is one of the webhook_ignore_* names.
struct WebhookIgnored {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::string reason;
  std::string body_sha256;
};

// One processing attempt failed; Stripe's next delivery of the event is the next attempt.
struct WebhookAttemptFailed {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::int64_t attempt = 0;  // 1 for the first failure
  std::string reason;        // stable code, one of the webhook_failure_* names
  std::string error;         // what failed, for the operator
  std::string body_sha256;
};

// The event failed `attempts` times and waits for an operator. `raw` is the event JSON exactly as
// received, so a requeue can process it again without Stripe.
struct WebhookDeadLettered {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::int64_t attempts = 0;
  std::string reason;  // the last failure's stable code
  std::string error;   // the last failure's message
  std::string raw;
  std::string body_sha256;
};

// An operator took the event out of the dead letters; the outcome of the new attempt follows.
struct WebhookRequeued {
  std::string event_id;
  std::string event_type;
};

// Replaces the set of Stripe customers whose events belong to this tenant.
struct StripeCustomersSet {
  std::vector<std::string> customer_ids;
};

// Commands.

struct SetStripeCustomers {
  std::vector<std::string> customer_ids;
};

// One delivery of a Stripe event whose signature the gateway has verified. The gateway parsed the
// envelope (id, type, created); the domain parses `raw` again for the object it needs.
struct ReceiveStripeEvent {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  std::string customer_id;
  std::string raw;
  std::int64_t attempts_max = webhook_attempts_max_default;
  // Lowercase hex SHA-256 of `raw`, computed by the gateway. A later delivery of the same event id
  // with another hash is an idempotency conflict. Empty skips that check.
  std::string body_sha256;
};

struct RequeueWebhook {
  std::string event_id;
};

// State.

enum class InboxStatus : std::uint8_t { failed, applied, ignored, dead_lettered };

// One inbound event id. `failed` is the only non-final status: the next delivery retries it.
struct InboxEntry {
  std::string event_id;
  std::string event_type;
  std::int64_t created = 0;
  InboxStatus status = InboxStatus::failed;
  std::int64_t attempts = 0;  // failed attempts so far
  std::string reason;         // why it was ignored, or the last failure's stable code
  std::string last_error;     // the last failure's message
  std::string raw;            // only while dead-lettered
  std::string body_sha256;    // of the first delivery's body; empty in journals written before it
};

// A subscription as the applied events left it. `status_event_*` name the event that set the
// current status; `last_created` is the newest `created` applied, the bar for stale events.
struct SubscriptionState {
  std::string id;
  std::string customer_id;
  std::string status;
  std::string status_event_id;
  std::int64_t status_event_created = 0;
  std::int64_t last_created = 0;
  std::uint64_t updated_seq = 0;  // journal seq of the last change, to find the current one
};

struct WebhookInbox {
  std::vector<std::string> customer_ids;
  // Every event id ever received, so a redelivery at any later time is deduplicated.
  // NOTE: this grows by one entry per inbound event and is never trimmed.
  std::map<std::string, InboxEntry> events;
  std::map<std::string, SubscriptionState> subscriptions;
};

}  // namespace bulwark::domain
