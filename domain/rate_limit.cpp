#include "domain/rate_limit.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "domain/decide.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

constexpr std::int64_t microseconds_per_minute = 60'000'000;
constexpr std::int64_t microseconds_per_second = 1'000'000;

// Time between two requests at the sustained rate. The division rounds down by less than 1 us,
// so the sustained rate is at most a millionth above the configured one.
std::int64_t emission_interval_us(const RateLimit& limit) {
  return microseconds_per_minute / limit.rate_per_minute;
}

// How far TAT may run ahead of `now` while a request is still allowed.
std::int64_t tolerance_us(const RateLimit& limit) {
  return (limit.burst - 1) * emission_interval_us(limit);
}

Rejection invalid_field(const std::string& field, std::string message) {
  return Rejection{RejectionCode::invalid_request, std::move(message), {{"field", field}}};
}

std::optional<Rejection> parse_limit_value(const json& value, const std::string& field,
                                           std::int64_t max, std::int64_t& out) {
  bool fits = value.is_number_integer() &&
              (!value.is_number_unsigned() ||
               value.get<std::uint64_t>() <= static_cast<std::uint64_t>(max));
  if (!fits || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > max) {
    return invalid_field(field, field + " must be an integer from 1 to " + std::to_string(max));
  }
  out = value.get<std::int64_t>();
  return std::nullopt;
}

std::optional<Rejection> parse_limit(const json& object, const std::string& path,
                                     RateLimit& limit) {
  if (!object.is_object()) {
    return invalid_field(path, path + " must be an object with rate_per_minute and burst");
  }
  for (const auto& [name, value] : object.items()) {
    std::string field = path + "." + name;
    std::optional<Rejection> error;
    if (name == "rate_per_minute") {
      error = parse_limit_value(value, field, rate_per_minute_max, limit.rate_per_minute);
    } else if (name == "burst") {
      error = parse_limit_value(value, field, rate_limit_burst_max, limit.burst);
    } else {
      error = invalid_field(field, "unknown field '" + field + "': use rate_per_minute and burst");
    }
    if (error) return error;
  }
  for (const char* required : {"rate_per_minute", "burst"}) {
    if (!object.contains(required)) {
      std::string field = path + "." + required;
      return invalid_field(field, field + " is required");
    }
  }
  return std::nullopt;
}

std::optional<Rejection> parse_class(const json& object, const std::string& path,
                                     RouteClassLimits& limits) {
  if (!object.is_object()) {
    return invalid_field(path, path + " must be an object with per_principal and per_tenant");
  }
  for (const auto& [name, value] : object.items()) {
    std::string field = path + "." + name;
    std::optional<Rejection> error;
    if (name == "per_principal") {
      error = parse_limit(value, field, limits.per_principal);
    } else if (name == "per_tenant") {
      error = parse_limit(value, field, limits.per_tenant);
    } else {
      error = invalid_field(field, "unknown field '" + field + "': use per_principal and per_tenant");
    }
    if (error) return error;
  }
  return std::nullopt;
}

std::optional<Rejection> require_every_limit(const json& object) {
  for (RouteClass route_class :
       {RouteClass::approvals, RouteClass::executions, RouteClass::rule_changes}) {
    std::string name = to_string(route_class);
    auto limits = object.find(name);
    if (limits == object.end()) return invalid_field(name, name + " is required");
    for (const char* scope : {"per_principal", "per_tenant"}) {
      if (limits->is_object() && !limits->contains(scope)) {
        std::string field = name + "." + scope;
        return invalid_field(field, field + " is required");
      }
    }
  }
  return std::nullopt;
}

RouteClassLimits* class_named(RateLimitConfig& config, std::string_view name) {
  if (name == to_string(RouteClass::approvals)) return &config.approvals;
  if (name == to_string(RouteClass::executions)) return &config.executions;
  if (name == to_string(RouteClass::rule_changes)) return &config.rule_changes;
  return nullptr;
}

json limit_to_json(const RateLimit& limit) {
  return {{"rate_per_minute", limit.rate_per_minute}, {"burst", limit.burst}};
}

json class_to_json(const RouteClassLimits& limits) {
  return {{"per_principal", limit_to_json(limits.per_principal)},
          {"per_tenant", limit_to_json(limits.per_tenant)}};
}

std::optional<Rejection> check_limit(const RateLimit& limit, const std::string& path) {
  if (limit.rate_per_minute < 1 || limit.rate_per_minute > rate_per_minute_max) {
    return invalid_field(path + ".rate_per_minute",
                         path + ".rate_per_minute must be from 1 to " +
                             std::to_string(rate_per_minute_max));
  }
  if (limit.burst < 1 || limit.burst > rate_limit_burst_max) {
    return invalid_field(path + ".burst",
                         path + ".burst must be from 1 to " + std::to_string(rate_limit_burst_max));
  }
  return std::nullopt;
}

}  // namespace

