#pragma once
// Invariants an auditor checks while replaying a journal, event by event. They restate the rules
// that decide() enforces, so a journal written by a buggy or tampered writer is caught on replay.
#include <optional>
#include <string>

#include "domain/state.hpp"

namespace bulwark::domain {

struct Violation {
  std::uint64_t seq = 0;
  std::string invariant;  // stable name, e.g. "spend_within_limit"
  std::string message;
};

// Checks `event` against the state before it. Invariants:
// - spend_within_limit: after a reservation, committed + reserved <= daily limit on its day;
// - commit_within_reservation: a commit names an open reservation and is at most its amount;
// - approval_before_execution: a high-stakes action starts under safe mode only with an approval
//   bound to its kind, amount and payload hash, and a pending_approval action never starts
//   without one;
// - known_entities: events name reservations, actions and guardrails that exist;
// - rate_limits_in_range: every configured rate and burst is from 1 to its maximum.
// - fencing_token_order: every lease_acquired raises its job's fencing token by exactly one.
[[nodiscard]] std::optional<Violation> check_event(const TenantState& before, const Event& event);

}  // namespace bulwark::domain
