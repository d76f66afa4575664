#include "domain/lease.hpp"

#include <stdexcept>

#include "domain/decide.hpp"
#include "domain/ids.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

Rejection invalid(const char* field, std::string message) {
  return Rejection{RejectionCode::invalid_request, std::move(message), {{"field", field}}};
}

Decision rejected(Rejection rejection) { return Decision{{}, std::move(rejection)}; }

const Lease* find_lease(const LeaseTable& table, const std::string& job) {
  auto it = table.leases.find(job);
  return it == table.leases.end() ? nullptr : &it->second;
}

std::optional<Rejection> check_job_and_owner(const std::string& job, const std::string& owner) {
  if (job.empty() || job.size() > lease_job_length_max || !is_valid_entity_id(job)) {
    return invalid("job", "job name must be 1 to 64 characters of [A-Za-z0-9_.:-]");
  }
  if (!is_valid_entity_id(owner)) {
    return invalid("owner", "owner must be 1 to 128 characters of [A-Za-z0-9_.:-]");
  }
  return std::nullopt;
}

std::optional<Rejection> check_ttl(std::int64_t ttl_ms) {
  if (ttl_ms <= 0 || ttl_ms > lease_ttl_ms_max) {
    return invalid("ttl_ms", "lease ttl must be between 1 ms and 24 h, got " +
                                 std::to_string(ttl_ms) + " ms");
  }
  return std::nullopt;
}

json holder_details(const std::string& job, const Lease& lease) {
  return {{"job", job},
          {"owner", lease.owner},
          {"token", lease.token},
          {"expires_at", format_rfc3339(lease.expires_at)}};
}

struct Validator {
  std::optional<Rejection> operator()(const AcquireLease& c) const {
    if (auto bad = check_job_and_owner(c.job, c.owner)) return bad;
    return check_ttl(c.ttl_ms);
  }
  std::optional<Rejection> operator()(const RenewLease& c) const {
    if (auto bad = check_job_and_owner(c.job, c.owner)) return bad;
    return check_ttl(c.ttl_ms);
  }
  std::optional<Rejection> operator()(const ReleaseLease& c) const {
    return check_job_and_owner(c.job, c.owner);
  }
  std::optional<Rejection> operator()(const RecordRetention& c) const {
    if (auto bad = check_job_and_owner(c.result.job, c.result.owner)) return bad;
    if (c.result.job != retention_job) {
      return invalid("job", std::string("retention must hold the '") + retention_job +
                                "' lease, not '" + c.result.job + "'");
    }
    if (!is_valid_tenant_id(c.result.tenant)) return invalid("tenant", "invalid tenant id");
    if (c.result.first_retained_seq < 2) {
      return invalid("first_retained_seq", "first retained seq must be at least 2");
    }
    return std::nullopt;
  }
};

struct Decider {
  const LeaseTable& table;
  TimePoint now;

  Decision operator()(const AcquireLease& c) const {
    const Lease* current = find_lease(table, c.job);
    auto expires_at = now + std::chrono::milliseconds(c.ttl_ms);
    if (current && is_live(*current, now)) {
      // A retry by the holder returns its lease unchanged, so a lost reply costs no takeover.
      if (current->owner == c.owner) return Decision{};
      return rejected(Rejection{RejectionCode::lease_held,
                                "job '" + c.job + "' is leased by '" + current->owner + "' until " +
                                    format_rfc3339(current->expires_at),
                                holder_details(c.job, *current)});
    }
    std::uint64_t token = current ? current->token + 1 : 1;
    std::string previous_owner = current ? current->owner : std::string();
    return Decision{{LeaseAcquired{c.job, c.owner, token, expires_at, previous_owner}}, {}};
  }

  Decision operator()(const RenewLease& c) const {
    if (auto stale = check_lease_holder(table, c.job, c.owner, c.token, now)) {
      return rejected(std::move(*stale));
    }
    auto expires_at = now + std::chrono::milliseconds(c.ttl_ms);
    return Decision{{LeaseRenewed{c.job, c.owner, c.token, expires_at}}, {}};
  }

