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

// ---- save_reservation ----

absl::Status CheckRenter(const v1::RvRenter& r) {
  return FirstError({
      CheckText("save_reservation.renter.name", r.name(), true),
      r.email().empty() ? absl::OkStatus() : CheckEmail("save_reservation.renter.email", r.email()),
      CheckPhone("save_reservation.renter.cell_phone", r.cell_phone()),
      CheckPhone("save_reservation.renter.home_phone", r.home_phone()),
      CheckAddress("save_reservation.renter.address", r.address()),
  });
}

// On a lead, what the caller asked for then is restored where the save
// leaves it empty.
bool RestoreFromLead(const v1::RvReservationSaved& lead, v1::SaveRvReservation& r) {
  bool restored = false;
  auto fill = [&](auto* field, const auto& from) {
    if (field->empty() && !from.empty()) {
      *field = from;
      restored = true;
    }
  };
  if (r.pick_up().date().empty() && !lead.pick_up().date().empty()) {
    *r.mutable_pick_up() = lead.pick_up();
    restored = true;
  }
  if (r.drop_off().date().empty() && !lead.drop_off().date().empty()) {
    *r.mutable_drop_off() = lead.drop_off();
    restored = true;
  }
  fill(r.mutable_class_code(), lead.class_code());
  fill(r.mutable_rate_code(), lead.rate_code());
  if (r.passengers() == 0 && lead.passengers() > 0) {
    r.set_passengers(lead.passengers());
    restored = true;
  }
  v1::RvRenter& renter = *r.mutable_renter();
  fill(renter.mutable_name(), lead.renter().name());
  fill(renter.mutable_email(), lead.renter().email());
  fill(renter.mutable_cell_phone(), lead.renter().cell_phone());
  fill(renter.mutable_home_phone(), lead.renter().home_phone());
  if (!HasAddress(renter.address()) && HasAddress(lead.renter().address())) {
    *renter.mutable_address() = lead.renter().address();
  }
  return restored;
}

// Fills a tour voucher's defaults (class, the operator's rate, the
// reservation's days) and checks it; the tour operator.
absl::StatusOr<const v1::RvTourOperator*> CompleteVoucher(const v1::RvReference& ref,
                                                          const v1::CaseState& state,
                                                          const std::string& class_code,
                                                          int32_t days, v1::RvTourVoucher& voucher) {
  const v1::RvTourOperator* tour_operator = FindOperator(ref, voucher.it_code());
  if (tour_operator == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.voucher.it_code: '", voucher.it_code(), "' is not an IT code",
        KnownCodes(ref.tour_operators(), [](const auto& t) { return t.it_code(); })));
  }
  if (absl::Status s = CheckText("save_reservation.voucher.voucher_number",
                                 voucher.voucher_number(), true, 40);
      !s.ok()) {
    return s;
  }
  if (voucher.class_code().empty()) voucher.set_class_code(class_code);
  if (voucher.class_code() != class_code) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.voucher.class_code: the voucher is for ", voucher.class_code(),
        " but the reservation is for ", class_code));
  }
  if (voucher.rate_code().empty()) voucher.set_rate_code(tour_operator->rate_code());
  if (FindRate(ref, voucher.rate_code()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.voucher.rate_code: unknown rate '", voucher.rate_code(), "'",
        KnownCodes(ref.rates(), kCode)));
  }
  if (voucher.days() == 0) voucher.set_days(days);
  if (voucher.days() < 0 || voucher.days() > days) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.voucher.days: 1 to the reservation's ", days, " days"));
  }
  if (voucher.discount_bp() < 0 || voucher.discount_bp() > 10000) {
    return absl::InvalidArgumentError(
        "save_reservation.voucher.discount_bp: 0 to 10000 basis points (100%)");
  }
  if (voucher.has_discount()) {
    const v1::RvRateProduct* rate = FindRate(ref, voucher.rate_code());
    if (absl::Status s = CheckAmount("save_reservation.voucher.discount", voucher.discount(),
                                     rate->currency());
        !s.ok()) {
      return s;
    }
  }
  for (const std::string& code : voucher.included_options()) {
    if (code != "MILES" && FindOption(ref, code) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "save_reservation.voucher.included_options: unknown option '", code, "'; MILES",
          KnownCodes(ref.options(), kCode).substr(1)));
    }
  }
  if (tour_operator->flat_tax_bp() > 0 &&
      std::none_of(ref.options().begin(), ref.options().end(),
                   [](const v1::RvOption& o) { return o.flat_tax(); })) {
    return Refuse(state, "save_reservation",
                  absl::StrCat("tour operator ", tour_operator->it_code(),
                               " uses flat tax, but no flat-tax option (BKG FEE/CR) is set up"));
  }
  return tour_operator;
}

