#include "workflows/rv/estimate.h"

#include "workflows/rv/rv_money.h"
#include "workflows/rv/rv_reference.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tripdesk::workflows::rv {
namespace {

// value × basis points / 10000, rounded half away from zero to the cent.
int64_t ApplyBasisPoints(int64_t cents, int64_t bp) {
  const int64_t scaled = cents * bp;
  const int64_t half = scaled >= 0 ? 5000 : -5000;
  return (scaled + half) / 10000;
}

std::string DayString(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// The season in force on `day`: the latest one starting on or before it.
absl::StatusOr<const v1::RvRateSeason*> SeasonOn(const v1::RvRateProduct& rate, absl::CivilDay day) {
  const v1::RvRateSeason* found = nullptr;
  absl::CivilDay found_start;
  for (const v1::RvRateSeason& season : rate.seasons()) {
    absl::CivilDay start;
    if (!absl::ParseCivilTime(season.starts(), &start)) {
      return absl::InvalidArgumentError(absl::StrCat("rate ", rate.code(), ": season start '",
                                                     season.starts(), "' is not YYYY-MM-DD"));
    }
    if (start <= day && (found == nullptr || start > found_start)) {
      found = &season;
      found_start = start;
    }
  }
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("rate ", rate.code(), " has no season on ",
                                                   DayString(day)));
  }
  return found;
}

void AddLine(v1::RvEstimate& estimate, std::string label, int64_t quantity, int64_t unit,
             int64_t amount) {
  v1::RvEstimateLine* line = estimate.add_lines();
  line->set_label(std::move(label));
  line->set_quantity(quantity);
  *line->mutable_unit() = MoneyOf(unit, estimate.currency());
  *line->mutable_amount() = MoneyOf(amount, estimate.currency());
}

}  // namespace

int32_t RentalDays(absl::CivilMinute pick_up, absl::CivilMinute drop_off) {
  const int64_t minutes = drop_off - pick_up;
  if (minutes <= 0) return 1;
  return static_cast<int32_t>((minutes + 24 * 60 - 1) / (24 * 60));
}

namespace {

bool Prepaid(const EstimateInput& input, absl::string_view code) {
  return std::find(input.prepaid_options.begin(), input.prepaid_options.end(), code) !=
         input.prepaid_options.end();
}

// The period (or the voucher's prepaid days), extra days and miles; returns
// their sum, the time and mileage.
int64_t AddTimeAndMileage(v1::RvEstimate& estimate, const v1::RvRateProduct& rate,
                          const v1::RvRateSeason& season, const EstimateInput& input) {
  const int32_t days = estimate.days();
  int64_t period = 0;
  int64_t extra_days = 0;
  if (input.prepaid_days > 0) {
    AddLine(estimate, "PREPAID DAYS", input.prepaid_days, 0, 0);
    for (const std::string& code : input.prepaid_options) {
      AddLine(estimate, absl::StrCat("VOUCHER ", code), 1, 0, 0);
    }
    extra_days = std::max<int64_t>(0, days - input.prepaid_days);
  } else {
    // The first period is charged whole even for a shorter rental.
    period = season.period_price().minor_units();
    AddLine(estimate, "PERIOD", 1, period, period);
    extra_days = std::max<int64_t>(0, days - rate.period_days());
  }
  const int64_t extra = extra_days * season.extra_day_price().minor_units();
  AddLine(estimate, "XDAYS", extra_days, season.extra_day_price().minor_units(), extra);
  const int64_t miles = input.edited_miles.has_value()
                            ? *input.edited_miles
                            : static_cast<int64_t>(rate.estimated_miles_per_day()) * days;
  estimate.set_estimated_miles(miles);
  const int64_t mileage = Prepaid(input, "MILES") ? 0 : miles * rate.price_per_mile().minor_units();
  AddLine(estimate, "MILES", miles, rate.price_per_mile().minor_units(), mileage);
  return period + extra + mileage;
}

using PricedOptions = std::vector<std::pair<const v1::RvOption*, int64_t>>;

// Each option not in the voucher at its price; taxable ones add to `taxable`.
absl::StatusOr<PricedOptions> PriceOptions(const v1::RvReference& reference,
                                           const EstimateInput& input, int32_t days,
                                           int64_t time_and_mileage, int64_t& taxable) {
  PricedOptions priced;
  for (const auto& [code, quantity] : input.options) {
    const v1::RvOption* option = FindOption(reference, code);
    if (option == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("options: unknown option '", code, "'",
                                                     KnownCodes(reference.options(), kCode)));
    }
    if (quantity <= 0 || quantity > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("options: ", code, " needs a quantity from 1 to 1000"));
    }
    if (Prepaid(input, code)) continue;  // in the voucher
    int64_t amount = 0;
    switch (option->kind()) {
      case v1::RV_OPTION_PER_DAY:
        amount = option->price().minor_units() * days * quantity;
        break;
      case v1::RV_OPTION_PER_ITEM:
        amount = option->price().minor_units() * quantity;
        break;
      case v1::RV_OPTION_PERCENTAGE:
        amount = ApplyBasisPoints(time_and_mileage, option->percent_bp());
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("options: ", code, " has no pricing kind"));
    }
    if (option->taxable()) taxable += amount;
    priced.emplace_back(option, amount);
  }
  return priced;
}