  // Release needs the current owner and token but not a live lease, so a holder may release a
  // lease that expired before any other owner acquired it.
  Decision operator()(const ReleaseLease& c) const {
    const Lease* current = find_lease(table, c.job);
    if (!current || current->owner != c.owner || current->token != c.token) {
      return rejected(fenced(c.job, c.owner, c.token, current));
    }
    if (current->released) return Decision{};
    return Decision{{LeaseReleased{c.job, c.owner, c.token}}, {}};
  }

  Decision operator()(const RecordRetention& c) const {
    const auto& r = c.result;
    if (auto stale = check_lease_holder(table, r.job, r.owner, r.token, now)) {
      return rejected(std::move(*stale));
    }
    return Decision{{r}, {}};
  }

  static Rejection fenced(const std::string& job, const std::string& owner, std::uint64_t token,
                          const Lease* current) {
    if (!current) {
      return Rejection{RejectionCode::lease_fenced, "job '" + job + "' has no lease",
                       {{"job", job}}};
    }
    return Rejection{RejectionCode::lease_fenced,
                     "owner '" + owner + "' with token " + std::to_string(token) +
                         " does not hold job '" + job + "': '" + current->owner +
                         "' holds token " + std::to_string(current->token),
                     holder_details(job, *current)};
  }
};

struct Folder {
  LeaseTable& table;

  void operator()(const LeaseAcquired& e) const {
    auto& lease = table.leases[e.job];
    if (e.token != lease.token + 1) {
      throw std::logic_error("lease_acquired for job '" + e.job + "' has token " +
                             std::to_string(e.token) + ", expected " +
                             std::to_string(lease.token + 1));
    }
    lease = Lease{e.owner, e.token, e.expires_at, false};
  }
  void operator()(const LeaseRenewed& e) const {
    auto& lease = held(e.job, e.token);
    lease.expires_at = e.expires_at;
  }
  void operator()(const LeaseReleased& e) const { held(e.job, e.token).released = true; }
  void operator()(const RetentionApplied&) const {}
  template <typename Other>
  void operator()(const Other&) const {}

  Lease& held(const std::string& job, std::uint64_t token) const {
    auto it = table.leases.find(job);
    if (it == table.leases.end() || it->second.token != token) {
      throw std::logic_error("lease event for job '" + job + "' names token " +
                             std::to_string(token) + ", which is not the current one");
    }
    return it->second;
  }
};

struct ToJson {
  json operator()(const LeaseAcquired& e) const {
    return {{"job", e.job},
            {"owner", e.owner},
            {"token", e.token},
            {"expires_at", format_rfc3339(e.expires_at)},
            {"previous_owner", e.previous_owner}};
  }
  json operator()(const LeaseRenewed& e) const {
    return {{"job", e.job},
            {"owner", e.owner},
            {"token", e.token},
            {"expires_at", format_rfc3339(e.expires_at)}};
  }
  json operator()(const LeaseReleased& e) const {
    return {{"job", e.job}, {"owner", e.owner}, {"token", e.token}};
  }
  json operator()(const RetentionApplied& e) const {
    return {{"job", e.job},
            {"owner", e.owner},
            {"token", e.token},
            {"tenant", e.tenant},
            {"snapshot_seq", e.snapshot_seq},
            {"first_retained_seq", e.first_retained_seq},
            {"deleted", e.deleted}};
  }
  template <typename Other>
  json operator()(const Other&) const {
    return json::object();
  }
};

// Reads a required field, turning nlohmann's type errors into the codec's invalid_argument.
template <typename T>
T required(const json& object, const char* name) {
  try {
    return object.at(name).get<T>();
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("lease event field '") + name + "': " + e.what());
  }
}

TimePoint required_time(const json& object, const char* name) {
  auto parsed = parse_rfc3339(required<std::string>(object, name));
  if (!parsed) {
    throw std::invalid_argument(std::string("field '") + name + "' is not an RFC 3339 time");
  }
  return *parsed;
}

}  // namespace

bool is_live(const Lease& lease, TimePoint now) {
  return !lease.released && now < lease.expires_at;
}

