#include "domain/views.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "domain/decide.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;
using std::chrono::hours;
using testing::at;
using testing::budget;
using testing::propose;
using testing::Tenant;

// 21:30 UTC is 23:30 in Berlin, so the budget day flips half an hour later.
const TimePoint t0 = at("2026-06-15T21:30:00Z");

TEST(TenantView, BudgetFieldsForCurrentDay) {
  Tenant tenant;
  tenant.given(SetBudget{100000, "EUR", "Europe/Berlin"}, t0);
  tenant.given(Reserve{"r-1", 30000, 7200}, t0);
  tenant.given(Reserve{"r-2", 20000, 7200}, t0);
  tenant.given(Commit{"r-2", 15000}, t0);

  json view = tenant_view(tenant.state, t0);
  EXPECT_EQ(view.at("budget"), (json{{"day", "2026-06-15"},
                                     {"currency", "EUR"},
                                     {"time_zone", "Europe/Berlin"},
                                     {"limit_minor", 100000},
                                     {"committed_minor", 15000},
                                     {"reserved_minor", 30000},
                                     {"available_minor", 55000}}));
  EXPECT_EQ(view.at("last_seq"), 4);

  json next_day = tenant_view(tenant.state, t0 + std::chrono::minutes(30)).at("budget");
  EXPECT_EQ(next_day.at("day"), "2026-06-16");
  EXPECT_EQ(next_day.at("committed_minor"), 0);
  EXPECT_EQ(next_day.at("reserved_minor"), 0);
  EXPECT_EQ(next_day.at("available_minor"), 100000);
}

TEST(TenantView, NoBudgetIsNull) {
  Tenant tenant;
  json view = tenant_view(tenant.state, t0);
  EXPECT_TRUE(view.at("budget").is_null());
  EXPECT_EQ(view.at("safe_mode").at("enabled"), false);
  EXPECT_EQ(view.at("queue"), json::object());
  EXPECT_EQ(view.at("last_seq"), 0);
}

TEST(TenantView, SafeModeGuardrailsAndQueue) {
  Tenant tenant;
  tenant.given(budget(100000, "Europe/Berlin"), t0);
  tenant.given(SetSafeMode{true, "audit", std::nullopt}, t0);
  GuardrailRule rule;
  rule.kind = GuardrailRuleKind::max_amount;
  rule.max_amount_minor = 9000;
  rule.enforcement = Enforcement::block;
  tenant.given(SetGuardrail{"g-1", rule}, t0);
  tenant.given(propose("a-1", "create_po", 100), t0);
  tenant.given(propose("a-2", "create_po", 100), t0);
  tenant.given(propose("a-3", "reorder_report", 100), t0);

  json view = tenant_view(tenant.state, t0);
  EXPECT_EQ(view.at("safe_mode").at("enabled"), true);
  EXPECT_EQ(view.at("safe_mode").at("reason"), "audit");
  EXPECT_EQ(view.at("safe_mode").at("cause"), "manual");
  EXPECT_EQ(view.at("queue"), (json{{"pending_approval", 2}, {"queued", 1}}));
  ASSERT_EQ(view.at("guardrails").size(), 1u);
  EXPECT_EQ(view.at("guardrails")[0], (json{{"guardrail_id", "g-1"},
                                            {"rule", "max_amount"},
                                            {"enforcement", "block"},
                                            {"max_amount_minor", 9000},
                                            {"violation_count", 0}}));
}

TEST(ActionsView, FiltersByStatus) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(SetSafeMode{true, "audit", std::nullopt}, t0);
  tenant.given(propose("a-1", "create_po", 100), t0);
  tenant.given(propose("a-2", "create_po", 200), t0);
  tenant.given(propose("a-3", "reorder_report", 300), t0);
  tenant.given(RejectAction{"a-2"}, t0);
  tenant.given(ExecuteAction{"a-3"}, t0);

  auto ids = [](const json& view) {
    std::vector<std::string> out;
    for (const auto& a : view.at("actions")) out.push_back(a.at("action_id"));
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids(actions_view(tenant.state, std::nullopt)), (Ids{"a-1", "a-2", "a-3"}));
  EXPECT_EQ(ids(actions_view(tenant.state, ActionStatus::pending_approval)), Ids{"a-1"});
  EXPECT_EQ(ids(actions_view(tenant.state, ActionStatus::rejected)), Ids{"a-2"});
  EXPECT_EQ(ids(actions_view(tenant.state, ActionStatus::executing)), Ids{"a-3"});
  EXPECT_EQ(ids(actions_view(tenant.state, ActionStatus::executed)), Ids{});

  json executing = actions_view(tenant.state, ActionStatus::executing).at("actions")[0];
  EXPECT_EQ(executing.at("status"), "executing");
  EXPECT_EQ(executing.at("amount_minor"), 300);
  EXPECT_EQ(executing.at("reservation_id"), tenant.action("a-3").reservation_id);
}

TEST(ReservationView, FieldsByStatus) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(Reserve{"r-1", 3000, 300}, t0);
  json open = reservation_view(tenant.reservation("r-1"));
  EXPECT_EQ(open, (json{{"reservation_id", "r-1"},
                        {"amount_minor", 3000},
                        {"budget_day", "2026-06-15"},
                        {"expires_at", "2026-06-15T21:35:00.000Z"},
                        {"ttl_s", 300},
                        {"status", "open"}}));
  tenant.given(Commit{"r-1", 2500}, t0);
  json committed = reservation_view(tenant.reservation("r-1"));
  EXPECT_EQ(committed.at("status"), "committed");
  EXPECT_EQ(committed.at("committed_minor"), 2500);
  EXPECT_FALSE(committed.contains("action_id"));
}

TEST(OutcomeView, ProposalKeepsFirstStatus) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(SetSafeMode{true, "audit", std::nullopt}, t0);
  ProposeAction command = propose("a-1", "create_po", 100);
  tenant.given(command, t0);
  tenant.given(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0);

  json view = outcome_view(tenant.state, command, t0);
  EXPECT_EQ(view.at("status"), "approved");
  EXPECT_EQ(view.at("proposed_status"), "pending_approval");
  EXPECT_TRUE(creates_entity(command));
  EXPECT_TRUE(creates_entity(Reserve{"r-1", 1, 1}));
  EXPECT_FALSE(creates_entity(ExecuteAction{"a-1"}));
  EXPECT_FALSE(creates_entity(Commit{"r-1", 1}));
}

TEST(OutcomeView, ExecuteIncludesReservation) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(propose("a-1", "reorder_report", 400), t0);
  tenant.given(ExecuteAction{"a-1"}, t0);
  json view = outcome_view(tenant.state, ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(view.at("status"), "executing");
  EXPECT_EQ(view.at("reservation").at("action_id"), "a-1");
  EXPECT_EQ(view.at("reservation").at("amount_minor"), 400);
  EXPECT_EQ(view.at("reservation").at("status"), "open");
}

}  // namespace
}  // namespace bulwark::domain