// Discount, fuel, adjustment and security deposit; returns what they add.
int64_t AddAdjustments(v1::RvEstimate& estimate, const v1::RvReference& reference,
                       const EstimateInput& input, int64_t time_and_mileage) {
  int64_t total = 0;
  if (input.discount_bp != 0 || input.discount_cents != 0) {
    const int64_t discount =
        -ApplyBasisPoints(time_and_mileage, input.discount_bp) - input.discount_cents;
    AddLine(estimate, "DISCOUNT", 1, discount, discount);
    total += discount;
  }
  if (input.fuel_cents != 0) {
    AddLine(estimate, "FUEL", 1, input.fuel_cents, input.fuel_cents);
    total += input.fuel_cents;
  }
  if (input.credit_cents != 0) {
    AddLine(estimate, "ADJUSTMENT", 1, -input.credit_cents, -input.credit_cents);
    total -= input.credit_cents;
  }
  if (input.include_security) {
    const int64_t security = input.pay_by_card
                                 ? reference.control().security_deposit_card().minor_units()
                                 : reference.control().security_deposit_other().minor_units();
    AddLine(estimate, "SECURITY", 1, security, security);
    total += security;
  }
  return total;
}

}  // namespace

absl::StatusOr<v1::RvEstimate> Estimate(const v1::RvReference& reference,
                                        const EstimateInput& input) {
  const v1::RvRateProduct* rate = FindRate(reference, input.rate_code);
  if (rate == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("rate: unknown rate product '", input.rate_code, "'",
                                                   KnownCodes(reference.rates(), kCode)));
  }
  const v1::RvLocation* location = FindLocation(reference, input.location_code);
  if (location == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("location: unknown location '", input.location_code, "'",
                     KnownCodes(reference.locations(), kCode)));
  }
  if (input.drop_off <= input.pick_up) {
    return absl::InvalidArgumentError("return: the return must be after the pick-up");
  }
  absl::StatusOr<const v1::RvRateSeason*> season =
      SeasonOn(*rate, absl::CivilDay(input.pick_up));
  if (!season.ok()) return season.status();

  v1::RvEstimate estimate;
  estimate.set_pick_up_date(DayString(absl::CivilDay(input.pick_up)));
  estimate.set_currency(rate->currency());
  estimate.set_days(RentalDays(input.pick_up, input.drop_off));
  const int64_t time_and_mileage = AddTimeAndMileage(estimate, *rate, **season, input);
  *estimate.mutable_subtotal() = MoneyOf(time_and_mileage, estimate.currency());

  int64_t taxable = time_and_mileage;
  absl::StatusOr<PricedOptions> priced =
      PriceOptions(reference, input, estimate.days(), time_and_mileage, taxable);
  if (!priced.ok()) return priced.status();
  const int64_t tax = ApplyBasisPoints(taxable, location->state_tax_bp());
  AddLine(estimate, "STATE TAX", 1, tax, tax);
  int64_t total = time_and_mileage + tax;
  if (input.flat_tax_bp > 0) {
    // Flat tax: the difference to the operator's one rate, a charge or a credit.
    const int64_t flat = ApplyBasisPoints(taxable, input.flat_tax_bp - location->state_tax_bp());
    AddLine(estimate, "BKG FEE/CR", 1, flat, flat);
    total += flat;
  }
  for (const auto& [option, amount] : *priced) {
    AddLine(estimate, option->code(), 1, amount, amount);
    total += amount;
  }
  total += AddAdjustments(estimate, reference, input, time_and_mileage);
  *estimate.mutable_total() = MoneyOf(total, estimate.currency());
  return estimate;
}

absl::StatusOr<std::vector<v1::RvEstimate>> EstimateWithAlternates(
    const v1::RvReference& reference, const EstimateInput& input) {
  const int32_t offset = reference.control().alternate_dates_offset_days();
  std::vector<v1::RvEstimate> columns;
  for (int32_t shift : {-offset, 0, offset}) {
    EstimateInput moved = input;
    moved.pick_up = input.pick_up + shift * 24 * 60;
    moved.drop_off = input.drop_off + shift * 24 * 60;
    absl::StatusOr<v1::RvEstimate> column = Estimate(reference, moved);
    if (!column.ok()) return column.status();
    columns.push_back(*std::move(column));
  }
  return columns;
}

}  // namespace tripdesk::workflows::rv
