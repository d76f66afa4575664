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

}  // namespace bulwark::domain
