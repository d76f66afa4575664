#include "cli/load_report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>

namespace bulwark::cli {
namespace {

using nlohmann::json;

// Nearest-rank percentile over sorted values; 0 for an empty set.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string format_ms(std::int64_t microseconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(microseconds) / 1000.0);
  return text;
}

std::map<std::string, OutcomeCount> outcomes_by_code(const Recorder& recorder) {
  std::map<std::string, OutcomeCount> by_code;
  for (const auto& [key, count] : recorder.outcomes()) {
    by_code[key.second].count += count.count;
    by_code[key.second].unexpected += count.unexpected;
  }
  return by_code;
}

double throughput(const LoadSummary& summary, const Recorder& recorder) {
  double seconds = summary.elapsed.count();
  return seconds > 0 ? static_cast<double>(recorder.request_total()) / seconds : 0.0;
}

std::int64_t view_amount(const TenantReport& report, const char* field) {
  if (!report.final_view) return 0;
  const json& budget = report.final_view->value("budget", json());
  if (!budget.is_object()) return 0;
  return budget.value(field, std::int64_t{0});
}

}  // namespace

void Recorder::record(const std::string& operation, const std::string& outcome, bool expected,
                      std::chrono::microseconds latency, const std::string& detail) {
  OutcomeCount& count = outcomes_[{operation, outcome}];
  ++count.count;
  latencies_us_.push_back(latency.count());
  progress_->requests.fetch_add(1, std::memory_order_relaxed);
  if (expected) return;

  ++count.unexpected;
  ++unexpected_total_;
  progress_->unexpected.fetch_add(1, std::memory_order_relaxed);
  if (unexpected_samples_.size() < unexpected_samples_max) {
    unexpected_samples_.push_back(operation + " -> " + outcome + ": " + detail);
  }
}

void Recorder::merge(const Recorder& other) {
  merge_outcomes(other);
  latencies_us_.insert(latencies_us_.end(), other.latencies_us_.begin(), other.latencies_us_.end());
}

void Recorder::merge_outcomes(const Recorder& other) {
  for (const auto& [key, count] : other.outcomes_) {
    outcomes_[key].count += count.count;
    outcomes_[key].unexpected += count.unexpected;
  }
  for (const std::string& sample : other.unexpected_samples_) {
    if (unexpected_samples_.size() < unexpected_samples_max) unexpected_samples_.push_back(sample);
  }
  unexpected_total_ += other.unexpected_total_;
}

std::string format_minor(std::int64_t minor) {
  bool negative = minor < 0;
  std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(minor) : static_cast<std::uint64_t>(minor);
  std::string whole = std::to_string(magnitude / 100);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  char cents[4];
  std::snprintf(cents, sizeof cents, "%02u", static_cast<unsigned>(magnitude % 100));
  return (negative ? "-" : "") + grouped + "." + cents;
}

void print_progress(std::ostream& out, const Progress& progress,
                    std::chrono::duration<double> elapsed) {
  std::uint64_t requests = progress.requests.load(std::memory_order_relaxed);
  double seconds = elapsed.count();
  out << "load: " << std::fixed << std::setprecision(1) << seconds << " s, " << requests
      << " requests, " << std::setprecision(0) << (seconds > 0 ? requests / seconds : 0.0)
      << " req/s, " << progress.unexpected.load(std::memory_order_relaxed) << " unexpected";
  if (progress.units_total > 0) {
    out << ", " << progress.units_done.load(std::memory_order_relaxed) << "/"
        << progress.units_total << " steps";
  }
  out << std::endl;
}

