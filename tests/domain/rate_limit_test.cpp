// GCRA rate limiter and the rate-limit configuration, with explicit times.
#include "domain/rate_limit.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "domain/audit.hpp"
#include "domain/views.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::at;

const TimePoint t0 = at("2026-12-04T10:00:00Z");

// One principal's approvals at 10 per minute with a burst of 10: one request every 6 s.
struct OneKey {
  GcraLimiter limiter;
  RateLimit limit{10, 10};

  std::optional<RateLimitDenial> request(TimePoint now) {
    return limiter.acquire({{{RouteClass::approvals, RateLimitScope::principal, "anna"}, limit}},
                           now);
  }

  // Sends `count` requests at `now` and returns how many were allowed.
  int allowed_of(int count, TimePoint now) {
    int allowed = 0;
    for (int i = 0; i < count; ++i) allowed += request(now) ? 0 : 1;
    return allowed;
  }
};

TEST(GcraLimiter, BurstThenDenies) {
  OneKey key;
  EXPECT_EQ(key.allowed_of(10, t0), 10);
  auto denial = key.request(t0);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 6s);
  EXPECT_EQ(denial->key.scope, RateLimitScope::principal);
  EXPECT_EQ(denial->limit, (RateLimit{10, 10}));
}

TEST(GcraLimiter, SteadyRateAfterBurst) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(10, t0), 10);
  for (int step = 1; step <= 20; ++step) {
    TimePoint now = t0 + step * 6s;
    SCOPED_TRACE(format_rfc3339(now));
    auto early = key.request(now - 1ms);
    ASSERT_TRUE(early);
    EXPECT_EQ(early->retry_after, 1s);  // 1 ms rounds up to a whole second
    EXPECT_EQ(key.allowed_of(2, now), 1);
  }
}

TEST(GcraLimiter, RefillsAfterOneMinute) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(10, t0), 10);
  EXPECT_FALSE(key.limiter.at_rest(t0 + 59s));
  EXPECT_TRUE(key.limiter.at_rest(t0 + 60s));
  EXPECT_EQ(key.allowed_of(11, t0 + 60s), 10);
}

TEST(GcraLimiter, RetryAfterRoundsUp) {
  GcraLimiter limiter;
  RateLimitKey key{RouteClass::executions, RateLimitScope::tenant, "acme"};
  RateLimit seven_per_minute{7, 1};  // 8.571 s between requests
  ASSERT_FALSE(limiter.acquire({{key, seven_per_minute}}, t0));
  auto denial = limiter.acquire({{key, seven_per_minute}}, t0);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 9s);
  denial = limiter.acquire({{key, seven_per_minute}}, t0 + 8s);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 1s);
  EXPECT_FALSE(limiter.acquire({{key, seven_per_minute}}, t0 + 8572ms));
}

TEST(GcraLimiter, RetryAfterAtLeastOneSecond) {
  GcraLimiter limiter;
  RateLimitKey key{RouteClass::executions, RateLimitScope::tenant, "acme"};
  RateLimit ten_per_second{600, 1};  // 100 ms between requests
  ASSERT_FALSE(limiter.acquire({{key, ten_per_second}}, t0));
  auto denial = limiter.acquire({{key, ten_per_second}}, t0);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 1s);
}

TEST(GcraLimiter, ForwardJumpGivesOneBurst) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(10, t0), 10);
  TimePoint later = t0 + 24h;
  EXPECT_EQ(key.allowed_of(100, later), 10);
  auto denial = key.request(later);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 6s);
}

TEST(GcraLimiter, BackwardJumpKeepsWhatIsOwed) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(10, t0), 10);
  TimePoint earlier = t0 - 1h;

  // No fresh burst, and no hour-long lockout: the next request waits one interval as before.
  auto denial = key.request(earlier);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 6s);
  EXPECT_EQ(key.allowed_of(2, earlier + 6s), 1);
  EXPECT_EQ(key.allowed_of(2, earlier + 12s), 1);
  // The two requests above moved the full refill from earlier + 60 s to earlier + 72 s.
  EXPECT_FALSE(key.limiter.at_rest(earlier + 71s));
  EXPECT_TRUE(key.limiter.at_rest(earlier + 72s));
  EXPECT_EQ(key.allowed_of(11, earlier + 72s), 10);
}

