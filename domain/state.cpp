#include "domain/state.hpp"

#include <chrono>
#include <stdexcept>
#include <type_traits>

#include "domain/lease.hpp"
#include "domain/outbox.hpp"
#include "domain/rate_limit.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

constexpr std::chrono::hours execution_window{1};

MinorUnits add_or_throw(MinorUnits a, MinorUnits b, const char* what) {
  auto sum = checked_add(a, b);
  if (!sum) throw std::logic_error(std::string("overflow in ") + what);
  return *sum;
}

Reservation& open_reservation(TenantState& state, const std::string& id) {
  auto it = state.reservations.find(id);
  if (it == state.reservations.end()) {
    throw std::logic_error("event names unknown reservation '" + id + "'");
  }
  if (it->second.status != ReservationStatus::open) {
    throw std::logic_error("event closes reservation '" + id + "' that is not open");
  }
  return it->second;
}

Action& known_action(TenantState& state, const std::string& id) {
  auto it = state.actions.find(id);
  if (it == state.actions.end()) throw std::logic_error("event names unknown action '" + id + "'");
  return it->second;
}

// Takes an open reservation's amount off its day's reserved total.
void unreserve(TenantState& state, const Reservation& reservation) {
  DayTotals& day = state.days[reservation.budget_day];
  day.reserved_minor = add_or_throw(day.reserved_minor, -reservation.amount_minor, "reserved total");
}

struct Applier {
  TenantState& state;
  const Event& event;

