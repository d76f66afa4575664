#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "domain/decide.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::at;
using testing::budget;
using testing::code_of;
using testing::propose;
using testing::Tenant;
using testing::type_names;

using Names = std::vector<std::string>;

const TimePoint t0 = at("2026-06-15T10:00:00Z");

GuardrailRule max_amount(MinorUnits max, Enforcement enforcement, std::int64_t threshold = 0) {
  GuardrailRule rule;
  rule.kind = GuardrailRuleKind::max_amount;
  rule.max_amount_minor = max;
  rule.enforcement = enforcement;
  rule.escalation_threshold = threshold;
  return rule;
}

GuardrailRule max_per_hour(std::int64_t max, Enforcement enforcement) {
  GuardrailRule rule;
  rule.kind = GuardrailRuleKind::max_actions_per_hour;
  rule.max_actions = max;
  rule.enforcement = enforcement;
  return rule;
}

GuardrailRule allowed(std::vector<std::string> kinds, Enforcement enforcement) {
  GuardrailRule rule;
  rule.kind = GuardrailRuleKind::allowed_kinds;
  rule.allowed_kinds = std::move(kinds);
  rule.enforcement = enforcement;
  return rule;
}

Tenant tenant_with(const GuardrailRule& rule) {
  Tenant tenant;
  tenant.given(budget(amount_minor_max), t0);
  tenant.given(SetGuardrail{"g-1", rule}, t0);
  return tenant;
}

std::size_t count_type(const std::vector<Event>& journal, EventType type) {
  return static_cast<std::size_t>(std::count_if(journal.begin(), journal.end(), [&](const Event& e) {
    return type_of(e.data) == type;
  }));
}

TEST(GuardrailDecide, WarnRecordsAndProceeds) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::warn));
  tenant.given(propose("a-1", "create_po", 1001), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events),
            (Names{"guardrail_violated", "spend_reserved", "action_execution_started"}));
  const auto& violated = std::get<GuardrailViolated>(d.events[0]);
  EXPECT_EQ(violated.guardrail_id, "g-1");
  EXPECT_EQ(violated.action_id, "a-1");
  EXPECT_EQ(violated.violation_count, 1);
  EXPECT_EQ(violated.enforcement, Enforcement::warn);
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 1);
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::executing);
}

TEST(GuardrailDecide, AmountAtMaxIsNoViolation) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::block));
  tenant.given(propose("a-1", "create_po", 1000), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_EQ(type_names(d.events), (Names{"spend_reserved", "action_execution_started"}));
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 0);
}

TEST(GuardrailDecide, BlockRecordsAndRejects) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::block));
  tenant.given(propose("a-1", "create_po", 1001), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  ASSERT_EQ(code_of(d), "guardrail_blocked");
  EXPECT_EQ(d.rejection->details.at("guardrail_ids"), nlohmann::json::array({"g-1"}));
  ASSERT_EQ(type_names(d.events), Names{"guardrail_violated"});
  EXPECT_EQ(std::get<GuardrailViolated>(d.events[0]).enforcement, Enforcement::block);

  // The violation is journaled although the command was rejected.
  ASSERT_EQ(tenant.journal.size(), 4u);
  EXPECT_EQ(type_of(tenant.journal.back().data), EventType::guardrail_violated);
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 1);
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::queued);
  EXPECT_TRUE(tenant.state.reservations.empty());

  Decision again = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(again), "guardrail_blocked");
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 2);
}

TEST(GuardrailDecide, AllowedKindsBlocksOthers) {
  Tenant tenant = tenant_with(allowed({"create_po", "reorder_report"}, Enforcement::block));
  tenant.given(propose("ok", "reorder_report", 100), t0);
  tenant.given(propose("bad", "pause_orders", 100), t0);
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"ok"}, t0)), "accepted");
  Decision d = tenant.run(ExecuteAction{"bad"}, t0);
  EXPECT_EQ(code_of(d), "guardrail_blocked");
  EXPECT_EQ(type_names(d.events), Names{"guardrail_violated"});
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 1);
}

