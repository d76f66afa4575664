#pragma once
// A circuit breaker for calls to an external data API. Pure: the caller passes the time and the
// jitter, so tests drive it without clocks or randomness.
//
// closed: every call may run. It opens after failures_consecutive_max failures in a row, or when
//   at least window_calls_min of the last window_size calls ran and the share of failures among
//   them reaches failure_rate_percent_max.
// open: no call runs until the cooldown passes. The cooldown doubles with every consecutive
//   opening, from cooldown_base up to cooldown_max, and is then stretched by a jitter factor in
//   [1 - jitter_fraction, 1], so many breakers do not retry in step.
// half_open: exactly one trial call may run. Its success closes the breaker and resets the
//   cooldown; its failure opens it again with the next, longer cooldown.
#include <chrono>
#include <cstdint>
#include <deque>

#include "domain/time.hpp"

namespace bulwark::domain {

enum class BreakerState : std::uint8_t { closed, open, half_open };

[[nodiscard]] const char* to_string(BreakerState state);

struct BreakerOptions {
  std::int64_t failures_consecutive_max = 5;
  std::size_t window_size = 20;
  std::size_t window_calls_min = 10;
  std::int64_t failure_rate_percent_max = 50;
  std::chrono::milliseconds cooldown_base{1000};
  std::chrono::milliseconds cooldown_max{60'000};
  double jitter_fraction = 0.2;  // from 0 to 1
};

struct BreakerCounters {
  std::uint64_t calls_allowed_total = 0;
  std::uint64_t calls_rejected_total = 0;  // calls not run because the breaker was open
  std::uint64_t successes_total = 0;
  std::uint64_t failures_total = 0;
  std::uint64_t openings_total = 0;
  std::uint64_t trials_total = 0;  // calls allowed in half_open
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {});

  // Returns true when a call may run now and counts it. In open, it turns half_open once the
  // cooldown has passed and allows that one trial call; further calls are rejected until the
  // trial's outcome is recorded.
  [[nodiscard]] bool allow(TimePoint now);
  void record_success(TimePoint now);
  // `jitter_unit` is a uniform random number in [0, 1) that stretches the next cooldown.
  void record_failure(TimePoint now, double jitter_unit);

  [[nodiscard]] BreakerState state() const { return state_; }
  [[nodiscard]] const BreakerCounters& counters() const { return counters_; }
  [[nodiscard]] std::int64_t consecutive_failures() const { return consecutive_failures_; }
  // When an open breaker lets its next trial run; meaningful only in open.
  [[nodiscard]] TimePoint reopen_at() const { return reopen_at_; }
  // Cooldown the next opening will use, before jitter.
  [[nodiscard]] std::chrono::milliseconds next_cooldown() const;

 private:
  void open(TimePoint now, double jitter_unit);
  [[nodiscard]] bool failure_rate_exceeded() const;

  BreakerOptions options_;
  BreakerState state_ = BreakerState::closed;
  BreakerCounters counters_;
  std::int64_t consecutive_failures_ = 0;
  std::int64_t consecutive_openings_ = 0;  // openings since the breaker last closed
  std::deque<bool> window_;                // outcomes of the last calls, true for a failure
  bool trial_in_flight_ = false;
  TimePoint reopen_at_{};
};

}  // namespace bulwark::domain
