#pragma once
// Handles of the node's outbox-delivery and market-feed actors, kept in the NodeContext so tenant
// actors can hand them work. Both are null when the node runs without them (tests).
#include <caf/all.hpp>

#include "actors/integration_options.hpp"

namespace bulwark::actors {

struct IntegrationHandles {
  caf::actor outbox;
  caf::actor market;
  IntegrationMetrics* metrics = nullptr;  // owned by the service, outlives every actor
};

}  // namespace bulwark::actors
