#pragma once
// Options and counters of the outbox delivery and the market-data feed. Plain C++ without CAF, so
// the service interface can carry them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "domain/circuit_breaker.hpp"

namespace bulwark::actors {

struct MarketSourceOption {
  std::string name;  // series name, [a-z0-9_-]{1,64}
  std::string url;   // http:// URL serving the observations document
};

struct IntegrationOptions {
  std::vector<MarketSourceOption> market_sources;
  std::chrono::milliseconds market_poll_interval{5000};
  std::chrono::milliseconds market_request_timeout{2000};
  domain::BreakerOptions breaker;
  std::chrono::milliseconds outbox_request_timeout{5000};
  std::chrono::milliseconds outbox_retry_base{500};
  std::chrono::milliseconds outbox_retry_max{60'000};
  // File where the market feed keeps its sources' breaker state for `bulwark inspect stats`, which
  // cannot reach the node's memory. Empty: no file.
  std::string market_status_file;
};

// What /metrics shows of one market source. Written by the market-feed actor, read by scrapers.
struct MarketSourceMetrics {
  domain::BreakerState breaker_state = domain::BreakerState::closed;
  domain::BreakerCounters breaker;
  std::int64_t consecutive_failures = 0;
  std::uint64_t polls_ok_total = 0;
  std::uint64_t polls_failed_total = 0;
  std::uint64_t bad_rows_total = 0;
  std::uint64_t observations_published_total = 0;
  std::int64_t last_version = 0;
};

struct IntegrationMetrics {
  mutable std::mutex mutex;
  std::map<std::string, MarketSourceMetrics> sources;  // guarded by mutex
  std::atomic<std::uint64_t> outbox_attempts_total{0};
  std::atomic<std::uint64_t> outbox_delivered_total{0};
  std::atomic<std::uint64_t> outbox_failed_attempts_total{0};
  std::atomic<std::uint64_t> outbox_in_flight{0};
  std::string status_written;  // guarded by mutex: the sources part of the last status file
};

// Prometheus text lines for the metrics above.
[[nodiscard]] std::string render_integration_metrics(const IntegrationMetrics& metrics);

// Rewrites `path` with the sources' breaker state and counters when they changed since the last
// write. The file is replaced by a rename, so a reader never sees half of it. Returns the error,
// or an empty string.
[[nodiscard]] std::string write_market_status(IntegrationMetrics& metrics, const std::string& path,
                                              std::int64_t now_unix_ms);

}  // namespace bulwark::actors
