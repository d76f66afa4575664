#pragma once
// What a tenant actor tells the outbox-delivery and market-feed actors. Called from the tenant
// actor's own turn; both functions only send messages and never block.
#include <caf/all.hpp>
#include <string>
#include <vector>

#include "actors/node_context.hpp"
#include "domain/state.hpp"

namespace bulwark::actors {

// After a recovery: hands every pending outbox entry to the delivery actor (so a restart
// re-delivers what was not confirmed) and subscribes the tenant to its regime's series.
void announce_integrations(NodeContext* context, const std::string& tenant,
                           const domain::TenantState& state);

// After durable events: hands new outbox entries to the delivery actor and subscribes the tenant
// when its regime settings name a series.
void announce_new_events(NodeContext* context, const std::string& tenant,
                         const domain::TenantState& state,
                         const std::vector<domain::Event>& events);

}  // namespace bulwark::actors