  void operator()(const BudgetSet& e) const {
    state.budget = Budget{e.daily_limit_minor, e.currency, e.time_zone};
  }
  void operator()(const SpendReserved& e) const {
    if (state.reservations.count(e.reservation_id) != 0) {
      throw std::logic_error("reservation '" + e.reservation_id + "' reserved twice");
    }
    Reservation r;
    r.id = e.reservation_id;
    r.amount_minor = e.amount_minor;
    r.budget_day = e.budget_day;
    r.expires_at = e.expires_at;
    r.ttl_s = e.ttl_s;
    r.action_id = e.action_id;
    state.reservations.emplace(r.id, r);
    DayTotals& day = state.days[e.budget_day];
    day.reserved_minor = add_or_throw(day.reserved_minor, e.amount_minor, "reserved total");
  }
  void operator()(const SpendCommitted& e) const {
    Reservation& r = open_reservation(state, e.reservation_id);
    unreserve(state, r);
    DayTotals& day = state.days[r.budget_day];
    day.committed_minor = add_or_throw(day.committed_minor, e.amount_minor, "committed total");
    r.status = ReservationStatus::committed;
    r.committed_minor = e.amount_minor;
  }
  void operator()(const SpendReleased& e) const {
    Reservation& r = open_reservation(state, e.reservation_id);
    unreserve(state, r);
    r.status = ReservationStatus::released;
  }
  void operator()(const SpendExpired& e) const {
    Reservation& r = open_reservation(state, e.reservation_id);
    unreserve(state, r);
    r.status = ReservationStatus::expired;
  }
  void operator()(const SafeModeChanged& e) const {
    state.safe_mode.enabled = e.enabled;
    state.safe_mode.reason = e.reason;
    state.safe_mode.cause = e.cause;
    state.safe_mode.principal = event.principal;
    if (e.high_stakes_kinds) state.safe_mode.high_stakes_kinds = *e.high_stakes_kinds;
  }
  void operator()(const GuardrailSet& e) const {
    Guardrail& g = state.guardrails[e.guardrail_id];
    g.id = e.guardrail_id;
    g.rule = e.rule;
  }
  void operator()(const GuardrailViolated& e) const {
    auto it = state.guardrails.find(e.guardrail_id);
    if (it == state.guardrails.end()) {
      throw std::logic_error("violation names unknown guardrail '" + e.guardrail_id + "'");
    }
    it->second.violation_count = e.violation_count;
  }
  void operator()(const GuardrailEscalated&) const {}
  void operator()(const ActionProposed& e) const {
    if (state.actions.count(e.action_id) != 0) {
      throw std::logic_error("action '" + e.action_id + "' proposed twice");
    }
    Action a;
    a.id = e.action_id;
    a.kind = e.kind;
    a.amount_minor = e.amount_minor;
    a.payload_sha256 = e.payload_sha256;
    a.payload = e.payload;
    a.status = e.status;
    a.proposed_status = e.status;
    state.actions.emplace(a.id, std::move(a));
  }
  void operator()(const ActionApproved& e) const {
    Action& a = known_action(state, e.action_id);
    a.status = ActionStatus::approved;
    a.approval = ApprovalBinding{a.kind, a.amount_minor, e.payload_sha256};
  }
  void operator()(const ActionRejected& e) const {
    known_action(state, e.action_id).status = ActionStatus::rejected;
  }
  void operator()(const ActionExecutionStarted& e) const {
    Action& a = known_action(state, e.action_id);
    a.status = ActionStatus::executing;
    a.reservation_id = e.reservation_id;
    state.recent_executions.push_back(event.ts);
    while (!state.recent_executions.empty() &&
           state.recent_executions.front() + execution_window <= event.ts) {
      state.recent_executions.pop_front();
    }
  }
  void operator()(const ActionExecuted& e) const {
    known_action(state, e.action_id).status = ActionStatus::executed;
  }
  void operator()(const ActionFailed& e) const {
    Action& a = known_action(state, e.action_id);
    a.status = ActionStatus::failed;
    a.failure_reason = e.reason;
  }
  void operator()(const WebhookApplied& e) const { apply_webhook_event(state.webhooks, event, e); }
  void operator()(const WebhookIgnored& e) const { apply_webhook_event(state.webhooks, event, e); }
  void operator()(const WebhookAttemptFailed& e) const {
    apply_webhook_event(state.webhooks, event, e);
  }
  void operator()(const WebhookDeadLettered& e) const {
    apply_webhook_event(state.webhooks, event, e);
  }
  void operator()(const WebhookRequeued& e) const { apply_webhook_event(state.webhooks, event, e); }
  void operator()(const StripeCustomersSet& e) const {
    apply_webhook_event(state.webhooks, event, e);
  }
  void operator()(const OutboxEnqueued& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const OutboxDelivered& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const OutboxAttemptFailed& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const AlertsTargetSet& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const RegimeSet& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const RegimeChanged& e) const {
    apply_integration(state.integrations, e, event.seq);
  }
  void operator()(const RateLimitsSet& e) const { state.rate_limits = e.config; }
  void operator()(const LeaseAcquired& e) const { apply_lease_event(state.leases, e); }
  void operator()(const LeaseRenewed& e) const { apply_lease_event(state.leases, e); }
  void operator()(const LeaseReleased& e) const { apply_lease_event(state.leases, e); }
  void operator()(const RetentionApplied& e) const { apply_lease_event(state.leases, e); }
};

std::optional<ReservationStatus> reservation_status_from_string(std::string_view s) {
  for (auto status : {ReservationStatus::open, ReservationStatus::committed,
                      ReservationStatus::released, ReservationStatus::expired}) {
    if (s == to_string(status)) return status;
  }
  return std::nullopt;
}

template <typename E>
E parse_enum(const json& value, std::optional<E> (*from_string)(std::string_view)) {
  auto parsed = from_string(value.get<std::string>());
  if (!parsed) throw std::invalid_argument("snapshot has an unknown enum value " + value.dump());
  return *parsed;
}

json rule_json(const GuardrailRule& rule) {
  return {{"kind", to_string(rule.kind)},
          {"max_amount_minor", rule.max_amount_minor},
          {"max_actions", rule.max_actions},
          {"allowed_kinds", rule.allowed_kinds},
          {"enforcement", to_string(rule.enforcement)},
          {"escalation_threshold", rule.escalation_threshold}};
}

