#pragma once
// Messages of the outbox-delivery and market-feed actors. They stay inside one process and are
// declared unsafe for the network, like the other actor messages.
#include <caf/all.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "actors/http_client.hpp"

namespace bulwark::actors {

using outbox_atom = caf::atom_constant<caf::atom("outbox")>;
using deliver_atom = caf::atom_constant<caf::atom("odeliver")>;
using delivered_atom = caf::atom_constant<caf::atom("oresult")>;
using recorded_atom = caf::atom_constant<caf::atom("orecorded")>;
using poll_atom = caf::atom_constant<caf::atom("mpoll")>;
using polled_atom = caf::atom_constant<caf::atom("mpolled")>;
using subscribe_atom = caf::atom_constant<caf::atom("msubscribe")>;

// One pending outbox entry for the delivery actor.
struct OutboxJob {
  std::string tenant;
  std::string idempotency_key;
  std::string target;
  nlohmann::json body;
  std::int64_t attempts = 0;  // attempts already made, as journaled
};

}  // namespace bulwark::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::OutboxJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::HttpCallResult)