// The chosen options checked, and a one-way rental's rules: the warning,
// the auth code, and the drop charge added unless a drop option was chosen.
absl::Status ApplyOptions(const v1::RvReference& ref, const v1::CaseState& state,
                          v1::SaveRvReservation& r, v1::RvReservationSaved& out) {
  const bool one_way = r.pick_up().location() != r.drop_off().location();
  out.set_one_way(one_way);
  bool has_drop = false;
  for (v1::RvOptionChoice& choice : *r.mutable_options()) {
    const v1::RvOption* option = FindOption(ref, choice.code());
    if (option == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.options: unknown option '", choice.code(), "'",
                       KnownCodes(ref.options(), kCode, [](const auto& o) { return !o.tax_item(); })));
    }
    if (option->tax_item() || option->flat_tax() || option->cancellation_penalty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "save_reservation.options: ", choice.code(),
          " is applied by tripdesk (tax, flat tax or cancellation penalty), not chosen"));
    }
    if (choice.quantity() < 0 || choice.quantity() > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.options: ", choice.code(), " quantity is 1 to 1000"));
    }
    if (choice.quantity() == 0) choice.set_quantity(1);
    if (option->drop_charge() || option->drop_discount()) {
      if (!one_way) {
        return absl::InvalidArgumentError(absl::StrCat(
            "save_reservation.options: ", choice.code(), " is for one-way rentals; pick-up and "
            "return are both ", r.pick_up().location()));
      }
      has_drop = true;
    }
  }
  if (!r.auth_code().empty() && !IsAuthCode(r.auth_code())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.auth_code: '", r.auth_code(),
        "' must begin with A or M and then 6 numbers, such as A123456"));
  }
  if (one_way) {
    out.add_warnings("INFORM CUSTOMER THAT DEPOSIT IS NON-REFUNDABLE");
    if (r.auth_code().empty()) {
      return Refuse(state, "save_reservation",
                    "To save a one-way reservation, an auth code must be entered: A or M and then "
                    "6 numbers, such as A123456");
    }
    if (!has_drop) {
      for (const v1::RvOption& o : ref.options()) {
        if (o.drop_charge()) {
          v1::RvOptionChoice* added = r.add_options();
          added->set_code(o.code());
          added->set_quantity(1);
          out.add_warnings(absl::StrCat("Drop charge ", o.code(), " added"));
          break;
        }
      }
    }
  }
  return absl::OkStatus();
}

// save_reservation, phase by phase as the reservation screen is filled in:
// each phase reads what the ones before it settled, and refuses or goes on.
class ReservationSave {
 public:
  ReservationSave(const v1::SaveRvReservation& given, S state, Ctx ctx)
      : r_(given), state_(state), ctx_(ctx), ref_(ctx.reference->proto().rv()), rv_(state.rv()),
        out_(*event_.mutable_reservation_saved()) {}

  absl::StatusOr<Events> Run() {
    if (rv_.stage() == v1::RV_LEAD) out_.set_restored_from_lead(RestoreFromLead(rv_.lead(), r_));
    if (absl::Status s = WhoAndWhat(); !s.ok()) return s;
    if (r_.save_as() == v1::RV_SAVE_AS_LEAD) return SaveLead();
    for (absl::Status (ReservationSave::*phase)() :
         {&ReservationSave::Dates, &ReservationSave::PassengersAndClass,
          &ReservationSave::VoucherOrRate, &ReservationSave::Miles,
          &ReservationSave::DepositAndKind, &ReservationSave::Discount}) {
      if (absl::Status s = (this->*phase)(); !s.ok()) return s;
    }
    return Saved();
  }

