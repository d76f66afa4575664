#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "domain/decide.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::at;
using testing::budget;
using testing::code_of;
using testing::Tenant;
using testing::type_names;

const TimePoint t0 = at("2026-06-15T10:00:00Z");

TEST(BudgetDecide, SetBudgetEmitsBudgetSet) {
  Tenant tenant;
  Decision d = tenant.run(SetBudget{100000, "EUR", "Europe/Berlin"}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(d.events.size(), 1u);
  const auto& e = std::get<BudgetSet>(d.events[0]);
  EXPECT_EQ(e.daily_limit_minor, 100000);
  EXPECT_EQ(e.currency, "EUR");
  EXPECT_EQ(e.time_zone, "Europe/Berlin");
  ASSERT_TRUE(tenant.state.budget.has_value());
  EXPECT_EQ(tenant.state.budget->daily_limit_minor, 100000);
  EXPECT_EQ(tenant.state.last_seq, 1u);
}

TEST(BudgetDecide, RepeatedSetBudgetWritesNothing) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  Decision d = tenant.run(budget(100000), t0 + hours(1));
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.state.last_seq, 1u);
}

TEST(BudgetDecide, RejectsInvalidBudget) {
  struct Case {
    SetBudget command;
    const char* field;
  };
  const Case cases[] = {
      {{0, "USD", "UTC"}, "daily_limit_minor"},
      {{-5, "USD", "UTC"}, "daily_limit_minor"},
      {{1'000'000'000'000'001, "USD", "UTC"}, "daily_limit_minor"},
      {{100, "usd", "UTC"}, "currency"},
      {{100, "US", "UTC"}, "currency"},
      {{100, "USDX", "UTC"}, "currency"},
      {{100, "USD", "Mars/Base"}, "time_zone"},
      {{100, "USD", ""}, "time_zone"},
  };
  for (const auto& c : cases) {
    Tenant tenant;
    Decision d = tenant.run(c.command, t0);
    ASSERT_EQ(code_of(d), "invalid_request") << c.field;
    EXPECT_EQ(d.rejection->details.at("field"), c.field);
    EXPECT_TRUE(d.events.empty());
    EXPECT_FALSE(tenant.state.budget.has_value());
  }
}

TEST(BudgetDecide, ReserveNeedsBudget) {
  Tenant tenant;
  Decision d = tenant.run(Reserve{"r-1", 3000, 300}, t0);
  EXPECT_EQ(code_of(d), "budget_not_set");
  EXPECT_TRUE(d.events.empty());
  EXPECT_TRUE(tenant.state.reservations.empty());
}

TEST(BudgetDecide, ReserveEmitsSpendReserved) {
  Tenant tenant;
  tenant.given(budget(100000, "Europe/Berlin"), t0);
  Decision d = tenant.run(Reserve{"r-1", 3000, 300}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(d.events.size(), 1u);
  const auto& e = std::get<SpendReserved>(d.events[0]);
  EXPECT_EQ(e.reservation_id, "r-1");
  EXPECT_EQ(e.amount_minor, 3000);
  EXPECT_EQ(e.budget_day, "2026-06-15");
  EXPECT_EQ(e.expires_at, t0 + seconds(300));
  EXPECT_EQ(e.ttl_s, 300);
  EXPECT_EQ(e.action_id, "");
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 3000);
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 0);
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::open);
}

TEST(BudgetDecide, SequentialReservesStopAtLimit) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  int accepted = 0;
  int limit_exceeded = 0;
  for (int i = 0; i < 50; ++i) {
    Decision d = tenant.run(Reserve{"r-" + std::to_string(i), 3000, 300}, t0 + seconds(i));
    if (!d.rejection) {
      ++accepted;
      EXPECT_EQ(d.events.size(), 1u);
    } else {
      EXPECT_EQ(code_of(d), "limit_exceeded");
      EXPECT_TRUE(d.events.empty());
      ++limit_exceeded;
    }
  }
  EXPECT_EQ(accepted, 33);
  EXPECT_EQ(limit_exceeded, 17);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 99000);
  EXPECT_EQ(tenant.state.reservations.size(), 33u);
  EXPECT_EQ(tenant.state.last_seq, 34u);
}

