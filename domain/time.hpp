#pragma once
// Time in the domain is always a parameter: no function here reads a clock.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::domain {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// Formats as RFC 3339 UTC with milliseconds: "2026-12-04T10:00:00.123Z".
[[nodiscard]] std::string format_rfc3339(TimePoint t);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a numeric offset; nullopt when malformed.
[[nodiscard]] std::optional<TimePoint> parse_rfc3339(std::string_view text);

[[nodiscard]] inline std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
[[nodiscard]] inline TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

// True when the IANA zone name is known to the system time zone database.
[[nodiscard]] bool is_valid_time_zone(const std::string& name);

// Returns the calendar day ("YYYY-MM-DD") that instant `t` falls on in the IANA zone, so a
// budget day follows the tenant's local midnight across DST changes. The zone must be valid.
[[nodiscard]] std::string local_day(TimePoint t, const std::string& zone_name);

}  // namespace bulwark::domain
