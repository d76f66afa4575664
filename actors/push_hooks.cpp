#include "actors/push_hooks.hpp"

#include "actors/broadcast.hpp"
#include "actors/node_context.hpp"

namespace bulwark::actors {

void TenantProfiles::update(const std::string& tenant, const domain::TenantProfile& profile) {
  std::lock_guard lock(mutex_);
  profiles_[tenant] = profile;
}

std::vector<domain::TenantProfile> TenantProfiles::all() const {
  std::lock_guard lock(mutex_);
  std::vector<domain::TenantProfile> out;
  out.reserve(profiles_.size());
  for (const auto& [tenant, profile] : profiles_) out.push_back(profile);
  return out;
}

void push_new_events(NodeContext* context, const std::string& tenant,
                     const domain::TenantState& state, const std::vector<domain::Event>& events) {
  bool profile_changed = false;
  for (const auto& event : events) {
    if (context->broadcaster != nullptr) {
      context->broadcaster->publish(
          TenantMessage(tenant, event.seq, domain::type_name(domain::type_of(event.data)),
                        domain::event_to_json(event).dump()));
    }
    profile_changed = profile_changed || std::holds_alternative<domain::BudgetSet>(event.data) ||
                      std::holds_alternative<domain::SpendCommitted>(event.data) ||
                      std::holds_alternative<domain::SafeModeChanged>(event.data);
  }
  if (profile_changed) context->profiles.update(tenant, domain::profile_of(state));
}

void push_recovered(NodeContext* context, const std::string& tenant,
                    const domain::TenantState& state) {
  context->profiles.update(tenant, domain::profile_of(state));
}

}  // namespace bulwark::actors
