#pragma once
// Rate limits on automation mutations: a GCRA limiter (generic cell rate algorithm, the "virtual
// scheduling" form of ITU-T I.371) keyed by route class, scope and principal or tenant, and the
// glue that charges a command to it. decide.cpp, state.cpp, events.cpp, views.cpp and audit.cpp
// call into this file, one line per type.
//
// GCRA per key: with emission interval T = 1 minute / rate and tolerance tau = (burst - 1) * T,
// a request at `now` is allowed when TAT - now <= tau, and then TAT becomes max(TAT, now) + T.
// TAT is the theoretical arrival time, the instant at which the key has its full burst again.
//
// Clock steps, for a wall clock that NTP or an operator may set:
// - Forward: TAT is raised to `now` at the most, so a step forward refills at most one burst.
// - Backward: each key stores the last `now` it saw. When `now` is earlier, TAT moves back by the
//   same step, so the key still owes exactly what it owed before the step and pays it off at the
//   normal rate from the new `now`. The step neither refills the burst nor adds a wait. Time that
//   the clock repeats after such a step counts again, so a clock that keeps stepping back yields
//   at most the rate over the sum of its forward steps.
// - Either way TAT is clamped to now + burst * T, the most that a full burst can leave. A denied
//   key therefore waits at most one emission interval, even after its limit was lowered.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/commands.hpp"
#include "domain/rate_limit_types.hpp"
#include "domain/rejection.hpp"
#include "domain/time.hpp"

namespace bulwark::domain {

struct TenantState;
struct Decision;

struct RateLimitKey {
  RouteClass route_class = RouteClass::approvals;
  RateLimitScope scope = RateLimitScope::principal;
  std::string subject;  // the principal id, or the tenant id for the tenant scope

  bool operator<(const RateLimitKey& other) const {
    return std::tie(route_class, scope, subject) <
           std::tie(other.route_class, other.scope, other.subject);
  }
};

// A request that one of its keys did not allow.
struct RateLimitDenial {
  RateLimitKey key;
  RateLimit limit;
  std::chrono::seconds retry_after{1};  // whole seconds, rounded up, at least 1
};

class GcraLimiter {
 public:
  struct Charge {
    RateLimitKey key;
    RateLimit limit;
  };

  // Charges one request to every key when each of them allows it at `now`. Otherwise charges
  // none and returns the denial with the longest wait, so a request limited per principal does
  // not use up the tenant's allowance.
  [[nodiscard]] std::optional<RateLimitDenial> acquire(const std::vector<Charge>& charges,
                                                       TimePoint now);

  // True when every key has its full burst at `now`, so dropping the limiter loses nothing.
  [[nodiscard]] bool at_rest(TimePoint now) const;
  [[nodiscard]] std::size_t key_count() const { return cells_.size(); }

 private:
  struct Cell {
    std::int64_t tat_us = 0;        // theoretical arrival time, microseconds since the epoch
    std::int64_t last_seen_us = 0;  // the latest `now` this key was checked at
  };

  // Keys are dropped once they are at rest, when there are more than this many.
  static constexpr std::size_t keys_before_prune = 1024;

  void prune(std::int64_t now_us);

  std::map<RateLimitKey, Cell> cells_;
};

// The route class of a limited command, or nullopt for a command that is not limited.
[[nodiscard]] std::optional<RouteClass> route_class_of(const Command& command);

// The tenant's own limits, or the defaults when it never set any.
[[nodiscard]] RateLimitConfig effective_rate_limits(const TenantState& state);

// Charges a limited command to the principal's and the tenant's allowance for its route class.
// Returns the rate_limited rejection, with details {"route_class", "scope", "limit":
// {"rate_per_minute", "burst"}, "retry_after_s"}, when either allowance is used up.
[[nodiscard]] std::optional<Rejection> charge_rate_limits(GcraLimiter& limiter,
                                                          const RateLimitConfig& config,
                                                          const Command& command,
                                                          const std::string& tenant,
                                                          const std::string& principal,
                                                          TimePoint now);

[[nodiscard]] Decision decide_set_rate_limits(const TenantState& state, const SetRateLimits& c);
// Throws std::invalid_argument on a malformed or out-of-range configuration, because a journal
// that does not decode must stop recovery loudly.
[[nodiscard]] RateLimitsSet rate_limits_set_from_json(const nlohmann::json& data);
// {"approvals", "executions", "rule_changes", "configured"}: the limits in force, and whether the
// tenant set them.
[[nodiscard]] nlohmann::json rate_limits_view(const TenantState& state);
// Returns the invariant name and message when a journaled configuration is out of range.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> check_rate_limits_event(
    const EventData& data);

}  // namespace bulwark::domain
