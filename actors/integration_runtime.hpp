#pragma once
// Owns the outbound HTTP client, the outbox-delivery actor and the market-feed actor of a node,
// and their metrics. Created by the tenant service right after the registry, before any tenant
// actor runs, and stopped in two steps around the actor system's shutdown.
#include <caf/all.hpp>
#include <map>
#include <string>

#include "actors/http_client.hpp"
#include "actors/integration_options.hpp"
#include "actors/node_context.hpp"

namespace bulwark::actors {

class IntegrationRuntime {
 public:
  // Spawns both actors and stores their handles in context.integrations.
  IntegrationRuntime(caf::actor_system& system, NodeContext& context, caf::actor registry);
  IntegrationRuntime(const IntegrationRuntime&) = delete;
  IntegrationRuntime& operator=(const IntegrationRuntime&) = delete;

  // Step one, after the tenant actors stopped: asks both actors to exit.
  void stop_actors();
  // Step two, after every actor is done and before the actor system is destroyed: stops the HTTP
  // thread and drops the actor handles.
  void stop_http();

  [[nodiscard]] std::string metrics_text() const;
  // Each market source's breaker state ("closed", "open" or "half_open") by source name.
  [[nodiscard]] std::map<std::string, std::string> breaker_states() const;

 private:
  NodeContext& context_;
  IntegrationMetrics metrics_;
  OutboundHttpClient http_;
  caf::actor outbox_;
  caf::actor market_;
};

}  // namespace bulwark::actors