TEST(GcraLimiter, BackwardJumpKeepsPartialBurst) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(4, t0), 4);
  EXPECT_EQ(key.allowed_of(10, t0 - 10min), 6);
}

TEST(GcraLimiter, OscillatingClockCountsForwardSteps) {
  OneKey key;
  TimePoint now = t0;
  int allowed = 0;
  // Two steps of +1 s, then one of -1 s, 200 times: 400 s of forward steps. A backward step
  // counts as no time, so the limiter allows the burst and one request per 6 s of forward steps.
  for (int i = 0; i < 600; ++i) {
    now += (i % 3 == 2) ? -1s : 1s;
    allowed += key.allowed_of(1, now);
  }
  EXPECT_LE(allowed, 10 + 400 / 6 + 1);
  EXPECT_GE(allowed, 10 + 400 / 6 - 1);
}

TEST(GcraLimiter, LoweredLimitWaitsOneInterval) {
  OneKey key;
  ASSERT_EQ(key.allowed_of(10, t0), 10);  // owes 60 s at 10 per minute
  key.limit = RateLimit{60, 1};           // now one per second, without a burst
  auto denial = key.request(t0);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->retry_after, 1s);
  EXPECT_EQ(key.allowed_of(2, t0 + 1s), 1);
}

TEST(GcraLimiter, DeniedChargeConsumesNothing) {
  GcraLimiter limiter;
  RateLimitKey principal{RouteClass::approvals, RateLimitScope::principal, "anna"};
  RateLimitKey tenant{RouteClass::approvals, RateLimitScope::tenant, "acme"};
  RateLimit one{1, 1};
  RateLimit many{60, 5};
  ASSERT_FALSE(limiter.acquire({{principal, one}, {tenant, many}}, t0));
  auto denial = limiter.acquire({{principal, one}, {tenant, many}}, t0);
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->key.scope, RateLimitScope::principal);
  EXPECT_EQ(denial->retry_after, 60s);
  // The tenant key gave only the first request: four more fit.
  int allowed = 0;
  for (int i = 0; i < 5; ++i) allowed += limiter.acquire({{tenant, many}}, t0) ? 0 : 1;
  EXPECT_EQ(allowed, 4);
}

TEST(GcraLimiter, AtRestIgnoresUntouchedKeys) {
  GcraLimiter limiter;
  EXPECT_TRUE(limiter.at_rest(t0));
  EXPECT_EQ(limiter.key_count(), 0u);
}

TEST(GcraLimiter, PrunesKeysAtRest) {
  GcraLimiter limiter;
  RateLimit limit{60, 1};
  for (int i = 0; i < 2000; ++i) {
    RateLimitKey key{RouteClass::approvals, RateLimitScope::principal, "p" + std::to_string(i)};
    ASSERT_FALSE(limiter.acquire({{key, limit}}, t0 + i * 1s));
  }
  // Each key refills 1 s after its request, so all but the newest are at rest.
  EXPECT_LE(limiter.key_count(), 1025u);
}

// Charging commands: route classes, scopes and the rejection.

RateLimitConfig tight_config() {
  RateLimitConfig config = default_rate_limits();
  config.approvals = RouteClassLimits{{10, 3}, {10, 5}};
  return config;
}

TEST(RateLimitCharge, PrincipalsShareTenantAllowance) {
  GcraLimiter limiter;
  RateLimitConfig config = tight_config();
  Command approve = ApproveAction{"a-1"};
  int anna = 0;
  int bert = 0;
  for (int i = 0; i < 4; ++i) {
    anna += charge_rate_limits(limiter, config, approve, "acme", "anna", t0) ? 0 : 1;
  }
  for (int i = 0; i < 4; ++i) {
    bert += charge_rate_limits(limiter, config, approve, "acme", "bert", t0) ? 0 : 1;
  }
  EXPECT_EQ(anna, 3);  // per principal burst
  EXPECT_EQ(bert, 2);  // what is left of the tenant's burst of 5

  auto rejection = charge_rate_limits(limiter, config, approve, "acme", "bert", t0);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->code, RejectionCode::rate_limited);
  EXPECT_EQ(rejection->details["route_class"], "approvals");
  EXPECT_EQ(rejection->details["scope"], "tenant");
  EXPECT_EQ(rejection->details["limit"], (json{{"rate_per_minute", 10}, {"burst", 5}}));
  EXPECT_EQ(rejection->details["retry_after_s"], 6);
}

