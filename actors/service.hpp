#pragma once
// The node's tenant service as the gateway and tools see it: plain C++ types, no CAF. Every
// command goes to the one actor that owns its tenant, which replies after its events are durable.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/customer_directory.hpp"
#include "actors/integration_options.hpp"
#include "actors/retention_options.hpp"
#include "domain/commands.hpp"
#include "domain/rejection.hpp"

namespace bulwark::actors {

class Broadcaster;

struct RequestContext {
  std::string tenant;
  std::string principal;
  std::string request_id;  // becomes the events' causation id
};

struct Reply {
  enum class Status : std::uint8_t { ok, rejected, unavailable, internal };
  Status status = Status::ok;
  bool created = false;
  nlohmann::json body;
  std::optional<domain::Rejection> rejection;
  std::string error;  // for unavailable and internal: logged, never sent to clients
};

struct TenantQuery {
  enum class Kind : std::uint8_t { summary, actions, guardrails, events, subscription, dead_letters,
                                 outbox };
  Kind kind = Kind::summary;
  std::optional<domain::ActionStatus> status;  // actions: filter
  std::uint64_t after_seq = 0;                 // events: page start (exclusive)
  std::size_t limit = 100;                     // events: page size
};

using ReplyCallback = std::function<void(Reply)>;

struct ServiceOptions {
  std::string data_dir;
  bool sync_writes = true;
  std::uint64_t snapshot_every_events = 1000;
  std::chrono::milliseconds passivate_after{std::chrono::minutes(10)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::size_t scheduler_threads = 2;
  // Test hook passed to the journal: when it returns true, the next synced write fails as a failed
  // fsync would.
  std::function<bool()> inject_write_failure;
  // Current time; tests replace it to step across days without sleeping.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
  IntegrationOptions integrations;  // outbox delivery and market-data sources
  // How often platform subscribers get a statistics message, and the smallest group of tenants
  // that an aggregate may describe.
  std::chrono::milliseconds platform_push_interval{std::chrono::seconds(5)};
  std::size_t aggregate_group_min = 5;
  RetentionOptions retention;       // the retention job; off unless its interval is set
};

struct ServiceStats {
  std::uint64_t tenants_active = 0;
  std::uint64_t commands_total = 0;
  std::uint64_t events_appended_total = 0;
  std::uint64_t append_batches_total = 0;
  std::uint64_t recoveries_total = 0;
  std::uint64_t passivations_total = 0;
};

class TenantService {
 public:
  // Opens the journal under options.data_dir and starts the actor system. Throws
  // std::runtime_error when the journal cannot be opened.
  explicit TenantService(ServiceOptions options);
  ~TenantService();
  TenantService(const TenantService&) = delete;
  TenantService& operator=(const TenantService&) = delete;

  // Sends the command to the tenant's actor; `done` is called once, on an actor thread.
  void submit(RequestContext context, domain::Command command, ReplyCallback done);
  void query(RequestContext context, TenantQuery query, ReplyCallback done);

  // Recovers every tenant in the journal, so the expiry timers of open reservations run again
  // after a restart.
  // NOTE: start-up time grows with the tenant count; an index of tenants with open reservations
  // would bound it.
  void recover_tenants();

  // The tenant that owns a Stripe customer, from the directory that tenant actors keep.
  [[nodiscard]] CustomerLookup find_stripe_customer(const std::string& customer_id) const;

  [[nodiscard]] bool ready() const;
  // Prometheus lines of the outbox delivery and the market sources' circuit breakers.
  [[nodiscard]] std::string integration_metrics_text() const;
  [[nodiscard]] ServiceStats stats() const;
  // Platform-wide counts and the aggregates over groups of at least aggregate_group_min tenants.
  [[nodiscard]] nlohmann::json platform_stats() const;
  // Live subscribers to tenant events and platform messages. Valid until shutdown().
  [[nodiscard]] Broadcaster& broadcaster();
  [[nodiscard]] std::uint64_t incarnation() const;

  // Stops the actors after they finish the messages they hold; idempotent.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::actors