 private:
  static constexpr char kCmd[] = "save_reservation";

  // Who saves where, and what: the login's location, the renter, the kind
  // of save and an unfettered (back-dating) one's permission.
  absl::Status WhoAndWhat() {
    absl::StatusOr<const v1::RvLocation*> logged_in = BookingLocation(ref_, r_.booking_location(), ctx_.actor);
    if (!logged_in.ok()) return logged_in.status();
    booking_ = *logged_in;
    r_.set_booking_location(booking_->code());
    if (absl::Status s = FirstError({CheckRenter(r_.renter()),
                                     CheckFreeText("save_reservation.notes", r_.notes(), false)});
        !s.ok()) {
      return s;
    }
    if (!v1::RvSaveAs_IsValid(r_.save_as())) {
      return absl::InvalidArgumentError("save_reservation.save_as: unknown value");
    }
    tour_ = r_.has_voucher();
    was_tour_ = rv_.reservation().has_voucher();

    if (r_.unfettered()) {
      if (tour_) {
        return Refuse(state_, kCmd, "Tour reservations cannot be saved in Unfettered Res (backdated)");
      }
      const v1::RvUserLimit* user = FindUser(ref_, ctx_.actor.id);
      if (ctx_.actor.role != kRoleSupervisor && (user == nullptr || !user->unfettered())) {
        return absl::PermissionDeniedError(absl::StrCat(
            "the Unfettered Res Update needs the supervisor role or unfettered permission; ",
            ctx_.actor.id, " has neither"));
      }
    }
    return absl::OkStatus();
  }

