#pragma once
// The tenant actor: the only writer of one tenant's journal on this node. Each command is decided
// against the durable state, its events appended through the journal writer, and the reply sent
// after the fsync. While an append is in flight the actor takes no other message, so no command
// is ever decided against a state that lacks an accepted event.
#include <chrono>
#include <string>

#include <caf/all.hpp>

#include "actors/node_context.hpp"
#include "domain/rate_limit.hpp"
#include "domain/state.hpp"

namespace bulwark::actors {

struct TenantActorState {
  std::string tenant;
  domain::TenantState state;
  std::string chain_head;  // 32 raw bytes: hash of the last durable event
  std::uint64_t snapshot_seq = 0;
  std::chrono::steady_clock::time_point last_activity;
  std::string recovery_error;  // set when the journal could not be replayed
  // Not journaled: a restart or passivation at most hands every key a full burst again, while the
  // configuration it enforces is journaled in the tenant state.
  domain::GcraLimiter rate_limiter;
  static inline const char* name = "tenant";
};

caf::behavior tenant_actor(caf::stateful_actor<TenantActorState>* self, NodeContext* context,
                           std::string tenant);

}  // namespace bulwark::actors
