#pragma once
// Job leases with fencing tokens. A named background job runs only while its runner holds the
// job's lease; every acquisition of a free or expired lease raises the token by one, and renew,
// release and fenced work must name both the owner and the token they hold. decide.cpp, state.cpp,
// events.cpp, views.cpp and audit.cpp call into this file, one line per type.
//
// Invariants: a job's token never decreases, and it grows by exactly one on every lease_acquired.
// A lease is live while it is not released and `now < expires_at`; only a live lease's holder may
// renew it or commit fenced work.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "domain/events.hpp"
#include "domain/rejection.hpp"
#include "domain/time.hpp"

namespace bulwark::domain {

struct TenantState;
struct Decision;

// The reserved tenant whose stream holds every job lease. '$' is outside the tenant id character
// set, so no client token can name it.
inline constexpr const char* system_tenant_id = "$system";
inline constexpr std::size_t lease_job_length_max = 64;
// The job whose lease fences retention. A deletion recorded under any other job's lease is
// rejected, so holding an unrelated lease never lets a runner delete history.
inline constexpr const char* retention_job = "retention";
// Longest lease one request may take or extend: one day.
inline constexpr std::int64_t lease_ttl_ms_max = 24LL * 3600 * 1000;

[[nodiscard]] bool is_live(const Lease& lease, TimePoint now);

// Returns nullopt when `owner` holds the live lease of `job` with `token`, else the rejection:
// lease_fenced for a wrong owner or token (a newer holder took over), lease_expired for the right
// holder after expiry or release. Fenced work calls this in the same actor turn as its write.
[[nodiscard]] std::optional<Rejection> check_lease_holder(const LeaseTable& table,
                                                          const std::string& job,
                                                          const std::string& owner,
                                                          std::uint64_t token, TimePoint now);

[[nodiscard]] std::optional<Rejection> validate_lease_command(const LeaseCommand& command);
[[nodiscard]] Decision decide_lease(const TenantState& state, const LeaseCommand& command,
                                    TimePoint now);
// The reply body of an accepted lease command: {"job", "owner", "token", "expires_at",
// "released"} of the job's lease after the command.
[[nodiscard]] nlohmann::json lease_outcome_view(const TenantState& state,
                                                const LeaseCommand& command);

// Fold of the event types declared in lease_types.hpp. Throws std::logic_error on a token that
// does not follow the job's current one.
void apply_lease_event(LeaseTable& table, const EventData& data);

// Returns a message when `data` breaks the token rules against `before`, else nullopt.
[[nodiscard]] std::optional<std::string> check_lease_event(const LeaseTable& before,
                                                           const EventData& data);

[[nodiscard]] nlohmann::json lease_event_to_json(const EventData& data);
// Returns nullopt when `type` is not one of the lease types. Throws std::invalid_argument on a
// missing or mistyped field.
[[nodiscard]] std::optional<EventData> lease_event_from_json(EventType type,
                                                             const nlohmann::json& data);

[[nodiscard]] nlohmann::json lease_table_to_json(const LeaseTable& table);
// Throws nlohmann::json::exception on a malformed snapshot part.
[[nodiscard]] LeaseTable lease_table_from_json(const nlohmann::json& json);

}  // namespace bulwark::domain
