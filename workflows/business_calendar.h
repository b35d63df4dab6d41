// BusinessCalendar: when a desk or a counter works, from the reference
// data's BusinessCalendar (a zone, weekly hours, holidays fixed and
// recurring, dated exceptions, validity dates), and the arithmetic deadlines
// need: is it open, the next opening, business days and business minutes
// added or counted. Local days come from the zone (abseil's tz database),
// so a day of 23 or 25 hours counts what the clock on the desk's wall says.
//
// Pure, immutable and thread-safe. A calendar with no opening within ten
// years answers absl::InfiniteFuture() for a time it cannot reach.
#ifndef TRIPDESK_WORKFLOWS_BUSINESS_CALENDAR_H_
#define TRIPDESK_WORKFLOWS_BUSINESS_CALENDAR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tripdesk/v1/reference.pb.h"

namespace tripdesk::workflows {

class BusinessCalendar {
 public:
  // INVALID_ARGUMENT naming the field: a malformed time or date, an
  // interval that closes before it opens, intervals that overlap.
  static absl::StatusOr<BusinessCalendar> Make(const v1::BusinessCalendar& proto,
                                               absl::TimeZone zone);

  const std::string& id() const { return id_; }
  absl::TimeZone zone() const { return zone_; }

  // The instants the calendar is open on local day `day`, in order.
  std::vector<std::pair<absl::Time, absl::Time>> Hours(absl::CivilDay day) const;
  bool IsBusinessDay(absl::CivilDay day) const { return !Hours(day).empty(); }

  bool IsOpen(absl::Time t) const;
  // `t` when open, else the start of the next opening.
  absl::Time NextOpening(absl::Time t) const;
  // The instant `amount` of open time after `start` (open time only
  // counts; zero gives the next opening).
  absl::Time AddBusinessTime(absl::Time start, absl::Duration amount) const;
  absl::Time AddBusinessMinutes(absl::Time start, int64_t minutes) const {
    return AddBusinessTime(start, absl::Minutes(minutes));
  }
  // The open time in [from, to); zero when `to` is not after `from`.
  absl::Duration BusinessTimeBetween(absl::Time from, absl::Time to) const;
  int64_t BusinessMinutesBetween(absl::Time from, absl::Time to) const {
    return absl::ToInt64Minutes(BusinessTimeBetween(from, to));
  }
  // The business day `n` business days after `day` (before it for n < 0;
  // `day` itself does not count): "2 jours ouvrés avant le départ" is
  // AddBusinessDays(departure, -2).
  absl::CivilDay AddBusinessDays(absl::CivilDay day, int n) const;

 private:
  using Minutes = std::pair<int, int>;  // [open, close) in minutes after local midnight
  BusinessCalendar() = default;

  std::string id_;
  absl::TimeZone zone_;
  std::vector<Minutes> weekly_[7];  // index: ISO weekday - 1
  absl::flat_hash_set<absl::CivilDay> holidays_;
  absl::flat_hash_set<std::pair<int, int>> yearly_holidays_;  // (month, day)
  absl::flat_hash_map<absl::CivilDay, std::vector<Minutes>> exceptions_;
  absl::CivilDay valid_from_ = absl::CivilDay(1, 1, 1);
  absl::CivilDay valid_to_ = absl::CivilDay(9999, 12, 31);
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_BUSINESS_CALENDAR_H_