  // A lead keeps what is known; the rest of the rules are for a quote or a
  // reservation.
  absl::StatusOr<Events> SaveLead() {
    if (rv_.stage() != v1::RV_STAGE_UNSPECIFIED && rv_.stage() != v1::RV_LEAD) {
      return Refuse(state_, kCmd, "a quote or reservation is not turned back into a lead");
    }
    if (tour_) return Refuse(state_, kCmd, "a tour reservation is not saved as a lead");
    if (r_.renter().cell_phone().empty() && r_.renter().home_phone().empty() &&
        r_.renter().email().empty()) {
      return absl::InvalidArgumentError(
          "save_reservation.renter: a lead needs a phone number or an email to call back");
    }
    for (const auto& [field, m] : {std::pair{"pick_up", &r_.pick_up()}, {"drop_off", &r_.drop_off()}}) {
      if (!m->date().empty()) {
        absl::StatusOr<absl::CivilMinute> t =
            ParseMoment(absl::StrCat("save_reservation.", field), *m, "0000");
        if (!t.ok()) return t.status();
        if (absl::CivilDay(*t) - Today(ctx_, m->location()) > kMaxBookingDaysAhead) {
          return absl::InvalidArgumentError(absl::StrCat("save_reservation.", field, ".date: ",
                                                         m->date(), " is more than two years ahead"));
        }
      }
    }
    if (!r_.class_code().empty() && FindClass(ref_, r_.class_code()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.class_code: unknown class '", r_.class_code(), "'",
                       KnownCodes(ref_.classes(), kCode)));
    }
    out_.set_saved_as(v1::RV_SAVE_AS_LEAD);
    out_.set_booking_location(r_.booking_location());
    *out_.mutable_renter() = r_.renter();
    *out_.mutable_pick_up() = r_.pick_up();
    *out_.mutable_drop_off() = r_.drop_off();
    out_.set_passengers(r_.passengers());
    out_.set_class_code(r_.class_code());
    out_.set_rate_code(r_.rate_code());
    out_.set_notes(r_.notes());
    return Events{Wrap(std::move(event_))};
  }

  // Dates, times and locations (and CHOOSE COLUMN 1/2/3).
  absl::Status Dates() {
    absl::StatusOr<const v1::RvLocation*> pick_loc =
        RentalLocation(ref_, "save_reservation.pick_up", r_.pick_up().location());
    if (!pick_loc.ok()) return pick_loc.status();
    absl::StatusOr<const v1::RvLocation*> drop_loc =
        RentalLocation(ref_, "save_reservation.drop_off", r_.drop_off().location());
    if (!drop_loc.ok()) return drop_loc.status();
    absl::StatusOr<absl::CivilMinute> pick_up =
        ParseMoment("save_reservation.pick_up", r_.pick_up(), (*pick_loc)->default_pick_up_time());
    if (!pick_up.ok()) return pick_up.status();
    absl::StatusOr<absl::CivilMinute> drop_off =
        ParseMoment("save_reservation.drop_off", r_.drop_off(), (*drop_loc)->default_return_time());
    if (!drop_off.ok()) return drop_off.status();
    pick_up_ = *pick_up;
    drop_off_ = *drop_off;
    if (drop_off_ <= pick_up_) {
      return absl::InvalidArgumentError("save_reservation.drop_off: the return must be after the pick-up");
    }
    // CHOOSE COLUMN 1/2/3 of the alternate-dates estimate: the dates move
    // with the column taken.
    if (r_.choose_column() != 0 && r_.choose_column() != 2) {
      if (r_.choose_column() != 1 && r_.choose_column() != 3) {
        return absl::InvalidArgumentError("save_reservation.choose_column: 1, 2 or 3");
      }
      const int offset = AlternateDatesOffset(ref_, ctx_.actor.id);
      if (offset == 0) {
        return Refuse(state_, kCmd,
                      absl::StrCat("alternate dates are off for ", ctx_.actor.id,
                                   ": there is no column ", r_.choose_column(), " to choose"));
      }
      const int64_t minutes = int64_t{r_.choose_column() == 1 ? -offset : offset} * 24 * 60;
      pick_up_ += minutes;
      drop_off_ += minutes;
      r_.mutable_pick_up()->set_date(absl::FormatCivilTime(absl::CivilDay(pick_up_)));
      r_.mutable_drop_off()->set_date(absl::FormatCivilTime(absl::CivilDay(drop_off_)));
    }
    const absl::CivilDay today = Today(ctx_, r_.pick_up().location());
    if (absl::CivilDay(pick_up_) - today > kMaxBookingDaysAhead) {
      return absl::InvalidArgumentError(absl::StrCat(
          "save_reservation.pick_up.date: ", r_.pick_up().date(), " is more than two years ahead"));
    }
    if (RentalDays(pick_up_, drop_off_) > kMaxRentalDays) {
      return absl::InvalidArgumentError("save_reservation.drop_off: a rental lasts at most 365 days");
    }
    const bool date_changed = rv_.reservation().pick_up().date() != r_.pick_up().date();
    if (absl::CivilDay(pick_up_) < today && date_changed && !r_.unfettered()) {
      return Refuse(state_, kCmd,
                    absl::StrCat("ERROR - Roll Date is earlier than today (pick-up ", r_.pick_up().date(),
                                 ", today ", absl::FormatCivilTime(today),
                                 "); back-dating needs the Unfettered Res Update"));
    }
    return absl::OkStatus();
  }

  // Passengers and class.
  absl::Status PassengersAndClass() {
    if (r_.passengers() <= 0 || r_.passengers() > kMaxPassengers) {
      return absl::InvalidArgumentError(absl::StrCat(
          "save_reservation.passengers: the number of passengers is required (1 to ", kMaxPassengers,
          ")"));
    }
    const v1::RvVehicleClass* vclass = FindClass(ref_, r_.class_code());
    if (vclass == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.class_code: unknown class '", r_.class_code(), "'",
                       KnownCodes(ref_.classes(), kCode)));
    }
    if (vclass->max_passengers() > 0 && r_.passengers() > vclass->max_passengers()) {
      return Refuse(state_, kCmd,
                    absl::StrCat(r_.passengers(), " passengers exceed the limit of ",
                                 vclass->max_passengers(), " for class ", vclass->code(),
                                 "; choose a larger class"));
    }
    return absl::OkStatus();
  }

  // A tour's voucher, or the retail rate.
  absl::Status VoucherOrRate() {
    voucher_ = r_.voucher();
    if (tour_ || was_tour_) {
      if (booking_->kind() != v1::RV_LOCATION_TOURS_USA &&
          booking_->kind() != v1::RV_LOCATION_TOURS_CANADA) {
        return Refuse(state_, kCmd,
                      absl::StrCat("To create or edit a reservation with a voucher, the user must be "
                                   "logged in under the location INT (for USA) or CINT (Canada); you "
                                   "are at ",
                                   booking_->code()));
      }
      if (!tour_) return Refuse(state_, kCmd, "the tour voucher cannot be removed from a tour reservation");
      absl::StatusOr<const v1::RvTourOperator*> found =
          CompleteVoucher(ref_, state_, r_.class_code(), RentalDays(pick_up_, drop_off_), voucher_);
      if (!found.ok()) return found.status();
      tour_operator_ = *found;
      if (r_.rate_code().empty()) r_.set_rate_code(voucher_.rate_code());
    }
    if (FindRate(ref_, r_.rate_code()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.rate_code: unknown rate product '", r_.rate_code(), "'",
                       KnownCodes(ref_.rates(), kCode)));
    }
    return absl::OkStatus();
  }

  // Estimated miles (hand-edited ones stay until the flag is cleared) and
  // the options.
  absl::Status Miles() {
    if (r_.has_estimated_miles()) {
      if (r_.estimated_miles() < 0 || r_.estimated_miles() > kMaxMiles) {
        return absl::InvalidArgumentError(
            absl::StrCat("save_reservation.estimated_miles: 0 to ", kMaxMiles));
      }
      miles_ = r_.estimated_miles();
      edited_ = true;
    } else if (rv_.reservation().miles_edited() && !r_.recalculate_miles()) {
      miles_ = rv_.reservation().estimated_miles();
      edited_ = true;
    }

    if (absl::Status opts = ApplyOptions(ref_, state_, r_, out_); !opts.ok()) return opts;
    return absl::OkStatus();
  }

  // The deposit, and whether this is a quote or a reservation.
  absl::Status DepositAndKind() {
    const std::string currency = FindRate(ref_, r_.rate_code())->currency();
    if (HasDeposit(r_.deposit())) {
      if (absl::Status s = CheckDeposit("save_reservation.deposit", r_.deposit(), currency); !s.ok()) {
        return s;
      }
      deposit_ = &r_.deposit();
    }
    const int64_t deposits =
        rv_.deposits_total().minor_units() + (deposit_ ? deposit_->amount().minor_units() : 0);
    save_as_ = r_.save_as();
    if (tour_) {
      if (save_as_ == v1::RV_SAVE_AS_QUOTE) {
        return Refuse(state_, kCmd, "a tour reservation is saved as a reservation, not a quotation");
      }
      save_as_ = v1::RV_SAVE_AS_RESERVATION;
    } else if (rv_.stage() == v1::RV_RESERVED) {
      if (save_as_ == v1::RV_SAVE_AS_QUOTE) {
        return Refuse(state_, kCmd, "a reservation is not turned back into a quotation");
      }
      save_as_ = v1::RV_SAVE_AS_RESERVATION;
    } else if (deposits > 0) {
      if (save_as_ == v1::RV_SAVE_AS_QUOTE) {
        return Refuse(state_, kCmd, "a deposit was taken, so this is a reservation, not a quotation");
      }
      save_as_ = v1::RV_SAVE_AS_RESERVATION;
    } else if (save_as_ == v1::RV_SAVE_AS_UNSPECIFIED) {
      return Refuse(state_, kCmd,
                    "IS THIS A (Q)UOTATION OR A (R)ESERVATION? No deposit was taken: set save_as "
                    "to RV_SAVE_AS_QUOTE or RV_SAVE_AS_RESERVATION");
    }
    if (!tour_) {
      if (r_.renter().cell_phone().empty() && r_.renter().home_phone().empty()) {
        return Refuse(state_, kCmd, "A phone number is required to save a retail reservation");
      }
      if (!HasAddress(r_.renter().address())) {
        return Refuse(state_, kCmd,
                      "The address is a required field for a retail reservation (street and city)");
      }
    }
    if (save_as_ == v1::RV_SAVE_AS_QUOTE && r_.renter().email().empty()) {
      return Refuse(state_, kCmd, "If saving as a Quote, an E-Mail Address is required");
    }
    const int64_t minimum = ref_.control().minimum_reservation_deposit().minor_units();
    if (save_as_ == v1::RV_SAVE_AS_RESERVATION && !tour_ && !r_.unfettered() && deposits < minimum) {
      if (booking_->kind() != v1::RV_LOCATION_CENTRAL) {
        return Refuse(state_, kCmd, absl::StrCat("Minimum Deposit (", Amount(minimum), ") Required"));
      }
      if (!r_.confirm_without_deposit()) {
        return Refuse(state_, kCmd,
                      absl::StrCat("SAVE RES WITHOUT A MINIMUM DEPOSIT OK? The minimum is ",
                                   Amount(minimum), "; set confirm_without_deposit to save without it"));
      }
      out_.set_saved_without_minimum_deposit(true);
    }
    return absl::OkStatus();
  }

  // A retail discount: a share of time and mileage and/or an amount.
  absl::Status Discount() {
    const v1::RvRateProduct* rate = FindRate(ref_, r_.rate_code());
    if (r_.discount_bp() < 0 || r_.discount_bp() > 10000) {
      return absl::InvalidArgumentError(
          "save_reservation.discount_bp: 0 to 10000 basis points (100%)");
    }
    if (r_.has_discount()) {
      if (absl::Status s = CheckMoney("save_reservation.discount", r_.discount()); !s.ok()) return s;
      if (r_.discount().currency() != rate->currency()) {
        return absl::InvalidArgumentError(absl::StrCat("save_reservation.discount.currency: the rate ",
                                                       rate->code(), " is in ", rate->currency()));
      }
    }
    if ((r_.discount_bp() > 0 || r_.discount().minor_units() > 0) && tour_) {
      return absl::InvalidArgumentError(
          "save_reservation.discount_bp: a tour's discount goes on its voucher (voucher.discount_bp)");
    }
    return absl::OkStatus();
  }

  // The saved reservation and its estimate.
  absl::StatusOr<Events> Saved() {
    out_.set_discount_bp(r_.discount_bp());
    if (r_.discount().minor_units() > 0) *out_.mutable_discount() = r_.discount();
    out_.set_saved_as(save_as_);
    out_.set_booking_location(r_.booking_location());
    *out_.mutable_renter() = r_.renter();
    *out_.mutable_pick_up() = MomentOf(pick_up_, r_.pick_up().location());
    *out_.mutable_drop_off() = MomentOf(drop_off_, r_.drop_off().location());
    out_.set_passengers(r_.passengers());
    out_.set_class_code(r_.class_code());
    out_.set_rate_code(r_.rate_code());
    out_.set_miles_edited(edited_);
    *out_.mutable_options() = r_.options();
    out_.set_pay_by_card(r_.pay_by_card());
    out_.set_auth_code(r_.auth_code());
    out_.set_notes(r_.notes());
    if (tour_) *out_.mutable_voucher() = voucher_;
    out_.set_unfettered(r_.unfettered());
    if (edited_) out_.set_estimated_miles(miles_);

    EstimateInput input = ReservationInput(out_);
    if (tour_) {
      // The voucher estimate: what the tour operator pays.
      input.rate_code = voucher_.rate_code();
      input.drop_off = input.pick_up + int64_t{voucher_.days()} * 24 * 60;
      if (!edited_) input.edited_miles.reset();
      input.flat_tax_bp = tour_operator_->flat_tax_bp();
      input.discount_bp = voucher_.discount_bp();
      input.discount_cents = voucher_.discount().minor_units();
      input.options.clear();
      for (const std::string& code : voucher_.included_options()) {
        if (code != "MILES") input.options.emplace_back(code, 1);
      }
    }
    if (r_.alternate_dates() && AlternateDatesOffset(ref_, ctx_.actor.id) == 0) {
      out_.add_warnings(absl::StrCat("ALTERNATE DATES ARE OFF FOR ", ctx_.actor.id));
    }
    if (r_.alternate_dates() && AlternateDatesOffset(ref_, ctx_.actor.id) > 0) {
      absl::StatusOr<std::vector<v1::RvEstimate>> columns = EstimateWithAlternates(ref_, input);
      if (!columns.ok()) return columns.status();
      *out_.mutable_estimate() = (*columns)[1];
      *out_.add_alternates() = (*columns)[0];
      *out_.add_alternates() = (*columns)[2];
    } else {
      absl::StatusOr<v1::RvEstimate> estimate = Estimate(ref_, input);
      if (!estimate.ok()) return estimate.status();
      *out_.mutable_estimate() = *std::move(estimate);
    }
    out_.set_estimated_miles(out_.estimate().estimated_miles());
    return WithDeposit(std::move(event_), deposit_, rv_.deposits_total(), false);
  }

  v1::SaveRvReservation r_;
  S state_;
  Ctx ctx_;
  const v1::RvReference& ref_;
  const v1::RvState& rv_;
  Ev event_;
  v1::RvReservationSaved& out_;  // in event_
  const v1::RvLocation* booking_ = nullptr;
  bool tour_ = false;
  bool was_tour_ = false;
  absl::CivilMinute pick_up_;
  absl::CivilMinute drop_off_;
  const v1::RvTourOperator* tour_operator_ = nullptr;
  v1::RvTourVoucher voucher_;
  int64_t miles_ = 0;
  bool edited_ = false;
  const v1::RvDeposit* deposit_ = nullptr;  // in r_
  v1::RvSaveAs save_as_ = v1::RV_SAVE_AS_UNSPECIFIED;
};

