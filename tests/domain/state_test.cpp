#include "domain/state.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/decide.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;
using testing::at;
using testing::budget;
using testing::propose;
using testing::Tenant;

Event event_at(std::uint64_t seq, EventData data) {
  Event event;
  event.seq = seq;
  event.ts = at("2026-06-15T10:00:00Z");
  event.principal = "alice";
  event.data = std::move(data);
  return event;
}

TEST(StateApply, RequiresNextSeq) {
  TenantState state;
  EXPECT_THROW(apply(state, event_at(2, BudgetSet{100, "USD", "UTC"})), std::logic_error);
  EXPECT_THROW(apply(state, event_at(0, BudgetSet{100, "USD", "UTC"})), std::logic_error);
  EXPECT_EQ(state.last_seq, 0u);
  EXPECT_FALSE(state.budget.has_value());

  apply(state, event_at(1, BudgetSet{100, "USD", "UTC"}));
  EXPECT_EQ(state.last_seq, 1u);
  EXPECT_THROW(apply(state, event_at(1, BudgetSet{200, "USD", "UTC"})), std::logic_error);
  EXPECT_EQ(state.budget->daily_limit_minor, 100);
}

TEST(StateApply, RejectsEventsOnUnknownEntities) {
  const std::vector<EventData> orphans = {
      SpendCommitted{"r-9", 1}, SpendReleased{"r-9"},           SpendExpired{"r-9"},
      ActionApproved{"a-9", ""}, ActionExecutionStarted{"a-9", "x"}, ActionExecuted{"a-9"},
      ActionFailed{"a-9", "x"},  GuardrailViolated{"g-9", "a-9", 1, Enforcement::warn},
  };
  for (const auto& data : orphans) {
    TenantState state;
    EXPECT_THROW(apply(state, event_at(1, data)), std::logic_error) << type_name(type_of(data));
  }
}

TEST(StateApply, RejectsClosingClosedReservation) {
  TenantState state;
  apply(state, event_at(1, SpendReserved{"r-1", 100, "2026-06-15", {}, 60, ""}));
  apply(state, event_at(2, SpendReleased{"r-1"}));
  EXPECT_THROW(apply(state, event_at(3, SpendCommitted{"r-1", 100})), std::logic_error);
  EXPECT_THROW(apply(state, event_at(3, SpendReserved{"r-1", 100, "2026-06-15", {}, 60, ""})),
               std::logic_error);
}

GuardrailRule random_rule(std::mt19937_64& rng) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  GuardrailRule rule;
  rule.kind = static_cast<GuardrailRuleKind>(pick(0, 2));
  rule.enforcement = static_cast<Enforcement>(pick(0, 2));
  rule.max_amount_minor = pick(1000, 20000);
  rule.max_actions = pick(1, 20);
  rule.allowed_kinds = {"create_po", "reorder_report"};
  rule.escalation_threshold = pick(1, 4);
  return rule;
}

// Drives a tenant through a seeded mix of every command, with time crossing several days.
Tenant random_history(std::uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const char* kinds[] = {"create_po", "pause_orders", "reorder_report", "wire_transfer"};
  Tenant tenant;
  TimePoint now = at("2026-10-23T08:00:00Z");
  tenant.given(budget(200000, "Europe/Berlin"), now);
  GuardrailRule escalating;
  escalating.kind = GuardrailRuleKind::max_amount;
  escalating.max_amount_minor = 15000;
  escalating.enforcement = Enforcement::escalate;
  escalating.escalation_threshold = 3;
  tenant.given(SetGuardrail{"g-escalate", escalating}, now);
  for (int step = 0; step < steps; ++step) {
    now += milliseconds(pick(0, 10 * 60 * 1000));
    std::string reservation = "r-" + std::to_string(pick(0, step / 3 + 1));
    std::string action = "a-" + std::to_string(pick(0, step / 5 + 1));
    Command command;
    switch (pick(0, 11)) {
      case 0: command = Reserve{reservation, pick(1, 20000), pick(60, 7200)}; break;
      case 1: command = Commit{reservation, pick(1, 20000)}; break;
      case 2: command = Release{reservation}; break;
      case 3: command = Expire{reservation}; break;
      case 4: command = propose(action, kinds[pick(0, 3)], pick(1, 20000), "abc"[pick(0, 2)]); break;
      case 5: command = ApproveAction{action, std::nullopt, std::nullopt}; break;
      case 6: command = RejectAction{action}; break;
      case 7:
      case 8: command = ExecuteAction{action}; break;
      case 9: {
        auto state_kinds = pick(0, 1) == 0 ? std::nullopt
                                           : std::optional<std::vector<std::string>>{
                                                 {kinds[pick(0, 3)], kinds[pick(0, 3)]}};
        command = SetSafeMode{pick(0, 1) == 1, "step " + std::to_string(step), state_kinds};
        break;
      }
      case 10: command = SetGuardrail{"g-" + std::to_string(pick(0, 2)), random_rule(rng)}; break;
      default: {
        auto reservation_it = tenant.state.reservations.begin();
        if (reservation_it != tenant.state.reservations.end()) {
          command = Commit{reservation_it->first, 1};
        } else {
          command = SetBudget{pick(100000, 300000), "EUR", "Europe/Berlin"};
        }
      }
    }
    (void)tenant.run(command, now);
  }
  return tenant;
}

