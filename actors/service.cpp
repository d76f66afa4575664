#include "actors/service.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <thread>

#include "actors/broadcast.hpp"
#include "actors/integration_runtime.hpp"
#include "actors/journal_writer.hpp"
#include "actors/messages.hpp"
#include "actors/registry.hpp"
#include "actors/retention_job.hpp"

namespace bulwark::actors {
namespace {

caf::actor_system_config& configure(caf::actor_system_config& config,
                                    const ServiceOptions& options) {
  config.set("scheduler.max-threads", options.scheduler_threads);
  config.set("logger.console", caf::atom("none"));
  return config;
}

Reply unavailable_reply(std::string error) {
  Reply reply;
  reply.status = Reply::Status::unavailable;
  reply.error = std::move(error);
  return reply;
}

}  // namespace

struct TenantService::Impl {
  NodeContext context;
  std::unique_ptr<persistence::Journal> journal;
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor registry;
  caf::actor retention;  // null when the retention job is off
  std::unique_ptr<IntegrationRuntime> integrations;
  Broadcaster broadcaster;
  std::atomic<bool> stopped{false};
  // The platform publisher: a thread that wakes every platform_push_interval.
  std::thread platform_thread;
  std::mutex platform_mutex;
  std::condition_variable platform_wake;
  bool platform_stop = false;

  explicit Impl(ServiceOptions options) {
    context.options = std::move(options);
    persistence::JournalOptions journal_options;
    journal_options.sync_writes = context.options.sync_writes;
    journal_options.inject_write_failure = context.options.inject_write_failure;
    auto opened = persistence::Journal::open(context.options.data_dir, journal_options);
    if (!opened.ok()) {
      throw std::runtime_error("cannot open journal at " + context.options.data_dir + ": " +
                               opened.error());
    }
    journal = std::move(opened.value());
    context.journal = journal.get();
    context.epoch = journal->node_incarnation();
    context.broadcaster = &broadcaster;

    system = std::make_unique<caf::actor_system>(configure(config, context.options));
    context.writer = system->spawn<caf::detached>(journal_writer, &context);
    registry = system->spawn(tenant_registry, &context);
    if (context.options.retention.interval.count() > 0) {
      retention = system->spawn(retention_job, &context, registry);
    }
    integrations = std::make_unique<IntegrationRuntime>(*system, context, registry);
  }

  // Sends the platform statistics to platform subscribers on every interval while any listens.
  void run_platform_publisher(const TenantService& service) {
    std::unique_lock lock(platform_mutex);
    while (!platform_wake.wait_for(lock, context.options.platform_push_interval,
                                   [this] { return platform_stop; })) {
      if (broadcaster.platform_subscribers() == 0) continue;
      lock.unlock();
      try {
        broadcaster.publish(PlatformMessage(
            "platform_stats",
            nlohmann::json{{"type", "platform_stats"}, {"data", service.platform_stats()}}
                .dump()));
      } catch (const std::exception& e) {
        spdlog::error("platform_publish_failed error=\"{}\"", e.what());
      }
      lock.lock();
    }
  }

