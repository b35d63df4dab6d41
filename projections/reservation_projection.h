// The reservation view: what was booked for each case (vendor, car, places
// and times, platform, confirmation, trip, voucher, MIS, quote).
#ifndef TRIPDESK_PROJECTIONS_RESERVATION_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_RESERVATION_PROJECTION_H_

#include "projections/projection.h"
#include "projections/row_cache.h"

namespace tripdesk::projections {

inline constexpr char kReservationFamily[] = "reservations";

class ReservationProjection final : public Projection {
 public:
  ReservationProjection() : rows_(kReservationFamily) {}
  std::string name() const override { return "reservations"; }
  int version() const override { return 2; }
  std::vector<std::string> families() const override { return {kReservationFamily}; }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
  absl::Status Flush(ViewTxn& txn) override { return rows_.Flush(txn); }
  void Discard() override { rows_.Clear(); }

 private:
  RowCache<v1::ReservationView> rows_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_RESERVATION_PROJECTION_H_
