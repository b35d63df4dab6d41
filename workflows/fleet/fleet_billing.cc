#include "workflows/fleet/fleet_billing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/fleet/fleet_reference.h"

namespace tripdesk::workflows::fleet {
namespace {

// value * numerator / denominator, rounded half up (value >= 0).
int64_t RoundedShare(int64_t value, int64_t numerator, int64_t denominator) {
  return (value * numerator * 2 + denominator) / (denominator * 2);
}

v1::Money Amount(int64_t minor_units, const std::string& currency) {
  v1::Money m;
  m.set_minor_units(minor_units);
  m.set_currency(currency);
  return m;
}

}  // namespace

absl::StatusOr<v1::FleetBilling> ComputeBilling(const BillingInput& in) {
  const std::string& currency = in.reference->currency();
  v1::FleetBilling out;
  int64_t subtotal = 0;
  auto line = [&](std::string label, const v1::Money& price) {
    v1::FleetBillingLine& l = *out.add_lines();
    l.set_label(std::move(label));
    *l.mutable_amount() = Amount(price.minor_units(), currency);
    subtotal += price.minor_units();
  };
  const v1::Money* duration = DurationPrice(*in.duration, in.asset->asset_class());
  if (duration == nullptr) {
    return absl::InternalError(absl::StrCat("reference data: duration ", in.duration->id(),
                                            " has no price for class ", in.asset->asset_class()));
  }
  line(absl::StrCat(in.duration->label(), " (", in.asset->asset_class(), ")"), *duration);
  line(in.mileage->label(), in.mileage->price());
  for (const v1::FleetExtra* extra : in.extras) line(extra->label(), extra->price());
  int64_t discount = 0;
  if (in.promo != nullptr) {
    discount = in.promo->percent_off() > 0 ? RoundedShare(subtotal, in.promo->percent_off(), 100)
                                           : std::min(subtotal, in.promo->amount_off().minor_units());
    out.set_promo_code(in.promo->code());
  }
  const int64_t taxed = subtotal - discount;
  const int64_t tax = RoundedShare(taxed, in.reference->tax_basis_points(), 10000);
  *out.mutable_subtotal() = Amount(subtotal, currency);
  *out.mutable_discount() = Amount(discount, currency);
  *out.mutable_tax() = Amount(tax, currency);
  *out.mutable_total() = Amount(taxed + tax, currency);
  return out;
}

absl::Status CheckPromo(const v1::FleetPromoCode& promo, absl::string_view asset_class,
                        absl::CivilDay start_day) {
  const std::string day = absl::FormatCivilTime(start_day);
  if ((!promo.valid_from().empty() && day < promo.valid_from()) ||
      (!promo.valid_to().empty() && day > promo.valid_to())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "promo code ", promo.code(), " is valid for bookings starting from ",
        promo.valid_from().empty() ? "any date" : promo.valid_from(), " to ",
        promo.valid_to().empty() ? "any date" : promo.valid_to(), "; this one starts on ", day));
  }
  if (!promo.asset_classes().empty() &&
      std::find(promo.asset_classes().begin(), promo.asset_classes().end(), asset_class) ==
          promo.asset_classes().end()) {
    return absl::FailedPreconditionError(absl::StrCat("promo code ", promo.code(), " applies to class ",
                                                      absl::StrJoin(promo.asset_classes(), ", "),
                                                      ", not to this asset's ", asset_class));
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows::fleet
