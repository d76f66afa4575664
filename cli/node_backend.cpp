#include "cli/node_backend.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

#include "actors/broadcast.hpp"

namespace bulwark::cli {
namespace {

actors::RequestContext to_request(const gateway::RequestContext& context) {
  return actors::RequestContext{context.tenant, context.principal, context.request_id};
}

struct ToTenantQuery {
  actors::TenantQuery operator()(const gateway::TenantSummaryQuery&) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::summary, {}, 0, 0};
  }
  actors::TenantQuery operator()(const gateway::ActionsQuery& q) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::actions, q.status, 0, 0};
  }
  actors::TenantQuery operator()(const gateway::GuardrailsQuery&) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::guardrails, {}, 0, 0};
  }
  actors::TenantQuery operator()(const gateway::EventsQuery& q) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::events, {}, q.after_seq, q.limit};
  }
  actors::TenantQuery operator()(const gateway::SubscriptionQuery&) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::subscription, {}, 0, 0};
  }
  actors::TenantQuery operator()(const gateway::DeadLettersQuery&) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::dead_letters, {}, 0, 0};
  }
  actors::TenantQuery operator()(const gateway::OutboxQuery&) const {
    return actors::TenantQuery{actors::TenantQuery::Kind::outbox, {}, 0, 0};
  }
};

void deliver(const gateway::BackendCallback& done,
                                              actors::Reply reply, const std::string& tenant) {
  gateway::BackendResult result;
  result.created = reply.created;
  result.body = std::move(reply.body);
  result.rejection = std::move(reply.rejection);
  switch (reply.status) {
    case actors::Reply::Status::ok:
      result.status = gateway::BackendResult::Status::ok;
      break;
    case actors::Reply::Status::rejected:
      result.status = gateway::BackendResult::Status::rejected;
      break;
    case actors::Reply::Status::unavailable:
      spdlog::warn("request_unavailable tenant={} error=\"{}\"", tenant, reply.error);
      result.status = gateway::BackendResult::Status::unavailable;
      break;
    case actors::Reply::Status::internal:
      spdlog::error("request_failed tenant={} error=\"{}\"", tenant, reply.error);
      result.status = gateway::BackendResult::Status::internal;
      break;
  }
  done(std::move(result));
}

}  // namespace

void NodeBackend::submit(const gateway::RequestContext& context, domain::Command command,
                         gateway::BackendCallback done) {
  service_.submit(to_request(context), std::move(command),
                  [done = std::move(done), tenant = context.tenant](actors::Reply reply) {
                    deliver(done, std::move(reply), tenant);
                  });
}

void NodeBackend::query(const gateway::RequestContext& context, gateway::Query query,
                        gateway::BackendCallback done) {
  service_.query(to_request(context), std::visit(ToTenantQuery{}, query),
                 [done = std::move(done), tenant = context.tenant](actors::Reply reply) {
                   deliver(done, std::move(reply), tenant);
                 });
}

gateway::StripeCustomerLookup NodeBackend::find_stripe_customer(
    const std::string& customer_id) const {
  actors::CustomerLookup found = service_.find_stripe_customer(customer_id);
  gateway::StripeCustomerLookup lookup;
  lookup.tenant = found.tenant;
  switch (found.status) {
    case actors::CustomerLookup::Status::found:
      lookup.status = gateway::StripeCustomerLookup::Status::found;
      break;
    case actors::CustomerLookup::Status::unknown:
      lookup.status = gateway::StripeCustomerLookup::Status::unknown;
      break;
    case actors::CustomerLookup::Status::not_ready:
      lookup.status = gateway::StripeCustomerLookup::Status::not_ready;
      break;
  }
  return lookup;
}

namespace {

actors::PushSink to_actor_sink(gateway::PushSink sink) {
  return [sink = std::move(sink)](const actors::PushFrame& frame) {
    sink(gateway::PushFrame{frame.seq, frame.type, frame.payload});
  };
}

}  // namespace

std::shared_ptr<void> NodeBackend::subscribe_tenant(const std::string& tenant,
                                                    gateway::PushSink sink) {
  return service_.broadcaster().subscribe_tenant(tenant, to_actor_sink(std::move(sink)));
}

std::shared_ptr<void> NodeBackend::subscribe_platform(gateway::PushSink sink) {
  return service_.broadcaster().subscribe_platform(to_actor_sink(std::move(sink)));
}

nlohmann::json NodeBackend::platform_stats() const { return service_.platform_stats(); }

bool NodeBackend::ready() const { return service_.ready(); }

std::string NodeBackend::metrics_text() const {
  auto stats = service_.stats();
  std::ostringstream out;
  auto gauge = [&](const char* name, const char* help, const char* type, std::uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  gauge("bulwark_tenant_actors", "Tenant actors alive on this node.", "gauge",
        stats.tenants_active);
  gauge("bulwark_commands_total", "Commands decided by tenant actors.", "counter",
        stats.commands_total);
  gauge("bulwark_events_appended_total", "Events made durable in the journal.", "counter",
        stats.events_appended_total);
  gauge("bulwark_journal_batches_total", "Synced journal writes (group commits).", "counter",
        stats.append_batches_total);
  gauge("bulwark_tenant_recoveries_total", "Tenant actors recovered from the journal.", "counter",
        stats.recoveries_total);
  gauge("bulwark_tenant_passivations_total", "Idle tenant actors stopped.", "counter",
        stats.passivations_total);
  gauge("bulwark_node_incarnation", "Writer epoch of this node process.", "gauge",
        service_.incarnation());
  return out.str() + service_.integration_metrics_text();
}

}  // namespace bulwark::cli
