#include "cli/integration_options.hpp"

#include "domain/outbox.hpp"
#include "domain/regime.hpp"

namespace bulwark::cli {

std::optional<std::chrono::milliseconds> parse_millis(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  std::int64_t value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  if (scale == 0 || value <= 0) return std::nullopt;
  return std::chrono::milliseconds(value * scale);
}

void add_integration_options(CLI::App& app, IntegrationArgs& args) {
  app.add_option("--market-source", args.market_sources,
                 "Market-data source NAME=URL (repeatable): an http:// URL serving "
                 "{\"observations\": [{\"date\", \"value\"}]}, polled through a circuit breaker");
  app.add_option("--market-poll-interval", args.market_poll_interval,
                 "Time between polls of each market source: 250ms, 5s, 1m")
      ->capture_default_str();
  app.add_option("--market-timeout", args.market_timeout, "Timeout of one market-data poll")
      ->capture_default_str();
  app.add_option("--breaker-failures", args.breaker_failures,
                 "Consecutive failed polls that open a source's circuit breaker")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--breaker-cooldown", args.breaker_cooldown,
                 "First cooldown of an open breaker; it doubles on every failed trial")
      ->capture_default_str();
  app.add_option("--breaker-cooldown-max", args.breaker_cooldown_max,
                 "Largest cooldown of an open breaker")
      ->capture_default_str();
  app.add_option("--outbox-timeout", args.outbox_timeout, "Timeout of one outbox delivery")
      ->capture_default_str();
  app.add_option("--outbox-retry-base", args.outbox_retry_base,
                 "Delay before the first outbox retry; it doubles per attempt")
      ->capture_default_str();
  app.add_option("--outbox-retry-max", args.outbox_retry_max,
                 "Largest delay between outbox retries")
      ->capture_default_str();
}

std::optional<std::string> to_integration_options(const IntegrationArgs& args,
                                                  actors::IntegrationOptions& out) {
  for (const auto& source : args.market_sources) {
    std::size_t equals = source.find('=');
    if (equals == std::string::npos)
      return "invalid --market-source '" + source + "': use NAME=URL";
    std::string name = source.substr(0, equals);
    std::string url = source.substr(equals + 1);
    if (!domain::is_valid_series_name(name)) {
      return "invalid --market-source name '" + name + "': use [a-z0-9_-]{1,64}";
    }
    if (auto reason = domain::check_http_url(url)) {
      return "invalid --market-source url '" + url + "': " + *reason;
    }
    for (const auto& existing : out.market_sources) {
      if (existing.name == name) return "--market-source '" + name + "' is given twice";
    }
    out.market_sources.push_back({name, url});
  }
  struct Duration {
    const char* option;
    const std::string& text;
    std::chrono::milliseconds& target;
  };
  const Duration durations[] = {
      {"--market-poll-interval", args.market_poll_interval, out.market_poll_interval},
      {"--market-timeout", args.market_timeout, out.market_request_timeout},
      {"--breaker-cooldown", args.breaker_cooldown, out.breaker.cooldown_base},
      {"--breaker-cooldown-max", args.breaker_cooldown_max, out.breaker.cooldown_max},
      {"--outbox-timeout", args.outbox_timeout, out.outbox_request_timeout},
      {"--outbox-retry-base", args.outbox_retry_base, out.outbox_retry_base},
      {"--outbox-retry-max", args.outbox_retry_max, out.outbox_retry_max},
  };
  for (const auto& duration : durations) {
    auto parsed = parse_millis(duration.text);
    if (!parsed) {
      return std::string("invalid ") + duration.option + " '" + duration.text +
             "': use 250ms, 5s, 1m or 1h";
    }
    duration.target = *parsed;
  }
  out.breaker.failures_consecutive_max = args.breaker_failures;
  return std::nullopt;
}

}  // namespace bulwark::cli
