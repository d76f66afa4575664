#pragma once
// Options of the retention job. Plain data, so the service options can carry them without CAF.
#include <chrono>
#include <map>
#include <string>

namespace bulwark::actors {

struct RetentionOptions {
  // Time between retention runs; zero turns the job off.
  std::chrono::milliseconds interval{0};
  // Events older than this are deleted once a snapshot covers them.
  std::chrono::milliseconds window_default{std::chrono::hours(24 * 30)};
  // Per-tenant windows that replace the default.
  std::map<std::string, std::chrono::milliseconds> window_by_tenant;
  // Lifetime of the job's lease; a run that outlives it is fenced and stops.
  std::chrono::milliseconds lease_ttl{std::chrono::minutes(5)};
};

}  // namespace bulwark::actors
