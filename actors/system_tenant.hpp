#pragma once
// The reserved system tenant, whose journal stream holds the node's job leases and the records of
// the work they fence.
//
// Leases live in a tenant stream, not in a column family of their own, because a tenant stream
// already has what a lease needs. One actor serializes every change, appends are durable before
// the reply, and recovery folds snapshot + events. The hash chain and the writer epoch protect it
// like any tenant's history. The id contains '$', which client tenant ids may not contain
// ([A-Za-z0-9_.-]), so no token and no HTTP request can name it.
#include <optional>
#include <string>
#include <vector>

#include "actors/node_context.hpp"
#include "actors/service.hpp"
#include "domain/commands.hpp"
#include "domain/decide.hpp"
#include "domain/lease.hpp"

namespace bulwark::actors {

inline constexpr const char* system_tenant = domain::system_tenant_id;

// Rejects a lease command sent to any tenant but the system tenant, and any other command sent to
// the system tenant.
[[nodiscard]] std::optional<domain::Rejection> check_system_routing(const std::string& tenant,
                                                                    const domain::Command& command);

// Performs the fenced work that an accepted decision records, in the same actor turn as the
// decision, so no lease change can land between the token check and the write. For a
// retention_applied event this is the range delete of the named tenant's journal prefix; the
// event's `deleted` count is filled from its result. Returns the reply to send instead of
// appending when the work failed.
[[nodiscard]] std::optional<Reply> perform_fenced_work(NodeContext* context,
                                                       std::vector<domain::EventData>& events);

}  // namespace bulwark::actors
