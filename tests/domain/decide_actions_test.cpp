#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "domain/decide.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::at;
using testing::budget;
using testing::code_of;
using testing::payload_hash;
using testing::propose;
using testing::Tenant;
using testing::type_names;

const TimePoint t0 = at("2026-06-15T10:00:00Z");
const std::string today = "2026-06-15";

using Names = std::vector<std::string>;

Tenant tenant_with_budget(bool safe_mode) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  if (safe_mode) tenant.given(SetSafeMode{true, "quarter close", std::nullopt}, t0);
  return tenant;
}

TEST(ActionDecide, ProposeQueuedWithoutSafeMode) {
  Tenant tenant = tenant_with_budget(false);
  Decision d = tenant.run(propose("a-1", "create_po", 5000), t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"action_proposed"});
  const auto& e = std::get<ActionProposed>(d.events[0]);
  EXPECT_EQ(e.action_id, "a-1");
  EXPECT_EQ(e.kind, "create_po");
  EXPECT_EQ(e.amount_minor, 5000);
  EXPECT_EQ(e.payload_sha256, payload_hash('a'));
  EXPECT_EQ(e.payload.at("supplier"), "acme");
  EXPECT_EQ(e.status, ActionStatus::queued);
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::queued);
}

TEST(ActionDecide, SafeModeProposalPendsApproval) {
  for (const char* kind : {"create_po", "pause_orders"}) {
    Tenant tenant = tenant_with_budget(true);
    Decision d = tenant.run(propose("a-1", kind, 5000), t0);
    ASSERT_EQ(code_of(d), "accepted") << kind;
    EXPECT_EQ(std::get<ActionProposed>(d.events[0]).status, ActionStatus::pending_approval) << kind;
    EXPECT_EQ(tenant.action("a-1").status, ActionStatus::pending_approval) << kind;
  }
}

TEST(ActionDecide, ExecuteWithoutApprovalRejected) {
  Tenant tenant = tenant_with_budget(true);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "approval_required");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::pending_approval);
  EXPECT_TRUE(tenant.state.reservations.empty());
  EXPECT_EQ(tenant.day(today).reserved_minor, 0);
}

TEST(ActionDecide, ApprovalMismatchRejected) {
  struct Case {
    ApproveAction command;
    const char* expected;
  };
  const Case cases[] = {
      {{"a-1", MinorUnits{5001}, std::nullopt}, "approval_mismatch"},
      {{"a-1", std::nullopt, payload_hash('b')}, "approval_mismatch"},
      {{"a-1", MinorUnits{5000}, payload_hash('b')}, "approval_mismatch"},
      {{"a-1", MinorUnits{4999}, payload_hash('a')}, "approval_mismatch"},
      {{"a-1", MinorUnits{5000}, std::string("ABC")}, "invalid_request"},
      {{"a-9", std::nullopt, std::nullopt}, "not_found"},
  };
  for (const auto& c : cases) {
    Tenant tenant = tenant_with_budget(true);
    tenant.given(propose("a-1", "create_po", 5000, 'a'), t0);
    Decision d = tenant.run(c.command, t0);
    EXPECT_EQ(code_of(d), c.expected);
    EXPECT_TRUE(d.events.empty());
    EXPECT_EQ(tenant.action("a-1").status, ActionStatus::pending_approval);
    EXPECT_FALSE(tenant.action("a-1").approval.has_value());
  }
}

TEST(ActionDecide, ApprovalMatchingExpectationsAccepted) {
  Tenant tenant = tenant_with_budget(true);
  tenant.given(propose("a-1", "create_po", 5000, 'a'), t0);
  Decision d = tenant.run(ApproveAction{"a-1", MinorUnits{5000}, payload_hash('a')}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"action_approved"});
  EXPECT_EQ(std::get<ActionApproved>(d.events[0]).payload_sha256, payload_hash('a'));
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::approved);
  ASSERT_TRUE(tenant.action("a-1").approval.has_value());
  EXPECT_EQ(tenant.action("a-1").approval->amount_minor, 5000);

  Decision repeat = tenant.run(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0);
  EXPECT_EQ(code_of(repeat), "accepted");
  EXPECT_TRUE(repeat.events.empty());
}

