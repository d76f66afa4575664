#include "domain/decide.hpp"

#include <algorithm>
#include <chrono>

#include "domain/ids.hpp"
#include "domain/lease.hpp"
#include "domain/outbox.hpp"
#include "domain/rate_limit.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

// Reservation hold for an action's spend between execute and commit or release.
constexpr std::int64_t action_reservation_ttl_s = 3600;
constexpr std::int64_t max_actions_per_hour_max = 1'000'000;
constexpr std::int64_t escalation_threshold_max = 1'000'000'000;
constexpr std::size_t sha256_hex_length = 64;

Rejection reject(RejectionCode code, std::string message, json details = json::object()) {
  return Rejection{code, std::move(message), std::move(details)};
}

Decision rejected(RejectionCode code, std::string message, json details = json::object()) {
  return Decision{{}, reject(code, std::move(message), std::move(details))};
}

Decision accepted(std::vector<EventData> events) { return Decision{std::move(events), {}}; }

Decision unchanged() { return Decision{}; }

bool is_valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > action_kind_length_max) return false;
  return std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_lower_hex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_currency(std::string_view code) {
  if (code.size() != currency_length) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::optional<Rejection> invalid_field(const char* field, std::string message) {
  return reject(RejectionCode::invalid_request, std::move(message), {{"field", field}});
}

std::optional<Rejection> check_kinds(const std::vector<std::string>& kinds, const char* field,
                                     std::size_t count_max) {
  if (kinds.size() > count_max) {
    return invalid_field(field, "too many kinds: at most " + std::to_string(count_max));
  }
  for (const auto& kind : kinds) {
    if (!is_valid_kind(kind)) {
      return invalid_field(field, "invalid action kind '" + kind + "': use [a-z0-9_]{1,64}");
    }
  }
  return std::nullopt;
}

std::optional<Rejection> check_rule(const GuardrailRule& rule) {
  switch (rule.kind) {
    case GuardrailRuleKind::max_amount:
      if (!is_valid_amount(rule.max_amount_minor)) {
        return invalid_field("max_amount_minor", "max_amount_minor must be 1 to 10^15");
      }
      break;
    case GuardrailRuleKind::max_actions_per_hour:
      if (rule.max_actions < 1 || rule.max_actions > max_actions_per_hour_max) {
        return invalid_field("max_actions", "max_actions must be 1 to 1000000");
      }
      break;
    case GuardrailRuleKind::allowed_kinds:
      if (rule.allowed_kinds.empty()) return invalid_field("kinds", "kinds must not be empty");
      if (auto bad = check_kinds(rule.allowed_kinds, "kinds", allowed_kinds_count_max)) return bad;
      break;
  }
  if (rule.enforcement == Enforcement::escalate &&
      (rule.escalation_threshold < 1 || rule.escalation_threshold > escalation_threshold_max)) {
    return invalid_field("escalation_threshold", "escalation_threshold must be 1 to 10^9");
  }
  return std::nullopt;
}

// Keeps only the fields that the rule's kind and enforcement use. The journal encodes only those,
// so a rule replayed from the journal must equal the one applied live.
GuardrailRule normalized_rule(const GuardrailRule& rule) {
  GuardrailRule out;
  out.kind = rule.kind;
  out.enforcement = rule.enforcement;
  switch (rule.kind) {
    case GuardrailRuleKind::max_amount:
      out.max_amount_minor = rule.max_amount_minor;
      break;
    case GuardrailRuleKind::max_actions_per_hour:
      out.max_actions = rule.max_actions;
      break;
    case GuardrailRuleKind::allowed_kinds:
      out.allowed_kinds = rule.allowed_kinds;
      break;
  }
  if (rule.enforcement == Enforcement::escalate) {
    out.escalation_threshold = rule.escalation_threshold;
  }
  return out;
}

struct Validator {
  std::optional<Rejection> operator()(const SetBudget& c) const {
    if (!is_valid_amount(c.daily_limit_minor)) {
      return invalid_field("daily_limit_minor", "daily_limit_minor must be 1 to 10^15");
    }
    if (!is_currency(c.currency)) {
      return invalid_field("currency", "currency must be three upper-case letters (ISO 4217)");
    }
    if (!is_valid_time_zone(c.time_zone)) {
      return invalid_field("time_zone", "unknown IANA time zone '" + c.time_zone + "'");
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const Reserve& c) const {
    if (!is_valid_entity_id(c.reservation_id)) return invalid_field("reservation_id", "invalid id");
    if (c.reservation_id.rfind(action_reservation_prefix, 0) == 0) {
      return invalid_field("reservation_id",
                           "reservation ids starting with 'action:' belong to executed actions");
    }
    if (!is_valid_amount(c.amount_minor)) {
      return invalid_field("amount_minor", "amount_minor must be 1 to 10^15");
    }
    if (c.ttl_s < 1 || c.ttl_s > reservation_ttl_s_max) {
      return invalid_field("ttl_s", "ttl_s must be 1 to " + std::to_string(reservation_ttl_s_max));
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const Commit& c) const {
    if (!is_valid_reservation_ref(c.reservation_id)) {
      return invalid_field("reservation_id", "invalid id");
    }
    if (!is_valid_amount(c.amount_minor)) {
      return invalid_field("amount_minor", "amount_minor must be 1 to 10^15");
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const Release& c) const {
    if (!is_valid_reservation_ref(c.reservation_id)) {
      return invalid_field("reservation_id", "invalid id");
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const Expire&) const { return std::nullopt; }
  std::optional<Rejection> operator()(const SetSafeMode& c) const {
    if (c.reason.size() > reason_length_max) {
      return invalid_field("reason", "reason is longer than 512 bytes");
    }
    if (c.high_stakes_kinds) {
      return check_kinds(*c.high_stakes_kinds, "high_stakes_kinds", high_stakes_kinds_count_max);
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const SetGuardrail& c) const {
    if (!is_valid_entity_id(c.guardrail_id)) return invalid_field("guardrail_id", "invalid id");
    return check_rule(c.rule);
  }
  std::optional<Rejection> operator()(const ProposeAction& c) const {
    if (!is_valid_entity_id(c.action_id)) return invalid_field("action_id", "invalid id");
    if (!is_valid_kind(c.kind)) return invalid_field("kind", "kind must match [a-z0-9_]{1,64}");
    if (!is_valid_amount(c.amount_minor)) {
      return invalid_field("amount_minor", "amount_minor must be 1 to 10^15");
    }
    if (!c.payload.is_object()) return invalid_field("payload", "payload must be a JSON object");
    if (!is_lower_hex(c.payload_sha256, sha256_hex_length)) {
      return invalid_field("payload_sha256", "payload_sha256 must be 64 lower-case hex digits");
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ApproveAction& c) const {
    if (!is_valid_entity_id(c.action_id)) return invalid_field("action_id", "invalid id");
    if (c.expected_amount_minor && !is_valid_amount(*c.expected_amount_minor)) {
      return invalid_field("amount_minor", "amount_minor must be 1 to 10^15");
    }
    if (c.expected_payload_sha256 && !is_lower_hex(*c.expected_payload_sha256, sha256_hex_length)) {
      return invalid_field("payload_sha256", "payload_sha256 must be 64 lower-case hex digits");
    }
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const RejectAction& c) const {
    if (!is_valid_entity_id(c.action_id)) return invalid_field("action_id", "invalid id");
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ExecuteAction& c) const {
    if (!is_valid_entity_id(c.action_id)) return invalid_field("action_id", "invalid id");
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const SetStripeCustomers& c) const {
    return validate_webhook_command(c);
  }
  std::optional<Rejection> operator()(const ReceiveStripeEvent& c) const {
    return validate_webhook_command(c);
  }
  std::optional<Rejection> operator()(const RequeueWebhook& c) const {
    return validate_webhook_command(c);
  }
  std::optional<Rejection> operator()(const IntegrationCommand& c) const {
    return validate_integration(c);
  }
  std::optional<Rejection> operator()(const SetRateLimits& c) const {
    return validate_rate_limits(c.config);
  }
  std::optional<Rejection> operator()(const LeaseCommand& c) const { return validate_lease_command(c); }
};

// Checks that `amount` more fits today's budget and returns the reservation event's day, or the
// rejection. Invariant kept: committed + reserved <= daily limit for the budget day.
std::variant<std::string, Rejection> fit_in_budget(const TenantState& state, MinorUnits amount,
                                                  TimePoint now) {
  if (!state.budget) {
    return reject(RejectionCode::budget_not_set,
                  "no budget is set for this tenant; an admin must PUT /v1/tenant/budget first");
  }
  std::string day = local_day(now, state.budget->time_zone);
  DayTotals totals;
  if (auto it = state.days.find(day); it != state.days.end()) totals = it->second;

  auto used = checked_add(totals.committed_minor, totals.reserved_minor);
  auto wanted = used ? checked_add(*used, amount) : std::nullopt;
  if (!wanted || *wanted > state.budget->daily_limit_minor) {
    MinorUnits available = std::max<MinorUnits>(
        0, state.budget->daily_limit_minor - totals.committed_minor - totals.reserved_minor);
    return reject(RejectionCode::limit_exceeded,
                  "the reservation would exceed the daily spend limit for " + day,
                  {{"budget_day", day},
                   {"limit_minor", state.budget->daily_limit_minor},
                   {"committed_minor", totals.committed_minor},
                   {"reserved_minor", totals.reserved_minor},
                   {"available_minor", available},
                   {"requested_minor", amount}});
  }
  return day;
}

// Events that close an action's reservation also settle the action.
void settle_action(std::vector<EventData>& events, const Reservation& r, bool executed,
                   const char* failure_reason) {
  if (r.action_id.empty()) return;
  if (executed) {
    events.push_back(ActionExecuted{r.action_id});
  } else {
    events.push_back(ActionFailed{r.action_id, failure_reason});
  }
}

bool is_high_stakes(const TenantState& state, const std::string& kind) {
  const auto& kinds = state.safe_mode.high_stakes_kinds;
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

bool violates(const GuardrailRule& rule, const TenantState& state, const Action& action,
              TimePoint now) {
  switch (rule.kind) {
    case GuardrailRuleKind::max_amount:
      return action.amount_minor > rule.max_amount_minor;
    case GuardrailRuleKind::max_actions_per_hour: {
      auto window_start = now - std::chrono::hours(1);
      auto recent = std::count_if(state.recent_executions.begin(), state.recent_executions.end(),
                                  [&](TimePoint t) { return t > window_start; });
      return recent >= rule.max_actions;
    }
    case GuardrailRuleKind::allowed_kinds: {
      const auto& kinds = rule.allowed_kinds;
      return std::find(kinds.begin(), kinds.end(), action.kind) == kinds.end();
    }
  }
  return false;
}

struct GuardrailOutcome {
  std::vector<EventData> events;
  std::vector<std::string> blocking_ids;
  bool safe_mode_switched_on = false;
};

// Records every violated guardrail and escalates a rule whose count reaches its threshold. The
// escalation fires on the violation that makes the count equal the threshold, so exactly once.
GuardrailOutcome evaluate_guardrails(const TenantState& state, const Action& action,
                                     TimePoint now) {
  GuardrailOutcome outcome;
  for (const auto& [id, guardrail] : state.guardrails) {
    if (!violates(guardrail.rule, state, action, now)) continue;

    std::int64_t count = guardrail.violation_count + 1;
    outcome.events.push_back(GuardrailViolated{id, action.id, count, guardrail.rule.enforcement});
    if (guardrail.rule.enforcement == Enforcement::warn) continue;

    outcome.blocking_ids.push_back(id);
    if (guardrail.rule.enforcement != Enforcement::escalate) continue;
    if (count != guardrail.rule.escalation_threshold) continue;

    outcome.events.push_back(GuardrailEscalated{id, count});
    if (!state.safe_mode.enabled && !outcome.safe_mode_switched_on) {
      outcome.events.push_back(SafeModeChanged{
          true, "guardrail '" + id + "' reached " + std::to_string(count) + " violations",
          "escalation", std::nullopt});
      outcome.safe_mode_switched_on = true;
    }
  }
  return outcome;
}

struct Decider {
  const TenantState& state;
  TimePoint now;

  Decision operator()(const SetBudget& c) const {
    if (state.budget && state.budget->daily_limit_minor == c.daily_limit_minor &&
        state.budget->currency == c.currency && state.budget->time_zone == c.time_zone) {
      return unchanged();
    }
    // NOTE: a time zone change moves "today" to another calendar day, so an admin can switch east
    // and spend the next day's limit early, and a currency change relabels amounts already spent.
    // Both keep each day within its limit; whether to forbid them while spend is open is undecided.
    // Checks today and every later day, because after a time zone change westwards the old zone
    // may already have spent on a day that the new zone has not reached yet.
    std::string today = local_day(now, c.time_zone);
    for (auto it = state.days.lower_bound(today); it != state.days.end(); ++it) {
      const std::string& day = it->first;
      MinorUnits used = it->second.committed_minor + it->second.reserved_minor;
      if (c.daily_limit_minor < used) {
        return rejected(RejectionCode::limit_below_usage,
                        "the new limit is below what " + day + " has already used",
                        {{"budget_day", day}, {"used_minor", used}});
      }
    }
    return accepted({BudgetSet{c.daily_limit_minor, c.currency, c.time_zone}});
  }

  Decision operator()(const Reserve& c) const {
    if (auto it = state.reservations.find(c.reservation_id); it != state.reservations.end()) {
      const Reservation& r = it->second;
      if (r.amount_minor == c.amount_minor && r.ttl_s == c.ttl_s && r.action_id.empty()) {
        return unchanged();
      }
      return rejected(RejectionCode::idempotency_conflict,
                      "reservation '" + c.reservation_id + "' exists with a different body");
    }
    auto fit = fit_in_budget(state, c.amount_minor, now);
    if (auto* rejection = std::get_if<Rejection>(&fit)) return Decision{{}, *rejection};

    return accepted({SpendReserved{c.reservation_id, c.amount_minor, std::get<std::string>(fit),
                                   now + std::chrono::seconds(c.ttl_s), c.ttl_s, ""}});
  }

  Decision operator()(const Commit& c) const {
    auto it = state.reservations.find(c.reservation_id);
    if (it == state.reservations.end()) {
      return rejected(RejectionCode::not_found, "reservation '" + c.reservation_id + "' not found");
    }
    const Reservation& r = it->second;
    switch (r.status) {
      case ReservationStatus::committed:
        if (r.committed_minor == c.amount_minor) return unchanged();
        return rejected(RejectionCode::idempotency_conflict,
                        "reservation was already committed with a different amount",
                        {{"committed_minor", r.committed_minor}});
      case ReservationStatus::released:
        return rejected(RejectionCode::invalid_transition, "reservation was released");
      case ReservationStatus::expired:
        return rejected(RejectionCode::reservation_expired, "reservation has expired");
      case ReservationStatus::open:
        break;
    }
    if (now >= r.expires_at) {
      std::vector<EventData> events{SpendExpired{r.id}};
      settle_action(events, r, false, "reservation_expired");
      return Decision{std::move(events),
                      reject(RejectionCode::reservation_expired, "reservation has expired")};
    }
    if (c.amount_minor > r.amount_minor) {
      return rejected(RejectionCode::invalid_request,
                      "commit amount is larger than the reserved amount",
                      {{"field", "amount_minor"}, {"reserved_minor", r.amount_minor}});
    }
    std::vector<EventData> events{SpendCommitted{r.id, c.amount_minor}};
    settle_action(events, r, true, "");
    return accepted(std::move(events));
  }

  Decision operator()(const Release& c) const {
    auto it = state.reservations.find(c.reservation_id);
    if (it == state.reservations.end()) {
      return rejected(RejectionCode::not_found, "reservation '" + c.reservation_id + "' not found");
    }
    const Reservation& r = it->second;
    switch (r.status) {
      case ReservationStatus::released:
        return unchanged();
      case ReservationStatus::committed:
        return rejected(RejectionCode::invalid_transition, "reservation was already committed");
      case ReservationStatus::expired:
        return rejected(RejectionCode::reservation_expired, "reservation has expired");
      case ReservationStatus::open:
        break;
    }
    std::vector<EventData> events{SpendReleased{r.id}};
    settle_action(events, r, false, "released");
    return accepted(std::move(events));
  }

  Decision operator()(const Expire& c) const {
    auto it = state.reservations.find(c.reservation_id);
    if (it == state.reservations.end()) {
      return rejected(RejectionCode::not_found, "reservation '" + c.reservation_id + "' not found");
    }
    const Reservation& r = it->second;
    if (r.status != ReservationStatus::open) return unchanged();
    if (now < r.expires_at) {
      return rejected(RejectionCode::invalid_transition, "reservation is not due to expire yet");
    }
    std::vector<EventData> events{SpendExpired{r.id}};
    settle_action(events, r, false, "reservation_expired");
    return accepted(std::move(events));
  }

  Decision operator()(const SetSafeMode& c) const {
    const SafeMode& current = state.safe_mode;
    bool kinds_unchanged = !c.high_stakes_kinds || *c.high_stakes_kinds == current.high_stakes_kinds;
    if (current.enabled == c.enabled && current.reason == c.reason && kinds_unchanged) {
      return unchanged();
    }
    return accepted({SafeModeChanged{c.enabled, c.reason, "manual", c.high_stakes_kinds}});
  }

  Decision operator()(const SetGuardrail& c) const {
    GuardrailRule rule = normalized_rule(c.rule);
    if (auto it = state.guardrails.find(c.guardrail_id);
        it != state.guardrails.end() && it->second.rule == rule) {
      return unchanged();
    }
    return accepted({GuardrailSet{c.guardrail_id, std::move(rule)}});
  }

  Decision operator()(const ProposeAction& c) const {
    if (auto it = state.actions.find(c.action_id); it != state.actions.end()) {
      const Action& a = it->second;
      if (a.kind == c.kind && a.amount_minor == c.amount_minor &&
          a.payload_sha256 == c.payload_sha256) {
        return unchanged();
      }
      return rejected(RejectionCode::idempotency_conflict,
                      "action '" + c.action_id + "' exists with a different body");
    }
    ActionStatus status = state.safe_mode.enabled && is_high_stakes(state, c.kind)
                              ? ActionStatus::pending_approval
                              : ActionStatus::queued;
    return accepted(
        {ActionProposed{c.action_id, c.kind, c.amount_minor, c.payload_sha256, c.payload, status}});
  }

  Decision operator()(const ApproveAction& c) const {
    const Action* a = find_action(c.action_id);
    if (a == nullptr) return action_not_found(c.action_id);
    if (c.expected_amount_minor && *c.expected_amount_minor != a->amount_minor) {
      return rejected(RejectionCode::approval_mismatch,
                      "the action's amount differs from the approved amount",
                      {{"amount_minor", a->amount_minor}});
    }
    if (c.expected_payload_sha256 && *c.expected_payload_sha256 != a->payload_sha256) {
      return rejected(RejectionCode::approval_mismatch,
                      "the action's payload differs from the approved payload",
                      {{"payload_sha256", a->payload_sha256}});
    }
    switch (a->status) {
      case ActionStatus::approved:
        return unchanged();
      case ActionStatus::queued:
      case ActionStatus::pending_approval:
        return accepted({ActionApproved{a->id, a->payload_sha256}});
      default:
        return invalid_action_transition(*a, "approve");
    }
  }

  Decision operator()(const RejectAction& c) const {
    const Action* a = find_action(c.action_id);
    if (a == nullptr) return action_not_found(c.action_id);
    switch (a->status) {
      case ActionStatus::rejected:
        return unchanged();
      case ActionStatus::queued:
      case ActionStatus::pending_approval:
      case ActionStatus::approved:
        return accepted({ActionRejected{a->id, a->payload_sha256}});
      default:
        return invalid_action_transition(*a, "reject");
    }
  }

  // Checks guardrails, safe mode with the approval, and the budget, and reserves the spend, all in
  // this one decision, so no toggle or other command can land between the checks and the start.
  Decision operator()(const ExecuteAction& c) const {
    const Action* a = find_action(c.action_id);
    if (a == nullptr) return action_not_found(c.action_id);
    switch (a->status) {
      case ActionStatus::executing:
      case ActionStatus::executed:
        return unchanged();
      case ActionStatus::queued:
      case ActionStatus::pending_approval:
      case ActionStatus::approved:
        break;
      default:
        return invalid_action_transition(*a, "execute");
    }

    GuardrailOutcome guardrails = evaluate_guardrails(state, *a, now);
    std::vector<EventData> events = std::move(guardrails.events);
    if (!guardrails.blocking_ids.empty()) {
      return Decision{std::move(events),
                      reject(RejectionCode::guardrail_blocked, "a guardrail blocks this action",
                             {{"guardrail_ids", guardrails.blocking_ids}})};
    }

    bool safe_mode_on = state.safe_mode.enabled || guardrails.safe_mode_switched_on;
    bool needs_approval = a->status == ActionStatus::pending_approval ||
                          (safe_mode_on && is_high_stakes(state, a->kind));
    if (needs_approval && !approval_matches(*a)) {
      return Decision{std::move(events),
                      reject(RejectionCode::approval_required,
                             "safe mode is on and '" + a->kind + "' needs an approval",
                             {{"action_id", a->id}})};
    }

    // Clients cannot reserve ids with this prefix, so the id is free unless this action took it.
    std::string reservation_id = std::string(action_reservation_prefix) + a->id;
    if (state.reservations.count(reservation_id) != 0) {
      return Decision{std::move(events),
                      reject(RejectionCode::idempotency_conflict,
                             "reservation id '" + reservation_id + "' is already taken")};
    }
    auto fit = fit_in_budget(state, a->amount_minor, now);
    if (auto* rejection = std::get_if<Rejection>(&fit)) {
      return Decision{std::move(events), *rejection};
    }

    events.push_back(SpendReserved{reservation_id, a->amount_minor, std::get<std::string>(fit),
                                   now + std::chrono::seconds(action_reservation_ttl_s),
                                   action_reservation_ttl_s, a->id});
    events.push_back(ActionExecutionStarted{a->id, reservation_id});
    return accepted(std::move(events));
  }

  const Action* find_action(const std::string& id) const {
    auto it = state.actions.find(id);
    return it == state.actions.end() ? nullptr : &it->second;
  }

  Decision operator()(const SetStripeCustomers& c) const {
    return decide_webhook_command(state, c);
  }
  Decision operator()(const ReceiveStripeEvent& c) const {
    return decide_webhook_command(state, c);
  }
  Decision operator()(const RequeueWebhook& c) const { return decide_webhook_command(state, c); }
  Decision operator()(const IntegrationCommand& c) const {
    return decide_integration(state, c, now);
  }
  Decision operator()(const SetRateLimits& c) const { return decide_set_rate_limits(state, c); }
  Decision operator()(const LeaseCommand& c) const { return decide_lease(state, c, now); }

  static bool approval_matches(const Action& a) {
    return a.status == ActionStatus::approved && a.approval && a.approval->kind == a.kind &&
           a.approval->amount_minor == a.amount_minor &&
           a.approval->payload_sha256 == a.payload_sha256;
  }

  static Decision action_not_found(const std::string& id) {
    return rejected(RejectionCode::not_found, "action '" + id + "' not found");
  }

  static Decision invalid_action_transition(const Action& a, const char* verb) {
    return rejected(RejectionCode::invalid_transition,
                    std::string("cannot ") + verb + " an action that is " + to_string(a.status),
                    {{"status", to_string(a.status)}});
  }
};

}  // namespace

std::optional<Rejection> validate(const Command& command) {
  return std::visit(Validator{}, command);
}

Decision decide(const TenantState& state, const Command& command, TimePoint now) {
  if (auto invalid = validate(command)) return Decision{{}, std::move(invalid)};
  return std::visit(Decider{state, now}, command);
}

}  // namespace bulwark::domain
