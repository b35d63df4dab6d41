#include "workflows/rv/rv_steps.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "workflows/rv/estimate.h"
#include "workflows/rv/rv_money.h"
#include "workflows/rv/rv_reference.h"
#include "workflows/step_table.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::rv::internal {

// ---- open_rental_agreement ----

// The unit as it stands: its stream if it has one, else the reference data.
v1::RvUnitState UnitNow(const v1::RvUnit& unit, const DecisionContext& ctx) {
  v1::RvUnitState now;
  const v1::SharedState* shared = ctx.Shared(UnitStream(unit.vehicle_number()));
  if (shared != nullptr && shared->exists()) now = shared->rv_unit();
  now.set_vehicle_number(unit.vehicle_number());
  now.set_class_code(unit.class_code());
  if (shared == nullptr || !shared->exists()) {
    now.set_odometer(unit.odometer());
    now.set_generator_tenths(unit.generator_tenths());
  }
  return now;
}

// The unit is free, of the reserved class, and its generator reading is
// not below (or, unconfirmed, above) what the unit stream records.
absl::Status CheckUnitAtPickUp(const v1::OpenRentalAgreement& o, const v1::CaseState& state,
                               const v1::RvUnit* unit, const v1::RvUnitState& now) {
  const v1::RvState& rv = state.rv();
  const std::string cmd = "open_rental_agreement";
  if (!now.on_case_id().empty()) {
    return Refuse(state, cmd,
                  absl::StrCat("unit ", unit->vehicle_number(), " is on open rental agreement ",
                               now.on_ra_number(), " (case ", now.on_case_id(), ")"));
  }
  if (unit->class_code() != rv.reservation().class_code()) {
    return Refuse(state, cmd,
                  absl::StrCat("unit ", unit->vehicle_number(), " is a ", unit->class_code(),
                               "; the reservation is for class ", rv.reservation().class_code()));
  }
  if (o.generator_tenths() < now.generator_tenths()) {
    return Refuse(state, cmd,
                  absl::StrCat("A generator reading (", Tenths(o.generator_tenths()),
                               ") less than the unit's current reading (",
                               Tenths(now.generator_tenths()), ") is not allowed"));
  }
  if (o.generator_tenths() > now.generator_tenths() && !o.confirm_generator_reading()) {
    return Refuse(state, cmd,
                  absl::StrCat("the generator reading ", Tenths(o.generator_tenths()),
                               " is above the unit's recorded ", Tenths(now.generator_tenths()),
                               ": is the reading correct? Set confirm_generator_reading"));
  }
  return absl::OkStatus();
}

