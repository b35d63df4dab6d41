// The RV rental estimate (seed 004, "ESTIMATE" and "ALTERNATE DATES"): time
// and mileage from the rate product's season at the pick-up date, state tax
// of the pick-up location, options, and the security deposit, in integer
// cents. Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_RV_ESTIMATE_H_
#define TRIPDESK_WORKFLOWS_RV_ESTIMATE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "tripdesk/v1/rv.pb.h"

namespace tripdesk::workflows::rv {

struct EstimateInput {
  std::string rate_code;
  // The pick-up location, whose state tax applies.
  std::string location_code;
  absl::CivilMinute pick_up;
  absl::CivilMinute drop_off;
  // Hand-edited estimated miles ("Y" after the slash); unset: the rate's
  // miles per day times the rental days.
  std::optional<int64_t> edited_miles;
  // Option codes with quantities (per-item options; others use 1).
  std::vector<std::pair<std::string, int64_t>> options;
  // PAY BY CREDIT CARD? decides which security deposit is added.
  bool pay_by_card = true;
  bool include_security = true;
  // Flat tax (tour operators): the "BKG FEE/CR" line evens the state tax to
  // this rate. 0: none.
  int32_t flat_tax_bp = 0;
  // A discount: basis points of time and mileage, and a one-time amount.
  int32_t discount_bp = 0;
  int64_t discount_cents = 0;
  // What a tour voucher already paid: these days and option codes are listed
  // first with no rate (the renter's out-of-voucher estimate). "MILES" among
  // the options covers the mileage.
  int32_t prepaid_days = 0;
  std::vector<std::string> prepaid_options;
  // At close: fuel below the pick-up level, and customer-service credits.
  int64_t fuel_cents = 0;
  int64_t credit_cents = 0;
};

// Rental days: started 24-hour periods from pick-up to return, at least 1.
int32_t RentalDays(absl::CivilMinute pick_up, absl::CivilMinute drop_off);

// One estimate; its lines always add up to its total. INVALID_ARGUMENT names an unknown rate, location or option,
// a return not after the pick-up, or a pick-up before the rate's first season.
absl::StatusOr<v1::RvEstimate> Estimate(const v1::RvReference& reference,
                                        const EstimateInput& input);

// The three columns of the alternate-dates estimate: the pick-up moved back
// by the control record's offset, as asked, and moved forward; the length of
// the rental is kept.
absl::StatusOr<std::vector<v1::RvEstimate>> EstimateWithAlternates(
    const v1::RvReference& reference, const EstimateInput& input);

}  // namespace tripdesk::workflows::rv

#endif  // TRIPDESK_WORKFLOWS_RV_ESTIMATE_H_
