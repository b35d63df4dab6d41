// ReferenceData: the business facts the workflows look up (vendors and
// their codes, fees, email templates, a fleet's locations and rates),
// parsed from protobuf text format and checked as a whole before use: each
// workflow checks its own section (Workflow::CheckReference), and every
// field named `zone` must be an IANA time zone this machine knows.
//
// Immutable after construction; thread-safe to share.
#ifndef TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_
#define TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tripdesk/v1/reference.pb.h"
#include "workflows/business_calendar.h"

namespace tripdesk::workflows {

class ReferenceData {
 public:
  // INVALID_ARGUMENT names the line and the problem (or the entry).
  static absl::StatusOr<std::shared_ptr<const ReferenceData>> FromTextProto(
      absl::string_view text);
  static absl::StatusOr<std::shared_ptr<const ReferenceData>> FromProto(v1::ReferenceData data);

  const v1::ReferenceData& proto() const { return data_; }

  // A zone the data names, loaded with it so a decision needs no I/O to
  // know a local day; UTC for a name the data does not use.
  absl::TimeZone Zone(absl::string_view name) const;
  // A business calendar by id (built and checked at load); null when none.
  const BusinessCalendar* Calendar(absl::string_view id) const;

 private:
  explicit ReferenceData(v1::ReferenceData data) : data_(std::move(data)) {}
  v1::ReferenceData data_;
  absl::flat_hash_map<std::string, absl::TimeZone> zones_;
  absl::flat_hash_map<std::string, BusinessCalendar> calendars_;
};

// "reference data: <where>: <problem>", INVALID_ARGUMENT.
absl::Status InvalidReference(absl::string_view where, absl::string_view problem);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_
