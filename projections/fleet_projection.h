// The fleet's views (seed 001): "all bookings" (one row per created
// request, by start, with indexes by asset and by account) and the
// customer accounts (with their drivers; indexes of accounts awaiting
// approval, accounts with drivers awaiting verification, and the words of
// their names). Both from the case events; the accounts' own streams hold
// the same facts for deciding.
#ifndef TRIPDESK_PROJECTIONS_FLEET_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_FLEET_PROJECTION_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "projections/projection.h"
#include "projections/row_cache.h"
#include "tripdesk/v1/reference.pb.h"

namespace tripdesk::projections {

// By case id: the booking's row.
inline constexpr char kFleetBookingsFamily[] = "fleet_bookings";
// s|<start>|<case>, a|<asset>|<start>|<case>, c|<account>|<start>|<case>:
// the row, so a listing reads one family.
inline constexpr char kFleetBookingIndexFamily[] = "fleet_booking_index";
// By account id: the account and its drivers.
inline constexpr char kFleetAccountsFamily[] = "fleet_accounts";
// w|<account>, d|<account>, n|<word>|<account>.
inline constexpr char kFleetAccountIndexFamily[] = "fleet_account_index";

class FleetProjection final : public Projection {
 public:
  FleetProjection();
  std::string name() const override { return "fleet"; }
  int version() const override { return 1; }
  std::vector<std::string> families() const override {
    return {kFleetBookingsFamily, kFleetBookingIndexFamily, kFleetAccountsFamily,
            kFleetAccountIndexFamily};
  }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
  absl::Status Flush(ViewTxn& txn) override;
  void Discard() override {
    bookings_.Clear();
    accounts_.Clear();
  }

 private:
  RowCache<v1::FleetBookingRow> bookings_;
  RowCache<v1::FleetAccountRow> accounts_;
};

class FleetQueries {
 public:
  FleetQueries(const ViewStore* views, std::function<std::string(absl::string_view)> family)
      : views_(views), family_(std::move(family)) {}

  // Bookings by start (local dates in the fleet's zone), of an asset or an
  // account when asked, paged.
  absl::StatusOr<v1::ListFleetBookingsResponse> ListBookings(
      const v1::ListFleetBookingsRequest& request, const v1::FleetReference& fleet) const;
  // Every asset (of the class) with the bookings holding it in the period.
  absl::StatusOr<v1::FleetAssetAvailabilityResponse> Availability(
      const v1::FleetAssetAvailabilityRequest& request, const v1::FleetReference& fleet) const;
  absl::StatusOr<v1::ListFleetAccountsResponse> ListAccounts(
      const v1::ListFleetAccountsRequest& request) const;

 private:
  const ViewStore* views_;
  std::function<std::string(absl::string_view)> family_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_FLEET_PROJECTION_H_
