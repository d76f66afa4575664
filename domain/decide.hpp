#pragma once
// The command handler: decide(state, command, now) returns the events to journal and, when the
// command fails, a rejection. It never mutates the state. A rejection can come with events, for
// example a blocked guardrail records its violation even though the action does not run.
#include <optional>
#include <vector>

#include "domain/commands.hpp"
#include "domain/rejection.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {

struct Decision {
  std::vector<EventData> events;
  std::optional<Rejection> rejection;
};

[[nodiscard]] Decision decide(const TenantState& state, const Command& command, TimePoint now);

// Checks a command's fields (ids, amounts, ranges) before it reaches decide().
[[nodiscard]] std::optional<Rejection> validate(const Command& command);

}  // namespace bulwark::domain