// The renter's street address (no P.O. box), date of birth and a licence
// valid today; `address` is the one the agreement will carry.
absl::Status CheckRenterAtPickUp(const v1::OpenRentalAgreement& o, const v1::CaseState& state,
                                 const DecisionContext& ctx, const v1::RvAddress& address) {
  const v1::RvState& rv = state.rv();
  const std::string cmd = "open_rental_agreement";
  if (absl::Status s = CheckAddress("open_rental_agreement.address", address); !s.ok()) return s;
  if (!HasAddress(address)) {
    return Refuse(state, cmd, "the rental agreement needs the renter's street address and city");
  }
  if (IsPoBox(address.line1()) || IsPoBox(address.line2())) {
    return Refuse(state, cmd, "A P.O. Box is not accepted as the rental agreement address");
  }
  absl::StatusOr<absl::CivilDay> born = ParseDay("open_rental_agreement.date_of_birth", o.date_of_birth());
  if (!born.ok()) return born.status();
  const absl::CivilDay today = Today(ctx, rv.reservation().pick_up().location());
  if (*born >= today) {
    return absl::InvalidArgumentError("open_rental_agreement.date_of_birth: must be in the past");
  }
  if (absl::Status s = CheckText("open_rental_agreement.licence.number", o.licence().number(), true, 40);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<absl::CivilDay> expires =
      ParseDay("open_rental_agreement.licence.expires", o.licence().expires());
  if (!expires.ok()) return expires.status();
  if (*expires < today) {
    return Refuse(state, cmd, absl::StrCat("the driver's licence expired on ", o.licence().expires()));
  }

  return absl::OkStatus();
}

absl::StatusOr<Events> OpenRentalAgreement(const v1::OpenRentalAgreement& o,
                                           const v1::CaseState& state, const DecisionContext& ctx) {
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const v1::RvState& rv = state.rv();
  const std::string cmd = "open_rental_agreement";
  const v1::RvUnit* unit = FindUnit(ref, o.vehicle_number());
  if (unit == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "open_rental_agreement.vehicle_number: '", o.vehicle_number(), "' is not a unit",
        KnownCodes(ref.units(), [](const auto& u) { return u.vehicle_number(); },
                   [&](const auto& u) { return u.class_code() == rv.reservation().class_code(); }),
        " of class ", rv.reservation().class_code()));
  }
  if (!o.has_fuel_eighths() || o.fuel_eighths() < 0 || o.fuel_eighths() > 8) {
    return absl::InvalidArgumentError(
        "open_rental_agreement.fuel_eighths: the fuel level is required, 0 to 8 eighths");
  }
  if (!o.has_generator_tenths() || o.generator_tenths() < 0) {
    return absl::InvalidArgumentError(
        "open_rental_agreement.generator_tenths: the generator reading is required");
  }
  const v1::RvUnitState now = UnitNow(*unit, ctx);
  if (absl::Status s = CheckUnitAtPickUp(o, state, unit, now); !s.ok()) return s;
  const v1::RvAddress address =
      HasAddress(o.address()) ? o.address() : rv.reservation().renter().address();
  if (absl::Status s = CheckRenterAtPickUp(o, state, ctx, address); !s.ok()) return s;

  // Charges start at the reservation's pick-up, even when picked up later.
  const v1::RvMoment& from = rv.reservation().pick_up();
  const v1::RvMoment& to = rv.reservation().drop_off();
  absl::StatusOr<v1::RvEstimate> estimate = Estimate(ref, RentalInput(rv, Minute(from), Minute(to)));
  if (!estimate.ok()) return estimate.status();
  const v1::RvDeposit* deposit = nullptr;
  if (HasDeposit(o.deposit())) {
    if (absl::Status s = CheckDeposit("open_rental_agreement.deposit", o.deposit(),
                                      estimate->currency());
        !s.ok()) {
      return s;
    }
    deposit = &o.deposit();
  }
  const int64_t deposited = rv.deposits_total().minor_units();
  const int64_t required = estimate->total().minor_units() - deposited;
  const int64_t given = deposit ? deposit->amount().minor_units() : 0;
  if (required > 0 && given < required) {
    return Refuse(state, cmd,
                  absl::StrCat("the RA takes a deposit for the full estimate: ",
                               Amount(estimate->total().minor_units()), " less ", Amount(deposited),
                               " already deposited = ", Amount(required),
                               " required; the deposit given is ", Amount(given)));
  }

  Ev e;
  v1::RentalAgreementOpened& ra = *e.mutable_rental_agreement_opened();
  ra.set_ra_number(absl::StrCat("RA-", state.case_id()));
  ra.set_vehicle_number(unit->vehicle_number());
  ra.set_odometer(now.odometer());
  ra.set_fuel_eighths(o.fuel_eighths());
  ra.set_generator_tenths(o.generator_tenths());
  *ra.mutable_address() = address;
  ra.set_date_of_birth(o.date_of_birth());
  *ra.mutable_licence() = o.licence();
  *ra.mutable_charges_from() = from;
  *ra.mutable_due_back() = to;
  *ra.mutable_estimate() = *std::move(estimate);
  return WithDeposit(std::move(e), deposit, rv.deposits_total(), true);
}

// ---- extend_rental_agreement ----

