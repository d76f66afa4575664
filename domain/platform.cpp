#include "domain/platform.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

namespace bulwark::domain {

TenantProfile profile_of(const TenantState& state) {
  TenantProfile profile;
  profile.safe_mode = state.safe_mode.enabled;
  if (!state.budget) return profile;
  profile.currency = state.budget->currency;
  profile.daily_limit_minor = state.budget->daily_limit_minor;
  for (const auto& [day, totals] : state.days) {
    // Each day's total is at most its limit, so this sum cannot overflow in practice; saturate
    // rather than wrap if it ever would.
    auto sum = checked_add(profile.committed_total_minor, totals.committed_minor);
    profile.committed_total_minor = sum ? *sum : std::numeric_limits<MinorUnits>::max();
  }
  return profile;
}

nlohmann::json platform_aggregates(const std::vector<TenantProfile>& profiles,
                                   std::size_t group_min) {
  std::map<std::string, std::vector<const TenantProfile*>> by_currency;
  for (const auto& profile : profiles) {
    if (!profile.currency.empty()) by_currency[profile.currency].push_back(&profile);
  }
  nlohmann::json groups = nlohmann::json::array();
  std::size_t suppressed = 0;
  for (auto& [currency, members] : by_currency) {
    if (members.size() < group_min) {
      suppressed++;
      continue;
    }
    std::vector<MinorUnits> limits;
    std::optional<MinorUnits> committed = 0;
    std::size_t safe_mode_on = 0;
    for (const auto* member : members) {
      limits.push_back(member->daily_limit_minor);
      if (committed) committed = checked_add(*committed, member->committed_total_minor);
      if (member->safe_mode) safe_mode_on++;
    }
    std::sort(limits.begin(), limits.end());
    groups.push_back({{"currency", currency},
                      {"tenants", members.size()},
                      {"daily_limit_median_minor", limits[limits.size() / 2]},
                      {"committed_total_minor",
                       committed ? nlohmann::json(*committed) : nlohmann::json(nullptr)},
                      {"safe_mode_on", safe_mode_on}});
  }
  return {{"group_min", group_min},
          {"budgets_by_currency", std::move(groups)},
          {"groups_suppressed", suppressed}};
}

}  // namespace bulwark::domain