GuardrailRule rule_from(const json& j) {
  GuardrailRule rule;
  rule.kind = parse_enum<GuardrailRuleKind>(j.at("kind"), rule_kind_from_string);
  rule.max_amount_minor = j.at("max_amount_minor").get<MinorUnits>();
  rule.max_actions = j.at("max_actions").get<std::int64_t>();
  rule.allowed_kinds = j.at("allowed_kinds").get<std::vector<std::string>>();
  rule.enforcement = parse_enum<Enforcement>(j.at("enforcement"), enforcement_from_string);
  rule.escalation_threshold = j.at("escalation_threshold").get<std::int64_t>();
  return rule;
}

}  // namespace

const char* to_string(ReservationStatus s) {
  switch (s) {
    case ReservationStatus::open: return "open";
    case ReservationStatus::committed: return "committed";
    case ReservationStatus::released: return "released";
    case ReservationStatus::expired: return "expired";
  }
  return "unknown";
}

void apply(TenantState& state, const Event& event) {
  if (event.seq != state.last_seq + 1) {
    throw std::logic_error("event seq " + std::to_string(event.seq) + " does not follow " +
                           std::to_string(state.last_seq));
  }
  std::visit(Applier{state, event}, event.data);
  state.last_seq = event.seq;
}

json state_to_json(const TenantState& state) {
  json out;
  out["last_seq"] = state.last_seq;
  if (state.budget) {
    out["budget"] = {{"daily_limit_minor", state.budget->daily_limit_minor},
                     {"currency", state.budget->currency},
                     {"time_zone", state.budget->time_zone}};
  } else {
    out["budget"] = nullptr;
  }
  json days = json::object();
  for (const auto& [day, totals] : state.days) {
    days[day] = {{"committed_minor", totals.committed_minor},
                 {"reserved_minor", totals.reserved_minor}};
  }
  out["days"] = std::move(days);
  json reservations = json::array();
  for (const auto& [id, r] : state.reservations) {
    reservations.push_back({{"id", r.id},
                            {"amount_minor", r.amount_minor},
                            {"budget_day", r.budget_day},
                            {"expires_at_ms", to_unix_ms(r.expires_at)},
                            {"ttl_s", r.ttl_s},
                            {"action_id", r.action_id},
                            {"status", to_string(r.status)},
                            {"committed_minor", r.committed_minor}});
  }
  out["reservations"] = std::move(reservations);
  out["safe_mode"] = {{"enabled", state.safe_mode.enabled},
                      {"reason", state.safe_mode.reason},
                      {"cause", state.safe_mode.cause},
                      {"principal", state.safe_mode.principal},
                      {"high_stakes_kinds", state.safe_mode.high_stakes_kinds}};
  json guardrails = json::array();
  for (const auto& [id, g] : state.guardrails) {
    guardrails.push_back(
        {{"id", g.id}, {"rule", rule_json(g.rule)}, {"violation_count", g.violation_count}});
  }
  out["guardrails"] = std::move(guardrails);
  json actions = json::array();
  for (const auto& [id, a] : state.actions) {
    json item = {{"id", a.id},
                 {"kind", a.kind},
                 {"amount_minor", a.amount_minor},
                 {"payload_sha256", a.payload_sha256},
                 {"payload", a.payload},
                 {"status", to_string(a.status)},
                 {"proposed_status", to_string(a.proposed_status)},
                 {"reservation_id", a.reservation_id},
                 {"failure_reason", a.failure_reason}};
    if (a.approval) {
      item["approval"] = {{"kind", a.approval->kind},
                          {"amount_minor", a.approval->amount_minor},
                          {"payload_sha256", a.approval->payload_sha256}};
    }
    actions.push_back(std::move(item));
  }
  out["actions"] = std::move(actions);
  json executions = json::array();
  for (TimePoint t : state.recent_executions) executions.push_back(to_unix_ms(t));
  out["recent_executions_ms"] = std::move(executions);
  out["webhooks"] = webhook_inbox_to_json(state.webhooks);
  out["integrations"] = integration_state_to_json(state.integrations);
  if (state.rate_limits) out["rate_limits"] = rate_limits_to_json(*state.rate_limits);
  out["leases"] = lease_table_to_json(state.leases);
  return out;
}

