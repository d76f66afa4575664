#include "cli/load_series.hpp"

#include <fstream>
#include <stdexcept>

namespace bulwark::cli {
namespace {

constexpr std::int64_t price_units_max = 10'000'000'000'000;

std::vector<std::string> split_csv_line(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::string series_name(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0)
    name.resize(name.size() - 4);
  return name;
}

}  // namespace

std::optional<std::int64_t> parse_price_minor(std::string_view text, std::string& reason) {
  if (text.empty()) {
    reason = "empty price";
    return std::nullopt;
  }
  if (text.front() == '-') {
    reason = "negative price";
    return std::nullopt;
  }

  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  bool digits_only = !whole.empty() && fraction.size() <= 2 &&
                     (dot == std::string_view::npos || !fraction.empty());
  for (char c : whole) digits_only = digits_only && c >= '0' && c <= '9';
  for (char c : fraction) digits_only = digits_only && c >= '0' && c <= '9';
  // Fourteen whole digits already exceed price_units_max, so this bound also prevents overflow.
  if (!digits_only || whole.size() > 13) {
    reason = "malformed price";
    return std::nullopt;
  }

  std::int64_t units = 0;
  for (char c : whole) units = units * 10 + (c - '0');
  // "61.4" is 61.40: a single fractional digit counts tenths.
  std::int64_t hundredths = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    hundredths = hundredths * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  std::int64_t minor = units * 100 + hundredths;
  if (minor == 0) {
    reason = "zero price";
    return std::nullopt;
  }
  if (minor > price_units_max) {
    reason = "malformed price";
    return std::nullopt;
  }
  return minor;
}

PriceSeries read_price_series(const std::string& path, const std::string& from,
                              std::size_t rows_max) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("failed to open series file " + path + ": check --series");

  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("series file " + path + " is empty");
  std::vector<std::string> header = split_csv_line(line);
  std::size_t date_column = header.size();
  std::size_t price_column = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "Date") date_column = i;
    if (header[i] == "Price") price_column = i;
  }
  if (date_column == header.size() || price_column == header.size()) {
    throw std::runtime_error("series file " + path +
                             " has no Date and Price columns in its header: use a daily price "
                             "series such as wti-daily.csv");
  }

  PriceSeries series;
  series.name = series_name(path);
  while (series.rows_in_window < rows_max && std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() != header.size()) {
      std::string date = fields.empty() ? std::string() : fields[0];
      if (date < from) continue;
      series.skipped.push_back({date, line, "malformed row"});
      ++series.rows_in_window;
      continue;
    }
    const std::string& date = fields[date_column];
    if (date < from) continue;

    ++series.rows_in_window;
    const std::string& price_text = fields[price_column];
    std::string reason;
    if (auto minor = parse_price_minor(price_text, reason)) {
      series.points.push_back({date, price_text, *minor});
    } else {
      series.skipped.push_back({date, price_text, reason});
    }
  }
  return series;
}

}  // namespace bulwark::cli
