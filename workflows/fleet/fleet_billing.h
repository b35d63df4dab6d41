// The fleet booking's billing summary (the seed's "consolidated billing
// basket"), computed by the server to the cent from the reference data: the
// duration's price for the asset's class, the mileage allowance, each extra;
// a promo code's discount (an amount, at most the subtotal, or a percentage
// rounded half up); tax in basis points on the discounted subtotal, rounded
// half up. The client never sends a total.
//
// Pure; integer minor units throughout.
#ifndef TRIPDESK_WORKFLOWS_FLEET_FLEET_BILLING_H_
#define TRIPDESK_WORKFLOWS_FLEET_FLEET_BILLING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "tripdesk/v1/fleet.pb.h"

namespace tripdesk::workflows::fleet {

struct BillingInput {
  const v1::FleetReference* reference = nullptr;
  const v1::FleetAsset* asset = nullptr;
  const v1::FleetDurationOption* duration = nullptr;
  const v1::FleetMileageOption* mileage = nullptr;
  std::vector<const v1::FleetExtra*> extras;
  // Null: no promo code.
  const v1::FleetPromoCode* promo = nullptr;
};

// The summary. INTERNAL only when the reference data lacks the duration's
// price for the class (CheckFleetReference refuses such data at load).
absl::StatusOr<v1::FleetBilling> ComputeBilling(const BillingInput& input);

// Whether a promo code applies to a booking of `asset_class` starting on
// `start_day` (local): FAILED_PRECONDITION saying which of its validity
// window and classes it misses.
absl::Status CheckPromo(const v1::FleetPromoCode& promo, absl::string_view asset_class,
                        absl::CivilDay start_day);

}  // namespace tripdesk::workflows::fleet

#endif  // TRIPDESK_WORKFLOWS_FLEET_FLEET_BILLING_H_