bool RateLimit::operator==(const RateLimit& other) const {
  return rate_per_minute == other.rate_per_minute && burst == other.burst;
}

bool RouteClassLimits::operator==(const RouteClassLimits& other) const {
  return per_principal == other.per_principal && per_tenant == other.per_tenant;
}

const RouteClassLimits& RateLimitConfig::limits_for(RouteClass route_class) const {
  switch (route_class) {
    case RouteClass::approvals: return approvals;
    case RouteClass::executions: return executions;
    case RouteClass::rule_changes: return rule_changes;
  }
  return approvals;
}

bool RateLimitConfig::operator==(const RateLimitConfig& other) const {
  return approvals == other.approvals && executions == other.executions &&
         rule_changes == other.rule_changes;
}

RateLimitConfig default_rate_limits() {
  RouteClassLimits actions{RateLimit{3000, 500}, RateLimit{6000, 1000}};
  RouteClassLimits rules{RateLimit{300, 60}, RateLimit{600, 120}};
  return RateLimitConfig{actions, actions, rules};
}

const char* to_string(RouteClass route_class) {
  switch (route_class) {
    case RouteClass::approvals: return "approvals";
    case RouteClass::executions: return "executions";
    case RouteClass::rule_changes: return "rule_changes";
  }
  return "unknown";
}

const char* to_string(RateLimitScope scope) {
  switch (scope) {
    case RateLimitScope::principal: return "principal";
    case RateLimitScope::tenant: return "tenant";
  }
  return "unknown";
}

json rate_limits_to_json(const RateLimitConfig& config) {
  return {{to_string(RouteClass::approvals), class_to_json(config.approvals)},
          {to_string(RouteClass::executions), class_to_json(config.executions)},
          {to_string(RouteClass::rule_changes), class_to_json(config.rule_changes)}};
}

std::variant<RateLimitConfig, Rejection> rate_limits_from_json(const json& object,
                                                               MissingLimits missing) {
  if (!object.is_object()) {
    return invalid_field("body", "the rate limits must be a JSON object");
  }
  if (missing == MissingLimits::reject) {
    if (auto error = require_every_limit(object)) return *error;
  }
  RateLimitConfig config = default_rate_limits();
  for (const auto& [name, value] : object.items()) {
    RouteClassLimits* limits = class_named(config, name);
    if (limits == nullptr) {
      return invalid_field(name, "unknown field '" + name +
                                     "': use approvals, executions and rule_changes");
    }
    if (auto error = parse_class(value, name, *limits)) return *error;
  }
  return config;
}

std::optional<Rejection> validate_rate_limits(const RateLimitConfig& config) {
  for (RouteClass route_class :
       {RouteClass::approvals, RouteClass::executions, RouteClass::rule_changes}) {
    const RouteClassLimits& limits = config.limits_for(route_class);
    std::string path = to_string(route_class);
    if (auto error = check_limit(limits.per_principal, path + ".per_principal")) return error;
    if (auto error = check_limit(limits.per_tenant, path + ".per_tenant")) return error;
  }
  return std::nullopt;
}

// GCRA limiter.

namespace {

// Returns how far a key's TAT is ahead of `now` (what it still owes), after moving the TAT back
// by any backward clock step since the key was last seen.
std::int64_t owed_us(std::int64_t tat_us, std::int64_t last_seen_us, std::int64_t now_us) {
  std::int64_t reference_us = std::max(now_us, last_seen_us);
  return tat_us - reference_us;
}

}  // namespace

std::optional<RateLimitDenial> GcraLimiter::acquire(const std::vector<Charge>& charges,
                                                    TimePoint now) {
  const std::int64_t now_us = to_unix_ms(now) * 1000;
  std::optional<RateLimitDenial> denial;
  std::vector<std::pair<Cell*, std::int64_t>> allowed;  // cell and its emission interval

  for (const Charge& charge : charges) {
    Cell& cell = cells_.try_emplace(charge.key, Cell{now_us, now_us}).first->second;
    const std::int64_t interval_us = emission_interval_us(charge.limit);

    // Rebase the key on `now` as the header describes: a backward step keeps what the key owes,
    // a forward step refills at most one burst, and the clamp bounds any wait.
    std::int64_t owed = std::max<std::int64_t>(0, owed_us(cell.tat_us, cell.last_seen_us, now_us));
    owed = std::min(owed, charge.limit.burst * interval_us);
    cell.tat_us = now_us + owed;
    cell.last_seen_us = now_us;

    std::int64_t wait_us = owed - tolerance_us(charge.limit);
    if (wait_us <= 0) {
      allowed.emplace_back(&cell, interval_us);
      continue;
    }
    std::int64_t wait_s = (wait_us + microseconds_per_second - 1) / microseconds_per_second;
    std::chrono::seconds retry_after(std::max<std::int64_t>(1, wait_s));
    if (!denial || retry_after > denial->retry_after) {
      denial = RateLimitDenial{charge.key, charge.limit, retry_after};
    }
  }

  if (!denial) {
    for (auto& [cell, interval_us] : allowed) cell->tat_us += interval_us;
  }
  if (cells_.size() > keys_before_prune) prune(now_us);
  return denial;
}

