#include "domain/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace bulwark::domain {
namespace {

using namespace std::chrono_literals;

BreakerOptions tiny_options() {
  BreakerOptions options;
  options.failures_consecutive_max = 3;
  options.window_size = 10;
  options.window_calls_min = 10;
  options.failure_rate_percent_max = 50;
  options.cooldown_base = 1000ms;
  options.cooldown_max = 4000ms;
  options.jitter_fraction = 0.0;
  return options;
}

TimePoint at_ms(std::int64_t ms) { return from_unix_ms(ms); }

TEST(CircuitBreaker, OpensAfterConsecutiveFailures) {
  CircuitBreaker breaker(tiny_options());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_failure(at_ms(0), 0.0);
    EXPECT_EQ(breaker.state(), BreakerState::closed);
  }
  ASSERT_TRUE(breaker.allow(at_ms(0)));
  breaker.record_failure(at_ms(0), 0.0);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_FALSE(breaker.allow(at_ms(999)));
  EXPECT_EQ(breaker.counters().openings_total, 1u);
  EXPECT_EQ(breaker.counters().calls_rejected_total, 1u);
}

TEST(CircuitBreaker, SuccessResetsConsecutiveCount) {
  CircuitBreaker breaker(tiny_options());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_failure(at_ms(0), 0.0);
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_success(at_ms(0));
  }
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST(CircuitBreaker, OpensOnFailureRateOverWindow) {
  BreakerOptions options = tiny_options();
  options.failures_consecutive_max = 100;
  CircuitBreaker breaker(options);
  // Alternating outcomes: never two failures in a row, but half of the window failed.
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    if (i % 2 == 0) {
      breaker.record_failure(at_ms(0), 0.0);
    } else {
      breaker.record_success(at_ms(0));
    }
    EXPECT_EQ(breaker.state(), BreakerState::closed) << "call " << i;
  }
  ASSERT_TRUE(breaker.allow(at_ms(0)));
  breaker.record_failure(at_ms(0), 0.0);  // 5 of the last 10 failed
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST(CircuitBreaker, HalfOpenAllowsExactlyOneTrial) {
  CircuitBreaker breaker(tiny_options());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_failure(at_ms(0), 0.0);
  }
  ASSERT_EQ(breaker.state(), BreakerState::open);
  EXPECT_TRUE(breaker.allow(at_ms(1000)));
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_FALSE(breaker.allow(at_ms(1001)));
  EXPECT_FALSE(breaker.allow(at_ms(5000)));
  EXPECT_EQ(breaker.counters().trials_total, 1u);

  breaker.record_success(at_ms(1100));
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_TRUE(breaker.allow(at_ms(1101)));
  EXPECT_TRUE(breaker.allow(at_ms(1102)));
}

TEST(CircuitBreaker, FailedTrialReopensWithLongerCappedCooldown) {
  CircuitBreaker breaker(tiny_options());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_failure(at_ms(0), 0.0);
  }
  EXPECT_EQ(breaker.reopen_at(), at_ms(1000));
  std::int64_t now = 1000;
  for (std::int64_t expected_cooldown : {2000, 4000, 4000, 4000}) {
    ASSERT_TRUE(breaker.allow(at_ms(now)));
    breaker.record_failure(at_ms(now), 0.0);
    ASSERT_EQ(breaker.state(), BreakerState::open);
    EXPECT_EQ(breaker.reopen_at(), at_ms(now + expected_cooldown));
    now += expected_cooldown;
  }
}

TEST(CircuitBreaker, JitterShortensCooldownWithinFraction) {
  BreakerOptions options = tiny_options();
  options.jitter_fraction = 0.5;
  CircuitBreaker breaker(options);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.allow(at_ms(0)));
    breaker.record_failure(at_ms(0), 0.99);
  }
  EXPECT_GE(breaker.reopen_at(), at_ms(500));
  EXPECT_LT(breaker.reopen_at(), at_ms(1000));
}

}  // namespace
}  // namespace bulwark::domain