TEST(GuardrailDecide, EveryViolatedRuleRecorded) {
  Tenant tenant;
  tenant.given(budget(amount_minor_max), t0);
  tenant.given(SetGuardrail{"g-amount", max_amount(1000, Enforcement::warn)}, t0);
  tenant.given(SetGuardrail{"g-kinds", allowed({"reorder_report"}, Enforcement::block)}, t0);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "guardrail_blocked");
  EXPECT_EQ(d.rejection->details.at("guardrail_ids"), nlohmann::json::array({"g-kinds"}));
  EXPECT_EQ(type_names(d.events), (Names{"guardrail_violated", "guardrail_violated"}));
  EXPECT_EQ(tenant.state.guardrails.at("g-amount").violation_count, 1);
  EXPECT_EQ(tenant.state.guardrails.at("g-kinds").violation_count, 1);
}

// The hour is rolling and measured with the journaled start times of earlier executions.
TEST(GuardrailDecide, MaxActionsPerRollingHour) {
  struct Case {
    milliseconds fourth_at;
    const char* expected;
  };
  const Case cases[] = {
      {minutes(30), "guardrail_blocked"},
      {hours(1) - milliseconds(1), "guardrail_blocked"},
      {hours(1), "accepted"},
      {hours(5), "accepted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fourth_at.count());
    Tenant tenant = tenant_with(max_per_hour(3, Enforcement::block));
    for (int i = 0; i < 4; ++i) tenant.given(propose("a-" + std::to_string(i), "create_po", 10), t0);
    tenant.given(ExecuteAction{"a-0"}, t0);
    tenant.given(ExecuteAction{"a-1"}, t0 + minutes(10));
    tenant.given(ExecuteAction{"a-2"}, t0 + minutes(20));
    EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 0);

    Decision d = tenant.run(ExecuteAction{"a-3"}, t0 + c.fourth_at);
    EXPECT_EQ(code_of(d), c.expected);
    bool blocked = std::string(c.expected) == "guardrail_blocked";
    EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, blocked ? 1 : 0);
  }
}

TEST(GuardrailDecide, BlockedExecutionsNotCountedInHour) {
  Tenant tenant = tenant_with(max_per_hour(2, Enforcement::block));
  for (int i = 0; i < 4; ++i) tenant.given(propose("a-" + std::to_string(i), "create_po", 10), t0);
  tenant.given(ExecuteAction{"a-0"}, t0);
  tenant.given(ExecuteAction{"a-1"}, t0 + minutes(1));
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-2"}, t0 + minutes(2))), "guardrail_blocked");
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-3"}, t0 + minutes(3))), "guardrail_blocked");
  // The first execution leaves the window, and the blocked attempts never entered it.
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-2"}, t0 + hours(1))), "accepted");
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-3"}, t0 + hours(1))), "guardrail_blocked");
}

TEST(GuardrailDecide, EscalatesExactlyOnce) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::escalate, 50));
  for (int i = 0; i < 200; ++i) {
    std::string id = "a-" + std::to_string(i);
    tenant.given(propose(id, "create_po", 5000), t0 + minutes(i));
    Decision d = tenant.run(ExecuteAction{id}, t0 + minutes(i));
    ASSERT_EQ(code_of(d), "guardrail_blocked") << id;
    EXPECT_EQ(std::get<GuardrailViolated>(d.events[0]).violation_count, i + 1);
  }
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 200);
  EXPECT_EQ(count_type(tenant.journal, EventType::guardrail_violated), 200u);
  EXPECT_EQ(count_type(tenant.journal, EventType::guardrail_escalated), 1u);
  EXPECT_EQ(count_type(tenant.journal, EventType::safe_mode_changed), 1u);
  EXPECT_TRUE(tenant.state.reservations.empty());

  for (const Event& e : tenant.journal) {
    if (const auto* escalated = std::get_if<GuardrailEscalated>(&e.data)) {
      EXPECT_EQ(escalated->guardrail_id, "g-1");
      EXPECT_EQ(escalated->violation_count, 50);
    }
    if (const auto* changed = std::get_if<SafeModeChanged>(&e.data)) {
      EXPECT_TRUE(changed->enabled);
      EXPECT_EQ(changed->cause, "escalation");
    }
  }
  EXPECT_TRUE(tenant.state.safe_mode.enabled);
  EXPECT_EQ(tenant.state.safe_mode.cause, "escalation");
  // Proposals after the escalation wait for approval.
  EXPECT_EQ(tenant.action("a-199").status, ActionStatus::pending_approval);
}