TenantState state_from_json(const json& j) {
  try {
    TenantState state;
    state.last_seq = j.at("last_seq").get<std::uint64_t>();
    if (!j.at("budget").is_null()) {
      const json& b = j.at("budget");
      state.budget = Budget{b.at("daily_limit_minor").get<MinorUnits>(),
                            b.at("currency").get<std::string>(),
                            b.at("time_zone").get<std::string>()};
    }
    for (const auto& [day, totals] : j.at("days").items()) {
      state.days[day] = DayTotals{totals.at("committed_minor").get<MinorUnits>(),
                                  totals.at("reserved_minor").get<MinorUnits>()};
    }
    for (const json& item : j.at("reservations")) {
      Reservation r;
      r.id = item.at("id").get<std::string>();
      r.amount_minor = item.at("amount_minor").get<MinorUnits>();
      r.budget_day = item.at("budget_day").get<std::string>();
      r.expires_at = from_unix_ms(item.at("expires_at_ms").get<std::int64_t>());
      r.ttl_s = item.at("ttl_s").get<std::int64_t>();
      r.action_id = item.at("action_id").get<std::string>();
      r.status = parse_enum<ReservationStatus>(item.at("status"), reservation_status_from_string);
      r.committed_minor = item.at("committed_minor").get<MinorUnits>();
      state.reservations.emplace(r.id, r);
    }
    const json& sm = j.at("safe_mode");
    state.safe_mode.enabled = sm.at("enabled").get<bool>();
    state.safe_mode.reason = sm.at("reason").get<std::string>();
    state.safe_mode.cause = sm.at("cause").get<std::string>();
    state.safe_mode.principal = sm.at("principal").get<std::string>();
    state.safe_mode.high_stakes_kinds = sm.at("high_stakes_kinds").get<std::vector<std::string>>();
    for (const json& item : j.at("guardrails")) {
      Guardrail g;
      g.id = item.at("id").get<std::string>();
      g.rule = rule_from(item.at("rule"));
      g.violation_count = item.at("violation_count").get<std::int64_t>();
      state.guardrails.emplace(g.id, g);
    }
    for (const json& item : j.at("actions")) {
      Action a;
      a.id = item.at("id").get<std::string>();
      a.kind = item.at("kind").get<std::string>();
      a.amount_minor = item.at("amount_minor").get<MinorUnits>();
      a.payload_sha256 = item.at("payload_sha256").get<std::string>();
      a.payload = item.at("payload");
      a.status = parse_enum<ActionStatus>(item.at("status"), action_status_from_string);
      a.proposed_status =
          parse_enum<ActionStatus>(item.at("proposed_status"), action_status_from_string);
      a.reservation_id = item.at("reservation_id").get<std::string>();
      a.failure_reason = item.at("failure_reason").get<std::string>();
      if (item.contains("approval")) {
        const json& ap = item.at("approval");
        a.approval = ApprovalBinding{ap.at("kind").get<std::string>(),
                                     ap.at("amount_minor").get<MinorUnits>(),
                                     ap.at("payload_sha256").get<std::string>()};
      }
      state.actions.emplace(a.id, std::move(a));
    }
    for (const json& ms : j.at("recent_executions_ms")) {
      state.recent_executions.push_back(from_unix_ms(ms.get<std::int64_t>()));
    }
    // Snapshots written before the webhook inbox existed have no "webhooks" field.
    if (j.contains("webhooks")) state.webhooks = webhook_inbox_from_json(j.at("webhooks"));
    if (j.contains("leases")) state.leases = lease_table_from_json(j.at("leases"));
    if (j.contains("integrations")) {
      state.integrations = integration_state_from_json(j.at("integrations"));
    }
    if (j.contains("rate_limits")) {
      state.rate_limits = rate_limits_set_from_json(j.at("rate_limits")).config;
    }
    return state;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("malformed tenant snapshot: ") + e.what());
  }
}

bool operator==(const TenantState& a, const TenantState& b) {
  return state_to_json(a) == state_to_json(b);
}

}  // namespace bulwark::domain
