// The `bulwark` executable: subcommands node, token, load, replay and inspect.
#include <iostream>
#include <map>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Bulwark: event-sourced core for multi-tenant procurement automation"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error")
      ->capture_default_str();

  std::map<CLI::App*, bulwark::cli::Runner> runners;
  auto add = [&](const char* name, const char* description, auto add_command) {
    CLI::App* sub = app.add_subcommand(name, description);
    runners[sub] = add_command(*sub);
  };
  add("node", "Run a node: tenant actors, journal and HTTP gateway",
      bulwark::cli::add_node_command);
  add("token", "Print a signed bearer token", bulwark::cli::add_token_command);
  add("load", "Drive a workload against a node and report throughput and latency",
      bulwark::cli::add_load_command);
  add("replay", "Rebuild tenant state from the journal and verify every invariant",
      bulwark::cli::add_replay_command);
  add("inspect", "Show tenants, snapshots and journal statistics (read-only)",
      bulwark::cli::add_inspect_command);
  add("serve-series", "Serve CSV market series and receive alerts on 127.0.0.1, for demos",
      bulwark::cli::add_serve_series_command);

  CLI11_PARSE(app, argc, argv);
  // Logs go to stderr, so the JSON and tables that tools print on stdout stay parseable.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bulwark"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);

  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return 2;
}
