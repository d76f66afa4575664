#include "domain/views.hpp"

#include <algorithm>

#include "domain/lease.hpp"
#include "domain/outbox.hpp"
#include "domain/rate_limit.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

json budget_view(const TenantState& state, TimePoint now) {
  if (!state.budget) return nullptr;
  const Budget& budget = *state.budget;
  std::string day = local_day(now, budget.time_zone);
  DayTotals totals;
  if (auto it = state.days.find(day); it != state.days.end()) totals = it->second;
  MinorUnits available =
      std::max<MinorUnits>(0, budget.daily_limit_minor - totals.committed_minor - totals.reserved_minor);
  return {{"day", day},
          {"currency", budget.currency},
          {"time_zone", budget.time_zone},
          {"limit_minor", budget.daily_limit_minor},
          {"committed_minor", totals.committed_minor},
          {"reserved_minor", totals.reserved_minor},
          {"available_minor", available}};
}

struct OutcomeView {
  const TenantState& state;
  TimePoint now;

  json reservation(const std::string& id) const {
    auto it = state.reservations.find(id);
    return it == state.reservations.end() ? json::object() : reservation_view(it->second);
  }
  json action(const std::string& id) const {
    auto it = state.actions.find(id);
    return it == state.actions.end() ? json::object() : action_view(it->second);
  }

  json operator()(const SetBudget&) const { return tenant_view(state, now); }
  json operator()(const Reserve& c) const { return reservation(c.reservation_id); }
  json operator()(const Commit& c) const { return reservation(c.reservation_id); }
  json operator()(const Release& c) const { return reservation(c.reservation_id); }
  json operator()(const Expire& c) const { return reservation(c.reservation_id); }
  json operator()(const SetSafeMode&) const {
    return {{"enabled", state.safe_mode.enabled},
            {"reason", state.safe_mode.reason},
            {"cause", state.safe_mode.cause},
            {"high_stakes_kinds", state.safe_mode.high_stakes_kinds}};
  }
  json operator()(const SetGuardrail& c) const {
    auto it = state.guardrails.find(c.guardrail_id);
    return it == state.guardrails.end() ? json::object() : guardrail_view(it->second);
  }
  json operator()(const ProposeAction& c) const {
    json view = action(c.action_id);
    // A repeated proposal returns the first outcome, so the status is the one it was proposed with.
    if (auto it = state.actions.find(c.action_id); it != state.actions.end()) {
      view["proposed_status"] = to_string(it->second.proposed_status);
    }
    return view;
  }
  json operator()(const ApproveAction& c) const { return action(c.action_id); }
  json operator()(const RejectAction& c) const { return action(c.action_id); }
  json operator()(const ExecuteAction& c) const {
    json view = action(c.action_id);
    if (auto it = state.actions.find(c.action_id);
        it != state.actions.end() && !it->second.reservation_id.empty()) {
      view["reservation"] = reservation(it->second.reservation_id);
    }
    return view;
  }
  json operator()(const SetStripeCustomers& c) const { return webhook_outcome_view(state, c); }
  json operator()(const ReceiveStripeEvent& c) const { return webhook_outcome_view(state, c); }
  json operator()(const RequeueWebhook& c) const { return webhook_outcome_view(state, c); }
  json operator()(const IntegrationCommand& c) const { return integration_outcome_view(state, c); }
  json operator()(const SetRateLimits&) const { return rate_limits_view(state); }
  json operator()(const LeaseCommand& c) const { return lease_outcome_view(state, c); }
};

}  // namespace

json tenant_view(const TenantState& state, TimePoint now) {
  json queue = json::object();
  for (const auto& [id, action] : state.actions) {
    const char* status = to_string(action.status);
    queue[status] = queue.value(status, 0) + 1;
  }
  return {{"budget", budget_view(state, now)},
          {"safe_mode",
           {{"enabled", state.safe_mode.enabled},
            {"reason", state.safe_mode.reason},
            {"cause", state.safe_mode.cause},
            {"high_stakes_kinds", state.safe_mode.high_stakes_kinds}}},
          {"guardrails", guardrails_view(state).at("guardrails")},
          {"regime", regime_view(state.integrations)},
          {"queue", std::move(queue)},
          {"rate_limits", rate_limits_view(state)},
          {"last_seq", state.last_seq}};
}

json reservation_view(const Reservation& r) {
  json out = {{"reservation_id", r.id},
              {"amount_minor", r.amount_minor},
              {"budget_day", r.budget_day},
              {"expires_at", format_rfc3339(r.expires_at)},
              {"ttl_s", r.ttl_s},
              {"status", to_string(r.status)}};
  if (r.status == ReservationStatus::committed) out["committed_minor"] = r.committed_minor;
  if (!r.action_id.empty()) out["action_id"] = r.action_id;
  return out;
}

json action_view(const Action& a) {
  json out = {{"action_id", a.id},
              {"kind", a.kind},
              {"amount_minor", a.amount_minor},
              {"payload", a.payload},
              {"payload_sha256", a.payload_sha256},
              {"status", to_string(a.status)}};
  if (a.approval) {
    out["approval"] = {{"amount_minor", a.approval->amount_minor},
                       {"payload_sha256", a.approval->payload_sha256}};
  }
  if (!a.reservation_id.empty()) out["reservation_id"] = a.reservation_id;
  if (!a.failure_reason.empty()) out["failure_reason"] = a.failure_reason;
  return out;
}

json guardrail_view(const Guardrail& g) {
  json out = guardrail_rule_to_json(g.rule);
  out["guardrail_id"] = g.id;
  out["violation_count"] = g.violation_count;
  return out;
}

json actions_view(const TenantState& state, std::optional<ActionStatus> status) {
  json list = json::array();
  for (const auto& [id, action] : state.actions) {
    if (status && action.status != *status) continue;
    list.push_back(action_view(action));
  }
  return {{"actions", std::move(list)}};
}

json guardrails_view(const TenantState& state) {
  json list = json::array();
  for (const auto& [id, guardrail] : state.guardrails) list.push_back(guardrail_view(guardrail));
  return {{"guardrails", std::move(list)}};
}

json outcome_view(const TenantState& state, const Command& command, TimePoint now) {
  return std::visit(OutcomeView{state, now}, command);
}

bool creates_entity(const Command& command) {
  return std::holds_alternative<Reserve>(command) || std::holds_alternative<ProposeAction>(command);
}

}  // namespace bulwark::domain