void print_summary_table(std::ostream& out, const LoadSummary& summary, Recorder& recorder) {
  std::vector<std::int64_t>& latencies = recorder.latencies_us();
  std::sort(latencies.begin(), latencies.end());

  out << "== load summary: scenario " << summary.scenario << ", run " << summary.run_id
      << ", target " << summary.target << "\n";
  out << "requests     " << recorder.request_total() << " in " << std::fixed << std::setprecision(1)
      << summary.elapsed.count() << " s, " << std::setprecision(1) << throughput(summary, recorder)
      << " req/s, concurrency " << summary.concurrency << ", tenants " << summary.tenants << "\n";
  out << "latency ms   p50 " << format_ms(percentile(latencies, 0.50)) << "  p90 "
      << format_ms(percentile(latencies, 0.90)) << "  p99 "
      << format_ms(percentile(latencies, 0.99)) << "  max "
      << format_ms(latencies.empty() ? 0 : latencies.back()) << "\n";

  if (summary.series) {
    const PriceSeries& series = *summary.series;
    out << "series       " << series.name << ": " << series.rows_in_window << " rows";
    if (!series.points.empty()) {
      out << " from " << series.points.front().date << " to " << series.points.back().date;
    }
    out << ", " << series.points.size() << " traded, " << series.skipped.size()
        << " skipped rows\n";
    for (const SkippedRow& row : series.skipped) {
      out << "  skipped    " << row.date << " '" << row.price_text << "': " << row.reason << "\n";
    }
  }
  for (const std::string& note : summary.notes) out << "note         " << note << "\n";

  out << "\noutcomes by code:\n";
  out << "  " << std::left << std::setw(34) << "code" << std::right << std::setw(10) << "count"
      << std::setw(12) << "unexpected"
      << "\n";
  for (const auto& [code, count] : outcomes_by_code(recorder)) {
    out << "  " << std::left << std::setw(34) << code << std::right << std::setw(10) << count.count
        << std::setw(12) << count.unexpected << "\n";
  }

  out << "\noutcomes by operation:\n";
  for (const auto& [key, count] : recorder.outcomes()) {
    out << "  " << std::left << std::setw(18) << key.first << std::setw(26) << key.second
        << std::right << std::setw(10) << count.count;
    if (count.unexpected > 0) out << "  (" << count.unexpected << " unexpected)";
    out << "\n";
  }

  if (!summary.tenant_reports.empty()) {
    out << "\nspend per tenant (USD; run = committed by this run, day = the node's totals for "
           "the tenant's current budget day):\n";
    out << "  " << std::left << std::setw(10) << "tenant" << std::setw(20) << "time zone"
        << std::setw(6) << "safe" << std::right << std::setw(16) << "limit" << std::setw(16)
        << "run committed" << std::setw(16) << "day committed" << std::setw(12) << "reserved"
        << std::setw(7) << "exec" << std::setw(7) << "block" << std::setw(7) << "over"
        << std::setw(7) << "rel"
        << "  guardrails\n";
    for (const TenantReport& report : summary.tenant_reports) {
      out << "  " << std::left << std::setw(10) << report.tenant << std::setw(20)
          << report.time_zone << std::setw(6) << (report.safe_mode_configured ? "on" : "off")
          << std::right << std::setw(16) << format_minor(report.limit_minor) << std::setw(16)
          << format_minor(report.committed_run_minor) << std::setw(16)
          << (report.final_view ? format_minor(view_amount(report, "committed_minor")) : "?")
          << std::setw(12)
          << (report.final_view ? format_minor(view_amount(report, "reserved_minor")) : "?")
          << std::setw(7) << report.orders_executed << std::setw(7) << report.orders_blocked
          << std::setw(7) << report.orders_over_budget << std::setw(7) << report.orders_released
          << "  " << report.guardrails << "\n";
    }
  }

  if (!recorder.unexpected_samples().empty()) {
    out << "\nunexpected outcomes (first " << recorder.unexpected_samples().size() << "):\n";
    for (const std::string& sample : recorder.unexpected_samples()) out << "  " << sample << "\n";
  }
  out << "\nresult       "
      << (recorder.unexpected_total() == 0
              ? "ok: every outcome was one the scenario expects"
              : "FAILED: " + std::to_string(recorder.unexpected_total()) + " unexpected outcomes")
      << "\n";
}

void print_summary_json(std::ostream& out, const LoadSummary& summary, Recorder& recorder) {
  std::vector<std::int64_t>& latencies = recorder.latencies_us();
  std::sort(latencies.begin(), latencies.end());

  json outcomes = json::array();
  for (const auto& [key, count] : recorder.outcomes()) {
    outcomes.push_back({{"operation", key.first},
                        {"outcome", key.second},
                        {"count", count.count},
                        {"unexpected", count.unexpected}});
  }
  json by_code = json::object();
  for (const auto& [code, count] : outcomes_by_code(recorder)) {
    by_code[code] = {{"count", count.count}, {"unexpected", count.unexpected}};
  }
  json tenants = json::array();
  for (const TenantReport& report : summary.tenant_reports) {
    tenants.push_back({{"tenant", report.tenant},
                       {"time_zone", report.time_zone},
                       {"safe_mode_configured", report.safe_mode_configured},
                       {"guardrails", report.guardrails},
                       {"limit_minor", report.limit_minor},
                       {"committed_run_minor", report.committed_run_minor},
                       {"orders_executed", report.orders_executed},
                       {"orders_blocked", report.orders_blocked},
                       {"orders_over_budget", report.orders_over_budget},
                       {"orders_released", report.orders_released},
                       {"final_view", report.final_view.value_or(json())}});
  }
  json body = {{"scenario", summary.scenario},
               {"run_id", summary.run_id},
               {"target", summary.target},
               {"concurrency", summary.concurrency},
               {"tenants", summary.tenants},
               {"elapsed_s", summary.elapsed.count()},
               {"requests", recorder.request_total()},
               {"throughput_rps", throughput(summary, recorder)},
               {"latency_us",
                {{"p50", percentile(latencies, 0.50)},
                 {"p90", percentile(latencies, 0.90)},
                 {"p99", percentile(latencies, 0.99)},
                 {"max", latencies.empty() ? 0 : latencies.back()}}},
               {"outcomes_by_code", by_code},
               {"outcomes", outcomes},
               {"unexpected", recorder.unexpected_total()},
               {"unexpected_samples", recorder.unexpected_samples()},
               {"notes", summary.notes},
               {"tenant_reports", tenants}};
  if (summary.series) {
    json skipped = json::array();
    for (const SkippedRow& row : summary.series->skipped) {
      skipped.push_back({{"date", row.date}, {"price", row.price_text}, {"reason", row.reason}});
    }
    body["series"] = {{"name", summary.series->name},
                      {"rows", summary.series->rows_in_window},
                      {"traded", summary.series->points.size()},
                      {"skipped", skipped}};
  }
  out << body.dump(2) << "\n";
}

}  // namespace bulwark::cli
