#pragma once
// The retention job: every interval it takes the "retention" lease from the system tenant, and for
// each tenant asks the tenant actor for a snapshot, finds the last event older than the tenant's
// retention window, and records the deletion through the system tenant, which checks the fencing
// token and range-deletes the prefix in the same actor turn. The lease is released at the end of
// the run, so the next run takes it again with a new token.
#include <cstdint>
#include <string>

#include <caf/all.hpp>

#include "actors/node_context.hpp"
#include "domain/lease.hpp"

namespace bulwark::actors {

inline constexpr const char* retention_job_name = domain::retention_job;

// A tenant actor's answer to a snapshot request: the seq the stored snapshot covers (0 when the
// tenant has no events), or the error.
struct SnapshotOutcome {
  bool ok = false;
  std::uint64_t seq = 0;
  std::string error;
};

caf::behavior retention_job(caf::event_based_actor* self, NodeContext* context,
                            caf::actor registry);

}  // namespace bulwark::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bulwark::actors::SnapshotOutcome)