absl::StatusOr<Events> SaveReservation(const v1::SaveRvReservation& given, S state, Ctx ctx) {
  return ReservationSave(given, state, ctx).Run();
}

// ---- cancel_reservation ----

absl::StatusOr<Events> CancelReservation(const v1::CancelRvReservation& c,
                                         const v1::CaseState& state, const DecisionContext& ctx) {
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const v1::RvState& rv = state.rv();
  if (absl::Status s = CheckFreeText("cancel_reservation.reason", c.reason(), true); !s.ok()) {
    return s;
  }
  Ev e;
  v1::RvReservationCancelled& out = *e.mutable_reservation_cancelled();
  out.set_reason(c.reason());
  const bool tour = rv.reservation().has_voucher();
  int64_t days_before = 0;
  if (!rv.reservation().pick_up().date().empty()) {
    days_before = absl::CivilDay(Minute(rv.reservation().pick_up())) -
                  Today(ctx, rv.reservation().pick_up().location());
    out.set_days_before_pick_up(static_cast<int32_t>(days_before));
  }
  const int32_t window = ref.control().tour_cancellation_window_days();
  if (tour && days_before <= window) {
    if (c.penalty_option().empty()) {
      return Refuse(state, "cancel_reservation",
                    absl::StrCat("cancelling a tour reservation within ", window,
                                 " days of pick-up (", days_before,
                                 " days before) requires the penalty option charge; it becomes "
                                 "the value of the tour voucher"));
    }
    const v1::RvOption* penalty = FindOption(ref, c.penalty_option());
    if (penalty == nullptr || !penalty->cancellation_penalty()) {
      return absl::InvalidArgumentError(absl::StrCat("cancel_reservation.penalty_option: '",
                                                     c.penalty_option(),
                                                     "' is not a cancellation penalty option",
                                                     KnownCodes(ref.options(), kCode, [](const auto& o) {
                                                       return o.cancellation_penalty();
                                                     })));
    }
    out.set_penalty_option(penalty->code());
    *out.mutable_penalty() = MoneyOf(penalty->price().minor_units(), CaseCurrency(rv, ref));
  } else if (!c.penalty_option().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cancel_reservation.penalty_option: no penalty applies ",
        tour ? absl::StrCat("more than ", window, " days before pick-up") : "to a retail reservation"));
  }
  return Events{Wrap(std::move(e))};
}

}  // namespace tripdesk::workflows::rv::internal