std::optional<Rejection> check_lease_holder(const LeaseTable& table, const std::string& job,
                                            const std::string& owner, std::uint64_t token,
                                            TimePoint now) {
  const Lease* current = find_lease(table, job);
  if (!current || current->owner != owner || current->token != token) {
    return Decider::fenced(job, owner, token, current);
  }
  if (!is_live(*current, now)) {
    return Rejection{RejectionCode::lease_expired,
                     "lease of job '" + job + "' with token " + std::to_string(token) +
                         (current->released ? " was released" : " expired at " +
                                                                    format_rfc3339(current->expires_at)),
                     holder_details(job, *current)};
  }
  return std::nullopt;
}

std::optional<Rejection> validate_lease_command(const LeaseCommand& command) {
  return std::visit(Validator{}, command);
}

Decision decide_lease(const TenantState& state, const LeaseCommand& command, TimePoint now) {
  return std::visit(Decider{state.leases, now}, command);
}

json lease_outcome_view(const TenantState& state, const LeaseCommand& command) {
  std::string job = std::visit(
      [](const auto& c) {
        if constexpr (std::is_same_v<std::decay_t<decltype(c)>, RecordRetention>) {
          return c.result.job;
        } else {
          return c.job;
        }
      },
      command);
  const Lease* lease = find_lease(state.leases, job);
  if (!lease) return {{"job", job}};
  json view = holder_details(job, *lease);
  view["released"] = lease->released;
  return view;
}

void apply_lease_event(LeaseTable& table, const EventData& data) {
  std::visit(Folder{table}, data);
}

std::optional<std::string> check_lease_event(const LeaseTable& before, const EventData& data) {
  auto* acquired = std::get_if<LeaseAcquired>(&data);
  if (!acquired) return std::nullopt;
  const Lease* current = find_lease(before, acquired->job);
  std::uint64_t expected = current ? current->token + 1 : 1;
  if (acquired->token != expected) {
    return "lease of job '" + acquired->job + "' acquired with token " +
           std::to_string(acquired->token) + ", expected " + std::to_string(expected);
  }
  return std::nullopt;
}

json lease_event_to_json(const EventData& data) { return std::visit(ToJson{}, data); }

std::optional<EventData> lease_event_from_json(EventType type, const json& d) {
  switch (type) {
    case EventType::lease_acquired:
      return LeaseAcquired{required<std::string>(d, "job"), required<std::string>(d, "owner"),
                           required<std::uint64_t>(d, "token"), required_time(d, "expires_at"),
                           required<std::string>(d, "previous_owner")};
    case EventType::lease_renewed:
      return LeaseRenewed{required<std::string>(d, "job"), required<std::string>(d, "owner"),
                          required<std::uint64_t>(d, "token"), required_time(d, "expires_at")};
    case EventType::lease_released:
      return LeaseReleased{required<std::string>(d, "job"), required<std::string>(d, "owner"),
                           required<std::uint64_t>(d, "token")};
    case EventType::retention_applied:
      return RetentionApplied{required<std::string>(d, "job"),
                              required<std::string>(d, "owner"),
                              required<std::uint64_t>(d, "token"),
                              required<std::string>(d, "tenant"),
                              required<std::uint64_t>(d, "snapshot_seq"),
                              required<std::uint64_t>(d, "first_retained_seq"),
                              required<std::uint64_t>(d, "deleted")};
    default:
      return std::nullopt;
  }
}

json lease_table_to_json(const LeaseTable& table) {
  json out = json::object();
  for (const auto& [job, lease] : table.leases) {
    out[job] = {{"owner", lease.owner},
                {"token", lease.token},
                {"expires_at_ms", to_unix_ms(lease.expires_at)},
                {"released", lease.released}};
  }
  return out;
}

LeaseTable lease_table_from_json(const json& j) {
  LeaseTable table;
  for (const auto& [job, item] : j.items()) {
    table.leases[job] = Lease{item.at("owner").get<std::string>(),
                              item.at("token").get<std::uint64_t>(),
                              from_unix_ms(item.at("expires_at_ms").get<std::int64_t>()),
                              item.at("released").get<bool>()};
  }
  return table;
}

}  // namespace bulwark::domain