TEST(ActionDecide, ReproposeEditedBodyConflicts) {
  const ProposeAction edits[] = {
      propose("a-1", "create_po", 5001, 'a'),
      propose("a-1", "create_po", 5000, 'b'),
      propose("a-1", "pause_orders", 5000, 'a'),
  };
  for (const auto& edit : edits) {
    Tenant tenant = tenant_with_budget(true);
    tenant.given(propose("a-1", "create_po", 5000, 'a'), t0);
    tenant.given(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0);

    Decision d = tenant.run(edit, t0);
    EXPECT_EQ(code_of(d), "idempotency_conflict");
    EXPECT_TRUE(d.events.empty());
    const Action& original = tenant.action("a-1");
    EXPECT_EQ(original.kind, "create_po");
    EXPECT_EQ(original.amount_minor, 5000);
    EXPECT_EQ(original.payload_sha256, payload_hash('a'));
    EXPECT_EQ(original.status, ActionStatus::approved);

    // The approval still binds the original, so execution reserves the original amount.
    Decision executed = tenant.run(ExecuteAction{"a-1"}, t0);
    ASSERT_EQ(code_of(executed), "accepted");
    EXPECT_EQ(std::get<SpendReserved>(executed.events[0]).amount_minor, 5000);
  }
}

TEST(ActionDecide, RepeatedProposalWritesNothing) {
  Tenant tenant = tenant_with_budget(false);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  // Safe mode switched on later does not change the first outcome.
  tenant.given(SetSafeMode{true, "incident", std::nullopt}, t0);
  Decision d = tenant.run(propose("a-1", "create_po", 5000), t0);
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::queued);
}

TEST(ActionDecide, ExecuteAfterApprovalStartsExecution) {
  Tenant tenant = tenant_with_budget(true);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  tenant.given(ApproveAction{"a-1", MinorUnits{5000}, payload_hash('a')}, t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0 + seconds(30));
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), (Names{"spend_reserved", "action_execution_started"}));

  const auto& reserved = std::get<SpendReserved>(d.events[0]);
  const auto& started = std::get<ActionExecutionStarted>(d.events[1]);
  EXPECT_EQ(reserved.action_id, "a-1");
  EXPECT_EQ(reserved.amount_minor, 5000);
  EXPECT_EQ(reserved.budget_day, today);
  EXPECT_EQ(reserved.expires_at, t0 + seconds(30) + hours(1));
  EXPECT_EQ(started.action_id, "a-1");
  EXPECT_EQ(started.reservation_id, reserved.reservation_id);

  const Action& action = tenant.action("a-1");
  EXPECT_EQ(action.status, ActionStatus::executing);
  EXPECT_EQ(action.reservation_id, reserved.reservation_id);
  EXPECT_EQ(tenant.reservation(reserved.reservation_id).action_id, "a-1");
  EXPECT_EQ(tenant.day(today).reserved_minor, 5000);
  EXPECT_EQ(tenant.state.recent_executions.size(), 1u);

  Decision repeat = tenant.run(ExecuteAction{"a-1"}, t0 + seconds(40));
  EXPECT_EQ(code_of(repeat), "accepted");
  EXPECT_TRUE(repeat.events.empty());
  EXPECT_EQ(tenant.day(today).reserved_minor, 5000);
}

TEST(ActionDecide, SafeModeAfterQueueNeedsApproval) {
  Tenant tenant = tenant_with_budget(false);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  ASSERT_EQ(tenant.action("a-1").status, ActionStatus::queued);
  tenant.given(SetSafeMode{true, "supplier fraud alert", std::nullopt}, t0 + seconds(1));

  Decision d = tenant.run(ExecuteAction{"a-1"}, t0 + seconds(2));
  EXPECT_EQ(code_of(d), "approval_required");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::queued);

  tenant.given(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0 + seconds(3));
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-1"}, t0 + seconds(4))), "accepted");
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::executing);
}

TEST(ActionDecide, QueuedExecutesWithoutSafeMode) {
  Tenant tenant = tenant_with_budget(false);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_EQ(type_names(d.events), (Names{"spend_reserved", "action_execution_started"}));
}

TEST(ActionDecide, PendingStaysPendingAfterSafeModeOff) {
  Tenant tenant = tenant_with_budget(true);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  tenant.given(SetSafeMode{false, "", std::nullopt}, t0);
  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "approval_required");
  EXPECT_TRUE(d.events.empty());
}

TEST(ActionDecide, LowStakesKindSkipsApproval) {
  Tenant tenant = tenant_with_budget(true);
  Decision proposed = tenant.run(propose("a-1", "reorder_report", 700), t0);
  ASSERT_EQ(code_of(proposed), "accepted");
  EXPECT_EQ(std::get<ActionProposed>(proposed.events[0]).status, ActionStatus::queued);

  Decision d = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_EQ(type_names(d.events), (Names{"spend_reserved", "action_execution_started"}));
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::executing);
}

