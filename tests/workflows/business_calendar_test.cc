// Business calendars: opening hours in the desk's zone, holidays fixed and
// recurring, dated exceptions and validity, and the deadline arithmetic
// across the 2027 daylight-saving changes in Paris and Los Angeles.
#include "workflows/business_calendar.h"

#include <google/protobuf/text_format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_replace.h"
#include "tests/testing/reference.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows {
namespace {

using ::testing::HasSubstr;

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

BusinessCalendar Make(const std::string& text, const std::string& zone) {
  v1::BusinessCalendar proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &proto)) << text;
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Make(proto, Zone(zone));
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *calendar;
}

absl::Time Local(const std::string& zone, int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), Zone(zone));
}

// Monday to Friday, 08:00-17:00 in Los Angeles.
std::string WeekdaysEightToFive() {
  std::string text = "id: 'us-desk' zone: 'America/Los_Angeles' ";
  for (int day = 1; day <= 5; ++day) {
    text += absl::StrCat("weekly { weekday: ", day, " open: '08:00' close: '17:00' } ");
  }
  return text;
}

// Every day, all day, in Paris.
std::string AroundTheClock() {
  std::string text = "id: 'paris-24-7' zone: 'Europe/Paris' ";
  for (int day = 1; day <= 7; ++day) {
    text += absl::StrCat("weekly { weekday: ", day, " open: '00:00' close: '24:00' } ");
  }
  return text;
}

TEST(BusinessCalendar, ADayOfTwentyThreeHoursInParisCountsTwentyThree) {
  const BusinessCalendar c = Make(AroundTheClock(), "Europe/Paris");
  const std::string p = "Europe/Paris";
  // 2027-03-28: clocks go from 02:00 CET to 03:00 CEST.
  EXPECT_EQ(c.BusinessMinutesBetween(Local(p, 2027, 3, 28, 0), Local(p, 2027, 3, 29, 0)), 23 * 60);
  EXPECT_EQ(c.BusinessMinutesBetween(Local(p, 2027, 3, 27, 0), Local(p, 2027, 3, 28, 0)), 24 * 60);
  // A day of open time from Saturday noon ends at 13:00 on Sunday.
  EXPECT_EQ(c.AddBusinessMinutes(Local(p, 2027, 3, 27, 12), 24 * 60), Local(p, 2027, 3, 28, 13));
  // And October's day of 25 hours.
  EXPECT_EQ(c.BusinessMinutesBetween(Local(p, 2027, 10, 31, 0), Local(p, 2027, 11, 1, 0)), 25 * 60);
}

TEST(BusinessCalendar, AWeekendAcrossTheLosAngelesChangeCountsOnlyTheDesksHours) {
  const BusinessCalendar c = Make(WeekdaysEightToFive(), "America/Los_Angeles");
  const std::string la = "America/Los_Angeles";
  // Friday 16:00 PST; two business hours later is Monday 09:00 PDT (clocks
  // went forward on Sunday 2027-03-14).
  const absl::Time friday = Local(la, 2027, 3, 12, 16);
  const absl::Time monday = Local(la, 2027, 3, 15, 9);
  EXPECT_EQ(c.AddBusinessMinutes(friday, 120), monday);
  EXPECT_EQ(c.BusinessMinutesBetween(friday, monday), 120);
  EXPECT_EQ(monday - friday, absl::Hours(64));  // 65 hours on the wall, one of them skipped
  EXPECT_FALSE(c.IsOpen(Local(la, 2027, 3, 13, 10)));
  EXPECT_EQ(c.NextOpening(Local(la, 2027, 3, 12, 17, 30)), Local(la, 2027, 3, 15, 8));
  // Open at 08:00, closed at 17:00 (intervals are [open, close)).
  EXPECT_TRUE(c.IsOpen(Local(la, 2027, 3, 15, 8)));
  EXPECT_FALSE(c.IsOpen(Local(la, 2027, 3, 15, 17)));
  EXPECT_EQ(c.NextOpening(Local(la, 2027, 3, 15, 10)), Local(la, 2027, 3, 15, 10));
}

TEST(BusinessCalendar, HoursAcrossTheSkippedHourCountWhatTheWallClockShows) {
  const BusinessCalendar c = Make(
      "id: 'night' zone: 'America/Los_Angeles' weekly { weekday: 7 open: '01:00' close: '05:00' }",
      "America/Los_Angeles");
  // 01:00-02:00 PST, then 03:00-05:00 PDT.
  EXPECT_EQ(c.BusinessMinutesBetween(Local("America/Los_Angeles", 2027, 3, 14, 0),
                                     Local("America/Los_Angeles", 2027, 3, 15, 0)),
            180);
}

