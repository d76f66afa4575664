#pragma once
// The tenant actor's part in routing Stripe webhooks: keeping the node's customer directory in
// step with the tenant's durable state. The decisions themselves are in domain/webhooks.hpp.
#include <optional>
#include <string>
#include <vector>

#include "actors/node_context.hpp"
#include "domain/commands.hpp"
#include "domain/rejection.hpp"
#include "domain/state.hpp"

namespace bulwark::actors {

// Loads the tenant's customers into the directory after a recovery, or marks the tenant failed
// when `state` is null, so lookups of unknown customers wait for it instead of ignoring events.
void sync_customer_directory(NodeContext* context, const std::string& tenant,
                             const domain::TenantState* state);

// For a SetStripeCustomers command, claims the customers in the directory before the decision,
// and returns a `customer_conflict` rejection when another tenant owns one. Other commands pass.
[[nodiscard]] std::optional<domain::Rejection> claim_stripe_customers(
    NodeContext* context, const std::string& tenant, const domain::Command& command);

// After durable events are applied: reloads the directory when they changed the customers, which
// also releases customers that the change dropped.
void update_customer_directory(NodeContext* context, const std::string& tenant,
                               const domain::TenantState& state,
                               const std::vector<domain::Event>& events);

}  // namespace bulwark::actors
