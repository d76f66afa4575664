#include "actors/system_tenant.hpp"

#include <spdlog/spdlog.h>

namespace bulwark::actors {

std::optional<domain::Rejection> check_system_routing(const std::string& tenant,
                                                      const domain::Command& command) {
  bool is_lease_command = std::holds_alternative<domain::LeaseCommand>(command);
  bool is_system = tenant == system_tenant;
  if (is_lease_command == is_system) return std::nullopt;
  return domain::Rejection{domain::RejectionCode::invalid_request,
                           is_system ? "the system tenant accepts only lease commands"
                                     : "lease commands go to the system tenant only",
                           {{"tenant", tenant}}};
}

std::optional<Reply> perform_fenced_work(NodeContext* context,
                                         std::vector<domain::EventData>& events) {
  for (auto& data : events) {
    auto* retention = std::get_if<domain::RetentionApplied>(&data);
    if (!retention) continue;

    auto snapshot = context->journal->read_snapshot(retention->tenant);
    if (snapshot.ok() && snapshot.value()) retention->snapshot_seq = snapshot.value()->seq;
    auto deleted = context->journal->delete_events_through(retention->tenant,
                                                           retention->first_retained_seq - 1);
    if (!deleted.ok()) {
      spdlog::warn("retention_delete_failed tenant={} first_retained_seq={} error=\"{}\"",
                   retention->tenant, retention->first_retained_seq, deleted.error());
      Reply reply;
      if (deleted.error_kind() == persistence::ErrorKind::invalid_argument) {
        reply.status = Reply::Status::rejected;
        reply.rejection = domain::Rejection{domain::RejectionCode::invalid_request,
                                            deleted.error(),
                                            {{"tenant", retention->tenant}}};
      } else {
        reply.status = Reply::Status::unavailable;
        reply.error = deleted.error();
      }
      return reply;
    }
    retention->deleted = deleted.value();
    spdlog::info("retention_done tenant={} deleted={} first_retained_seq={} snapshot_seq={} "
                 "owner={} token={}",
                 retention->tenant, retention->deleted, retention->first_retained_seq,
                 retention->snapshot_seq, retention->owner, retention->token);
  }
  return std::nullopt;
}

}  // namespace bulwark::actors