TEST(BudgetDecide, ReserveExactlyToLimit) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 9999, 300}, t0);
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-2", 1, 300}, t0)), "accepted");

  Decision d = tenant.run(Reserve{"r-3", 1, 300}, t0);
  ASSERT_EQ(code_of(d), "limit_exceeded");
  const auto& details = d.rejection->details;
  EXPECT_EQ(details.at("budget_day"), "2026-06-15");
  EXPECT_EQ(details.at("limit_minor"), 10000);
  EXPECT_EQ(details.at("reserved_minor"), 10000);
  EXPECT_EQ(details.at("available_minor"), 0);
  EXPECT_EQ(details.at("requested_minor"), 1);
}

TEST(BudgetDecide, ReserveAtMaxAmountsNoOverflow) {
  Tenant tenant;
  tenant.given(budget(amount_minor_max), t0);
  tenant.given(Reserve{"r-1", amount_minor_max, 300}, t0);
  Decision d = tenant.run(Reserve{"r-2", amount_minor_max, 300}, t0);
  EXPECT_EQ(code_of(d), "limit_exceeded");
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, amount_minor_max);
}

TEST(BudgetDecide, RepeatedReserveWritesNothing) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(Reserve{"r-1", 3000, 300}, t0);
  TenantState before = tenant.state;

  Decision d = tenant.run(Reserve{"r-1", 3000, 300}, t0 + seconds(5));
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(d.events.empty());
  EXPECT_TRUE(tenant.state == before);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 3000);
}

TEST(BudgetDecide, RepeatedReserveAfterCommitWritesNothing) {
  Tenant tenant;
  tenant.given(budget(100000), t0);
  tenant.given(Reserve{"r-1", 3000, 300}, t0);
  tenant.given(Commit{"r-1", 2000}, t0);
  Decision d = tenant.run(Reserve{"r-1", 3000, 300}, t0 + seconds(5));
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 2000);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);
}

TEST(BudgetDecide, ReserveSameIdDifferentBodyConflicts) {
  const Reserve edits[] = {{"r-1", 3001, 300}, {"r-1", 3000, 301}};
  for (const auto& edit : edits) {
    Tenant tenant;
    tenant.given(budget(100000), t0);
    tenant.given(Reserve{"r-1", 3000, 300}, t0);
    Decision d = tenant.run(edit, t0);
    EXPECT_EQ(code_of(d), "idempotency_conflict");
    EXPECT_TRUE(d.events.empty());
    EXPECT_EQ(tenant.reservation("r-1").amount_minor, 3000);
    EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 3000);
  }
}

TEST(BudgetDecide, ReserveValidatesFields) {
  struct Case {
    Reserve command;
    const char* expected;
  };
  const Case cases[] = {
      {{"r-1", 3000, 0}, "invalid_request"},
      {{"r-1", 3000, -1}, "invalid_request"},
      {{"r-1", 3000, 1}, "accepted"},
      {{"r-1", 3000, 7 * 24 * 3600}, "accepted"},
      {{"r-1", 3000, 7 * 24 * 3600 + 1}, "invalid_request"},
      {{"r-1", 0, 300}, "invalid_request"},
      {{"r-1", -3000, 300}, "invalid_request"},
      {{"r-1", 1'000'000'000'000'001, 300}, "invalid_request"},
      {{"", 3000, 300}, "invalid_request"},
      {{"r/1", 3000, 300}, "invalid_request"},
      {{std::string(129, 'r'), 3000, 300}, "invalid_request"},
      {{std::string(128, 'r'), 3000, 300}, "accepted"},
  };
  for (const auto& c : cases) {
    Tenant tenant;
    tenant.given(budget(amount_minor_max), t0);
    Decision d = tenant.run(c.command, t0);
    EXPECT_EQ(code_of(d), c.expected)
        << "id " << c.command.reservation_id.substr(0, 8) << " amount " << c.command.amount_minor
        << " ttl " << c.command.ttl_s;
    EXPECT_EQ(tenant.state.reservations.size(), d.rejection ? 0u : 1u);
  }
}

TEST(BudgetDecide, CommitFreesUnusedRemainder) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 5000, 300}, t0);
  Decision d = tenant.run(Commit{"r-1", 3000}, t0 + seconds(10));
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), std::vector<std::string>{"spend_committed"});
  EXPECT_EQ(std::get<SpendCommitted>(d.events[0]).amount_minor, 3000);
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 3000);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::committed);
  EXPECT_EQ(tenant.reservation("r-1").committed_minor, 3000);

  // The freed 2000 plus the untouched 5000 are available again.
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-2", 7000, 300}, t0)), "accepted");
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-3", 1, 300}, t0)), "limit_exceeded");
}