TEST(ActionDecide, HighStakesKindsConfigurable) {
  Tenant tenant = tenant_with_budget(false);
  Decision set = tenant.run(
      SetSafeMode{true, "wires only", std::vector<std::string>{"wire_transfer"}}, t0);
  ASSERT_EQ(code_of(set), "accepted");
  const auto& changed = std::get<SafeModeChanged>(set.events[0]);
  EXPECT_EQ(changed.cause, "manual");
  ASSERT_TRUE(changed.high_stakes_kinds.has_value());
  EXPECT_EQ(tenant.state.safe_mode.high_stakes_kinds, std::vector<std::string>{"wire_transfer"});

  tenant.given(propose("po", "create_po", 1000), t0);
  tenant.given(propose("wire", "wire_transfer", 1000), t0);
  EXPECT_EQ(tenant.action("po").status, ActionStatus::queued);
  EXPECT_EQ(tenant.action("wire").status, ActionStatus::pending_approval);
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"po"}, t0)), "accepted");
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"wire"}, t0)), "approval_required");

  // Toggling safe mode without a list keeps the configured kinds.
  tenant.given(SetSafeMode{false, "", std::nullopt}, t0);
  tenant.given(SetSafeMode{true, "again", std::nullopt}, t0);
  EXPECT_EQ(tenant.state.safe_mode.high_stakes_kinds, std::vector<std::string>{"wire_transfer"});
}

TEST(ActionDecide, SafeModeRejectsInvalidKinds) {
  Tenant tenant = tenant_with_budget(false);
  const std::vector<std::vector<std::string>> bad_lists = {
      {"Create_PO"}, {""}, {"create-po"}, {std::string(65, 'k')}, std::vector<std::string>(65, "k")};
  for (const auto& kinds : bad_lists) {
    Decision d = tenant.run(SetSafeMode{true, "x", kinds}, t0);
    EXPECT_EQ(code_of(d), "invalid_request");
    EXPECT_TRUE(d.events.empty());
  }
  EXPECT_EQ(code_of(tenant.run(SetSafeMode{true, std::string(513, 'r'), std::nullopt}, t0)),
            "invalid_request");
  EXPECT_FALSE(tenant.state.safe_mode.enabled);
}

TEST(ActionDecide, RepeatedSafeModeWritesNothing) {
  Tenant tenant = tenant_with_budget(true);
  Decision d = tenant.run(SetSafeMode{true, "quarter close", std::nullopt}, t0);
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(d.events.empty());
  Decision kinds = tenant.run(
      SetSafeMode{true, "quarter close", std::vector<std::string>{"create_po", "pause_orders"}}, t0);
  EXPECT_TRUE(kinds.events.empty());
}

