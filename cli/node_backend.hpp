#pragma once
// Connects the HTTP gateway to the tenant service: the only place that sees both, so the gateway
// stays free of CAF and the actors free of HTTP.
#include "actors/service.hpp"
#include "gateway/backend.hpp"

namespace bulwark::cli {

class NodeBackend final : public gateway::Backend {
 public:
  explicit NodeBackend(actors::TenantService& service) : service_(service) {}

  void submit(const gateway::RequestContext& context, domain::Command command,
              gateway::BackendCallback done) override;
  void query(const gateway::RequestContext& context, gateway::Query query,
             gateway::BackendCallback done) override;
  [[nodiscard]] gateway::StripeCustomerLookup find_stripe_customer(
      const std::string& customer_id) const override;
  [[nodiscard]] std::shared_ptr<void> subscribe_tenant(const std::string& tenant,
                                                       gateway::PushSink sink) override;
  [[nodiscard]] std::shared_ptr<void> subscribe_platform(gateway::PushSink sink) override;
  [[nodiscard]] nlohmann::json platform_stats() const override;
  [[nodiscard]] bool ready() const override;
  [[nodiscard]] std::string metrics_text() const override;

 private:
  actors::TenantService& service_;
};

}  // namespace bulwark::cli