TEST(BudgetDecide, CommitFullReservedAmount) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 5000, 300}, t0);
  EXPECT_EQ(code_of(tenant.run(Commit{"r-1", 5000}, t0)), "accepted");
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 5000);
}

TEST(BudgetDecide, CommitAboveReservedRejected) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 5000, 300}, t0);
  Decision d = tenant.run(Commit{"r-1", 5001}, t0);
  ASSERT_EQ(code_of(d), "invalid_request");
  EXPECT_EQ(d.rejection->details.at("reserved_minor"), 5000);
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::open);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 5000);
}

// Given a reservation of 5000 committed with 3000, when a command arrives, then the reply is as
// listed and no event is written.
TEST(BudgetDecide, CommittedReservationTable) {
  struct Case {
    Command command;
    const char* expected;
  };
  const Case cases[] = {
      {Commit{"r-1", 3000}, "accepted"},
      {Commit{"r-1", 2999}, "idempotency_conflict"},
      {Commit{"r-1", 5000}, "idempotency_conflict"},
      {Release{"r-1"}, "invalid_transition"},
      {Expire{"r-1"}, "accepted"},
      {Commit{"r-9", 3000}, "not_found"},
      {Release{"r-9"}, "not_found"},
      {Expire{"r-9"}, "not_found"},
  };
  for (const auto& c : cases) {
    Tenant tenant;
    tenant.given(budget(10000), t0);
    tenant.given(Reserve{"r-1", 5000, 300}, t0);
    tenant.given(Commit{"r-1", 3000}, t0);
    Decision d = tenant.run(c.command, t0 + hours(1));
    EXPECT_EQ(code_of(d), c.expected) << "command index " << c.command.index();
    EXPECT_TRUE(d.events.empty());
    EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::committed);
    EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 3000);
  }
}

TEST(BudgetDecide, ReleaseFreesReservation) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 10000, 300}, t0);
  Decision d = tenant.run(Release{"r-1"}, t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), std::vector<std::string>{"spend_released"});
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::released);

  Decision repeat = tenant.run(Release{"r-1"}, t0);
  EXPECT_EQ(code_of(repeat), "accepted");
  EXPECT_TRUE(repeat.events.empty());

  EXPECT_EQ(code_of(tenant.run(Commit{"r-1", 100}, t0)), "invalid_transition");
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-2", 10000, 300}, t0)), "accepted");
}

TEST(BudgetDecide, ExpireBeforeDeadlineRejected) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  Decision d = tenant.run(Expire{"r-1"}, t0 + seconds(300) - milliseconds(1));
  EXPECT_EQ(code_of(d), "invalid_transition");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::open);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 4000);
}

TEST(BudgetDecide, ExpireAtDeadlineFreesSpend) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  Decision d = tenant.run(Expire{"r-1"}, t0 + seconds(300));
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), std::vector<std::string>{"spend_expired"});
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::expired);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);

  Decision repeat = tenant.run(Expire{"r-1"}, t0 + seconds(400));
  EXPECT_EQ(code_of(repeat), "accepted");
  EXPECT_TRUE(repeat.events.empty());
  EXPECT_EQ(code_of(tenant.run(Release{"r-1"}, t0 + seconds(400))), "reservation_expired");
}

TEST(BudgetDecide, CommitAfterDeadlineExpires) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  Decision d = tenant.run(Commit{"r-1", 4000}, t0 + seconds(300));
  ASSERT_EQ(code_of(d), "reservation_expired");
  ASSERT_EQ(type_names(d.events), std::vector<std::string>{"spend_expired"});
  EXPECT_EQ(tenant.reservation("r-1").status, ReservationStatus::expired);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 0);

  Decision again = tenant.run(Commit{"r-1", 4000}, t0 + seconds(301));
  EXPECT_EQ(code_of(again), "reservation_expired");
  EXPECT_TRUE(again.events.empty());
}

