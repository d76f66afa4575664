#pragma once
// Decisions, folds and views for the outbox, the alert target and the market regime. decide.cpp,
// state.cpp, events.cpp and views.cpp call into this file, one line per type, so this logic stays
// in one place.
//
// Invariants: an outbox entry is created only by outbox_enqueued and never removed; it moves from
// pending to delivered once and never back. A regime changes only through regime_changed, and
// every regime_changed is decided together with exactly one outbox_enqueued alert when an alert
// target is set.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/events.hpp"
#include "domain/rejection.hpp"
#include "domain/time.hpp"

namespace bulwark::domain {

struct TenantState;
struct Decision;

inline constexpr std::size_t alerts_url_length_max = 2048;
inline constexpr std::size_t outbox_reason_length_max = 512;
inline constexpr const char* regime_alert_kind = "regime_changed";

// Returns nullopt for an absolute http:// URL with a host (and optional port and path), else the
// reason. https and other schemes are rejected because the delivery client speaks plain HTTP.
[[nodiscard]] std::optional<std::string> check_http_url(std::string_view url);

[[nodiscard]] std::optional<Rejection> validate_integration(const IntegrationCommand& command);
[[nodiscard]] Decision decide_integration(const TenantState& state,
                                          const IntegrationCommand& command, TimePoint now);
// The reply body of an accepted integration command.
[[nodiscard]] nlohmann::json integration_outcome_view(const TenantState& state,
                                                      const IntegrationCommand& command);

// Sets the idempotency key of an outbox_enqueued event to "<tenant>:<seq>" once the event has its
// sequence number. Other events are left alone.
void stamp_idempotency_key(EventData& data, const std::string& tenant, std::uint64_t seq);

// Fold of the event types declared in outbox_types.hpp. Throws std::logic_error on an event that
// names an unknown outbox entry or an empty idempotency key.
void apply_integration(IntegrationState& state, const EventData& data, std::uint64_t seq);

[[nodiscard]] nlohmann::json integration_event_to_json(const EventData& data);
// Returns nullopt when `type` is not one of the types of this file. Throws std::invalid_argument
// on a missing or mistyped field.
[[nodiscard]] std::optional<EventData> integration_event_from_json(EventType type,
                                                                   const nlohmann::json& data);

[[nodiscard]] nlohmann::json integration_state_to_json(const IntegrationState& state);
// Throws nlohmann::json::exception on a malformed snapshot part.
[[nodiscard]] IntegrationState integration_state_from_json(const nlohmann::json& json);

[[nodiscard]] const char* to_string(OutboxStatus status);
// GET /v1/outbox: {"entries": [{"idempotency_key", "target", "kind", "attempts", "state",
// "last_error", "enqueued_seq"}]}, oldest first.
[[nodiscard]] nlohmann::json outbox_view(const IntegrationState& state);
// The "regime" member of GET /v1/tenant: null, or {"series", "current", "observation_version",
// "thresholds": {...}, "hysteresis": {...}}.
[[nodiscard]] nlohmann::json regime_view(const IntegrationState& state);

// Delay before delivery attempt number `attempts` + 1: base * 2^(attempts - 1), capped at `cap`,
// then scaled by a factor in [0.5, 1] from `jitter_unit` in [0, 1).
[[nodiscard]] std::chrono::milliseconds retry_delay(std::int64_t attempts,
                                                    std::chrono::milliseconds base,
                                                    std::chrono::milliseconds cap,
                                                    double jitter_unit);

}  // namespace bulwark::domain
