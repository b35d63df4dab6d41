#include "workflows/business_calendar.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows {
namespace {

// How far a search for open time goes before it gives up.
constexpr int kSearchDays = 3653;

// "HH:MM" as minutes after midnight; "24:00" only for a closing time.
absl::StatusOr<int> ParseClock(absl::string_view where, const std::string& value, bool closing) {
  int hours = 0;
  int minutes = 0;
  if (value.size() != 5 || value[2] != ':' || !absl::SimpleAtoi(value.substr(0, 2), &hours) ||
      !absl::SimpleAtoi(value.substr(3, 2), &minutes) || hours < 0 || minutes < 0 ||
      minutes > 59 || hours > 24 || (hours == 24 && (minutes != 0 || !closing))) {
    return InvalidReference(where, absl::StrCat("'", value, "' is not a time of day (HH:MM",
                                                closing ? ", or 24:00" : "", ")"));
  }
  return hours * 60 + minutes;
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view where, const std::string& value) {
  absl::CivilDay day;
  if (value.size() != 10 || !absl::ParseCivilTime(value, &day) ||
      absl::FormatCivilTime(day) != value) {
    return InvalidReference(where, absl::StrCat("'", value, "' is not a date (YYYY-MM-DD)"));
  }
  return day;
}

// A day's intervals, sorted; INVALID_ARGUMENT when one is empty or two overlap.
absl::Status AddHours(absl::string_view where, const v1::OpeningInterval& interval,
                      std::vector<std::pair<int, int>>& day) {
  absl::StatusOr<int> open = ParseClock(absl::StrCat(where, ".open"), interval.open(), false);
  if (!open.ok()) return open.status();
  absl::StatusOr<int> close = ParseClock(absl::StrCat(where, ".close"), interval.close(), true);
  if (!close.ok()) return close.status();
  if (*close <= *open) {
    return InvalidReference(where, absl::StrCat("closes at ", interval.close(),
                                                ", not after it opens at ", interval.open()));
  }
  day.emplace_back(*open, *close);
  std::sort(day.begin(), day.end());
  for (size_t i = 1; i < day.size(); ++i) {
    if (day[i].first < day[i - 1].second) {
      return InvalidReference(where, "overlaps another interval of the same day");
    }
  }
  return absl::OkStatus();
}

absl::Status AddHoliday(absl::string_view where, const std::string& date,
                        absl::flat_hash_set<absl::CivilDay>& fixed,
                        absl::flat_hash_set<std::pair<int, int>>& yearly) {
  if (date.size() == 5) {  // MM-DD, every year
    absl::StatusOr<absl::CivilDay> day = ParseDate(where, absl::StrCat("2000-", date));
    if (!day.ok()) {
      return InvalidReference(where, absl::StrCat("'", date, "' is not a date (YYYY-MM-DD, or "
                                                  "MM-DD every year)"));
    }
    yearly.insert({day->month(), day->day()});
    return absl::OkStatus();
  }
  absl::StatusOr<absl::CivilDay> day = ParseDate(where, date);
  if (!day.ok()) return day.status();
  fixed.insert(*day);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BusinessCalendar> BusinessCalendar::Make(const v1::BusinessCalendar& proto,
                                                        absl::TimeZone zone) {
  const std::string where = absl::StrCat("calendar '", proto.id(), "'");
  BusinessCalendar c;
  c.id_ = proto.id();
  c.zone_ = zone;
  for (int i = 0; i < proto.weekly_size(); ++i) {
    const v1::OpeningInterval& interval = proto.weekly(i);
    const std::string at = absl::StrCat(where, ".weekly[", i, "]");
    if (interval.weekday() < 1 || interval.weekday() > 7) {
      return InvalidReference(at, "weekday is 1 (Monday) to 7 (Sunday)");
    }
    if (absl::Status s = AddHours(at, interval, c.weekly_[interval.weekday() - 1]); !s.ok()) return s;
  }
  for (int i = 0; i < proto.holidays_size(); ++i) {
    if (absl::Status s = AddHoliday(absl::StrCat(where, ".holidays[", i, "]"),
                                    proto.holidays(i).date(), c.holidays_, c.yearly_holidays_);
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < proto.exceptions_size(); ++i) {
    const std::string at = absl::StrCat(where, ".exceptions[", i, "]");
    absl::StatusOr<absl::CivilDay> day = ParseDate(at, proto.exceptions(i).date());
    if (!day.ok()) return day.status();
    std::vector<Minutes>& hours = c.exceptions_[*day];
    for (const v1::OpeningInterval& interval : proto.exceptions(i).hours()) {
      if (absl::Status s = AddHours(at, interval, hours); !s.ok()) return s;
    }
  }
  if (!proto.valid_from().empty()) {
    absl::StatusOr<absl::CivilDay> from = ParseDate(where + ".valid_from", proto.valid_from());
    if (!from.ok()) return from.status();
    c.valid_from_ = *from;
  }
  if (!proto.valid_to().empty()) {
    absl::StatusOr<absl::CivilDay> to = ParseDate(where + ".valid_to", proto.valid_to());
    if (!to.ok()) return to.status();
    c.valid_to_ = *to;
  }
  return c;
}

std::vector<std::pair<absl::Time, absl::Time>> BusinessCalendar::Hours(absl::CivilDay day) const {
  std::vector<std::pair<absl::Time, absl::Time>> out;
  if (day < valid_from_ || day > valid_to_) return out;
  const std::vector<Minutes>* hours = nullptr;
  if (auto it = exceptions_.find(day); it != exceptions_.end()) {
    hours = &it->second;
  } else if (holidays_.contains(day) || yearly_holidays_.contains({day.month(), day.day()})) {
    return out;
  } else {
    hours = &weekly_[static_cast<int>(absl::GetWeekday(day))];
  }
  const absl::CivilMinute midnight(day);
  for (const auto& [open, close] : *hours) {
    // Local times in a spring-forward gap map past it (abseil's "pre").
    const absl::Time from = absl::FromCivil(midnight + open, zone_);
    const absl::Time to = absl::FromCivil(midnight + close, zone_);
    if (from < to) out.emplace_back(from, to);
  }
  return out;
}

bool BusinessCalendar::IsOpen(absl::Time t) const {
  for (const auto& [from, to] : Hours(absl::ToCivilDay(t, zone_))) {
    if (from <= t && t < to) return true;
  }
  return false;
}

absl::Time BusinessCalendar::NextOpening(absl::Time t) const {
  return AddBusinessTime(t, absl::ZeroDuration());
}

absl::Time BusinessCalendar::AddBusinessTime(absl::Time start, absl::Duration amount) const {
  absl::CivilDay day = absl::ToCivilDay(start, zone_);
  for (int i = 0; i < kSearchDays; ++i, ++day) {
    for (const auto& [from, to] : Hours(day)) {
      if (to <= start) continue;
      const absl::Time begin = std::max(from, start);
      if (amount <= to - begin) return begin + amount;
      amount -= to - begin;
    }
  }
  return absl::InfiniteFuture();
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time from, absl::Time to) const {
  absl::Duration total;
  if (to <= from) return total;
  const absl::CivilDay last =
      std::min(absl::ToCivilDay(to, zone_), absl::ToCivilDay(from, zone_) + kSearchDays);
  for (absl::CivilDay day = absl::ToCivilDay(from, zone_); day <= last; ++day) {
    for (const auto& [open, close] : Hours(day)) {
      const absl::Time begin = std::max(open, from);
      const absl::Time end = std::min(close, to);
      if (begin < end) total += end - begin;
    }
  }
  return total;
}

absl::CivilDay BusinessCalendar::AddBusinessDays(absl::CivilDay day, int n) const {
  const int step = n < 0 ? -1 : 1;
  for (int left = n < 0 ? -n : n, i = 0; left > 0 && i < kSearchDays; ++i) {
    day += step;
    if (IsBusinessDay(day)) --left;
  }
  return day;
}

}  // namespace tripdesk::workflows