absl::StatusOr<Events> ExtendRentalAgreement(const v1::ExtendRentalAgreement& x,
                                             const v1::CaseState& state, const DecisionContext& ctx) {
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const v1::RvState& rv = state.rv();
  v1::RvMoment due = x.drop_off();
  if (due.location().empty()) due.set_location(rv.due_back().location());
  absl::StatusOr<const v1::RvLocation*> loc =
      RentalLocation(ref, "extend_rental_agreement.drop_off", due.location());
  if (!loc.ok()) return loc.status();
  absl::StatusOr<absl::CivilMinute> until =
      ParseMoment("extend_rental_agreement.drop_off", due, (*loc)->default_return_time());
  if (!until.ok()) return until.status();
  const absl::CivilMinute from = Minute(rv.rental_agreement().charges_from());
  if (*until <= Minute(rv.due_back())) {
    return Refuse(state, "extend_rental_agreement",
                  absl::StrCat("an extension moves the return later than ", rv.due_back().date(), " ",
                               rv.due_back().time()));
  }
  if (RentalDays(from, *until) > kMaxRentalDays) {
    return absl::InvalidArgumentError("extend_rental_agreement.drop_off: a rental lasts at most 365 days");
  }
  absl::StatusOr<v1::RvEstimate> estimate = Estimate(ref, RentalInput(rv, from, *until));
  if (!estimate.ok()) return estimate.status();
  const int64_t added = estimate->total().minor_units() - rv.estimate().total().minor_units();
  const v1::RvDeposit* deposit = nullptr;
  if (HasDeposit(x.deposit())) {
    if (absl::Status s = CheckDeposit("extend_rental_agreement.deposit", x.deposit(),
                                      estimate->currency());
        !s.ok()) {
      return s;
    }
    deposit = &x.deposit();
  }
  const int64_t given = deposit ? deposit->amount().minor_units() : 0;
  if (added > 0 && given < added) {
    return Refuse(state, "extend_rental_agreement",
                  absl::StrCat("an extension takes a new deposit of at least the added charges, ",
                               Amount(added), "; the deposit given is ", Amount(given)));
  }
  Ev e;
  v1::RentalAgreementExtended& out = *e.mutable_rental_agreement_extended();
  *out.mutable_due_back() = MomentOf(*until, due.location());
  *out.mutable_previous_total() = rv.estimate().total();
  *out.mutable_estimate() = *std::move(estimate);
  return WithDeposit(std::move(e), deposit, rv.deposits_total(), true);
}

// ---- adjust_charges ----

absl::StatusOr<Events> AdjustCharges(const v1::AdjustRvCharges& a, const v1::CaseState& state,
                                     const DecisionContext& ctx) {
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const std::string currency = CaseCurrency(state.rv(), ref);
  if (!a.has_credit()) {
    return absl::InvalidArgumentError("adjust_charges.credit: the amount credited is required");
  }
  if (absl::Status s = CheckAmount("adjust_charges.credit", a.credit(), currency); !s.ok()) return s;
  if (absl::Status s = CheckFreeText("adjust_charges.reason", a.reason(), true); !s.ok()) return s;
  const int64_t credit = a.credit().minor_units();
  std::optional<int64_t> limit;
  if (ctx.actor.role != kRoleSupervisor) {
    const v1::RvUserLimit* user = FindUser(ref, ctx.actor.id);
    limit = user != nullptr ? user->adjustment_limit().minor_units() : 0;
    if (credit > *limit) {
      return absl::PermissionDeniedError(absl::StrCat(
          "an adjustment of ", Amount(credit), " exceeds ", ctx.actor.id,
          "'s customer-service adjustment limit of ", Amount(*limit), "; a supervisor can make it"));
    }
  }
  const int64_t charges = ChargesWithoutSecurity(state.rv().estimate());
  const int64_t adjusted = state.rv().adjustments().minor_units() + credit;
  if (adjusted > charges) {
    return Refuse(state, "adjust_charges",
                  absl::StrCat("adjustments (", Amount(adjusted), ") may not exceed the charges (",
                               Amount(charges), ")"));
  }
  Ev e;
  *e.mutable_charges_adjusted()->mutable_credit() = a.credit();
  e.mutable_charges_adjusted()->set_reason(a.reason());
  if (limit.has_value()) *e.mutable_charges_adjusted()->mutable_limit() = MoneyOf(*limit, currency);
  return Events{Wrap(std::move(e))};
}

// ---- close_rental_agreement ----

// The card the refund or balance goes to: the chosen one, else the one card
// that paid deposits (none: an empty card).
absl::StatusOr<v1::PaymentCard> SettlementCard(const v1::CloseRentalAgreement& c,
                                               const v1::CaseState& state) {
  const v1::RvState& rv = state.rv();
  const std::string cmd = "close_rental_agreement";
  v1::PaymentCard card;
  if (c.has_settle_to_card()) {
    if (absl::Status s = CheckCard("close_rental_agreement.settle_to_card", c.settle_to_card());
        !s.ok()) {
      return s;
    }
    card = c.settle_to_card();
  } else {
    std::vector<const v1::PaymentCard*> cards;
    for (const v1::RvDeposit& d : rv.deposits()) {
      if (!d.has_card()) continue;
      if (std::none_of(cards.begin(), cards.end(),
                       [&](const v1::PaymentCard* x) { return x->token() == d.card().token(); })) {
        cards.push_back(&d.card());
      }
    }
    if (cards.size() > 1) {
      return Refuse(state, cmd,
                    absl::StrCat("several cards paid deposits (",
                                 absl::StrJoin(cards, ", ",
                                               [](std::string* out, const v1::PaymentCard* x) {
                                                 absl::StrAppend(out, "...", x->last4());
                                               }),
                                 "): choose the card for the refund or balance in settle_to_card"));
    }
    if (cards.size() == 1) card = *cards[0];
  }
  return card;
}

