#pragma once
// Commands a tenant actor decides. Each carries its client-chosen idempotency key where a client
// may retry (reservation id, action id), so a repeat returns the first outcome and writes nothing.
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/events.hpp"
#include "domain/money.hpp"
#include "domain/rate_limit_types.hpp"

namespace bulwark::domain {

// Maximum reservation lifetime before it expires: 7 days.
inline constexpr std::int64_t reservation_ttl_s_max = 7 * 24 * 3600;
inline constexpr std::size_t reason_length_max = 512;
inline constexpr std::size_t action_kind_length_max = 64;
inline constexpr std::size_t currency_length = 3;
inline constexpr std::size_t high_stakes_kinds_count_max = 64;
inline constexpr std::size_t allowed_kinds_count_max = 64;

struct SetBudget {
  MinorUnits daily_limit_minor = 0;
  std::string currency;   // ISO 4217 code, three upper-case letters
  std::string time_zone;  // IANA name
};

struct Reserve {
  std::string reservation_id;
  MinorUnits amount_minor = 0;
  std::int64_t ttl_s = 0;
};

struct Commit {
  std::string reservation_id;
  MinorUnits amount_minor = 0;
};

struct Release {
  std::string reservation_id;
};

// Sent by the tenant actor's own timer once a reservation's deadline has passed.
struct Expire {
  std::string reservation_id;
};

struct SetSafeMode {
  bool enabled = false;
  std::string reason;
  std::optional<std::vector<std::string>> high_stakes_kinds;
};

struct SetGuardrail {
  std::string guardrail_id;
  GuardrailRule rule;
};

struct ProposeAction {
  std::string action_id;
  std::string kind;
  MinorUnits amount_minor = 0;
  nlohmann::json payload = nlohmann::json::object();
  std::string payload_sha256;  // computed by the caller over payload.dump()
};

// The optional fields bind the approval to what the approver saw: when given, they must equal the
// action's amount and payload hash, or the approval is rejected.
struct ApproveAction {
  std::string action_id;
  std::optional<MinorUnits> expected_amount_minor;
  std::optional<std::string> expected_payload_sha256;
};

struct RejectAction {
  std::string action_id;
};

struct ExecuteAction {
  std::string action_id;
};

using Command = std::variant<SetBudget, Reserve, Commit, Release, Expire, SetSafeMode,
                             SetGuardrail, ProposeAction, ApproveAction, RejectAction,
                             ExecuteAction, SetStripeCustomers, ReceiveStripeEvent,
                             RequeueWebhook, IntegrationCommand, SetRateLimits,
                             LeaseCommand>;

}  // namespace bulwark::domain
