#pragma once
// The shard registry of one node: maps a tenant id to its actor, spawning (and so recovering) the
// actor on first use and forgetting it when it passivates or fails, so the next command recovers
// it again from the journal.
#include <caf/all.hpp>

#include "actors/node_context.hpp"

namespace bulwark::actors {

caf::behavior tenant_registry(caf::event_based_actor* self, NodeContext* context);

}  // namespace bulwark::actors
