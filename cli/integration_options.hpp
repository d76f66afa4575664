#pragma once
// `bulwark node` options for the outbox delivery and the market-data feed.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actors/integration_options.hpp"

namespace bulwark::cli {

// The market sources' breaker state under the node's data directory, read by `bulwark inspect`.
inline constexpr const char* market_status_file_name = "market-sources.json";

struct IntegrationArgs {
  std::vector<std::string> market_sources;  // NAME=URL
  std::string market_poll_interval = "5s";
  std::string market_timeout = "2s";
  std::int64_t breaker_failures = 5;
  std::string breaker_cooldown = "1s";
  std::string breaker_cooldown_max = "60s";
  std::string outbox_timeout = "5s";
  std::string outbox_retry_base = "500ms";
  std::string outbox_retry_max = "60s";
};

void add_integration_options(CLI::App& app, IntegrationArgs& args);

// Converts the arguments; returns the error message for the first invalid one.
[[nodiscard]] std::optional<std::string> to_integration_options(const IntegrationArgs& args,
                                                                actors::IntegrationOptions& out);

// Parses "250ms", "2s", "5m" or "1h"; nullopt when malformed or not positive.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_millis(const std::string& text);

}  // namespace bulwark::cli
