#pragma once
// The load scenarios. Each runs its set-up, its workload until done or until the deadline, and a
// final read, recording every request in `total` and filling `summary`. Set-up failures are
// unexpected outcomes like any other, so the caller decides the exit code from the recorder.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/load_report.hpp"
#include "cli/load_session.hpp"

namespace bulwark::cli {

// The real-data procurement workload: budgets in several time zones, safe mode on some tenants,
// guardrails that block, escalate or warn, and one purchase order per tenant per market day
// priced from the series, plus deliberate over-budget, oversized and disallowed orders. Throws
// std::runtime_error when the series cannot be read.
void run_demo_scenario(const LoadOptions& options, Progress& progress, Recorder& total,
                       LoadSummary& summary);

// Throughput: each worker reserves a small amount on its tenant and releases it, until the
// deadline.
void run_reserve_scenario(const LoadOptions& options, Progress& progress, Recorder& total,
                          LoadSummary& summary);

// Reads and checks a scenario file; throws std::runtime_error naming the invalid field.
[[nodiscard]] nlohmann::json read_scenario_file(const std::string& path);

// Runs a scenario file: its set-up requests once per tenant, then its steps in a loop on every
// worker, for its iteration count or until the deadline.
void run_file_scenario(const LoadOptions& options, const nlohmann::json& spec, Progress& progress,
                       Recorder& total, LoadSummary& summary);

}  // namespace bulwark::cli