TEST(BusinessCalendar, HolidaysFixedAndRecurringAndDatedExceptions) {
  const BusinessCalendar c = Make(
      WeekdaysEightToFive() +
          "holidays { date: '2027-12-24' name: 'Christmas Eve 2027' } "
          "holidays { date: '12-25' name: 'Christmas' } holidays { date: '01-01' } "
          "exceptions { date: '2027-12-18' hours { open: '10:00' close: '12:00' } reason: 'peak' } "
          "exceptions { date: '2027-12-20' reason: 'inventory' }",
      "America/Los_Angeles");
  using Day = absl::CivilDay;
  // Thursday the 23rd + 1 business day: Friday the 24th is a holiday.
  EXPECT_EQ(c.AddBusinessDays(Day(2027, 12, 23), 1), Day(2027, 12, 27));
  // "2 jours ouvrés avant le départ" of Monday the 27th.
  EXPECT_EQ(c.AddBusinessDays(Day(2027, 12, 27), -2), Day(2027, 12, 22));
  // The recurring one holds in later years: 2028-12-25 is a Monday.
  EXPECT_FALSE(c.IsBusinessDay(Day(2028, 12, 25)));
  EXPECT_TRUE(c.IsBusinessDay(Day(2028, 12, 26)));
  EXPECT_FALSE(c.IsBusinessDay(Day(2029, 1, 1)));  // a Monday
  // The fixed one does not recur: 2026-12-24 is a Thursday, open.
  EXPECT_TRUE(c.IsBusinessDay(Day(2026, 12, 24)));
  // A Saturday opened for two hours; a Monday closed for an inventory.
  EXPECT_EQ(c.BusinessMinutesBetween(Local("America/Los_Angeles", 2027, 12, 18, 0),
                                     Local("America/Los_Angeles", 2027, 12, 19, 0)),
            120);
  EXPECT_FALSE(c.IsBusinessDay(Day(2027, 12, 20)));
  EXPECT_EQ(c.NextOpening(Local("America/Los_Angeles", 2027, 12, 20, 9)),
            Local("America/Los_Angeles", 2027, 12, 21, 8));
}

TEST(BusinessCalendar, OutsideItsValidityACalendarHasNoHours) {
  const BusinessCalendar c =
      Make(WeekdaysEightToFive() + "valid_from: '2027-01-04' valid_to: '2027-01-08'",
           "America/Los_Angeles");
  const std::string la = "America/Los_Angeles";
  EXPECT_FALSE(c.IsOpen(Local(la, 2026, 12, 28, 10)));
  EXPECT_TRUE(c.IsOpen(Local(la, 2027, 1, 4, 10)));
  EXPECT_EQ(c.BusinessMinutesBetween(Local(la, 2027, 1, 1, 0), Local(la, 2027, 2, 1, 0)), 5 * 540);
  // Nothing to reach past the end: never.
  EXPECT_EQ(c.AddBusinessMinutes(Local(la, 2027, 1, 8, 16), 120), absl::InfiniteFuture());
  EXPECT_EQ(c.NextOpening(Local(la, 2027, 1, 9, 0)), absl::InfiniteFuture());
}

TEST(BusinessCalendar, MalformedHoursAreRefusedNamingTheEntry) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto make = [&](const std::string& text) {
    v1::BusinessCalendar proto;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &proto)) << text;
    return BusinessCalendar::Make(proto, utc).status();
  };
  EXPECT_THAT(make("id: 'x' weekly { weekday: 1 open: '25:00' close: '26:00' }").message(),
              HasSubstr("calendar 'x'.weekly[0].open: '25:00' is not a time of day"));
  EXPECT_THAT(make("id: 'x' weekly { weekday: 1 open: '24:00' close: '24:00' }").message(),
              HasSubstr("is not a time of day (HH:MM)"));
  EXPECT_THAT(make("id: 'x' weekly { weekday: 1 open: '12:00' close: '09:00' }").message(),
              HasSubstr("closes at 09:00, not after it opens at 12:00"));
  EXPECT_THAT(make("id: 'x' weekly { weekday: 1 open: '08:00' close: '12:00' } "
                   "weekly { weekday: 1 open: '11:00' close: '13:00' }")
                  .message(),
              HasSubstr("weekly[1]: overlaps another interval"));
  EXPECT_THAT(make("id: 'x' weekly { weekday: 8 open: '08:00' close: '12:00' }").message(),
              HasSubstr("weekday is 1 (Monday) to 7 (Sunday)"));
  EXPECT_THAT(make("id: 'x' holidays { date: '13-45' }").message(),
              HasSubstr("holidays[0]: '13-45' is not a date (YYYY-MM-DD, or MM-DD every year)"));
  EXPECT_THAT(make("id: 'x' valid_to: '2027-02-30'").message(),
              HasSubstr("valid_to: '2027-02-30' is not a date"));
}

TEST(BusinessCalendar, TheReferenceDataBuildsItsCalendarsAndRefusesABadOne) {
  // The shipped data (its vendors, rates...) with a calendar more.
  const std::string shipped = testing::ShippedReferenceText();
  absl::StatusOr<std::shared_ptr<const ReferenceData>> ok = ReferenceData::FromTextProto(
      shipped + "calendars { " + absl::StrReplaceAll(WeekdaysEightToFive(), {{"us-desk", "la-desk"}}) + " }");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_NE((*ok)->Calendar("la-desk"), nullptr);
  EXPECT_EQ((*ok)->Calendar("la-desk")->zone().name(), "America/Los_Angeles");
  EXPECT_EQ((*ok)->Calendar("nope"), nullptr);
  auto with = [&](const std::string& more) {
    return std::string(ReferenceData::FromTextProto(shipped + more).status().message());
  };
  EXPECT_THAT(with("calendars { id: 'a' }"), HasSubstr("zone is empty"));
  EXPECT_THAT(with("calendars { id: 'a' zone: 'Mars/Olympus' }"),
              HasSubstr("zone 'Mars/Olympus' is not an IANA time zone"));
  EXPECT_THAT(with("calendars { id: 'a' zone: 'UTC' } calendars { id: 'a' zone: 'UTC' }"),
              HasSubstr("a second calendar 'a'"));
}

}  // namespace
}  // namespace tripdesk::workflows
