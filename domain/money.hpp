#pragma once
// Money as integer minor units (cents for USD). Every arithmetic step is checked: an overflow is a
// result the caller must handle, never a wrapped value.
#include <cstdint>
#include <optional>

namespace bulwark::domain {

using MinorUnits = std::int64_t;

// Accepted range for any amount that enters from outside: 1 to 10^15 minor units.
inline constexpr MinorUnits amount_minor_min = 1;
inline constexpr MinorUnits amount_minor_max = 1'000'000'000'000'000;

[[nodiscard]] constexpr bool is_valid_amount(std::int64_t amount) {
  return amount >= amount_minor_min && amount <= amount_minor_max;
}

[[nodiscard]] inline std::optional<MinorUnits> checked_add(MinorUnits a, MinorUnits b) {
  MinorUnits sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

[[nodiscard]] inline std::optional<MinorUnits> checked_sub(MinorUnits a, MinorUnits b) {
  MinorUnits difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return std::nullopt;
  return difference;
}

[[nodiscard]] inline std::optional<MinorUnits> checked_mul(MinorUnits a, MinorUnits b) {
  MinorUnits product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

}  // namespace bulwark::domain