TEST(BudgetDecide, CommitJustBeforeDeadline) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  Decision d = tenant.run(Commit{"r-1", 4000}, t0 + seconds(300) - milliseconds(1));
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 4000);
}

TEST(BudgetDecide, LimitBelowUsageRejected) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 4000, 300}, t0);
  tenant.given(Reserve{"r-2", 3000, 300}, t0);
  tenant.given(Commit{"r-2", 2000}, t0);

  Decision below = tenant.run(budget(5999), t0);
  ASSERT_EQ(code_of(below), "limit_below_usage");
  EXPECT_EQ(below.rejection->details.at("used_minor"), 6000);
  EXPECT_TRUE(below.events.empty());
  EXPECT_EQ(tenant.state.budget->daily_limit_minor, 10000);

  EXPECT_EQ(code_of(tenant.run(budget(6000), t0)), "accepted");
  EXPECT_EQ(tenant.state.budget->daily_limit_minor, 6000);
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-3", 1, 300}, t0)), "limit_exceeded");
}

// At 23:30 UTC Berlin is already on the next day, New York is not. Moving the budget to New York
// with a lower limit must account for the day that Berlin has started spending on.
TEST(BudgetDecide, LimitBelowUsageAfterZoneChange) {
  Tenant tenant;
  TimePoint now = at("2026-06-15T23:30:00Z");
  tenant.given(budget(10000, "Europe/Berlin"), now);
  tenant.given(Reserve{"r-1", 8000, 3600}, now);
  ASSERT_EQ(tenant.reservation("r-1").budget_day, "2026-06-16");

  Decision d = tenant.run(budget(5000, "America/New_York"), now);
  ASSERT_EQ(code_of(d), "limit_below_usage");
  EXPECT_EQ(d.rejection->details.at("budget_day"), "2026-06-16");
  EXPECT_EQ(d.rejection->details.at("used_minor"), 8000);
  EXPECT_EQ(tenant.state.budget->time_zone, "Europe/Berlin");

  EXPECT_EQ(code_of(tenant.run(budget(8000, "America/New_York"), now)), "accepted");
  EXPECT_EQ(tenant.state.budget->time_zone, "America/New_York");
}

TEST(BudgetDecide, LowerLimitOnFreshDayAccepted) {
  Tenant tenant;
  tenant.given(budget(10000), t0);
  tenant.given(Reserve{"r-1", 9000, 300}, t0);
  Decision d = tenant.run(budget(100), t0 + hours(24));
  EXPECT_EQ(code_of(d), "accepted");
  EXPECT_EQ(tenant.state.budget->daily_limit_minor, 100);
}

// For each local midnight around the 2026 DST changes, a reservation one millisecond before and
// one at midnight land on different budget days, and each day allows the full limit once.
TEST(BudgetDecide, BudgetDayResetsAtLocalMidnight) {
  struct Case {
    const char* zone;
    const char* midnight_utc;
    const char* previous_day;
    const char* day;
  };
  const Case cases[] = {
      {"Europe/Berlin", "2026-03-28T23:00:00Z", "2026-03-28", "2026-03-29"},
      {"Europe/Berlin", "2026-03-29T22:00:00Z", "2026-03-29", "2026-03-30"},
      {"Europe/Berlin", "2026-10-24T22:00:00Z", "2026-10-24", "2026-10-25"},
      {"Europe/Berlin", "2026-10-25T23:00:00Z", "2026-10-25", "2026-10-26"},
      {"America/New_York", "2026-03-08T05:00:00Z", "2026-03-07", "2026-03-08"},
      {"America/New_York", "2026-03-09T04:00:00Z", "2026-03-08", "2026-03-09"},
      {"America/New_York", "2026-11-01T04:00:00Z", "2026-10-31", "2026-11-01"},
      {"America/New_York", "2026-11-02T05:00:00Z", "2026-11-01", "2026-11-02"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.zone) + " " + c.midnight_utc);
    TimePoint midnight = at(c.midnight_utc);
    TimePoint before = midnight - milliseconds(1);
    Tenant tenant;
    tenant.given(budget(10000, c.zone), before - hours(30));

    Decision late = tenant.run(Reserve{"late", 10000, 3600}, before);
    ASSERT_EQ(code_of(late), "accepted");
    EXPECT_EQ(std::get<SpendReserved>(late.events[0]).budget_day, c.previous_day);
    EXPECT_EQ(code_of(tenant.run(Reserve{"late-2", 1, 3600}, before)), "limit_exceeded");

    Decision early = tenant.run(Reserve{"early", 10000, 3600}, midnight);
    ASSERT_EQ(code_of(early), "accepted");
    EXPECT_EQ(std::get<SpendReserved>(early.events[0]).budget_day, c.day);
    EXPECT_EQ(code_of(tenant.run(Reserve{"early-2", 1, 3600}, midnight)), "limit_exceeded");

    // Still the same local day one hour later, so no second reset.
    EXPECT_EQ(code_of(tenant.run(Reserve{"later", 1, 3600}, midnight + hours(1))),
              "limit_exceeded");
    EXPECT_EQ(tenant.day(c.previous_day).reserved_minor, 10000);
    EXPECT_EQ(tenant.day(c.day).reserved_minor, 10000);
  }
}

