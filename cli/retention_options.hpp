#pragma once
// `bulwark node` options of the retention job.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actors/retention_options.hpp"

namespace bulwark::cli {

struct RetentionArgs {
  std::string window = "30d";
  std::vector<std::string> tenant_windows;  // TENANT=DURATION
  std::string interval = "1h";
  std::string lease_ttl = "5m";
};

void add_retention_options(CLI::App& app, RetentionArgs& args);

// Converts the arguments; returns the error message for the first invalid one.
[[nodiscard]] std::optional<std::string> to_retention_options(const RetentionArgs& args,
                                                              actors::RetentionOptions& out);

}  // namespace bulwark::cli
