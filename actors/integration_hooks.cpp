#include "actors/integration_hooks.hpp"

#include "actors/integration_messages.hpp"

namespace bulwark::actors {
namespace {

void send_job(NodeContext* context, const std::string& tenant, const domain::OutboxEntry& entry) {
  if (!context->integrations.outbox || entry.status != domain::OutboxStatus::pending) return;
  caf::anon_send(
      context->integrations.outbox, outbox_atom::value,
      OutboxJob{tenant, entry.idempotency_key, entry.target, entry.body, entry.attempts});
}

void subscribe(NodeContext* context, const std::string& tenant, const domain::TenantState& state) {
  if (!context->integrations.market || !state.integrations.regime) return;
  caf::anon_send(context->integrations.market, subscribe_atom::value,
                 state.integrations.regime->settings.series, tenant);
}

}  // namespace

void announce_integrations(NodeContext* context, const std::string& tenant,
                           const domain::TenantState& state) {
  for (const auto& [key, entry] : state.integrations.outbox) send_job(context, tenant, entry);
  subscribe(context, tenant, state);
}

void announce_new_events(NodeContext* context, const std::string& tenant,
                         const domain::TenantState& state,
                         const std::vector<domain::Event>& events) {
  for (const auto& event : events) {
    if (const auto* enqueued = std::get_if<domain::OutboxEnqueued>(&event.data)) {
      auto it = state.integrations.outbox.find(enqueued->idempotency_key);
      if (it != state.integrations.outbox.end()) send_job(context, tenant, it->second);
    }
    if (std::holds_alternative<domain::RegimeSet>(event.data)) subscribe(context, tenant, state);
  }
}

}  // namespace bulwark::actors
