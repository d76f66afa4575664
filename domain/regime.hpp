#pragma once
// Market regimes of a tenant: where a series value sits against the tenant's thresholds, with a
// hysteresis band so that values near a threshold do not flip the regime back and forth.
//
// From "balanced", a value >= shortage_above_minor enters "imbalanced_shortage" (prices high:
// supply is scarce) and a value <= excess_below_minor enters "imbalanced_excess" (prices low:
// supply is ample). A regime is left only once the value is more than band_minor back inside:
// shortage below shortage_above_minor - band_minor, excess above excess_below_minor + band_minor.
#include <optional>
#include <string>
#include <string_view>

#include "domain/outbox_types.hpp"

namespace bulwark::domain {

inline constexpr std::string_view regime_balanced = "balanced";
inline constexpr std::string_view regime_excess = "imbalanced_excess";
inline constexpr std::string_view regime_shortage = "imbalanced_shortage";

// Largest magnitude of a threshold or band: 10^15 minor units, as for amounts.
inline constexpr MinorUnits regime_threshold_abs_max = 1'000'000'000'000'000;

// Returns the regime after `value_minor`, given the current regime and the settings. Pure.
[[nodiscard]] std::string next_regime(std::string_view current, MinorUnits value_minor,
                                      const RegimeSettings& settings);

// Returns an error message when the settings are unusable: series name outside [a-z0-9_-]{1,64},
// thresholds outside +-10^15 or not excess_below_minor < shortage_above_minor, a negative band, or
// bands so wide that they overlap (2 * band_minor >= shortage_above_minor - excess_below_minor).
[[nodiscard]] std::optional<std::string> check_regime_settings(const RegimeSettings& settings);

// True for the series names the market feed accepts: [a-z0-9_-]{1,64}.
[[nodiscard]] bool is_valid_series_name(std::string_view name);

}  // namespace bulwark::domain
