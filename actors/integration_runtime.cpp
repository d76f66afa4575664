#include "actors/integration_runtime.hpp"

#include <spdlog/spdlog.h>

#include "actors/market_feed.hpp"
#include "actors/outbox_delivery.hpp"

namespace bulwark::actors {

IntegrationRuntime::IntegrationRuntime(caf::actor_system& system, NodeContext& context,
                                       caf::actor registry)
    : context_(context) {
  context_.integrations.metrics = &metrics_;
  outbox_ = system.spawn(outbox_delivery, &context_, registry, &http_);
  market_ = system.spawn(market_feed, &context_, registry, &http_);
  context_.integrations.outbox = outbox_;
  context_.integrations.market = market_;
}

void IntegrationRuntime::stop_actors() {
  if (outbox_) caf::anon_send_exit(outbox_, caf::exit_reason::user_shutdown);
  if (market_) caf::anon_send_exit(market_, caf::exit_reason::user_shutdown);
}

void IntegrationRuntime::stop_http() {
  http_.stop();
  context_.integrations.outbox = nullptr;
  context_.integrations.market = nullptr;
  outbox_ = nullptr;
  market_ = nullptr;
  spdlog::info("integrations_stopped");
}

std::string IntegrationRuntime::metrics_text() const {
  return render_integration_metrics(metrics_);
}

std::map<std::string, std::string> IntegrationRuntime::breaker_states() const {
  std::map<std::string, std::string> states;
  std::lock_guard<std::mutex> lock(metrics_.mutex);
  for (const auto& [name, source] : metrics_.sources) {
    states[name] = domain::to_string(source.breaker_state);
  }
  return states;
}

}  // namespace bulwark::actors
