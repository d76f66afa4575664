#pragma once
// Tenant state: the fold of a tenant's events. Only apply() changes it, so recovery (snapshot +
// later events) and audit replay rebuild exactly the state the live actor had.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/events.hpp"

namespace bulwark::domain {

struct Budget {
  MinorUnits daily_limit_minor = 0;
  std::string currency;
  std::string time_zone;
};

// Spend on one budget day. Invariant: committed + reserved <= the daily limit.
struct DayTotals {
  MinorUnits committed_minor = 0;
  MinorUnits reserved_minor = 0;
};

enum class ReservationStatus : std::uint8_t { open, committed, released, expired };

struct Reservation {
  std::string id;
  MinorUnits amount_minor = 0;
  std::string budget_day;
  TimePoint expires_at;
  std::int64_t ttl_s = 0;
  std::string action_id;
  ReservationStatus status = ReservationStatus::open;
  MinorUnits committed_minor = 0;
};

struct SafeMode {
  bool enabled = false;
  std::string reason;
  std::string cause;
  std::string principal;
  std::vector<std::string> high_stakes_kinds{"create_po", "pause_orders"};
};

struct Guardrail {
  std::string id;
  GuardrailRule rule;
  std::int64_t violation_count = 0;
};

// The exact action an approver approved: execution requires all three to still match.
struct ApprovalBinding {
  std::string kind;
  MinorUnits amount_minor = 0;
  std::string payload_sha256;
};

struct Action {
  std::string id;
  std::string kind;
  MinorUnits amount_minor = 0;
  std::string payload_sha256;
  nlohmann::json payload;
  ActionStatus status = ActionStatus::queued;
  ActionStatus proposed_status = ActionStatus::queued;
  std::optional<ApprovalBinding> approval;
  std::string reservation_id;
  std::string failure_reason;
};

struct TenantState {
  std::uint64_t last_seq = 0;
  std::optional<Budget> budget;
  std::map<std::string, DayTotals> days;
  std::map<std::string, Reservation> reservations;
  SafeMode safe_mode;
  std::map<std::string, Guardrail> guardrails;
  std::map<std::string, Action> actions;
  // Start times of executions within the last hour, oldest first, for max_actions_per_hour.
  std::deque<TimePoint> recent_executions;
  WebhookInbox webhooks;  // inbound Stripe events, subscriptions and customer ids
  IntegrationState integrations;  // alert target, outbox and market regime
  std::optional<RateLimitConfig> rate_limits;  // unset: the defaults apply
  LeaseTable leases;  // job leases; only the reserved system tenant has any
};

[[nodiscard]] const char* to_string(ReservationStatus s);

// Folds one event into the state. The event's seq must be last_seq + 1; anything else is a broken
// journal and throws std::logic_error.
void apply(TenantState& state, const Event& event);

// Snapshot form of the whole state; state_from_json(state_to_json(s)) equals s.
[[nodiscard]] nlohmann::json state_to_json(const TenantState& state);
// Throws std::invalid_argument on a malformed snapshot.
[[nodiscard]] TenantState state_from_json(const nlohmann::json& json);

bool operator==(const TenantState& a, const TenantState& b);

}  // namespace bulwark::domain
