#pragma once
// Counting and reporting for the load driver: outcomes per operation and code, latency
// percentiles, per-tenant spend, and the summary printed as a table or as JSON.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/load_series.hpp"

namespace bulwark::cli {

struct OutcomeCount {
  std::uint64_t count = 0;
  std::uint64_t unexpected = 0;
};

// Live totals that the progress line reads while workers run.
struct Progress {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> unexpected{0};
  std::atomic<std::uint64_t> units_done{0};  // scenario steps finished: tenant-days, iterations
  std::uint64_t units_total = 0;             // 0 when the scenario runs until its deadline
};

// One worker's counts. Each worker owns one, so recording takes no lock; merge() joins them.
class Recorder {
 public:
  explicit Recorder(Progress& progress) : progress_(&progress) {}

  // `outcome` is the HTTP status, then the error code for a non-2xx reply ("409 limit_exceeded"),
  // or "transport_error". An unexpected outcome keeps its message as a sample for the summary.
  void record(const std::string& operation, const std::string& outcome, bool expected,
              std::chrono::microseconds latency, const std::string& detail);
  void merge(const Recorder& other);
  // Merges the outcome counts and unexpected samples but not the latencies, so `other`'s
  // requests stay out of request_total() and the percentiles.
  void merge_outcomes(const Recorder& other);

  [[nodiscard]] const std::map<std::pair<std::string, std::string>, OutcomeCount>& outcomes()
      const {
    return outcomes_;
  }
  [[nodiscard]] std::vector<std::int64_t>& latencies_us() { return latencies_us_; }
  [[nodiscard]] const std::vector<std::string>& unexpected_samples() const {
    return unexpected_samples_;
  }
  [[nodiscard]] std::uint64_t unexpected_total() const { return unexpected_total_; }
  [[nodiscard]] std::uint64_t request_total() const { return latencies_us_.size(); }

 private:
  static constexpr std::size_t unexpected_samples_max = 10;

  Progress* progress_;
  std::map<std::pair<std::string, std::string>, OutcomeCount> outcomes_;
  std::vector<std::int64_t> latencies_us_;
  std::vector<std::string> unexpected_samples_;
  std::uint64_t unexpected_total_ = 0;
};

// A tenant's line in the summary: what the run set and did, and the node's view at the end.
struct TenantReport {
  std::string tenant;
  std::string time_zone;
  bool safe_mode_configured = false;
  std::string guardrails;  // short description, e.g. "max_amount block, allowed_kinds warn"
  std::int64_t limit_minor = 0;
  std::int64_t committed_run_minor = 0;  // committed by this run, summed by the driver
  std::uint64_t orders_executed = 0;
  std::uint64_t orders_blocked = 0;
  std::uint64_t orders_over_budget = 0;
  std::uint64_t orders_released = 0;
  // From GET /v1/tenant after the run; unset when that read failed.
  std::optional<nlohmann::json> final_view;
};

struct LoadSummary {
  std::string scenario;
  std::string run_id;
  std::string target;
  std::size_t concurrency = 0;
  std::size_t tenants = 0;
  std::chrono::duration<double> elapsed{0};
  std::vector<std::string> notes;
  std::optional<PriceSeries> series;
  std::vector<TenantReport> tenant_reports;
};

void print_progress(std::ostream& out, const Progress& progress,
                    std::chrono::duration<double> elapsed);

// Each sorts the recorder's latencies, then writes the summary.
void print_summary_table(std::ostream& out, const LoadSummary& summary, Recorder& recorder);
void print_summary_json(std::ostream& out, const LoadSummary& summary, Recorder& recorder);

// Formats minor units as a decimal with two fractional digits and thousands separators.
[[nodiscard]] std::string format_minor(std::int64_t minor);

}  // namespace bulwark::cli
