#pragma once
// Subcommands of the `bulwark` executable. Each registers its options on the CLI11 app and returns
// the function that runs it, which returns the process exit code.
#include <functional>

#include <CLI/CLI.hpp>

namespace bulwark::cli {

using Runner = std::function<int()>;

Runner add_node_command(CLI::App& app);
Runner add_token_command(CLI::App& app);
Runner add_replay_command(CLI::App& app);
Runner add_inspect_command(CLI::App& app);
Runner add_load_command(CLI::App& app);
Runner add_serve_series_command(CLI::App& app);

}  // namespace bulwark::cli
