#pragma once
// Daily price series for the demo workload: "Date,Price" CSV files with prices as decimal text.
// Prices become integer minor units straight from the text, so no binary floating point ever
// rounds an amount.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::cli {

struct PricePoint {
  std::string date;        // as in the file: YYYY-MM-DD, or YYYY-MM for monthly series
  std::string price_text;  // the decimal text as in the file, e.g. "61.49" or "26"
  std::int64_t price_minor = 0;
};

// A row of the selected window that the workload does not trade on, and why.
struct SkippedRow {
  std::string date;
  std::string price_text;
  std::string reason;  // "empty price", "negative price", "zero price" or "malformed price"
};

struct PriceSeries {
  std::string name;  // from the file name: "wti-daily.csv" becomes "wti-daily"
  std::vector<PricePoint> points;
  std::vector<SkippedRow> skipped;
  std::size_t rows_in_window = 0;  // points plus skipped
};

// Parses a non-negative decimal with at most two fractional digits ("26", "61.4", "61.49") into
// hundredths. Sets `reason` and returns nullopt for an empty, negative, zero or malformed price,
// or one above 10^13 units.
[[nodiscard]] std::optional<std::int64_t> parse_price_minor(std::string_view text,
                                                            std::string& reason);

// Reads the rows dated `from` or later (string order, which is date order for ISO dates), at most
// `rows_max` of them, skipping rows whose price is not positive. The header must name a Date and
// a Price column. Throws std::runtime_error when the file is unreadable or has no such columns.
[[nodiscard]] PriceSeries read_price_series(const std::string& path, const std::string& from,
                                            std::size_t rows_max);

}  // namespace bulwark::cli
