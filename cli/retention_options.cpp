#include "cli/retention_options.hpp"

#include "cli/durations.hpp"
#include "cli/integration_options.hpp"
#include "domain/ids.hpp"
#include "domain/lease.hpp"

namespace bulwark::cli {
namespace {

// Accepts the units of both parsers: 250ms, 5s, 1m, 1h and 7d.
std::optional<std::chrono::milliseconds> parse_window(const std::string& text) {
  if (auto millis = parse_millis(text)) return millis;
  if (auto seconds = parse_duration(text)) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(*seconds);
  }
  return std::nullopt;
}

std::string invalid_duration(const char* option, const std::string& text) {
  return std::string("invalid ") + option + " '" + text + "': use 500ms, 30s, 15m, 1h or 30d";
}

}  // namespace

void add_retention_options(CLI::App& app, RetentionArgs& args) {
  app.add_option("--retention", args.window,
                 "Delete journal events older than this once a snapshot covers them: 7d, 12h")
      ->capture_default_str();
  app.add_option("--retention-tenant", args.tenant_windows,
                 "Retention window of one tenant, TENANT=DURATION (repeatable); replaces "
                 "--retention for that tenant");
  app.add_option("--retention-interval", args.interval,
                 "Time between retention runs: 1s, 15m, 1h; 0 turns retention off")
      ->capture_default_str();
  app.add_option("--retention-lease-ttl", args.lease_ttl,
                 "Lifetime of the retention job's lease; a run that outlives it stops")
      ->capture_default_str();
}

std::optional<std::string> to_retention_options(const RetentionArgs& args,
                                                actors::RetentionOptions& out) {
  auto window = parse_window(args.window);
  if (!window) return invalid_duration("--retention", args.window);
  out.window_default = *window;

  for (const auto& item : args.tenant_windows) {
    auto equals = item.find('=');
    std::string tenant = item.substr(0, equals);
    if (equals == std::string::npos || !domain::is_valid_tenant_id(tenant)) {
      return "invalid --retention-tenant '" + item + "': use TENANT=DURATION, e.g. acme=7d";
    }
    auto tenant_window = parse_window(item.substr(equals + 1));
    if (!tenant_window) return invalid_duration("--retention-tenant", item);
    out.window_by_tenant[tenant] = *tenant_window;
  }

  if (args.interval == "0") {
    out.interval = std::chrono::milliseconds(0);
  } else {
    auto interval = parse_window(args.interval);
    if (!interval) return invalid_duration("--retention-interval", args.interval);
    out.interval = *interval;
  }
  auto lease_ttl = parse_window(args.lease_ttl);
  if (!lease_ttl || lease_ttl->count() > domain::lease_ttl_ms_max) {
    return invalid_duration("--retention-lease-ttl", args.lease_ttl) + ", at most 24h";
  }
  out.lease_ttl = *lease_ttl;
  return std::nullopt;
}

}  // namespace bulwark::cli
