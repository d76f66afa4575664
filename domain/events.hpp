#pragma once
// Journaled events: the only way tenant state changes. Type ids are hand-assigned, written to
// disk and never reused; a new event type takes the next free id. Field names in the JSON form are
// the audit vocabulary that outside tools read, so they may be added to but never renamed.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/money.hpp"
#include "domain/outbox_types.hpp"
#include "domain/rate_limit_types.hpp"
#include "domain/lease_types.hpp"
#include "domain/time.hpp"
#include "domain/webhook_types.hpp"

namespace bulwark::domain {

enum class EventType : std::uint16_t {
  budget_set = 1,
  spend_reserved = 2,
  spend_committed = 3,
  spend_released = 4,
  spend_expired = 5,
  safe_mode_changed = 6,
  guardrail_set = 7,
  guardrail_violated = 8,
  guardrail_escalated = 9,
  action_proposed = 10,
  action_approved = 11,
  action_rejected = 12,
  action_execution_started = 13,
  action_executed = 14,
  action_failed = 15,
  outbox_enqueued = 16,
  outbox_delivered = 17,
  outbox_attempt_failed = 18,
  alerts_target_set = 19,
  regime_set = 20,
  regime_changed = 21,
  webhook_applied = 24,
  webhook_ignored = 25,
  webhook_attempt_failed = 26,
  webhook_dead_lettered = 27,
  webhook_requeued = 28,
  stripe_customers_set = 29,
  rate_limits_set = 32,
  lease_acquired = 34,
  lease_renewed = 35,
  lease_released = 36,
  retention_applied = 37,
  // Ids 16-23: outbox, market data and regimes. 24-31: inbound payment webhooks. 32-39: rate
  // limits, job leases and retention.
};

// Schema version written with every event; bump it when a payload's meaning changes.
inline constexpr std::uint16_t event_schema_version = 1;

enum class Enforcement : std::uint8_t { warn, block, escalate };
enum class GuardrailRuleKind : std::uint8_t { max_amount, max_actions_per_hour, allowed_kinds };
enum class ActionStatus : std::uint8_t {
  queued,
  pending_approval,
  approved,
  rejected,
  executing,
  executed,
  failed,
};

struct GuardrailRule {
  GuardrailRuleKind kind = GuardrailRuleKind::max_amount;
  MinorUnits max_amount_minor = 0;          // max_amount: the largest amount one action may have
  std::int64_t max_actions = 0;             // max_actions_per_hour: executions in a rolling hour
  std::vector<std::string> allowed_kinds;   // allowed_kinds: the action kinds that may execute
  Enforcement enforcement = Enforcement::warn;
  std::int64_t escalation_threshold = 0;    // escalate: violation count that switches safe mode on

  bool operator==(const GuardrailRule& other) const;
};

struct BudgetSet {
  MinorUnits daily_limit_minor = 0;
  std::string currency;
  std::string time_zone;
};

struct SpendReserved {
  std::string reservation_id;
  MinorUnits amount_minor = 0;
  std::string budget_day;  // "YYYY-MM-DD" in the tenant's time zone at the time of the reservation
  TimePoint expires_at;
  std::int64_t ttl_s = 0;
  std::string action_id;  // empty unless an action's execution reserved it
};

struct SpendCommitted {
  std::string reservation_id;
  MinorUnits amount_minor = 0;  // actual spend, at most the reserved amount
};

struct SpendReleased {
  std::string reservation_id;
};

struct SpendExpired {
  std::string reservation_id;
};

struct SafeModeChanged {
  bool enabled = false;
  std::string reason;
  std::string cause;  // "manual" or "escalation"
  std::optional<std::vector<std::string>> high_stakes_kinds;  // replaces the set when present
};

struct GuardrailSet {
  std::string guardrail_id;
  GuardrailRule rule;
};

struct GuardrailViolated {
  std::string guardrail_id;
  std::string action_id;
  std::int64_t violation_count = 0;  // after this violation
  Enforcement enforcement = Enforcement::warn;
};

struct GuardrailEscalated {
  std::string guardrail_id;
  std::int64_t violation_count = 0;
};

struct ActionProposed {
  std::string action_id;
  std::string kind;
  MinorUnits amount_minor = 0;
  std::string payload_sha256;  // lowercase hex of the canonical payload JSON
  nlohmann::json payload;
  ActionStatus status = ActionStatus::queued;  // queued or pending_approval
};

struct ActionApproved {
  std::string action_id;
  std::string payload_sha256;
};

struct ActionRejected {
  std::string action_id;
  std::string payload_sha256;
};

struct ActionExecutionStarted {
  std::string action_id;
  std::string reservation_id;
};

struct ActionExecuted {
  std::string action_id;
};

struct ActionFailed {
  std::string action_id;
  std::string reason;
};

using EventData =
    std::variant<BudgetSet, SpendReserved, SpendCommitted, SpendReleased, SpendExpired,
                 SafeModeChanged, GuardrailSet, GuardrailViolated, GuardrailEscalated,
                 ActionProposed, ActionApproved, ActionRejected, ActionExecutionStarted,
                 ActionExecuted, ActionFailed, WebhookApplied, WebhookIgnored,
                 WebhookAttemptFailed, WebhookDeadLettered, WebhookRequeued, StripeCustomersSet,
                 OutboxEnqueued, OutboxDelivered, OutboxAttemptFailed, AlertsTargetSet, RegimeSet,
                 RegimeChanged, RateLimitsSet, LeaseAcquired, LeaseRenewed, LeaseReleased,
                 RetentionApplied>;

// One journal entry: the envelope that every event type shares, and its data.
struct Event {
  std::uint64_t seq = 0;  // per tenant, gap-free from 1
  TimePoint ts;
  std::string principal;
  std::string causation_id;  // the request or command that caused the event
  EventData data;
};

[[nodiscard]] EventType type_of(const EventData& data);
// Snake-case name of the type, as in the audit vocabulary ("spend_reserved").
[[nodiscard]] const char* type_name(EventType type);
[[nodiscard]] std::optional<EventType> event_type_from_id(std::uint16_t id);
[[nodiscard]] std::optional<EventType> event_type_from_name(std::string_view name);

[[nodiscard]] const char* to_string(Enforcement e);
[[nodiscard]] const char* to_string(GuardrailRuleKind k);
[[nodiscard]] const char* to_string(ActionStatus s);
[[nodiscard]] std::optional<Enforcement> enforcement_from_string(std::string_view s);
[[nodiscard]] std::optional<GuardrailRuleKind> rule_kind_from_string(std::string_view s);
[[nodiscard]] std::optional<ActionStatus> action_status_from_string(std::string_view s);

// Rule fields as in guardrail_set events and GET /v1/guardrails: "rule", "enforcement", and the
// fields of that rule kind ("max_amount_minor", "max_actions" or "kinds", "escalation_threshold").
[[nodiscard]] nlohmann::json guardrail_rule_to_json(const GuardrailRule& rule);

// The `data` object of the audit view.
[[nodiscard]] nlohmann::json event_data_to_json(const EventData& data);
// Inverse of event_data_to_json. Throws std::invalid_argument on a missing or mistyped field,
// because a journal that does not decode must stop recovery loudly.
[[nodiscard]] EventData event_data_from_json(EventType type, const nlohmann::json& data);

// The shape shared by GET /v1/events, WebSocket frames and `bulwark replay --format json`:
// {"seq", "type", "ts", "principal", "data"}.
[[nodiscard]] nlohmann::json event_to_json(const Event& event);

}  // namespace bulwark::domain
