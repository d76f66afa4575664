#include "actors/registry.hpp"

#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/tenant_actor.hpp"

namespace bulwark::actors {
namespace {

struct RegistryState {
  std::unordered_map<std::string, caf::actor> tenants;
  std::unordered_map<caf::actor_addr, std::string> names;
};

// NOTE: a command can reach a tenant actor after it passivated but before the registry saw its
// down message. That command fails as unavailable (503), and the client's retry recovers the tenant.
caf::actor tenant_for(caf::event_based_actor* self, NodeContext* context, RegistryState& state,
                      const std::string& tenant) {
  if (auto it = state.tenants.find(tenant); it != state.tenants.end()) return it->second;
  auto actor = self->spawn(tenant_actor, context, tenant);
  self->monitor(actor);
  state.tenants.emplace(tenant, actor);
  state.names.emplace(actor.address(), tenant);
  return actor;
}

}  // namespace

caf::behavior tenant_registry(caf::event_based_actor* self, NodeContext* context) {
  auto state = std::make_shared<RegistryState>();
  self->set_down_handler([=](caf::down_msg& down) {
    auto it = state->names.find(down.source);
    if (it == state->names.end()) return;
    if (down.reason && down.reason != caf::exit_reason::normal) {
      spdlog::warn("tenant_actor_down tenant={} reason=\"{}\"", it->second,
                   self->system().render(down.reason));
    }
    state->tenants.erase(it->second);
    state->names.erase(it);
  });
  // On shutdown the registry stops every tenant actor it spawned before it stops itself.
  self->set_exit_handler([=](caf::exit_msg& exit) {
    for (const auto& [tenant, actor] : state->tenants) self->send_exit(actor, exit.reason);
    self->quit(exit.reason);
  });
  return {
      [=](command_atom atom, CommandEnvelope& envelope) {
        auto actor = tenant_for(self, context, *state, envelope.context.tenant);
        return self->delegate(actor, atom, std::move(envelope));
      },
      [=](query_atom atom, QueryEnvelope& envelope) {
        auto actor = tenant_for(self, context, *state, envelope.context.tenant);
        return self->delegate(actor, atom, std::move(envelope));
      },
      [=](caf::spawn_atom, std::string& tenant) {
        tenant_for(self, context, *state, tenant);
      },
      [=](snapshot_atom atom, std::string& tenant) {
        return self->delegate(tenant_for(self, context, *state, tenant), atom);
      },
  };
}

}  // namespace bulwark::actors
