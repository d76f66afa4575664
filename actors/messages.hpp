#pragma once
// Messages between the node's actors. All of them stay inside one process: they carry callbacks or
// JSON and are declared unsafe for the network on purpose, so CAF refuses to serialize them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/service.hpp"
#include "domain/commands.hpp"
#include "domain/events.hpp"

namespace bulwark::actors {

using command_atom = caf::atom_constant<caf::atom("command")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;

struct CommandEnvelope {
  RequestContext context;
  domain::Command command;
};

struct QueryEnvelope {
  RequestContext context;
  TenantQuery query;
};

// One tenant's events for the journal writer; the writer batches many of these into one fsync.
struct AppendJob {
  std::string tenant;
  std::uint64_t epoch = 0;
  std::string prev_hash;  // 32 raw bytes: hash of the tenant's last durable event
  std::vector<domain::Event> events;
};

struct AppendOutcome {
  bool ok = false;
  std::string chain_head;  // 32 raw bytes, when ok
  std::string error;       // when not ok
};

struct SnapshotJob {
  std::string tenant;
  std::uint64_t seq = 0;
  std::string chain_head;
  nlohmann::json state;
};

}  // namespace bulwark::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::CommandEnvelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::QueryEnvelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::AppendJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::AppendOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::SnapshotJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::Reply)
