#pragma once
// JSON views of tenant state for replies and reads. They take `now` because the current budget
// day depends on it.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/commands.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {

// GET /v1/tenant body, without the "tenant" field that the caller adds.
[[nodiscard]] nlohmann::json tenant_view(const TenantState& state, TimePoint now);
[[nodiscard]] nlohmann::json reservation_view(const Reservation& reservation);
[[nodiscard]] nlohmann::json action_view(const Action& action);
[[nodiscard]] nlohmann::json guardrail_view(const Guardrail& guardrail);
// {"actions": [...]} filtered by status when given.
[[nodiscard]] nlohmann::json actions_view(const TenantState& state,
                                          std::optional<ActionStatus> status);
[[nodiscard]] nlohmann::json guardrails_view(const TenantState& state);

}  // namespace bulwark::domain

namespace bulwark::domain {

// The reply body for a command that was accepted (or repeated): the entity it touched.
[[nodiscard]] nlohmann::json outcome_view(const TenantState& state, const Command& command,
                                          TimePoint now);
// True for commands whose success creates an entity (answered 201).
[[nodiscard]] bool creates_entity(const Command& command);

}  // namespace bulwark::domain