absl::StatusOr<Events> CloseRentalAgreement(const v1::CloseRentalAgreement& c,
                                            const v1::CaseState& state, const DecisionContext& ctx) {
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const v1::RvState& rv = state.rv();
  const v1::RentalAgreementOpened& ra = rv.rental_agreement();
  const std::string cmd = "close_rental_agreement";
  if (!c.has_odometer() || !c.has_fuel_eighths() || !c.has_generator_tenths()) {
    return absl::InvalidArgumentError(
        "close_rental_agreement: the odometer reading, fuel level and generator reading are "
        "required");
  }
  if (c.fuel_eighths() < 0 || c.fuel_eighths() > 8) {
    return absl::InvalidArgumentError("close_rental_agreement.fuel_eighths: 0 to 8 eighths");
  }
  if (c.odometer() < ra.odometer() || c.odometer() - ra.odometer() > kMaxMiles) {
    return Refuse(state, cmd,
                  absl::StrCat("the odometer reading ", c.odometer(), " is below the ", ra.odometer(),
                               " recorded at pick-up, or implausibly far above it"));
  }
  if (c.generator_tenths() < ra.generator_tenths()) {
    return Refuse(state, cmd,
                  absl::StrCat("the generator reading ", Tenths(c.generator_tenths()),
                               " is below the ", Tenths(ra.generator_tenths()), " recorded at pick-up"));
  }
  v1::RvMoment returned = c.returned();
  if (returned.location().empty()) returned.set_location(rv.due_back().location());
  absl::StatusOr<const v1::RvLocation*> loc =
      RentalLocation(ref, "close_rental_agreement.returned", returned.location());
  if (!loc.ok()) return loc.status();
  absl::StatusOr<absl::CivilMinute> back =
      ParseMoment("close_rental_agreement.returned", returned, (*loc)->default_return_time());
  if (!back.ok()) return back.status();
  const absl::CivilMinute from = Minute(ra.charges_from());
  if (*back < Minute(rv.rental_agreement().charges_from()) - 7 * 24 * 60 ||
      absl::CivilDay(*back) > Today(ctx, returned.location()) + 1) {
    return absl::InvalidArgumentError(
        "close_rental_agreement.returned: the return is not in the rental period or is in the "
        "future");
  }
  // No credit for an early return: charges run at least to the due-back.
  const absl::CivilMinute until = std::max(*back, Minute(rv.due_back()));
  EstimateInput input = RentalInput(rv, from, until);
  input.edited_miles = c.odometer() - ra.odometer();
  input.include_security = false;
  input.fuel_cents = std::max<int64_t>(0, ra.fuel_eighths() - c.fuel_eighths()) *
                     ref.control().fuel_price_per_eighth().minor_units();
  input.credit_cents = rv.adjustments().minor_units();
  absl::StatusOr<v1::RvEstimate> charges = Estimate(ref, input);
  if (!charges.ok()) return charges.status();

  absl::StatusOr<v1::PaymentCard> card = SettlementCard(c, state);
  if (!card.ok()) return card.status();

  Ev e;
  v1::RentalAgreementClosed& out = *e.mutable_rental_agreement_closed();
  out.set_odometer(c.odometer());
  out.set_fuel_eighths(c.fuel_eighths());
  out.set_generator_tenths(c.generator_tenths());
  *out.mutable_returned() = MomentOf(*back, returned.location());
  *out.mutable_deposits_total() = MoneyOf(rv.deposits_total().minor_units(), charges->currency());
  *out.mutable_balance() = MoneyOf(charges->total().minor_units() - rv.deposits_total().minor_units(),
                                   charges->currency());
  *out.mutable_charges() = *std::move(charges);
  if (!card->token().empty()) *out.mutable_settled_to_card() = *std::move(card);
  return Events{Wrap(std::move(e))};
}

}  // namespace tripdesk::workflows::rv::internal