bool GcraLimiter::at_rest(TimePoint now) const {
  const std::int64_t now_us = to_unix_ms(now) * 1000;
  return std::all_of(cells_.begin(), cells_.end(), [now_us](const auto& entry) {
    return owed_us(entry.second.tat_us, entry.second.last_seen_us, now_us) <= 0;
  });
}

void GcraLimiter::prune(std::int64_t now_us) {
  for (auto it = cells_.begin(); it != cells_.end();) {
    if (owed_us(it->second.tat_us, it->second.last_seen_us, now_us) <= 0) {
      it = cells_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<RouteClass> route_class_of(const Command& command) {
  if (std::holds_alternative<ApproveAction>(command)) return RouteClass::approvals;
  if (std::holds_alternative<RejectAction>(command)) return RouteClass::approvals;
  if (std::holds_alternative<ExecuteAction>(command)) return RouteClass::executions;
  if (std::holds_alternative<SetGuardrail>(command)) return RouteClass::rule_changes;
  if (std::holds_alternative<SetRateLimits>(command)) return RouteClass::rule_changes;
  return std::nullopt;
}

RateLimitConfig effective_rate_limits(const TenantState& state) {
  return state.rate_limits.value_or(default_rate_limits());
}

std::optional<Rejection> charge_rate_limits(GcraLimiter& limiter, const RateLimitConfig& config,
                                            const Command& command, const std::string& tenant,
                                            const std::string& principal, TimePoint now) {
  auto route_class = route_class_of(command);
  if (!route_class) return std::nullopt;
  const RouteClassLimits& limits = config.limits_for(*route_class);
  auto denial = limiter.acquire(
      {{{*route_class, RateLimitScope::principal, principal}, limits.per_principal},
       {{*route_class, RateLimitScope::tenant, tenant}, limits.per_tenant}},
      now);
  if (!denial) return std::nullopt;

  const char* scope = to_string(denial->key.scope);
  std::int64_t retry_after_s = denial->retry_after.count();
  std::string message = std::string("rate limit for ") + to_string(*route_class) + " per " +
                        scope + " exceeded (" + std::to_string(denial->limit.rate_per_minute) +
                        " per minute, burst " + std::to_string(denial->limit.burst) +
                        "); retry after " + std::to_string(retry_after_s) + " s";
  json details = {{"route_class", to_string(*route_class)},
                  {"scope", scope},
                  {"limit", limit_to_json(denial->limit)},
                  {"retry_after_s", retry_after_s}};
  return Rejection{RejectionCode::rate_limited, std::move(message), std::move(details)};
}

Decision decide_set_rate_limits(const TenantState& state, const SetRateLimits& c) {
  if (state.rate_limits && *state.rate_limits == c.config) return Decision{};
  return Decision{{RateLimitsSet{c.config}}, std::nullopt};
}

RateLimitsSet rate_limits_set_from_json(const json& data) {
  auto parsed = rate_limits_from_json(data, MissingLimits::reject);
  if (auto* rejection = std::get_if<Rejection>(&parsed)) {
    throw std::invalid_argument("rate_limits_set: " + rejection->message);
  }
  return RateLimitsSet{std::get<RateLimitConfig>(parsed)};
}

json rate_limits_view(const TenantState& state) {
  json view = rate_limits_to_json(effective_rate_limits(state));
  view["configured"] = state.rate_limits.has_value();
  return view;
}

std::optional<std::pair<std::string, std::string>> check_rate_limits_event(
    const EventData& data) {
  const auto* set = std::get_if<RateLimitsSet>(&data);
  if (set == nullptr) return std::nullopt;
  if (auto error = validate_rate_limits(set->config)) {
    return std::make_pair(std::string("rate_limits_in_range"), error->message);
  }
  return std::nullopt;
}

}  // namespace bulwark::domain
