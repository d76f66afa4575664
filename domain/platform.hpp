#pragma once
// Platform-wide aggregates over tenants, for the platform role only. A group of tenants is
// published only when it has at least k members, so no aggregate can single out one tenant:
// smaller groups are counted as suppressed and show no figures.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/money.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {

inline constexpr std::size_t aggregate_group_min_default = 5;

// The fields of one tenant that the aggregates read.
struct TenantProfile {
  std::string currency;  // empty while the tenant has no budget
  MinorUnits daily_limit_minor = 0;
  MinorUnits committed_total_minor = 0;  // over every budget day in the tenant's state
  bool safe_mode = false;
};

[[nodiscard]] TenantProfile profile_of(const TenantState& state);

// {"group_min": k, "budgets_by_currency": [{"currency", "tenants", "daily_limit_median_minor",
// "committed_total_minor", "safe_mode_on"}], "groups_suppressed": n}. Tenants without a budget are
// left out. Totals that would overflow int64 are reported as null.
[[nodiscard]] nlohmann::json platform_aggregates(const std::vector<TenantProfile>& profiles,
                                                 std::size_t group_min);

}  // namespace bulwark::domain
