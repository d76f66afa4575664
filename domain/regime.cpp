#include "domain/regime.hpp"

#include <algorithm>

namespace bulwark::domain {
namespace {

constexpr std::size_t series_name_length_max = 64;

bool within_limits(MinorUnits value) {
  return value >= -regime_threshold_abs_max && value <= regime_threshold_abs_max;
}

// Regime of a value with no hysteresis, as entered from "balanced".
std::string_view plain_regime(MinorUnits value_minor, const RegimeSettings& settings) {
  if (value_minor >= settings.shortage_above_minor) return regime_shortage;
  if (value_minor <= settings.excess_below_minor) return regime_excess;
  return regime_balanced;
}

}  // namespace

bool is_valid_series_name(std::string_view name) {
  if (name.empty() || name.size() > series_name_length_max) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string next_regime(std::string_view current, MinorUnits value_minor,
                        const RegimeSettings& settings) {
  // The settings are checked on entry, so these differences stay within +-3 * 10^15.
  if (current == regime_shortage &&
      value_minor >= settings.shortage_above_minor - settings.band_minor) {
    return std::string(regime_shortage);
  }
  if (current == regime_excess &&
      value_minor <= settings.excess_below_minor + settings.band_minor) {
    return std::string(regime_excess);
  }
  return std::string(plain_regime(value_minor, settings));
}

std::optional<std::string> check_regime_settings(const RegimeSettings& settings) {
  if (!is_valid_series_name(settings.series)) {
    return "series must match [a-z0-9_-]{1,64}";
  }
  if (!within_limits(settings.excess_below_minor) ||
      !within_limits(settings.shortage_above_minor)) {
    return "thresholds must be within -10^15 to 10^15 minor units";
  }
  if (settings.excess_below_minor >= settings.shortage_above_minor) {
    return "excess_below_minor must be less than shortage_above_minor";
  }
  if (settings.band_minor < 0 || settings.band_minor > regime_threshold_abs_max) {
    return "band_minor must be from 0 to 10^15 minor units";
  }
  MinorUnits gap = settings.shortage_above_minor - settings.excess_below_minor;
  if (2 * settings.band_minor >= gap) {
    return "band_minor is too wide: twice the band must be less than the gap between thresholds";
  }
  return std::nullopt;
}

}  // namespace bulwark::domain
