#pragma once
// The outbox delivery actor: POSTs every pending outbox entry to its target with the entry's
// Idempotency-Key header until the receiver answers 2xx, then has the tenant actor journal
// outbox_delivered. Failed attempts are journaled as outbox_attempt_failed and retried with
// exponential backoff and jitter, capped. Tenant actors hand it their pending entries after every
// append and again on recovery, so a restart re-delivers whatever was not confirmed. Delivery is
// at least once: a crash between the receiver's 2xx and the journaled confirmation sends the entry
// again with the same key, and receivers deduplicate on it.
//
// HTTP runs on the OutboundHttpClient's own thread; this actor never blocks.
#include <caf/all.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "actors/http_client.hpp"
#include "actors/integration_messages.hpp"
#include "actors/node_context.hpp"

namespace bulwark::actors {

struct OutboxDeliveryState {
  std::map<std::string, OutboxJob> jobs;  // by idempotency key: entries not yet confirmed
  std::map<std::string, bool> in_flight;  // keys with an HTTP call or a record in progress
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "outbox_delivery";
};

// `registry` receives the record commands; `http` must outlive the actor.
caf::behavior outbox_delivery(caf::stateful_actor<OutboxDeliveryState>* self, NodeContext* context,
                              caf::actor registry, OutboundHttpClient* http);

}  // namespace bulwark::actors
