#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/integration_options.hpp"

namespace bulwark::actors {

std::string render_integration_metrics(const IntegrationMetrics& metrics) {
  std::ostringstream out;
  auto header = [&](const char* name, const char* help, const char* type) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  header("bulwark_outbox_attempts_total", "Outbox delivery attempts made.", "counter");
  out << "bulwark_outbox_attempts_total " << metrics.outbox_attempts_total << "\n";
  header("bulwark_outbox_delivered_total", "Outbox entries confirmed by their receiver.",
         "counter");
  out << "bulwark_outbox_delivered_total " << metrics.outbox_delivered_total << "\n";
  header("bulwark_outbox_failed_attempts_total", "Outbox attempts that failed and will be retried.",
         "counter");
  out << "bulwark_outbox_failed_attempts_total " << metrics.outbox_failed_attempts_total << "\n";
  header("bulwark_outbox_in_flight", "Outbox entries waiting for delivery on this node.", "gauge");
  out << "bulwark_outbox_in_flight " << metrics.outbox_in_flight << "\n";

  std::lock_guard<std::mutex> lock(metrics.mutex);
  if (metrics.sources.empty()) return out.str();
  header("bulwark_market_breaker_state",
         "Circuit breaker state per market source: 1 for the current state.", "gauge");
  for (const auto& [name, m] : metrics.sources) {
    for (auto state : {domain::BreakerState::closed, domain::BreakerState::open,
                       domain::BreakerState::half_open}) {
      out << "bulwark_market_breaker_state{source=\"" << name << "\",state=\""
          << domain::to_string(state) << "\"} " << (m.breaker_state == state ? 1 : 0) << "\n";
    }
  }
  auto per_source = [&](const char* name, const char* help, const char* type, auto value) {
    header(name, help, type);
    for (const auto& [source, m] : metrics.sources) {
      out << name << "{source=\"" << source << "\"} " << value(m) << "\n";
    }
  };
  using M = MarketSourceMetrics;
  per_source("bulwark_market_breaker_openings_total", "Times the breaker opened.", "counter",
             [](const M& m) { return m.breaker.openings_total; });
  per_source("bulwark_market_breaker_trials_total", "Trial calls let through in half_open.",
             "counter", [](const M& m) { return m.breaker.trials_total; });
  per_source("bulwark_market_breaker_rejected_total", "Polls skipped because the breaker was open.",
             "counter", [](const M& m) { return m.breaker.calls_rejected_total; });
  per_source("bulwark_market_breaker_consecutive_failures", "Failed polls in a row.", "gauge",
             [](const M& m) { return m.consecutive_failures; });
  per_source("bulwark_market_polls_ok_total", "Polls that returned a usable document.", "counter",
             [](const M& m) { return m.polls_ok_total; });
  per_source("bulwark_market_polls_failed_total", "Polls that failed.", "counter",
             [](const M& m) { return m.polls_failed_total; });
  per_source("bulwark_market_bad_rows_total", "Observation rows skipped as unusable.", "counter",
             [](const M& m) { return m.bad_rows_total; });
  per_source("bulwark_market_observations_published_total",
             "New observations published to subscribed tenants.", "counter",
             [](const M& m) { return m.observations_published_total; });
  per_source("bulwark_market_last_version", "Version of the newest observation seen.", "gauge",
             [](const M& m) { return m.last_version; });
  return out.str();
}

std::string write_market_status(IntegrationMetrics& metrics, const std::string& path,
                                std::int64_t now_unix_ms) {
  nlohmann::json sources = nlohmann::json::object();
  {
    std::lock_guard<std::mutex> lock(metrics.mutex);
    for (const auto& [name, m] : metrics.sources) {
      sources[name] = {{"state", domain::to_string(m.breaker_state)},
                       {"consecutive_failures", m.consecutive_failures},
                       {"openings_total", m.breaker.openings_total},
                       {"trials_total", m.breaker.trials_total},
                       {"rejected_total", m.breaker.calls_rejected_total},
                       {"polls_ok_total", m.polls_ok_total},
                       {"polls_failed_total", m.polls_failed_total},
                       {"bad_rows_total", m.bad_rows_total},
                       {"observations_published_total", m.observations_published_total},
                       {"last_version", m.last_version}};
    }
    std::string dumped = sources.dump();
    if (dumped == metrics.status_written) return "";
    metrics.status_written = std::move(dumped);
  }
  nlohmann::json document = {{"updated_unix_ms", now_unix_ms}, {"sources", std::move(sources)}};
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << document.dump(2) << "\n";
    if (!out) return "cannot write " + temporary;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return "cannot rename " + temporary + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace bulwark::actors