TEST(GuardrailDecide, EscalationEventsInOneDecision) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::escalate, 2));
  tenant.given(propose("a-1", "create_po", 5000), t0);
  EXPECT_EQ(type_names(tenant.run(ExecuteAction{"a-1"}, t0).events), Names{"guardrail_violated"});
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "guardrail_blocked");
  EXPECT_EQ(type_names(d.events),
            (Names{"guardrail_violated", "guardrail_escalated", "safe_mode_changed"}));
}

TEST(GuardrailDecide, EscalationKeepsManualSafeMode) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::escalate, 1));
  tenant.given(SetSafeMode{true, "manual", std::nullopt}, t0);
  tenant.given(propose("a-1", "reorder_report", 5000), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "guardrail_blocked");
  EXPECT_EQ(type_names(d.events), (Names{"guardrail_violated", "guardrail_escalated"}));
  EXPECT_EQ(tenant.state.safe_mode.cause, "manual");
}

TEST(GuardrailDecide, RepeatedSetWritesNothing) {
  Tenant tenant = tenant_with(max_amount(1000, Enforcement::block));
  tenant.given(propose("a-1", "create_po", 5000), t0);
  (void)tenant.run(ExecuteAction{"a-1"}, t0);
  ASSERT_EQ(tenant.state.guardrails.at("g-1").violation_count, 1);

  Decision same = tenant.run(SetGuardrail{"g-1", max_amount(1000, Enforcement::block)}, t0);
  EXPECT_EQ(code_of(same), "accepted");
  EXPECT_TRUE(same.events.empty());

  // A changed rule keeps the count, and warn lets the action run.
  Decision changed = tenant.run(SetGuardrail{"g-1", max_amount(1000, Enforcement::warn)}, t0);
  EXPECT_EQ(type_names(changed.events), Names{"guardrail_set"});
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 1);
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-1"}, t0)), "accepted");
  EXPECT_EQ(tenant.state.guardrails.at("g-1").violation_count, 2);
}

// Fields that the rule's kind does not use are dropped, because the journal does not carry them.
TEST(GuardrailDecide, SetDropsUnusedRuleFields) {
  GuardrailRule cluttered = max_amount(1000, Enforcement::block, 9);
  cluttered.max_actions = 5;
  cluttered.allowed_kinds = {"create_po"};
  Tenant tenant;
  Decision d = tenant.run(SetGuardrail{"g-1", cluttered}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(std::get<GuardrailSet>(d.events[0]).rule == max_amount(1000, Enforcement::block));
  EXPECT_TRUE(tenant.state.guardrails.at("g-1").rule == max_amount(1000, Enforcement::block));

  Decision repeat = tenant.run(SetGuardrail{"g-1", cluttered}, t0);
  EXPECT_EQ(code_of(repeat), "accepted");
  EXPECT_TRUE(repeat.events.empty());
}

TEST(GuardrailDecide, RejectsInvalidRules) {
  struct Case {
    GuardrailRule rule;
    const char* field;
  };
  const Case cases[] = {
      {max_amount(0, Enforcement::block), "max_amount_minor"},
      {max_amount(1'000'000'000'000'001, Enforcement::block), "max_amount_minor"},
      {max_per_hour(0, Enforcement::block), "max_actions"},
      {max_per_hour(1'000'001, Enforcement::block), "max_actions"},
      {allowed({}, Enforcement::block), "kinds"},
      {allowed({"Bad Kind"}, Enforcement::block), "kinds"},
      {max_amount(100, Enforcement::escalate, 0), "escalation_threshold"},
      {max_amount(100, Enforcement::escalate, 1'000'000'001), "escalation_threshold"},
  };
  for (const auto& c : cases) {
    Tenant tenant;
    Decision d = tenant.run(SetGuardrail{"g-1", c.rule}, t0);
    ASSERT_EQ(code_of(d), "invalid_request") << c.field;
    EXPECT_EQ(d.rejection->details.at("field"), c.field);
    EXPECT_TRUE(tenant.state.guardrails.empty());
  }
  Tenant tenant;
  EXPECT_EQ(code_of(tenant.run(SetGuardrail{"g/1", max_amount(1, Enforcement::warn)}, t0)),
            "invalid_request");
}

}  // namespace
}  // namespace bulwark::domain
