#pragma once
// Hooks a tenant actor calls once its events are durable. Each event goes to the tenant's live
// subscribers, and the tenant's profile goes to the platform aggregates.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "domain/events.hpp"
#include "domain/platform.hpp"
#include "domain/state.hpp"

namespace bulwark::actors {

struct NodeContext;

// Latest profile of every tenant this node has recovered, for the platform statistics.
class TenantProfiles {
 public:
  void update(const std::string& tenant, const domain::TenantProfile& profile);
  [[nodiscard]] std::vector<domain::TenantProfile> all() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, domain::TenantProfile> profiles_;
};

// Publishes each event to the tenant's subscribers, in sequence order, and refreshes the tenant's
// profile when an event changes it.
void push_new_events(NodeContext* context, const std::string& tenant,
                     const domain::TenantState& state, const std::vector<domain::Event>& events);
// Records the profile of a tenant that has just recovered.
void push_recovered(NodeContext* context, const std::string& tenant,
                    const domain::TenantState& state);

}  // namespace bulwark::actors
