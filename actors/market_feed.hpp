#pragma once
// The market-data feed: polls every configured source on a timer through the source's circuit
// breaker, parses the observations and publishes each new one, with its version, to every tenant
// that subscribed to the series (tenants whose regime settings name it). Versions only move
// forward: an observation at or below the last published version of its series is dropped.
//
// Polling runs on the OutboundHttpClient's thread and this actor, never on tenant actors, so a
// slow or failing source cannot delay tenant requests. The breaker state lives in memory; /metrics
// shows it.
#include <caf/all.hpp>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "actors/http_client.hpp"
#include "actors/integration_messages.hpp"
#include "actors/node_context.hpp"
#include "domain/circuit_breaker.hpp"
#include "domain/market_data.hpp"

namespace bulwark::actors {

struct MarketSource {
  MarketSourceOption option;
  domain::CircuitBreaker breaker;
  bool allow_negative = false;
  bool polling = false;  // a call is in flight
  std::int64_t last_version = 0;
  std::optional<domain::Observation> latest;
  MarketSourceMetrics metrics;
};

struct MarketFeedState {
  std::map<std::string, MarketSource> sources;           // by series name
  std::map<std::string, std::set<std::string>> tenants;  // series -> subscribed tenants
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "market_feed";
};

caf::behavior market_feed(caf::stateful_actor<MarketFeedState>* self, NodeContext* context,
                          caf::actor registry, OutboundHttpClient* http);

}  // namespace bulwark::actors
