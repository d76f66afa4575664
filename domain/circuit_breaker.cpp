#include "domain/circuit_breaker.hpp"

#include <algorithm>

namespace bulwark::domain {

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options) : options_(options) {
  options_.jitter_fraction = std::clamp(options_.jitter_fraction, 0.0, 1.0);
  options_.window_size = std::max<std::size_t>(options_.window_size, 1);
  options_.window_calls_min =
      std::clamp<std::size_t>(options_.window_calls_min, 1, options_.window_size);
}

bool CircuitBreaker::allow(TimePoint now) {
  if (state_ == BreakerState::open && now >= reopen_at_) {
    state_ = BreakerState::half_open;
    trial_in_flight_ = false;
  }
  switch (state_) {
    case BreakerState::closed:
      counters_.calls_allowed_total++;
      return true;
    case BreakerState::half_open:
      if (trial_in_flight_) break;
      trial_in_flight_ = true;
      counters_.calls_allowed_total++;
      counters_.trials_total++;
      return true;
    case BreakerState::open:
      break;
  }
  counters_.calls_rejected_total++;
  return false;
}

void CircuitBreaker::record_success(TimePoint now) {
  counters_.successes_total++;
  consecutive_failures_ = 0;
  if (state_ == BreakerState::half_open) {
    state_ = BreakerState::closed;
    trial_in_flight_ = false;
    consecutive_openings_ = 0;
    window_.clear();
    return;
  }
  window_.push_back(false);
  if (window_.size() > options_.window_size) window_.pop_front();
}

void CircuitBreaker::record_failure(TimePoint now, double jitter_unit) {
  counters_.failures_total++;
  consecutive_failures_++;
  if (state_ == BreakerState::half_open) {
    open(now, jitter_unit);
    return;
  }
  if (state_ == BreakerState::open) return;  // a late outcome of a call made while closed
  window_.push_back(true);
  if (window_.size() > options_.window_size) window_.pop_front();
  if (consecutive_failures_ >= options_.failures_consecutive_max || failure_rate_exceeded()) {
    open(now, jitter_unit);
  }
}

std::chrono::milliseconds CircuitBreaker::next_cooldown() const {
  auto cooldown = options_.cooldown_base;
  for (std::int64_t i = 0; i < consecutive_openings_ && cooldown < options_.cooldown_max; ++i) {
    cooldown *= 2;
  }
  return std::min(cooldown, options_.cooldown_max);
}

void CircuitBreaker::open(TimePoint now, double jitter_unit) {
  auto cooldown = next_cooldown();
  double stretch = 1.0 - options_.jitter_fraction * std::clamp(jitter_unit, 0.0, 1.0);
  auto jittered = std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(cooldown.count()) * stretch));
  state_ = BreakerState::open;
  trial_in_flight_ = false;
  reopen_at_ = now + jittered;
  consecutive_openings_++;
  counters_.openings_total++;
  window_.clear();
}

bool CircuitBreaker::failure_rate_exceeded() const {
  if (window_.size() < options_.window_calls_min) return false;
  auto failures = std::count(window_.begin(), window_.end(), true);
  return failures * 100 >=
         options_.failure_rate_percent_max * static_cast<std::int64_t>(window_.size());
}

}  // namespace bulwark::domain
