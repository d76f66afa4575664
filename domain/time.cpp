#include "domain/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <sstream>
#include <stdexcept>

namespace bulwark::domain {

std::string format_rfc3339(TimePoint t) { return date::format("%FT%TZ", t); }

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  std::istringstream in{std::string(text)};
  TimePoint t;
  if (text.size() >= 1 && (text.back() == 'Z' || text.back() == 'z')) {
    in >> date::parse("%FT%T", t);
    if (in.fail()) return std::nullopt;
    // get() instead of >> so that whitespace before the 'Z' is not skipped.
    char zulu = 0;
    in.get(zulu);
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
    return t;
  }
  in >> date::parse("%FT%T%Ez", t);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return t;
}

bool is_valid_time_zone(const std::string& name) {
  if (name.empty()) return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::runtime_error&) {
    return false;
  }
}

std::string local_day(TimePoint t, const std::string& zone_name) {
  const date::time_zone* zone = date::locate_zone(zone_name);
  auto local = zone->to_local(t);
  return date::format("%F", date::floor<date::days>(local));
}

}  // namespace bulwark::domain
