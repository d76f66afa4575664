#include "domain/market_data.hpp"

#include <date/date.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace bulwark::domain {
namespace {

constexpr MinorUnits value_minor_abs_max = 1'000'000'000'000'000;
constexpr int decimals_max = 2;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<int> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<MinorUnits> parse_decimal_minor(std::string_view text, bool allow_negative) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return std::nullopt;
    negative = true;
    text.remove_prefix(1);
  }
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) return std::nullopt;
  if (fraction.size() > static_cast<std::size_t>(decimals_max)) return std::nullopt;

  MinorUnits value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    auto shifted = checked_mul(value, 10);
    if (!shifted) return std::nullopt;
    auto sum = checked_add(*shifted, c - '0');
    if (!sum || *sum > value_minor_abs_max) return std::nullopt;
    value = *sum;
  }
  for (int i = 0; i < decimals_max; ++i) {
    char c = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    auto shifted = checked_mul(value, 10);
    if (!shifted) return std::nullopt;
    auto sum = checked_add(*shifted, c - '0');
    if (!sum) return std::nullopt;
    value = *sum;
  }
  if (value > value_minor_abs_max) return std::nullopt;
  return negative ? -value : value;
}

std::optional<std::int64_t> observation_version(std::string_view text) {
  if (text.size() != 10 && text.size() != 7) return std::nullopt;
  if (text[4] != '-' || (text.size() == 10 && text[7] != '-')) return std::nullopt;
  auto year = digits(text.substr(0, 4));
  auto month = digits(text.substr(5, 2));
  auto day = text.size() == 10 ? digits(text.substr(8, 2)) : std::optional<int>(1);
  if (!year || !month || !day || *year < 1800) return std::nullopt;
  date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                           date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

bool series_may_be_negative(std::string_view series) {
  return starts_with(series, "wti") || starts_with(series, "brent") ||
         starts_with(series, "natural-gas") || starts_with(series, "natural_gas") ||
         series.find("yield") != std::string_view::npos;
}

ParsedObservations parse_observations(std::string_view document, bool allow_negative) {
  ParsedObservations parsed;
  auto root = nlohmann::json::parse(document, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    parsed.error = "the document is not a JSON object";
    return parsed;
  }
  auto rows = root.find("observations");
  if (rows == root.end() || !rows->is_array()) {
    parsed.error = "the document has no \"observations\" array";
    return parsed;
  }

  std::map<std::int64_t, Observation> by_version;
  for (const auto& row : *rows) {
    const auto* date = row.is_object() && row.contains("date") ? &row.at("date") : nullptr;
    const auto* value = row.is_object() && row.contains("value") ? &row.at("value") : nullptr;
    if (date == nullptr || value == nullptr || !date->is_string() || !value->is_string()) {
      parsed.bad_rows++;
      continue;
    }
    auto version = observation_version(date->get_ref<const std::string&>());
    auto minor = parse_decimal_minor(value->get_ref<const std::string&>(), allow_negative);
    if (!version || !minor || by_version.count(*version) != 0) {
      parsed.bad_rows++;
      continue;
    }
    date::sys_days day{date::days{*version}};
    by_version.emplace(*version, Observation{*version, date::format("%F", day), *minor});
  }
  parsed.observations.reserve(by_version.size());
  for (auto& [version, observation] : by_version) parsed.observations.push_back(observation);
  return parsed;
}

}  // namespace bulwark::domain