// Given an executing action, when its reservation is closed, then the action settles with it.
TEST(ActionDecide, ReservationOutcomeSettlesAction) {
  struct Case {
    const char* name;
    bool commit;
    bool release;
    std::chrono::seconds delay;
    const char* expected;
    Names events;
    ActionStatus status;
    const char* failure_reason;
  };
  const Case cases[] = {
      {"commit", true, false, seconds(60), "accepted", {"spend_committed", "action_executed"},
       ActionStatus::executed, ""},
      {"release", false, true, seconds(60), "accepted", {"spend_released", "action_failed"},
       ActionStatus::failed, "released"},
      {"expire", false, false, seconds(3600), "accepted", {"spend_expired", "action_failed"},
       ActionStatus::failed, "reservation_expired"},
      {"late commit", true, false, seconds(3600), "reservation_expired",
       {"spend_expired", "action_failed"}, ActionStatus::failed, "reservation_expired"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Tenant tenant = tenant_with_budget(false);
    tenant.given(propose("a-1", "create_po", 5000), t0);
    tenant.given(ExecuteAction{"a-1"}, t0);
    const std::string reservation_id = tenant.action("a-1").reservation_id;

    Command command = Expire{reservation_id};
    if (c.commit) command = Commit{reservation_id, 4500};
    if (c.release) command = Release{reservation_id};
    Decision d = tenant.run(command, t0 + c.delay);
    EXPECT_EQ(code_of(d), c.expected);
    EXPECT_EQ(type_names(d.events), c.events);
    EXPECT_EQ(tenant.action("a-1").status, c.status);
    EXPECT_EQ(tenant.action("a-1").failure_reason, c.failure_reason);
    EXPECT_EQ(tenant.day(today).reserved_minor, 0);
    EXPECT_EQ(tenant.day(today).committed_minor, c.status == ActionStatus::executed ? 4500 : 0);

    Decision again = tenant.run(ExecuteAction{"a-1"}, t0 + c.delay);
    EXPECT_TRUE(again.events.empty());
    EXPECT_EQ(code_of(again), c.status == ActionStatus::executed ? "accepted" : "invalid_transition");
  }
}

TEST(ActionDecide, ExecuteRespectsBudget) {
  Tenant tenant;
  tenant.given(propose("a-1", "create_po", 5000), t0);
  Decision no_budget = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(no_budget), "budget_not_set");
  EXPECT_TRUE(no_budget.events.empty());

  tenant.given(budget(8000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  Decision over = tenant.run(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(over), "limit_exceeded");
  EXPECT_TRUE(over.events.empty());
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::queued);
  EXPECT_EQ(tenant.day(today).reserved_minor, 4000);

  tenant.given(Release{"r-1"}, t0);
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-1"}, t0)), "accepted");
}

TEST(ActionDecide, RejectedActionCannotRun) {
  Tenant tenant = tenant_with_budget(true);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  Decision d = tenant.run(RejectAction{"a-1"}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"action_rejected"});
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::rejected);

  EXPECT_TRUE(tenant.run(RejectAction{"a-1"}, t0).events.empty());
  EXPECT_EQ(code_of(tenant.run(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0)),
            "invalid_transition");
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"a-1"}, t0)), "invalid_transition");
  EXPECT_TRUE(tenant.state.reservations.empty());
}

TEST(ActionDecide, ExecutingActionCannotBeRejected) {
  Tenant tenant = tenant_with_budget(false);
  tenant.given(propose("a-1", "create_po", 5000), t0);
  tenant.given(ExecuteAction{"a-1"}, t0);
  EXPECT_EQ(code_of(tenant.run(RejectAction{"a-1"}, t0)), "invalid_transition");
  EXPECT_EQ(code_of(tenant.run(ApproveAction{"a-1", std::nullopt, std::nullopt}, t0)),
            "invalid_transition");
  EXPECT_EQ(tenant.action("a-1").status, ActionStatus::executing);
}

TEST(ActionDecide, UnknownActionNotFound) {
  Tenant tenant = tenant_with_budget(false);
  EXPECT_EQ(code_of(tenant.run(ExecuteAction{"nope"}, t0)), "not_found");
  EXPECT_EQ(code_of(tenant.run(ApproveAction{"nope", std::nullopt, std::nullopt}, t0)),
            "not_found");
  EXPECT_EQ(code_of(tenant.run(RejectAction{"nope"}, t0)), "not_found");
  EXPECT_EQ(tenant.state.last_seq, 1u);
}

TEST(ActionDecide, ProposeValidatesFields) {
  ProposeAction not_object = propose("a-1", "create_po", 5000);
  not_object.payload = nlohmann::json::array({1, 2});
  ProposeAction upper_hash = propose("a-1", "create_po", 5000);
  upper_hash.payload_sha256 = std::string(64, 'A');
  ProposeAction short_hash = propose("a-1", "create_po", 5000);
  short_hash.payload_sha256 = std::string(63, 'a');
  struct Case {
    ProposeAction command;
    const char* field;
  };
  const Case cases[] = {
      {propose("a/1", "create_po", 5000), "action_id"},
      {propose("", "create_po", 5000), "action_id"},
      {propose("a-1", "Create_PO", 5000), "kind"},
      {propose("a-1", "", 5000), "kind"},
      {propose("a-1", "create_po", 0), "amount_minor"},
      {propose("a-1", "create_po", 1'000'000'000'000'001), "amount_minor"},
      {not_object, "payload"},
      {upper_hash, "payload_sha256"},
      {short_hash, "payload_sha256"},
  };
  for (const auto& c : cases) {
    Tenant tenant = tenant_with_budget(false);
    Decision d = tenant.run(c.command, t0);
    ASSERT_EQ(code_of(d), "invalid_request") << c.field;
    EXPECT_EQ(d.rejection->details.at("field"), c.field);
    EXPECT_TRUE(tenant.state.actions.empty());
  }
}

}  // namespace
}  // namespace bulwark::domain
