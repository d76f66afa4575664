#include "domain/ids.hpp"

namespace bulwark::domain {
namespace {

bool is_id_char(char c, bool allow_colon) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  if (c == '_' || c == '.' || c == '-') return true;
  return allow_colon && c == ':';
}

bool matches(std::string_view id, std::size_t length_max, bool allow_colon) {
  if (id.empty() || id.size() > length_max) return false;
  for (char c : id) {
    if (!is_id_char(c, allow_colon)) return false;
  }
  return true;
}

}  // namespace

bool is_valid_tenant_id(std::string_view id) { return matches(id, tenant_id_length_max, false); }

bool is_valid_principal_id(std::string_view id) {
  return matches(id, tenant_id_length_max, false);
}

bool is_valid_entity_id(std::string_view id) { return matches(id, entity_id_length_max, true); }

bool is_valid_reservation_ref(std::string_view id) {
  if (id.substr(0, action_reservation_prefix.size()) == action_reservation_prefix) {
    return is_valid_entity_id(id.substr(action_reservation_prefix.size()));
  }
  return is_valid_entity_id(id);
}

}  // namespace bulwark::domain
