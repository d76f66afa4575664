#include "domain/audit.hpp"

#include <algorithm>

#include "domain/rate_limit.hpp"
#include "domain/lease.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::domain {
namespace {

struct Checker {
  const TenantState& before;
  const Event& event;

  std::optional<Violation> fail(const char* invariant, std::string message) const {
    return Violation{event.seq, invariant, std::move(message)};
  }

  std::optional<Violation> operator()(const SpendReserved& e) const {
    if (!before.budget) return fail("spend_within_limit", "reservation without a budget");
    if (before.reservations.count(e.reservation_id) != 0) {
      return fail("known_entities", "reservation '" + e.reservation_id + "' reserved twice");
    }
    DayTotals totals;
    if (auto it = before.days.find(e.budget_day); it != before.days.end()) totals = it->second;
    auto used = checked_add(totals.committed_minor, totals.reserved_minor);
    auto after = used ? checked_add(*used, e.amount_minor) : std::nullopt;
    if (!after || *after > before.budget->daily_limit_minor) {
      return fail("spend_within_limit",
                  "day " + e.budget_day + ": committed + reserved would be " +
                      (after ? std::to_string(*after) : std::string("overflowing")) +
                      " minor units, above the limit of " +
                      std::to_string(before.budget->daily_limit_minor));
    }
    return std::nullopt;
  }

  std::optional<Violation> operator()(const SpendCommitted& e) const {
    auto it = before.reservations.find(e.reservation_id);
    if (it == before.reservations.end() || it->second.status != ReservationStatus::open) {
      return fail("commit_within_reservation",
                  "commit names reservation '" + e.reservation_id + "' that is not open");
    }
    if (e.amount_minor > it->second.amount_minor) {
      return fail("commit_within_reservation",
                  "commit of " + std::to_string(e.amount_minor) + " exceeds the reserved " +
                      std::to_string(it->second.amount_minor));
    }
    return std::nullopt;
  }

  std::optional<Violation> close_reservation(const std::string& id) const {
    auto it = before.reservations.find(id);
    if (it == before.reservations.end() || it->second.status != ReservationStatus::open) {
      return fail("known_entities", "event closes reservation '" + id + "' that is not open");
    }
    return std::nullopt;
  }
  std::optional<Violation> operator()(const SpendReleased& e) const {
    return close_reservation(e.reservation_id);
  }
  std::optional<Violation> operator()(const SpendExpired& e) const {
    return close_reservation(e.reservation_id);
  }

  std::optional<Violation> operator()(const ActionExecutionStarted& e) const {
    auto it = before.actions.find(e.action_id);
    if (it == before.actions.end()) {
      return fail("known_entities", "execution of unknown action '" + e.action_id + "'");
    }
    const Action& action = it->second;
    const auto& kinds = before.safe_mode.high_stakes_kinds;
    bool high_stakes = std::find(kinds.begin(), kinds.end(), action.kind) != kinds.end();
    bool needs_approval = action.status == ActionStatus::pending_approval ||
                          (before.safe_mode.enabled && high_stakes);
    bool approved = action.status == ActionStatus::approved && action.approval &&
                    action.approval->kind == action.kind &&
                    action.approval->amount_minor == action.amount_minor &&
                    action.approval->payload_sha256 == action.payload_sha256;
    if (needs_approval && !approved) {
      return fail("approval_before_execution",
                  "action '" + e.action_id + "' (" + action.kind +
                      ") started without a matching approval while approval was required");
    }
    return std::nullopt;
  }

  std::optional<Violation> named_action(const std::string& id) const {
    if (before.actions.count(id) == 0) {
      return fail("known_entities", "event names unknown action '" + id + "'");
    }
    return std::nullopt;
  }
  std::optional<Violation> operator()(const ActionApproved& e) const {
    return named_action(e.action_id);
  }
  std::optional<Violation> operator()(const ActionRejected& e) const {
    return named_action(e.action_id);
  }
  std::optional<Violation> operator()(const ActionExecuted& e) const {
    return named_action(e.action_id);
  }
  std::optional<Violation> operator()(const ActionFailed& e) const {
    return named_action(e.action_id);
  }
  std::optional<Violation> operator()(const GuardrailViolated& e) const {
    if (before.guardrails.count(e.guardrail_id) == 0) {
      return fail("known_entities", "violation of unknown guardrail '" + e.guardrail_id + "'");
    }
    return std::nullopt;
  }
  std::optional<Violation> operator()(const ActionProposed& e) const {
    if (before.actions.count(e.action_id) != 0) {
      return fail("known_entities", "action '" + e.action_id + "' proposed twice");
    }
    return std::nullopt;
  }

  template <typename Other>
  std::optional<Violation> operator()(const Other&) const {
    return std::nullopt;
  }
};

}  // namespace

std::optional<Violation> check_event(const TenantState& before, const Event& event) {
  if (event.seq != before.last_seq + 1) {
    return Violation{event.seq, "gap_free_sequence",
                     "seq " + std::to_string(event.seq) + " follows " +
                         std::to_string(before.last_seq)};
  }
  if (auto webhook = check_webhook_event(before, event.data)) {
    return Violation{event.seq, webhook->first, std::move(webhook->second)};
  }
  if (auto limits = check_rate_limits_event(event.data)) {
    return Violation{event.seq, limits->first, std::move(limits->second)};
  }
  if (auto lease = check_lease_event(before.leases, event.data)) {
    return Violation{event.seq, "fencing_token_order", std::move(*lease)};
  }
  return std::visit(Checker{before, event}, event.data);
}

}  // namespace bulwark::domain