TEST(RateLimitCharge, ClassesAreIndependent) {
  GcraLimiter limiter;
  RateLimitConfig config = tight_config();
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(charge_rate_limits(limiter, config, RejectAction{"a-1"}, "acme", "anna", t0));
  }
  EXPECT_TRUE(charge_rate_limits(limiter, config, ApproveAction{"a-2"}, "acme", "anna", t0));
  EXPECT_FALSE(charge_rate_limits(limiter, config, ExecuteAction{"a-1"}, "acme", "anna", t0));
}

TEST(RateLimitCharge, UnlimitedCommandsPass) {
  GcraLimiter limiter;
  RateLimitConfig config = default_rate_limits();
  config.executions = RouteClassLimits{{1, 1}, {1, 1}};
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(charge_rate_limits(limiter, config, Reserve{"r-1", 5, 60}, "acme", "anna", t0));
  }
  EXPECT_EQ(limiter.key_count(), 0u);
}

TEST(RateLimitCharge, RouteClassMapping) {
  EXPECT_EQ(route_class_of(ApproveAction{"a-1"}), RouteClass::approvals);
  EXPECT_EQ(route_class_of(RejectAction{"a-1"}), RouteClass::approvals);
  EXPECT_EQ(route_class_of(ExecuteAction{"a-1"}), RouteClass::executions);
  EXPECT_EQ(route_class_of(SetGuardrail{"g-1", {}}), RouteClass::rule_changes);
  EXPECT_EQ(route_class_of(SetRateLimits{}), RouteClass::rule_changes);
  EXPECT_EQ(route_class_of(ProposeAction{}), std::nullopt);
  EXPECT_EQ(route_class_of(SetBudget{}), std::nullopt);
}

// Configuration: JSON form, decide, apply and the views.

TEST(RateLimitConfigJson, EmptyObjectIsDefaults) {
  auto parsed = rate_limits_from_json(json::object(), MissingLimits::take_defaults);
  ASSERT_TRUE(std::holds_alternative<RateLimitConfig>(parsed));
  EXPECT_EQ(std::get<RateLimitConfig>(parsed), default_rate_limits());
}

TEST(RateLimitConfigJson, RoundTrips) {
  RateLimitConfig config{{{10, 3}, {20, 6}}, {{5, 1}, {7, 2}}, {{1, 1}, {2, 2}}};
  auto parsed = rate_limits_from_json(rate_limits_to_json(config), MissingLimits::reject);
  ASSERT_TRUE(std::holds_alternative<RateLimitConfig>(parsed));
  EXPECT_EQ(std::get<RateLimitConfig>(parsed), config);
}

TEST(RateLimitConfigJson, RejectsInvalidValues) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"([])", "body"},
      {R"({"approval": {}})", "approval"},
      {R"({"approvals": {"per_tenant": {"rate_per_minute": 1.5, "burst": 1}}})",
       "approvals.per_tenant.rate_per_minute"},
      {R"({"approvals": {"per_tenant": {"rate_per_minute": 1, "burst": 0}}})",
       "approvals.per_tenant.burst"},
      {R"({"approvals": {"per_tenant": {"rate_per_minute": -1, "burst": 1}}})",
       "approvals.per_tenant.rate_per_minute"},
      {R"({"approvals": {"per_tenant": {"rate_per_minute": 1, "burst": 18446744073709551615}}})",
       "approvals.per_tenant.burst"},
      {R"({"approvals": {"per_tenant": {"burst": 1}}})", "approvals.per_tenant.rate_per_minute"},
      {R"({"approvals": {"per_tenant": null}})", "approvals.per_tenant"},
      {R"({"approvals": {"per_tenant": {"rate_per_minute": true, "burst": 1}}})",
       "approvals.per_tenant.rate_per_minute"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto parsed = rate_limits_from_json(json::parse(c.body), MissingLimits::take_defaults);
    ASSERT_TRUE(std::holds_alternative<Rejection>(parsed));
    const Rejection& rejection = std::get<Rejection>(parsed);
    EXPECT_EQ(rejection.code, RejectionCode::invalid_request);
    EXPECT_EQ(rejection.details["field"], c.field);
  }
}