// Counts budget resets by reserving the whole limit at every hour: a reserve succeeds only on the
// first hour of each local day, so the count of accepted reserves is the count of local days.
TEST(BudgetDecide, OneResetPerLocalDay) {
  struct Case {
    const char* zone;
    const char* from;
    int hours_walked;
    int local_days;
  };
  const Case cases[] = {
      // 2026-03-28 00:00 CET to 2026-03-31 00:00 CEST is 71 hours and three local days.
      {"Europe/Berlin", "2026-03-27T23:00:00Z", 71, 3},
      // 2026-10-24 00:00 CEST to 2026-10-27 00:00 CET is 73 hours and three local days.
      {"Europe/Berlin", "2026-10-23T22:00:00Z", 73, 3},
      {"America/New_York", "2026-03-07T05:00:00Z", 71, 3},
      {"America/New_York", "2026-10-31T04:00:00Z", 73, 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.zone);
    Tenant tenant;
    tenant.given(budget(500, c.zone), at(c.from));
    int accepted = 0;
    for (int h = 0; h < c.hours_walked; ++h) {
      Decision d = tenant.run(Reserve{"r-" + std::to_string(h), 500, 60}, at(c.from) + hours(h));
      if (!d.rejection) ++accepted;
    }
    EXPECT_EQ(accepted, c.local_days);
    EXPECT_EQ(tenant.state.days.size(), static_cast<std::size_t>(c.local_days));
  }
}

TEST(BudgetDecide, CommitCountsOnReservationDay) {
  Tenant tenant;
  TimePoint late = at("2026-06-15T21:59:00Z");  // 23:59 in Berlin
  tenant.given(budget(10000, "Europe/Berlin"), late);
  tenant.given(Reserve{"r-1", 8000, 3600}, late);
  Decision d = tenant.run(Commit{"r-1", 6000}, late + std::chrono::minutes(5));
  ASSERT_EQ(code_of(d), "accepted");
  EXPECT_EQ(tenant.day("2026-06-15").committed_minor, 6000);
  EXPECT_EQ(tenant.day("2026-06-15").reserved_minor, 0);
  EXPECT_EQ(tenant.day("2026-06-16").committed_minor, 0);
  EXPECT_EQ(code_of(tenant.run(Reserve{"r-2", 10000, 60}, late + std::chrono::minutes(5))),
            "accepted");
}

