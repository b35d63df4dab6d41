// The day tests run on: 10:00 UTC on the day the test binary started,
// fixed for the whole run. Servers started with TestClockFlag() and
// in-process runners given a TestClock at TestClockStart() decide on that
// day, and every date a test computes comes from it, so no test straddles
// UTC midnight between its dates and the server's "today".
#ifndef TRIPDESK_TESTS_TESTING_TEST_DAY_H_
#define TRIPDESK_TESTS_TESTING_TEST_DAY_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tripdesk::testing {

inline absl::Time TestClockStart() {
  static const absl::Time kStart = absl::FromCivil(
      absl::CivilHour(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())) + 10, absl::UTCTimeZone());
  return kStart;
}

// tripdeskd's flag that starts its clock there.
inline std::string TestClockFlag() {
  return absl::StrCat("--test_clock_start=",
                      absl::FormatTime(absl::RFC3339_full, TestClockStart(), absl::UTCTimeZone()));
}

// YYYY-MM-DD, `days` after the test day.
inline std::string TestDay(int days) {
  return absl::FormatCivilTime(absl::ToCivilDay(TestClockStart(), absl::UTCTimeZone()) + days);
}

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_TEST_DAY_H_