TEST(RateLimitDecide, SetWritesEventOnceThenRepeatsNothing) {
  testing::Tenant tenant;
  RateLimitConfig config = tight_config();
  Decision first = tenant.run(SetRateLimits{config}, t0);
  ASSERT_FALSE(first.rejection);
  EXPECT_EQ(testing::type_names(first.events), std::vector<std::string>{"rate_limits_set"});
  ASSERT_TRUE(tenant.state.rate_limits);
  EXPECT_EQ(*tenant.state.rate_limits, config);
  EXPECT_EQ(effective_rate_limits(tenant.state), config);

  Decision repeat = tenant.run(SetRateLimits{config}, t0);
  EXPECT_FALSE(repeat.rejection);
  EXPECT_TRUE(repeat.events.empty());
}

TEST(RateLimitDecide, DefaultsAreWrittenWhenSetExplicitly) {
  testing::Tenant tenant;
  EXPECT_EQ(effective_rate_limits(tenant.state), default_rate_limits());
  EXPECT_EQ(rate_limits_view(tenant.state)["configured"], false);
  Decision decision = tenant.run(SetRateLimits{default_rate_limits()}, t0);
  EXPECT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(rate_limits_view(tenant.state)["configured"], true);
}

TEST(RateLimitDecide, RejectsOutOfRangeConfig) {
  testing::Tenant tenant;
  RateLimitConfig config = default_rate_limits();
  config.rule_changes.per_tenant.rate_per_minute = 0;
  Decision decision = tenant.run(SetRateLimits{config}, t0);
  EXPECT_EQ(testing::code_of(decision), "invalid_request");
  EXPECT_EQ(decision.rejection->details["field"], "rule_changes.per_tenant.rate_per_minute");
  EXPECT_TRUE(decision.events.empty());
}

TEST(RateLimitState, SnapshotKeepsConfig) {
  testing::Tenant tenant;
  tenant.given(SetRateLimits{tight_config()}, t0);
  TenantState restored = state_from_json(state_to_json(tenant.state));
  ASSERT_TRUE(restored.rate_limits);
  EXPECT_EQ(*restored.rate_limits, tight_config());
  EXPECT_TRUE(restored == tenant.state);

  TenantState fresh;
  EXPECT_FALSE(state_from_json(state_to_json(fresh)).rate_limits);
}

TEST(RateLimitState, TenantViewShowsLimits) {
  testing::Tenant tenant;
  tenant.given(SetRateLimits{tight_config()}, t0);
  json view = tenant_view(tenant.state, t0);
  EXPECT_EQ(view["rate_limits"]["approvals"]["per_principal"],
            (json{{"rate_per_minute", 10}, {"burst", 3}}));
  EXPECT_EQ(view["rate_limits"]["configured"], true);
}

TEST(RateLimitAudit, FlagsOutOfRangeConfig) {
  RateLimitConfig config = default_rate_limits();
  config.approvals.per_principal.burst = 0;
  Event event{1, t0, "adam", "req", RateLimitsSet{config}};
  auto violation = check_event(TenantState{}, event);
  ASSERT_TRUE(violation);
  EXPECT_EQ(violation->invariant, "rate_limits_in_range");

  Event valid{1, t0, "adam", "req", RateLimitsSet{default_rate_limits()}};
  EXPECT_FALSE(check_event(TenantState{}, valid));
}

TEST(RateLimitAudit, DecodeRejectsOutOfRangeConfig) {
  json data = rate_limits_to_json(default_rate_limits());
  data["executions"]["per_tenant"]["burst"] = 0;
  EXPECT_THROW((void)event_data_from_json(EventType::rate_limits_set, data), std::invalid_argument);

  json missing_scope = rate_limits_to_json(default_rate_limits());
  missing_scope["approvals"].erase("per_tenant");
  EXPECT_THROW((void)event_data_from_json(EventType::rate_limits_set, missing_scope),
               std::invalid_argument);
}

}  // namespace
}  // namespace bulwark::domain
