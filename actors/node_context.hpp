#pragma once
// What every actor of a node shares: the journal, the journal writer, the options and counters.
// Created once by TenantService and outlives every actor.
#include <atomic>
#include <cstdint>

#include <caf/all.hpp>

#include "actors/customer_directory.hpp"
#include "actors/integration_handles.hpp"
#include "actors/push_hooks.hpp"
#include "actors/service.hpp"
#include "domain/time.hpp"
#include "persistence/journal.hpp"

namespace bulwark::actors {

class Broadcaster;

struct NodeCounters {
  std::atomic<std::uint64_t> tenants_active{0};
  std::atomic<std::uint64_t> commands_total{0};
  std::atomic<std::uint64_t> events_appended_total{0};
  std::atomic<std::uint64_t> append_batches_total{0};
  std::atomic<std::uint64_t> recoveries_total{0};
  std::atomic<std::uint64_t> passivations_total{0};
};

struct NodeContext {
  ServiceOptions options;
  persistence::Journal* journal = nullptr;
  caf::actor writer;
  std::uint64_t epoch = 0;  // writer epoch for this node's appends: its incarnation
  NodeCounters counters;
  CustomerDirectory customers;  // Stripe customer -> tenant, for inbound webhooks
  IntegrationHandles integrations;  // outbox delivery and market feed
  Broadcaster* broadcaster = nullptr;  // live subscribers; owned by TenantService
  TenantProfiles profiles;             // for the platform aggregates

  [[nodiscard]] domain::TimePoint now() const {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(options.clock());
  }
};

}  // namespace bulwark::actors
