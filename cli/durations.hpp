#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace bulwark::cli {

// Parses "30s", "15m", "1h" or "7d" into seconds; nullopt when malformed or not positive.
[[nodiscard]] std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace bulwark::cli
