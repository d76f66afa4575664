#pragma once
// Parsing of market observations. Values arrive as decimal text and become integer minor units
// (hundredths) without floating point.
//
// Accepted source document (the shape of FRED's series/observations endpoint):
//   {"observations": [{"date": "2020-04-20", "value": "-36.98"}, ...]}
// `date` is "YYYY-MM-DD" or "YYYY-MM" (monthly series, read as the first of the month). `value` is
// a JSON string: an optional '-', digits, and at most two decimals ("61.18", "26", "0.5"). Other
// members of the document and of each row are ignored. Rows that are not usable (missing or
// malformed date, empty value, FRED's "." for a missing value, more than two decimals, a value out
// of range, a negative value for a series that cannot be negative, a date repeated) are skipped
// and counted, never fatal.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/money.hpp"

namespace bulwark::domain {

struct Observation {
  std::int64_t version = 0;  // days since 1970-01-01 of the date: grows with the date
  std::string date;          // "YYYY-MM-DD"
  MinorUnits value_minor = 0;
};

struct ParsedObservations {
  std::vector<Observation> observations;  // ascending by version
  std::uint64_t bad_rows = 0;
  std::string error;  // set, with no observations, when the document itself is not usable
};

// Parses "61.18" into 6118. Returns nullopt for empty text, ".", more than two decimals, any
// character other than digits, one '.', and a leading '-' (only when `allow_negative`), or a
// magnitude above 10^15 minor units.
[[nodiscard]] std::optional<MinorUnits> parse_decimal_minor(std::string_view text,
                                                            bool allow_negative);

// Returns the version of "YYYY-MM-DD" or "YYYY-MM" (days since 1970-01-01), or nullopt when the
// text is not such a date. Dates before 1800 or after 9999 are rejected.
[[nodiscard]] std::optional<std::int64_t> observation_version(std::string_view date);

// Whether a series may be negative, decided by its name. Spot prices of crude oil and natural gas
// (names starting "wti", "brent", "natural-gas" or "natural_gas") can go below zero when storage
// is full: WTI settled at -36.98 USD on 2020-04-20. Bond yields (names containing "yield") went
// below zero in several markets. Gold prices, price indices and exchange rates cannot be negative,
// and neither can any other series, so a negative value there is a bad row.
[[nodiscard]] bool series_may_be_negative(std::string_view series);

[[nodiscard]] ParsedObservations parse_observations(std::string_view document, bool allow_negative);

}  // namespace bulwark::domain