  // Sends one request to the registry from a short-lived actor, so no caller thread ever blocks
  // on a reply.
  template <typename Envelope, typename Atom>
  void ask(Atom atom, Envelope envelope, ReplyCallback done) {
    if (stopped) {
      done(unavailable_reply("node is shutting down"));
      return;
    }
    auto timeout = context.options.request_timeout;
    auto target = registry;
    system->spawn([=, envelope = std::move(envelope)](caf::event_based_actor* self) mutable {
      self->request(target, timeout, atom, std::move(envelope))
          .then([=](Reply& reply) { done(std::move(reply)); },
                [=](caf::error& error) { done(unavailable_reply(self->system().render(error))); });
    });
  }
};

TenantService::TenantService(ServiceOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->platform_thread = std::thread([this] { impl_->run_platform_publisher(*this); });
}

TenantService::~TenantService() { shutdown(); }

void TenantService::submit(RequestContext context, domain::Command command, ReplyCallback done) {
  impl_->ask(command_atom::value, CommandEnvelope{std::move(context), std::move(command)},
             std::move(done));
}

void TenantService::query(RequestContext context, TenantQuery query, ReplyCallback done) {
  impl_->ask(query_atom::value, QueryEnvelope{std::move(context), std::move(query)},
             std::move(done));
}

void TenantService::recover_tenants() {
  auto tenants = impl_->journal->list_tenants();
  if (!tenants.ok()) {
    spdlog::error("recovery_scan_failed error=\"{}\"", tenants.error());
    return;
  }
  impl_->context.customers.expect_tenants(tenants.value());
  for (const auto& tenant : tenants.value()) {
    caf::anon_send(impl_->registry, caf::spawn_atom::value, tenant);
  }
  spdlog::info("recovery_scan_done tenants={}", tenants.value().size());
}

CustomerLookup TenantService::find_stripe_customer(const std::string& customer_id) const {
  return impl_->context.customers.find(customer_id);
}

bool TenantService::ready() const { return !impl_->stopped; }

std::string TenantService::integration_metrics_text() const {
  if (impl_->stopped || !impl_->integrations) return "";
  return impl_->integrations->metrics_text();
}

ServiceStats TenantService::stats() const {
  const auto& c = impl_->context.counters;
  ServiceStats s;
  s.tenants_active = c.tenants_active;
  s.commands_total = c.commands_total;
  s.events_appended_total = c.events_appended_total;
  s.append_batches_total = c.append_batches_total;
  s.recoveries_total = c.recoveries_total;
  s.passivations_total = c.passivations_total;
  return s;
}

std::uint64_t TenantService::incarnation() const { return impl_->context.epoch; }

nlohmann::json TenantService::platform_stats() const {
  const auto& c = impl_->context.counters;
  auto profiles = impl_->context.profiles.all();
  return {
      {"tenants_recovered", profiles.size()},
      {"tenants_active", c.tenants_active.load()},
      {"commands_total", c.commands_total.load()},
      {"events_appended_total", c.events_appended_total.load()},
      {"recoveries_total", c.recoveries_total.load()},
      {"passivations_total", c.passivations_total.load()},
      {"market_breakers", impl_->integrations
                              ? nlohmann::json(impl_->integrations->breaker_states())
                              : nlohmann::json::object()},
      {"subscribers", {{"tenant", impl_->broadcaster.tenant_subscribers()},
                       {"platform", impl_->broadcaster.platform_subscribers()}}},
      {"aggregates",
       domain::platform_aggregates(profiles, impl_->context.options.aggregate_group_min)},
  };
}

Broadcaster& TenantService::broadcaster() { return impl_->broadcaster; }

void TenantService::shutdown() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  {
    std::lock_guard lock(impl_->platform_mutex);
    impl_->platform_stop = true;
  }
  impl_->platform_wake.notify_all();
  if (impl_->platform_thread.joinable()) impl_->platform_thread.join();
  {
    // Tenant actors stop first, so their last appends still reach the journal writer.
    caf::scoped_actor waiter{*impl_->system};
    waiter->monitor(impl_->registry);
    waiter->send_exit(impl_->registry, caf::exit_reason::user_shutdown);
    waiter->receive([](const caf::down_msg&) {});
  }
  if (impl_->retention) caf::anon_send_exit(impl_->retention, caf::exit_reason::user_shutdown);
  impl_->integrations->stop_actors();
  caf::anon_send_exit(impl_->context.writer, caf::exit_reason::user_shutdown);
  impl_->system->await_all_actors_done();
  impl_->integrations->stop_http();
  impl_->integrations.reset();
  // A detached actor's thread ends only when the last handle to it is gone.
  impl_->context.writer = nullptr;
  impl_->registry = nullptr;
  impl_->retention = nullptr;
  impl_->system.reset();
  impl_->journal.reset();
  spdlog::info("tenant_service_stopped");
}

}  // namespace bulwark::actors
