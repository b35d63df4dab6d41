// The pending timers of every case, ordered by due time: what the scheduler
// waits for and ListDeadlines answers. A row per TimerScheduled keyed by its
// due time, removed by its DeadlineReached or TimerCanceled (both carry the
// due time); breached SLAs of open cases are kept apart until fulfilled or
// ended.
#ifndef TRIPDESK_PROJECTIONS_TIMER_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_TIMER_PROJECTION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "projections/projection.h"

namespace tripdesk::projections {

inline constexpr char kTimersDueFamily[] = "timers_due";
inline constexpr char kSlaBreachedFamily[] = "sla_breached";

class TimerProjection final : public Projection {
 public:
  std::string name() const override { return "timers"; }
  int version() const override { return 1; }
  std::vector<std::string> families() const override {
    return {kTimersDueFamily, kSlaBreachedFamily};
  }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
};

struct DueTimer {
  std::string case_id;
  std::string timer_id;
  std::string kind;
  absl::Time due_at;
  std::string key;  // its row's key: where a next page starts after
};

// Reads the view; `family` maps a base family name to the one serving.
class TimerQueries {
 public:
  TimerQueries(const ViewStore* views, std::function<std::string(absl::string_view)> family)
      : views_(views), family_(std::move(family)) {}

  // Pending timers due at or before `up_to`, earliest first, at most `limit`
  // (of `kind` when not empty), from the first key after `after`.
  absl::StatusOr<std::vector<DueTimer>> Due(absl::Time up_to, size_t limit,
                                            absl::string_view kind = "",
                                            absl::string_view after = "") const;
  // Breached SLAs of cases not yet fulfilled or ended (kind
  // "sla.<metric>.breach", no timer id), by case, after `after`.
  absl::StatusOr<std::vector<DueTimer>> Breached(size_t limit, absl::string_view after = "") const;

 private:
  const ViewStore* views_;
  std::function<std::string(absl::string_view)> family_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_TIMER_PROJECTION_H_
