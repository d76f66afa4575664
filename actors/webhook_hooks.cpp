#include "actors/webhook_hooks.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "domain/decide.hpp"

namespace bulwark::actors {

void sync_customer_directory(NodeContext* context, const std::string& tenant,
                             const domain::TenantState* state) {
  if (state == nullptr) {
    context->customers.mark_failed(tenant);
    return;
  }
  auto conflicts = context->customers.load_tenant(tenant, state->webhooks.customer_ids);
  for (const auto& customer : conflicts) {
    // Only a journal written outside this node's checks can get here: claim() prevents it.
    spdlog::error("stripe_customer_conflict tenant={} customer={}", tenant, customer);
  }
}

std::optional<domain::Rejection> claim_stripe_customers(NodeContext* context,
                                                        const std::string& tenant,
                                                        const domain::Command& command) {
  const auto* set = std::get_if<domain::SetStripeCustomers>(&command);
  if (set == nullptr) return std::nullopt;
  if (domain::validate(command)) return std::nullopt;  // decide() rejects it with the reason
  auto conflict = context->customers.claim(tenant, set->customer_ids);
  if (!conflict) return std::nullopt;
  // The other tenant's id stays out of the reply, because tenants must not learn of each other.
  return domain::Rejection{domain::RejectionCode::customer_conflict,
                           "Stripe customer " + conflict->first +
                               " already belongs to another tenant",
                           {{"customer_id", conflict->first}}};
}

void update_customer_directory(NodeContext* context, const std::string& tenant,
                               const domain::TenantState& state,
                               const std::vector<domain::Event>& events) {
  bool changed = std::any_of(events.begin(), events.end(), [](const domain::Event& event) {
    return std::holds_alternative<domain::StripeCustomersSet>(event.data);
  });
  if (changed) sync_customer_directory(context, tenant, &state);
}

}  // namespace bulwark::actors