// Decodes a journal entry the way recovery does: from the audit JSON shape alone.
Event decode(const json& encoded) {
  Event event;
  event.seq = encoded.at("seq").get<std::uint64_t>();
  event.ts = at(encoded.at("ts").get<std::string>());
  event.principal = encoded.at("principal").get<std::string>();
  auto type = event_type_from_name(encoded.at("type").get<std::string>());
  if (!type) throw std::invalid_argument("unknown type " + encoded.at("type").dump());
  event.data = event_data_from_json(*type, encoded.at("data"));
  return event;
}

TEST(StateSnapshot, HistoryReachesEveryEventType) {
  Tenant tenant = random_history(7, 4000);
  std::set<EventType> seen;
  for (const Event& e : tenant.journal) seen.insert(type_of(e.data));
  EXPECT_EQ(seen.size(), 15u);
  EXPECT_GT(tenant.journal.size(), 1000u);
}

TEST(StateSnapshot, RoundTripEqualsState) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Tenant tenant = random_history(seed, 4000);
    json snapshot = state_to_json(tenant.state);
    TenantState restored = state_from_json(snapshot);
    EXPECT_TRUE(restored == tenant.state) << "seed " << seed;
    EXPECT_EQ(state_to_json(restored), snapshot);
    EXPECT_EQ(restored.last_seq, tenant.state.last_seq);
    EXPECT_EQ(restored.reservations.size(), tenant.state.reservations.size());
    EXPECT_EQ(restored.actions.size(), tenant.state.actions.size());
    EXPECT_EQ(restored.recent_executions, tenant.state.recent_executions);
  }
}

TEST(StateSnapshot, EqualityDetectsDifference) {
  Tenant tenant = random_history(4, 500);
  TenantState changed = tenant.state;
  ASSERT_FALSE(changed.days.empty());
  changed.days.begin()->second.reserved_minor += 1;
  EXPECT_FALSE(changed == tenant.state);
  TenantState other = tenant.state;
  other.safe_mode.principal = "mallory";
  EXPECT_FALSE(other == tenant.state);
}

TEST(StateSnapshot, SnapshotPlusTailEqualsReplay) {
  Tenant tenant = random_history(5, 3000);
  const auto& journal = tenant.journal;
  ASSERT_GT(journal.size(), 500u);

  TenantState replayed;
  for (const Event& e : journal) apply(replayed, e);
  EXPECT_TRUE(replayed == tenant.state);

  for (std::size_t n : {std::size_t{1}, std::size_t{2}, journal.size() / 3, journal.size() / 2,
                        journal.size() - 1, journal.size()}) {
    TenantState prefix;
    for (std::size_t i = 0; i < n; ++i) apply(prefix, journal[i]);
    TenantState recovered = state_from_json(json::parse(state_to_json(prefix).dump()));
    ASSERT_EQ(recovered.last_seq, n);
    for (std::size_t i = n; i < journal.size(); ++i) apply(recovered, journal[i]);
    EXPECT_TRUE(recovered == tenant.state) << "snapshot at seq " << n;
  }
}

// Recovery reads events back from their JSON form, so replaying the decoded journal must rebuild
// the exact state the live tenant reached.
TEST(StateSnapshot, DecodedJournalReplaysExactly) {
  for (std::uint64_t seed : {1u, 6u}) {
    Tenant tenant = random_history(seed, 3000);
    TenantState replayed;
    for (const Event& e : tenant.journal) {
      apply(replayed, decode(json::parse(event_to_json(e).dump())));
    }
    EXPECT_TRUE(replayed == tenant.state) << "seed " << seed;
  }
}

TEST(StateSnapshot, MalformedSnapshotThrows) {
  Tenant tenant = random_history(8, 300);
  json good = state_to_json(tenant.state);
  ASSERT_FALSE(good.at("reservations").empty());
  ASSERT_FALSE(good.at("actions").empty());

  std::vector<json> bad;
  for (const auto& item : good.items()) {
    // Snapshots written before the webhook inbox, the outbox and job leases existed lack these.
    if (item.key() == "webhooks" || item.key() == "integrations" || item.key() == "leases") {
      continue;
    }
    json missing = good;
    missing.erase(item.key());
    bad.push_back(missing);
  }
  json wrong_type = good;
  wrong_type["last_seq"] = "12";
  bad.push_back(wrong_type);
  json unknown_status = good;
  unknown_status["reservations"][0]["status"] = "pending";
  bad.push_back(unknown_status);
  json missing_field = good;
  missing_field["actions"][0].erase("kind");
  bad.push_back(missing_field);
  bad.push_back(json::array());
  bad.push_back(json("snapshot"));

  for (const json& snapshot : bad) {
    EXPECT_THROW((void)state_from_json(snapshot), std::invalid_argument)
        << snapshot.dump().substr(0, 120);
  }
}

}  // namespace
}  // namespace bulwark::domain
