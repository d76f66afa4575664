#pragma once
// Identifier rules. Tenant and principal ids: [A-Za-z0-9_.-]{1,64}. Reservation, action,
// guardrail and event ids: [A-Za-z0-9_.:-]{1,128}. The character sets keep every id safe inside
// storage keys, URLs and log lines.
#include <string_view>

namespace bulwark::domain {

inline constexpr std::size_t tenant_id_length_max = 64;
inline constexpr std::size_t entity_id_length_max = 128;

[[nodiscard]] bool is_valid_tenant_id(std::string_view id);
[[nodiscard]] bool is_valid_principal_id(std::string_view id);
// For reservation, action, guardrail and event ids.
[[nodiscard]] bool is_valid_entity_id(std::string_view id);

// Prefix of the reservation that an action's execution creates: "action:" + action id. Clients
// may not reserve ids with this prefix, so an action's reservation id is always free.
inline constexpr std::string_view action_reservation_prefix = "action:";
// An entity id, or the reservation id of an action, which may be up to 7 characters longer.
[[nodiscard]] bool is_valid_reservation_ref(std::string_view id);

}  // namespace bulwark::domain
