#include "domain/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using testing::at;

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_unix_ms(1'796'378'400'123)), "2026-12-04T10:00:00.123Z");
}

TEST(Rfc3339, RoundTripsFormattedInstants) {
  const std::int64_t instants_ms[] = {0,
                                      1,
                                      999,
                                      1'774'745'999'999,  // 2026-03-28T23:59:59.999Z
                                      1'796'378'400'123,
                                      4'102'444'800'000};  // 2100-01-01
  for (std::int64_t ms : instants_ms) {
    TimePoint t = from_unix_ms(ms);
    auto parsed = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(parsed.has_value()) << format_rfc3339(t);
    EXPECT_EQ(to_unix_ms(*parsed), ms);
  }
}

TEST(Rfc3339, ParsesOptionalFractionAndOffset) {
  EXPECT_EQ(parse_rfc3339("2026-12-04T10:00:00Z"), from_unix_ms(1'796'378'400'000));
  EXPECT_EQ(parse_rfc3339("2026-12-04T10:00:00.5Z"), from_unix_ms(1'796'378'400'500));
  EXPECT_EQ(parse_rfc3339("2026-12-04T11:00:00.123+01:00"), from_unix_ms(1'796'378'400'123));
  EXPECT_EQ(parse_rfc3339("2026-12-04T05:00:00.123-05:00"), from_unix_ms(1'796'378'400'123));
}

TEST(Rfc3339, RejectsGarbage) {
  const char* garbage[] = {
      "",
      "Z",
      "now",
      "2026-12-04",
      "2026-12-04T10:00:00",
      "2026-12-04 10:00:00Q",
      "2026-12-04T10:00:00Zjunk",
      "2026-12-04T10:00:00+01:00Z",
      "2026-13-04T10:00:00Z",
      "2026-12-32T10:00:00Z",
      "2026-12-04T25:00:00Z",
      "2026-12-04T10:61:00Z",
      "12/04/2026 10:00",
      "2026-12-04T10:00:00.123Xz",
      "2026-12-04T10:00:00+0x:00",
      "2026-12-04T10:00:00 Z",
  };
  for (const char* text : garbage) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << "input \"" << text << "\"";
  }
}

TEST(TimeZone, ValidatesIanaNames) {
  EXPECT_TRUE(is_valid_time_zone("Europe/Berlin"));
  EXPECT_TRUE(is_valid_time_zone("America/New_York"));
  EXPECT_TRUE(is_valid_time_zone("UTC"));
  EXPECT_FALSE(is_valid_time_zone(""));
  EXPECT_FALSE(is_valid_time_zone("Mars/Olympus_Mons"));
  EXPECT_FALSE(is_valid_time_zone("../etc/passwd"));
}

// Local midnights around each DST change of 2026, as UTC instants.
struct MidnightCase {
  const char* zone;
  const char* midnight_utc;  // the instant the local day `day` starts
  const char* previous_day;
  const char* day;
};

constexpr MidnightCase midnight_cases[] = {
    // Berlin: CET (+01:00) until 2026-03-29 01:00 UTC, then CEST (+02:00).
    {"Europe/Berlin", "2026-03-28T23:00:00Z", "2026-03-28", "2026-03-29"},
    {"Europe/Berlin", "2026-03-29T22:00:00Z", "2026-03-29", "2026-03-30"},
    // Berlin: CEST until 2026-10-25 01:00 UTC, then CET.
    {"Europe/Berlin", "2026-10-24T22:00:00Z", "2026-10-24", "2026-10-25"},
    {"Europe/Berlin", "2026-10-25T23:00:00Z", "2026-10-25", "2026-10-26"},
    // New York: EST (-05:00) until 2026-03-08 07:00 UTC, then EDT (-04:00).
    {"America/New_York", "2026-03-08T05:00:00Z", "2026-03-07", "2026-03-08"},
    {"America/New_York", "2026-03-09T04:00:00Z", "2026-03-08", "2026-03-09"},
    // New York: EDT until 2026-11-01 06:00 UTC, then EST.
    {"America/New_York", "2026-11-01T04:00:00Z", "2026-10-31", "2026-11-01"},
    {"America/New_York", "2026-11-02T05:00:00Z", "2026-11-01", "2026-11-02"},
};

TEST(LocalDay, MidnightAcrossDstChanges) {
  for (const auto& c : midnight_cases) {
    TimePoint midnight = at(c.midnight_utc);
    SCOPED_TRACE(std::string(c.zone) + " " + c.midnight_utc);
    EXPECT_EQ(local_day(midnight - milliseconds(1), c.zone), c.previous_day);
    EXPECT_EQ(local_day(midnight, c.zone), c.day);
    EXPECT_EQ(local_day(midnight + milliseconds(1), c.zone), c.day);
  }
}

// Walks minute by minute across each DST weekend and checks that the day changes only at the
// expected local midnights, once each, so every local day has exactly one start.
TEST(LocalDay, ChangesOncePerLocalMidnight) {
  struct Walk {
    const char* zone;
    const char* from;
    const char* to;
  };
  const Walk walks[] = {
      {"Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z"},
      {"Europe/Berlin", "2026-10-23T12:00:00Z", "2026-10-27T12:00:00Z"},
      {"America/New_York", "2026-03-06T12:00:00Z", "2026-03-10T12:00:00Z"},
      {"America/New_York", "2026-10-30T12:00:00Z", "2026-11-03T12:00:00Z"},
  };
  for (const auto& walk : walks) {
    SCOPED_TRACE(walk.zone);
    std::set<std::string> expected_changes;
    for (const auto& c : midnight_cases) {
      TimePoint midnight = at(c.midnight_utc);
      if (std::string(c.zone) == walk.zone && midnight > at(walk.from) && midnight < at(walk.to)) {
        expected_changes.insert(c.midnight_utc);
      }
    }
    ASSERT_EQ(expected_changes.size(), 2u);

    std::set<std::string> seen_days;
    std::set<std::string> changes;
    std::string previous = local_day(at(walk.from), walk.zone);
    seen_days.insert(previous);
    for (TimePoint t = at(walk.from); t <= at(walk.to); t += std::chrono::minutes(1)) {
      std::string day = local_day(t, walk.zone);
      if (day != previous) {
        EXPECT_EQ(seen_days.count(day), 0u) << "day " << day << " started twice";
        seen_days.insert(day);
        std::string instant = format_rfc3339(t);
        changes.insert(instant.substr(0, 19) + "Z");
        previous = day;
      }
    }
    // The walk starts at noon UTC, so it crosses one local midnight per UTC day.
    EXPECT_EQ(changes.size(), 4u);
    for (const auto& expected : expected_changes) {
      EXPECT_EQ(changes.count(expected), 1u) << "no day change at " << expected;
    }
  }
}

TEST(LocalDay, DstDaysHaveShortAndLongLengths) {
  struct Length {
    const char* zone;
    const char* start;
    const char* next_start;
    hours length;
  };
  const Length lengths[] = {
      {"Europe/Berlin", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", hours(23)},
      {"Europe/Berlin", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", hours(25)},
      {"America/New_York", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", hours(23)},
      {"America/New_York", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", hours(25)},
  };
  for (const auto& l : lengths) {
    SCOPED_TRACE(std::string(l.zone) + " " + l.start);
    EXPECT_EQ(at(l.next_start) - at(l.start), l.length);
    std::string day = local_day(at(l.start), l.zone);
    EXPECT_EQ(local_day(at(l.next_start) - milliseconds(1), l.zone), day);
    EXPECT_NE(local_day(at(l.next_start), l.zone), day);
  }
}

}  // namespace
}  // namespace bulwark::domain
