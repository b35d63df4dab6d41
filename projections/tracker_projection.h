// The US Production Tracker: one row per completed booking (date, agent,
// client company, vendor, confirmation number, MIS filed, fee charged,
// closed at), keyed by date for range queries. While a case is under way the
// projection keeps its row as a draft.
#ifndef TRIPDESK_PROJECTIONS_TRACKER_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_TRACKER_PROJECTION_H_

#include "projections/projection.h"
#include "projections/row_cache.h"

namespace tripdesk::projections {

inline constexpr char kTrackerDraftFamily[] = "tracker_drafts";
inline constexpr char kTrackerRowFamily[] = "tracker_rows";

// Row key: date (YYYY-MM-DD) '|' case id.
std::string TrackerRowKey(absl::string_view date, absl::string_view case_id);

class TrackerProjection final : public Projection {
 public:
  TrackerProjection() : drafts_(kTrackerDraftFamily) {}
  std::string name() const override { return "tracker"; }
  int version() const override { return 1; }
  std::vector<std::string> families() const override {
    return {kTrackerDraftFamily, kTrackerRowFamily};
  }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
  absl::Status Flush(ViewTxn& txn) override;
  void Discard() override { drafts_.Clear(); }

 private:
  RowCache<v1::TrackerRow> drafts_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_TRACKER_PROJECTION_H_
