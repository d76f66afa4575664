#include "domain/platform.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace bulwark::domain {
namespace {

std::vector<TenantProfile> profiles(const std::string& currency, int count,
                                    MinorUnits limit_step) {
  std::vector<TenantProfile> out;
  for (int i = 1; i <= count; ++i) {
    out.push_back(TenantProfile{currency, limit_step * i, 1'000, i % 2 == 0});
  }
  return out;
}

TEST(PlatformAggregates, GroupBelowMinimumSuppressed) {
  auto all = profiles("EUR", 5, 100);
  auto usd = profiles("USD", 4, 100);
  all.insert(all.end(), usd.begin(), usd.end());
  all.push_back(TenantProfile{});  // no budget: left out

  auto aggregates = platform_aggregates(all, 5);
  ASSERT_EQ(aggregates.at("budgets_by_currency").size(), 1u);
  const auto& eur = aggregates.at("budgets_by_currency")[0];
  EXPECT_EQ(eur.at("currency"), "EUR");
  EXPECT_EQ(eur.at("tenants"), 5);
  EXPECT_EQ(eur.at("daily_limit_median_minor"), 300);
  EXPECT_EQ(eur.at("committed_total_minor"), 5'000);
  EXPECT_EQ(eur.at("safe_mode_on"), 2);
  EXPECT_EQ(aggregates.at("groups_suppressed"), 1);
  EXPECT_EQ(aggregates.dump().find("USD"), std::string::npos) << "a small group names nothing";
}

TEST(PlatformAggregates, OverflowReportedAsNull) {
  std::vector<TenantProfile> all(2, TenantProfile{"EUR", 1, std::numeric_limits<MinorUnits>::max(),
                                                  false});
  auto aggregates = platform_aggregates(all, 2);
  EXPECT_TRUE(aggregates.at("budgets_by_currency")[0].at("committed_total_minor").is_null());
}

TEST(PlatformAggregates, ProfileSumsCommittedDays) {
  TenantState state;
  state.budget = Budget{50'000, "EUR", "Europe/Berlin"};
  state.days["2026-12-01"].committed_minor = 1'200;
  state.days["2026-12-02"].committed_minor = 800;
  state.safe_mode.enabled = true;
  auto profile = profile_of(state);
  EXPECT_EQ(profile.currency, "EUR");
  EXPECT_EQ(profile.daily_limit_minor, 50'000);
  EXPECT_EQ(profile.committed_total_minor, 2'000);
  EXPECT_TRUE(profile.safe_mode);
}

}  // namespace
}  // namespace bulwark::domain