// The limit that each budget day must respect: the limit in force when the day's totals last grew
// or when a new limit was accepted on or before that day. A lower limit set later does not apply
// to past days.
class InvariantChecker {
 public:
  void after_event(const TenantState& state, const Event& event) {
    ASSERT_TRUE(state.budget.has_value());
    std::string today = local_day(event.ts, state.budget->time_zone);
    if (std::holds_alternative<BudgetSet>(event.data)) {
      day_limits_[today] = state.budget->daily_limit_minor;
      for (auto& [day, limit] : day_limits_) {
        if (day >= today) limit = state.budget->daily_limit_minor;
      }
    }
    if (const auto* reserved = std::get_if<SpendReserved>(&event.data)) {
      EXPECT_EQ(reserved->budget_day, today);
      day_limits_[reserved->budget_day] = state.budget->daily_limit_minor;
    }

    std::map<std::string, DayTotals> expected;
    for (const auto& [id, r] : state.reservations) {
      if (r.status == ReservationStatus::open) expected[r.budget_day].reserved_minor += r.amount_minor;
      if (r.status == ReservationStatus::committed) {
        EXPECT_LE(r.committed_minor, r.amount_minor);
        expected[r.budget_day].committed_minor += r.committed_minor;
      }
    }
    for (const auto& [day, totals] : state.days) {
      SCOPED_TRACE("seq " + std::to_string(event.seq) + " day " + day);
      EXPECT_GE(totals.reserved_minor, 0);
      EXPECT_GE(totals.committed_minor, 0);
      EXPECT_EQ(totals.reserved_minor, expected[day].reserved_minor);
      EXPECT_EQ(totals.committed_minor, expected[day].committed_minor);
      ASSERT_EQ(day_limits_.count(day), 1u);
      EXPECT_LE(totals.committed_minor + totals.reserved_minor, day_limits_[day]);
      if (day == today) {
        EXPECT_LE(totals.committed_minor + totals.reserved_minor, state.budget->daily_limit_minor);
      }
    }
  }

 private:
  std::map<std::string, MinorUnits> day_limits_;
};

TEST(BudgetDecide, RandomHistoryKeepsInvariant) {
  const char* starts[] = {"2026-03-26T18:00:00Z", "2026-10-22T18:00:00Z"};
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    for (const char* start : starts) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " start " + start);
      std::mt19937_64 rng(seed);
      auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
      };
      Tenant tenant;
      TimePoint now = at(start);
      tenant.given(budget(100000, "Europe/Berlin"), now);
      InvariantChecker checker;
      checker.after_event(tenant.state, tenant.journal.back());

      std::map<std::string, int> outcomes;
      int next_id = 0;
      for (int step = 0; step < 3000; ++step) {
        now += milliseconds(pick(0, 4 * 60 * 1000));
        if (pick(0, 99) == 0) now += hours(pick(1, 8));

        // Mostly a reservation that exists, sometimes an id that was rejected or never used.
        std::string existing = "r-" + std::to_string(next_id + 1);
        if (!tenant.state.reservations.empty() && pick(0, 9) != 0) {
          auto it = tenant.state.reservations.begin();
          std::advance(it, pick(0, static_cast<std::int64_t>(tenant.state.reservations.size()) - 1));
          existing = it->first;
        }
        Command command;
        std::int64_t roll = pick(0, 99);
        if (roll < 45) {
          command = Reserve{"r-" + std::to_string(next_id++), pick(1, 15000), pick(1, 3 * 3600)};
        } else if (roll < 50) {
          command = Reserve{existing, pick(1, 15000), pick(1, 3 * 3600)};
        } else if (roll < 70) {
          command = Commit{existing, pick(1, 16000)};
        } else if (roll < 82) {
          command = Release{existing};
        } else if (roll < 96) {
          command = Expire{existing};
        } else {
          const char* zone = pick(0, 3) == 0 ? "America/New_York" : "Europe/Berlin";
          command = SetBudget{pick(20000, 200000), "USD", zone};
        }

        std::size_t journal_before = tenant.journal.size();
        Decision d = tenant.run(command, now);
        ++outcomes[code_of(d)];
        for (std::size_t i = journal_before; i < tenant.journal.size(); ++i) {
          checker.after_event(tenant.state, tenant.journal[i]);
        }
        if (::testing::Test::HasFailure()) return;
      }
      // The mix must reach the interesting outcomes, or the run proves little.
      EXPECT_GT(outcomes["accepted"], 800);
      EXPECT_GT(outcomes["limit_exceeded"], 50);
      EXPECT_GT(outcomes["reservation_expired"], 100);
      EXPECT_GT(outcomes["limit_below_usage"], 10);
      EXPECT_GT(tenant.state.days.size(), 5u);
    }
  }
}

}  // namespace
}  // namespace bulwark::domain
