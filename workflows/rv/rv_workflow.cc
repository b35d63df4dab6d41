#include "workflows/rv/rv_workflow.h"

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

namespace tripdesk::workflows::rv {
namespace {

using Cmd = v1::RvCommand;
using Ev = v1::RvEvent;
using Stage = v1::RvStage;
using Events = std::vector<v1::CaseEvent>;

constexpr int64_t kMaxDepositCents = 10'000'000;  // 100,000.00
constexpr int64_t kMaxMiles = 100'000;
constexpr int kMaxPassengers = 60;
constexpr int kMaxRentalDays = 365;

using Steps_ = StepTable<Cmd, Stage>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

std::string NameOf(Cmd::CommandCase command) { return Steps_::Name(command); }

std::string StageName(Stage stage) { return Steps_::StageName(stage); }

v1::CaseEvent Wrap(Ev event) {
  v1::CaseEvent out;
  *out.mutable_rv() = std::move(event);
  return out;
}

const Steps_& Table();

// A counter agent's refusal: the case, where it stands, and the rule.
absl::Status Refuse(S state, absl::string_view command, absl::string_view rule) {
  return Table().Refusal(state, state.rv().stage(), command, rule);
}

std::string Amount(int64_t cents) {
  const int64_t a = cents < 0 ? -cents : cents;
  return absl::StrFormat("%s%d.%02d", cents < 0 ? "-" : "", a / 100, a % 100);
}

std::string Tenths(int64_t tenths) { return absl::StrFormat("%d.%d", tenths / 10, tenths % 10); }

// Free text. Card numbers, control characters and sizes are refused on the
// generic path for every field (workflows/field_rules.h) before this runs.
absl::Status CheckFreeText(absl::string_view field, absl::string_view value, bool required,
                           size_t max = kMaxLongText) {
  return CheckText(field, value, required, max);
}

absl::Status CheckCard(absl::string_view field, const v1::PaymentCard& card) {
  const std::string& token = card.token();
  const bool all_digits = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (all_digits && token.size() >= 12) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".token: looks like a card number; send the payment processor's token, never the "
               "number"));
  }
  if (token.size() < 8 || token.size() > 128 ||
      !std::all_of(token.begin(), token.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
               c == ':';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".token: must be the processor's token, 8 to 128 letters, digits, '_', '-' or ':'"));
  }
  if (card.last4().size() != 4 || !std::all_of(card.last4().begin(), card.last4().end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".last4: must be exactly 4 digits"));
  }
  return absl::OkStatus();
}

// An amount a command gives, in the case's currency, within (0, max].
absl::Status CheckAmount(absl::string_view field, const v1::Money& m, absl::string_view currency,
                         int64_t max = kMaxDepositCents) {
  if (absl::Status s = CheckMoney(field, m); !s.ok()) return s;
  if (m.currency() != currency) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".currency: this rental is in ", currency,
                                                   ", not ", m.currency()));
  }
  if (m.minor_units() <= 0 || m.minor_units() > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".minor_units: must be from 1 to ", max));
  }
  return absl::OkStatus();
}

bool HasDeposit(const v1::RvDeposit& d) { return d.has_amount() || d.has_card(); }

absl::Status CheckDeposit(absl::string_view field, const v1::RvDeposit& d,
                          absl::string_view currency) {
  if (!d.has_amount()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".amount: a deposit needs its amount"));
  }
  if (absl::Status s = CheckAmount(absl::StrCat(field, ".amount"), d.amount(), currency); !s.ok()) {
    return s;
  }
  if (d.has_card()) return CheckCard(absl::StrCat(field, ".card"), d.card());
  return absl::OkStatus();
}

// The currency a case's amounts are in: its estimate's, else its rate's.
std::string CaseCurrency(const v1::RvState& rv, const v1::RvReference& ref) {
  if (!rv.estimate().currency().empty()) return rv.estimate().currency();
  const v1::RvRateProduct* rate = FindRate(ref, rv.reservation().rate_code());
  return rate != nullptr ? rate->currency() : "USD";
}

// The day it is at `location`: dates at the counter are local (a 20:00
// pick-up in Tucson is today there, though tomorrow in UTC).
absl::CivilDay Today(const DecisionContext& ctx, absl::string_view location) {
  return absl::ToCivilDay(ctx.now, ctx.reference->RvZone(location));
}

absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view field, const std::string& value) {
  absl::CivilDay day;
  if (value.size() != 10 || !absl::ParseCivilTime(value, &day) ||
      absl::FormatCivilTime(day) != value) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", value, "' is not a date (YYYY-MM-DD)"));
  }
  return day;
}

// The moment as a civil minute; an empty time takes the location's default.
absl::StatusOr<absl::CivilMinute> ParseMoment(absl::string_view field, const v1::RvMoment& m,
                                              absl::string_view default_time) {
  absl::StatusOr<absl::CivilDay> day = ParseDay(absl::StrCat(field, ".date"), m.date());
  if (!day.ok()) return day.status();
  const std::string time = m.time().empty() ? std::string(default_time) : m.time();
  int hh = 0;
  int mm = 0;
  if (time.size() != 4 || !std::all_of(time.begin(), time.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      }) ||
      (hh = std::stoi(time.substr(0, 2))) > 23 || (mm = std::stoi(time.substr(2))) > 59) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".time: '", time, "' is not a 24-hour time (HHMM, e.g. 1300)"));
  }
  return absl::CivilMinute(day->year(), day->month(), day->day(), hh, mm);
}

v1::RvMoment MomentOf(absl::CivilMinute t, absl::string_view location) {
  v1::RvMoment m;
  m.set_date(absl::FormatCivilTime(absl::CivilDay(t)));
  m.set_time(absl::StrFormat("%02d%02d", t.hour(), t.minute()));
  m.set_location(std::string(location));
  return m;
}

// A stored moment (already checked) as a civil minute.
absl::CivilMinute Minute(const v1::RvMoment& m) {
  absl::StatusOr<absl::CivilMinute> t = ParseMoment("", m, "0000");
  return t.ok() ? *t : absl::CivilMinute();
}

absl::StatusOr<const v1::RvLocation*> RentalLocation(const v1::RvReference& ref,
                                                     absl::string_view field,
                                                     absl::string_view code) {
  const v1::RvLocation* l = FindLocation(ref, code);
  auto rental = [&] {
    return KnownCodes(ref.locations(), kCode,
                      [](const v1::RvLocation& e) { return e.kind() == v1::RV_LOCATION_RENTAL; });
  };
  if (l == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".location: unknown location '", code, "'", rental()));
  }
  if (l->kind() != v1::RV_LOCATION_RENTAL) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".location: ", code, " is not a rental location", rental()));
  }
  return l;
}

bool IsAuthCode(absl::string_view code) {
  return code.size() == 7 && (code[0] == 'A' || code[0] == 'M') &&
         std::all_of(code.begin() + 1, code.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

bool HasAddress(const v1::RvAddress& a) {
  return !(a.line1().empty() && a.line2().empty()) && !a.city().empty();
}

absl::Status CheckAddress(absl::string_view field, const v1::RvAddress& a) {
  return FirstError({
      CheckFreeText(absl::StrCat(field, ".line1"), a.line1(), false, kMaxShortText),
      CheckFreeText(absl::StrCat(field, ".line2"), a.line2(), false, kMaxShortText),
      CheckText(absl::StrCat(field, ".city"), a.city(), false),
      CheckText(absl::StrCat(field, ".region"), a.region(), false),
      CheckText(absl::StrCat(field, ".postal_code"), a.postal_code(), false),
      CheckText(absl::StrCat(field, ".country"), a.country(), false),
  });
}

// BK LOC: the location the caller is logged in at, which their token names
// and the reference data's user access allows; a booking_location given in
// the command must be the same (no agent books as another counter).
absl::StatusOr<const v1::RvLocation*> BookingLocation(const v1::RvReference& ref,
                                                      absl::string_view given, const Actor& actor) {
  if (actor.location.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "save_reservation: ", actor.id, "'s token names no location; a reservation is saved at the "
        "location its user is logged in at (BK LOC, the token's location claim)"));
  }
  if (!given.empty() && given != actor.location) {
    return absl::PermissionDeniedError(absl::StrCat("save_reservation.booking_location: ", actor.id,
                                                    " is logged in at ", actor.location, ", not ",
                                                    given));
  }
  const v1::RvLocation* location = FindLocation(ref, actor.location);
  const v1::RvUserLimit* user = FindUser(ref, actor.id);
  if (location == nullptr || user == nullptr ||
      std::find(user->locations().begin(), user->locations().end(), actor.location) ==
          user->locations().end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "save_reservation: ", actor.id, " may not log in at ", actor.location,
        user == nullptr || user->locations().empty()
            ? " (the reference data's user access lists no locations for them)"
            : absl::StrCat(" (the reference data's user access allows ",
                           absl::StrJoin(user->locations(), ", "), ")")));
  }
  return location;
}

// Days the alternate-dates columns move the pick-up: the control record's
// offset, 0 when it is off (for everyone, or for `user`).
int AlternateDatesOffset(const v1::RvReference& ref, absl::string_view user) {
  const v1::RvUserLimit* limits = FindUser(ref, user);
  if (limits != nullptr && limits->alternate_dates_off()) return 0;
  return ref.control().alternate_dates_offset_days();
}

// What the estimate of a saved reservation is made of.
EstimateInput ReservationInput(const v1::RvReservationSaved& r) {
  EstimateInput in;
  in.rate_code = r.rate_code();
  in.location_code = r.pick_up().location();
  in.pick_up = Minute(r.pick_up());
  in.drop_off = Minute(r.drop_off());
  if (r.miles_edited()) in.edited_miles = r.estimated_miles();
  for (const v1::RvOptionChoice& o : r.options()) {
    in.options.emplace_back(o.code(), o.quantity() > 0 ? o.quantity() : 1);
  }
  in.pay_by_card = r.pay_by_card();
  in.discount_bp = r.discount_bp();
  in.discount_cents = r.discount().minor_units();
  return in;
}

// The renter's estimate on the RA: a tour's voucher days and included
// options are prepaid.
EstimateInput RentalInput(const v1::RvState& rv, absl::CivilMinute from, absl::CivilMinute to) {
  EstimateInput in = ReservationInput(rv.reservation());
  in.pick_up = from;
  in.drop_off = to;
  if (rv.reservation().has_voucher()) {
    const v1::RvTourVoucher& v = rv.reservation().voucher();
    in.rate_code = v.rate_code();
    in.prepaid_days = v.days();
    in.prepaid_options.assign(v.included_options().begin(), v.included_options().end());
  }
  return in;
}

int64_t ChargesWithoutSecurity(const v1::RvEstimate& e) {
  int64_t total = e.total().minor_units();
  for (const v1::RvEstimateLine& line : e.lines()) {
    if (line.label() == "SECURITY") total -= line.amount().minor_units();
  }
  return total;
}

// A deposit taken, with the deposits' new total.
v1::CaseEvent DepositTaken(const v1::RvDeposit& deposit, const v1::Money& previous_total,
                           bool on_ra) {
  Ev e;
  v1::RvDepositTaken* d = e.mutable_deposit_taken();
  *d->mutable_deposit() = deposit;
  d->set_on_rental_agreement(on_ra);
  *d->mutable_deposits_total() = MoneyOf(
      previous_total.minor_units() + deposit.amount().minor_units(), deposit.amount().currency());
  return Wrap(std::move(e));
}

// `first`, then the deposit taken with it, if any.
Events WithDeposit(Ev first, const v1::RvDeposit* deposit, const v1::Money& previous_total,
                   bool on_ra) {
  Events out{Wrap(std::move(first))};
  if (deposit != nullptr) out.push_back(DepositTaken(*deposit, previous_total, on_ra));
  return out;
}

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

absl::StatusOr<Events> SaveReservation(const v1::SaveRvReservation& given, S state, Ctx ctx) {
  v1::SaveRvReservation r = given;
  const v1::RvReference& ref = ctx.reference->proto().rv();
  const v1::RvState& rv = state.rv();
  const std::string cmd = "save_reservation";
  Ev event;
  v1::RvReservationSaved& out = *event.mutable_reservation_saved();
  if (rv.stage() == v1::RV_LEAD) out.set_restored_from_lead(RestoreFromLead(rv.lead(), r));

  absl::StatusOr<const v1::RvLocation*> logged_in = BookingLocation(ref, r.booking_location(), ctx.actor);
  if (!logged_in.ok()) return logged_in.status();
  const v1::RvLocation* booking = *logged_in;
  r.set_booking_location(booking->code());
  if (absl::Status s = FirstError({CheckRenter(r.renter()),
                                   CheckFreeText("save_reservation.notes", r.notes(), false)});
      !s.ok()) {
    return s;
  }
  if (!v1::RvSaveAs_IsValid(r.save_as())) {
    return absl::InvalidArgumentError("save_reservation.save_as: unknown value");
  }
  const bool tour = r.has_voucher();
  const bool was_tour = rv.reservation().has_voucher();

  if (r.unfettered()) {
    if (tour) {
      return Refuse(state, cmd, "Tour reservations cannot be saved in Unfettered Res (backdated)");
    }
    const v1::RvUserLimit* user = FindUser(ref, ctx.actor.id);
    if (ctx.actor.role != kRoleSupervisor && (user == nullptr || !user->unfettered())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the Unfettered Res Update needs the supervisor role or unfettered permission; ",
          ctx.actor.id, " has neither"));
    }
  }

  // A lead keeps what is known; the rest of the rules are for a quote or a
  // reservation.
  if (r.save_as() == v1::RV_SAVE_AS_LEAD) {
    if (rv.stage() != v1::RV_STAGE_UNSPECIFIED && rv.stage() != v1::RV_LEAD) {
      return Refuse(state, cmd, "a quote or reservation is not turned back into a lead");
    }
    if (tour) return Refuse(state, cmd, "a tour reservation is not saved as a lead");
    if (r.renter().cell_phone().empty() && r.renter().home_phone().empty() &&
        r.renter().email().empty()) {
      return absl::InvalidArgumentError(
          "save_reservation.renter: a lead needs a phone number or an email to call back");
    }
    for (const auto& [field, m] : {std::pair{"pick_up", &r.pick_up()}, {"drop_off", &r.drop_off()}}) {
      if (!m->date().empty()) {
        absl::StatusOr<absl::CivilMinute> t =
            ParseMoment(absl::StrCat("save_reservation.", field), *m, "0000");
        if (!t.ok()) return t.status();
        if (absl::CivilDay(*t) - Today(ctx, m->location()) > kMaxBookingDaysAhead) {
          return absl::InvalidArgumentError(absl::StrCat("save_reservation.", field, ".date: ",
                                                         m->date(), " is more than two years ahead"));
        }
      }
    }
    if (!r.class_code().empty() && FindClass(ref, r.class_code()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.class_code: unknown class '", r.class_code(), "'",
                       KnownCodes(ref.classes(), kCode)));
    }
    out.set_saved_as(v1::RV_SAVE_AS_LEAD);
    out.set_booking_location(r.booking_location());
    *out.mutable_renter() = r.renter();
    *out.mutable_pick_up() = r.pick_up();
    *out.mutable_drop_off() = r.drop_off();
    out.set_passengers(r.passengers());
    out.set_class_code(r.class_code());
    out.set_rate_code(r.rate_code());
    out.set_notes(r.notes());
    return Events{Wrap(std::move(event))};
  }

  // Dates, times and locations.
  absl::StatusOr<const v1::RvLocation*> pick_loc =
      RentalLocation(ref, "save_reservation.pick_up", r.pick_up().location());
  if (!pick_loc.ok()) return pick_loc.status();
  absl::StatusOr<const v1::RvLocation*> drop_loc =
      RentalLocation(ref, "save_reservation.drop_off", r.drop_off().location());
  if (!drop_loc.ok()) return drop_loc.status();
  absl::StatusOr<absl::CivilMinute> pick_up =
      ParseMoment("save_reservation.pick_up", r.pick_up(), (*pick_loc)->default_pick_up_time());
  if (!pick_up.ok()) return pick_up.status();
  absl::StatusOr<absl::CivilMinute> drop_off =
      ParseMoment("save_reservation.drop_off", r.drop_off(), (*drop_loc)->default_return_time());
  if (!drop_off.ok()) return drop_off.status();
  if (*drop_off <= *pick_up) {
    return absl::InvalidArgumentError("save_reservation.drop_off: the return must be after the pick-up");
  }
  // CHOOSE COLUMN 1/2/3 of the alternate-dates estimate: the dates move
  // with the column taken.
  if (r.choose_column() != 0 && r.choose_column() != 2) {
    if (r.choose_column() != 1 && r.choose_column() != 3) {
      return absl::InvalidArgumentError("save_reservation.choose_column: 1, 2 or 3");
    }
    const int offset = AlternateDatesOffset(ref, ctx.actor.id);
    if (offset == 0) {
      return Refuse(state, cmd,
                    absl::StrCat("alternate dates are off for ", ctx.actor.id,
                                 ": there is no column ", r.choose_column(), " to choose"));
    }
    const int64_t minutes = int64_t{r.choose_column() == 1 ? -offset : offset} * 24 * 60;
    *pick_up += minutes;
    *drop_off += minutes;
    r.mutable_pick_up()->set_date(absl::FormatCivilTime(absl::CivilDay(*pick_up)));
    r.mutable_drop_off()->set_date(absl::FormatCivilTime(absl::CivilDay(*drop_off)));
  }
  const absl::CivilDay today = Today(ctx, r.pick_up().location());
  if (absl::CivilDay(*pick_up) - today > kMaxBookingDaysAhead) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.pick_up.date: ", r.pick_up().date(), " is more than two years ahead"));
  }
  if (RentalDays(*pick_up, *drop_off) > kMaxRentalDays) {
    return absl::InvalidArgumentError("save_reservation.drop_off: a rental lasts at most 365 days");
  }
  const bool date_changed = rv.reservation().pick_up().date() != r.pick_up().date();
  if (absl::CivilDay(*pick_up) < today && date_changed && !r.unfettered()) {
    return Refuse(state, cmd,
                  absl::StrCat("ERROR - Roll Date is earlier than today (pick-up ", r.pick_up().date(),
                               ", today ", absl::FormatCivilTime(today),
                               "); back-dating needs the Unfettered Res Update"));
  }

  // Passengers and class.
  if (r.passengers() <= 0 || r.passengers() > kMaxPassengers) {
    return absl::InvalidArgumentError(absl::StrCat(
        "save_reservation.passengers: the number of passengers is required (1 to ", kMaxPassengers,
        ")"));
  }
  const v1::RvVehicleClass* vclass = FindClass(ref, r.class_code());
  if (vclass == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("save_reservation.class_code: unknown class '", r.class_code(), "'",
                     KnownCodes(ref.classes(), kCode)));
  }
  if (vclass->max_passengers() > 0 && r.passengers() > vclass->max_passengers()) {
    return Refuse(state, cmd,
                  absl::StrCat(r.passengers(), " passengers exceed the limit of ",
                               vclass->max_passengers(), " for class ", vclass->code(),
                               "; choose a larger class"));
  }

  // Tour voucher, or the retail rate.
  const v1::RvTourOperator* tour_operator = nullptr;
  v1::RvTourVoucher voucher = r.voucher();
  if (tour || was_tour) {
    if (booking->kind() != v1::RV_LOCATION_TOURS_USA &&
        booking->kind() != v1::RV_LOCATION_TOURS_CANADA) {
      return Refuse(state, cmd,
                    absl::StrCat("To create or edit a reservation with a voucher, the user must be "
                                 "logged in under the location INT (for USA) or CINT (Canada); you "
                                 "are at ",
                                 booking->code()));
    }
    if (!tour) return Refuse(state, cmd, "the tour voucher cannot be removed from a tour reservation");
    absl::StatusOr<const v1::RvTourOperator*> found =
        CompleteVoucher(ref, state, r.class_code(), RentalDays(*pick_up, *drop_off), voucher);
    if (!found.ok()) return found.status();
    tour_operator = *found;
    if (r.rate_code().empty()) r.set_rate_code(voucher.rate_code());
  }
  if (FindRate(ref, r.rate_code()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("save_reservation.rate_code: unknown rate product '", r.rate_code(), "'",
                     KnownCodes(ref.rates(), kCode)));
  }

  // Estimated miles: hand-edited ones stay until the flag is cleared.
  int64_t miles = 0;
  bool edited = false;
  if (r.has_estimated_miles()) {
    if (r.estimated_miles() < 0 || r.estimated_miles() > kMaxMiles) {
      return absl::InvalidArgumentError(
          absl::StrCat("save_reservation.estimated_miles: 0 to ", kMaxMiles));
    }
    miles = r.estimated_miles();
    edited = true;
  } else if (rv.reservation().miles_edited() && !r.recalculate_miles()) {
    miles = rv.reservation().estimated_miles();
    edited = true;
  }

  if (absl::Status opts = ApplyOptions(ref, state, r, out); !opts.ok()) return opts;

  // Deposit, and quote or reservation.
  const std::string currency = FindRate(ref, r.rate_code())->currency();
  const v1::RvDeposit* deposit = nullptr;
  if (HasDeposit(r.deposit())) {
    if (absl::Status s = CheckDeposit("save_reservation.deposit", r.deposit(), currency); !s.ok()) {
      return s;
    }
    deposit = &r.deposit();
  }
  const int64_t deposits =
      rv.deposits_total().minor_units() + (deposit ? deposit->amount().minor_units() : 0);
  v1::RvSaveAs save_as = r.save_as();
  if (tour) {
    if (save_as == v1::RV_SAVE_AS_QUOTE) {
      return Refuse(state, cmd, "a tour reservation is saved as a reservation, not a quotation");
    }
    save_as = v1::RV_SAVE_AS_RESERVATION;
  } else if (rv.stage() == v1::RV_RESERVED) {
    if (save_as == v1::RV_SAVE_AS_QUOTE) {
      return Refuse(state, cmd, "a reservation is not turned back into a quotation");
    }
    save_as = v1::RV_SAVE_AS_RESERVATION;
  } else if (deposits > 0) {
    if (save_as == v1::RV_SAVE_AS_QUOTE) {
      return Refuse(state, cmd, "a deposit was taken, so this is a reservation, not a quotation");
    }
    save_as = v1::RV_SAVE_AS_RESERVATION;
  } else if (save_as == v1::RV_SAVE_AS_UNSPECIFIED) {
    return Refuse(state, cmd,
                  "IS THIS A (Q)UOTATION OR A (R)ESERVATION? No deposit was taken: set save_as "
                  "to RV_SAVE_AS_QUOTE or RV_SAVE_AS_RESERVATION");
  }
  if (!tour) {
    if (r.renter().cell_phone().empty() && r.renter().home_phone().empty()) {
      return Refuse(state, cmd, "A phone number is required to save a retail reservation");
    }
    if (!HasAddress(r.renter().address())) {
      return Refuse(state, cmd,
                    "The address is a required field for a retail reservation (street and city)");
    }
  }
  if (save_as == v1::RV_SAVE_AS_QUOTE && r.renter().email().empty()) {
    return Refuse(state, cmd, "If saving as a Quote, an E-Mail Address is required");
  }
  const int64_t minimum = ref.control().minimum_reservation_deposit().minor_units();
  if (save_as == v1::RV_SAVE_AS_RESERVATION && !tour && !r.unfettered() && deposits < minimum) {
    if (booking->kind() != v1::RV_LOCATION_CENTRAL) {
      return Refuse(state, cmd, absl::StrCat("Minimum Deposit (", Amount(minimum), ") Required"));
    }
    if (!r.confirm_without_deposit()) {
      return Refuse(state, cmd,
                    absl::StrCat("SAVE RES WITHOUT A MINIMUM DEPOSIT OK? The minimum is ",
                                 Amount(minimum), "; set confirm_without_deposit to save without it"));
    }
    out.set_saved_without_minimum_deposit(true);
  }

  // A retail discount: a share of time and mileage and/or an amount.
  const v1::RvRateProduct* rate = FindRate(ref, r.rate_code());
  if (r.discount_bp() < 0 || r.discount_bp() > 10000) {
    return absl::InvalidArgumentError(
        "save_reservation.discount_bp: 0 to 10000 basis points (100%)");
  }
  if (r.has_discount()) {
    if (absl::Status s = CheckMoney("save_reservation.discount", r.discount()); !s.ok()) return s;
    if (r.discount().currency() != rate->currency()) {
      return absl::InvalidArgumentError(absl::StrCat("save_reservation.discount.currency: the rate ",
                                                     rate->code(), " is in ", rate->currency()));
    }
  }
  if ((r.discount_bp() > 0 || r.discount().minor_units() > 0) && tour) {
    return absl::InvalidArgumentError(
        "save_reservation.discount_bp: a tour's discount goes on its voucher (voucher.discount_bp)");
  }

  // The saved reservation and its estimate.
  out.set_discount_bp(r.discount_bp());
  if (r.discount().minor_units() > 0) *out.mutable_discount() = r.discount();
  out.set_saved_as(save_as);
  out.set_booking_location(r.booking_location());
  *out.mutable_renter() = r.renter();
  *out.mutable_pick_up() = MomentOf(*pick_up, r.pick_up().location());
  *out.mutable_drop_off() = MomentOf(*drop_off, r.drop_off().location());
  out.set_passengers(r.passengers());
  out.set_class_code(r.class_code());
  out.set_rate_code(r.rate_code());
  out.set_miles_edited(edited);
  *out.mutable_options() = r.options();
  out.set_pay_by_card(r.pay_by_card());
  out.set_auth_code(r.auth_code());
  out.set_notes(r.notes());
  if (tour) *out.mutable_voucher() = voucher;
  out.set_unfettered(r.unfettered());
  if (edited) out.set_estimated_miles(miles);

  EstimateInput input = ReservationInput(out);
  if (tour) {
    // The voucher estimate: what the tour operator pays.
    input.rate_code = voucher.rate_code();
    input.drop_off = input.pick_up + int64_t{voucher.days()} * 24 * 60;
    if (!edited) input.edited_miles.reset();
    input.flat_tax_bp = tour_operator->flat_tax_bp();
    input.discount_bp = voucher.discount_bp();
    input.discount_cents = voucher.discount().minor_units();
    input.options.clear();
    for (const std::string& code : voucher.included_options()) {
      if (code != "MILES") input.options.emplace_back(code, 1);
    }
  }
  if (r.alternate_dates() && AlternateDatesOffset(ref, ctx.actor.id) == 0) {
    out.add_warnings(absl::StrCat("ALTERNATE DATES ARE OFF FOR ", ctx.actor.id));
  }
  if (r.alternate_dates() && AlternateDatesOffset(ref, ctx.actor.id) > 0) {
    absl::StatusOr<std::vector<v1::RvEstimate>> columns = EstimateWithAlternates(ref, input);
    if (!columns.ok()) return columns.status();
    *out.mutable_estimate() = (*columns)[1];
    *out.add_alternates() = (*columns)[0];
    *out.add_alternates() = (*columns)[2];
  } else {
    absl::StatusOr<v1::RvEstimate> estimate = Estimate(ref, input);
    if (!estimate.ok()) return estimate.status();
    *out.mutable_estimate() = *std::move(estimate);
  }
  out.set_estimated_miles(out.estimate().estimated_miles());
  return WithDeposit(std::move(event), deposit, rv.deposits_total(), false);
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
  v1::RvAddress address = HasAddress(o.address()) ? o.address() : rv.reservation().renter().address();
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

  // The refund or balance goes to the one card used, or the chosen one.
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
  if (!card.token().empty()) *out.mutable_settled_to_card() = card;
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> TakeDeposit(const v1::TakeRvDeposit& c, S state, Ctx ctx) {
  const v1::RvDeposit& deposit = c.deposit();
  if (absl::Status s = CheckDeposit("take_deposit.deposit", deposit,
                                    CaseCurrency(state.rv(), ctx.reference->proto().rv()));
      !s.ok()) {
    return s;
  }
  return Events{DepositTaken(deposit, state.rv().deposits_total(), state.rv().stage() == v1::RV_RA_OPEN)};
}

absl::StatusOr<Events> AddNote(const v1::AddRvNote& c, S, Ctx) {
  if (absl::Status s = CheckFreeText("add_note.text", c.text(), true); !s.ok()) return s;
  Ev e;
  e.mutable_note_added()->set_text(c.text());
  return Events{Wrap(std::move(e))};
}

// The counter: agents and supervisors; the finer limits (unfettered saves,
// adjustment amounts) are the reference data's, checked by the handlers.
const std::vector<std::string>& Counter() {
  static const auto* const kCounter = new std::vector<std::string>{kRoleAgent, kRoleSupervisor};
  return *kCounter;
}

const Steps_& Table() {
  static const auto* const kSteps = new Steps_({
      .type = v1::WORKFLOW_RV_RENTAL,
      .closed = {v1::RV_RESERVATION_CANCELLED, v1::RV_RA_CLOSED},
      .steps = {
          {Cmd::kSaveReservation,
           {v1::RV_STAGE_UNSPECIFIED, v1::RV_LEAD, v1::RV_QUOTE, v1::RV_RESERVED}, Counter(),
           "a reservation is saved or edited until its rental agreement opens (and a tour's "
           "voucher cannot be edited or deleted in RA Open or RA Close)",
           Steps_::On(&Cmd::save_reservation, &SaveReservation)},
          {Cmd::kTakeDeposit, {v1::RV_QUOTE, v1::RV_RESERVED, v1::RV_RA_OPEN}, Counter(),
           "deposits are taken on a quote, a reservation or an open rental agreement",
           Steps_::On(&Cmd::take_deposit, &TakeDeposit)},
          {Cmd::kCancelReservation, {v1::RV_LEAD, v1::RV_QUOTE, v1::RV_RESERVED}, Counter(),
           "only a lead, quote or reservation whose RA has not opened can be cancelled",
           Steps_::On(&Cmd::cancel_reservation, &CancelReservation)},
          {Cmd::kOpenRentalAgreement, {v1::RV_RESERVED}, Counter(),
           "A reservation is required in order to open a RA. Walk-up RAs are not allowed",
           Steps_::On(&Cmd::open_rental_agreement, &OpenRentalAgreement)},
          {Cmd::kExtendRentalAgreement, {v1::RV_RA_OPEN}, Counter(),
           "only an open rental agreement is extended",
           Steps_::On(&Cmd::extend_rental_agreement, &ExtendRentalAgreement)},
          {Cmd::kAdjustCharges, {v1::RV_RA_OPEN}, Counter(),
           "customer-service adjustments are made on an open rental agreement",
           Steps_::On(&Cmd::adjust_charges, &AdjustCharges)},
          {Cmd::kCloseRentalAgreement, {v1::RV_RA_OPEN}, Counter(),
           "only an open rental agreement is closed",
           Steps_::On(&Cmd::close_rental_agreement, &CloseRentalAgreement)},
          // A note is kept on any case that exists, closed or not.
          {Cmd::kAddNote, Steps_::StagesBut({}), Counter(), "notes are added to a case that exists",
           Steps_::On(&Cmd::add_note, &AddNote)},
      },
  });
  return *kSteps;
}

}  // namespace


bool IsPoBox(absl::string_view line) {
  std::string upper = absl::AsciiStrToUpper(line);
  for (char& c : upper) {
    if (c == '.' || c == ',' || c == '#') c = ' ';
  }
  const std::vector<std::string> words = absl::StrSplit(upper, ' ', absl::SkipEmpty());
  for (size_t i = 0; i < words.size(); ++i) {
    const auto at = [&](size_t k) { return i + k < words.size() ? words[i + k] : std::string(); };
    if (at(0) == "POBOX" || at(0) == "POB" || (at(0) == "PO" && at(1) == "BOX") ||
        (at(0) == "P" && at(1) == "O" && at(2) == "BOX") ||
        (at(0) == "POST" && at(1) == "OFFICE" && at(2) == "BOX")) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> RvRentalWorkflow::AllowedCommands(Stage stage) {
  return Table().Allowed(stage);
}

bool RvRentalWorkflow::IsTerminal(Stage stage) { return Table().IsClosed(stage); }

std::string RvRentalWorkflow::CancelRule(const v1::CaseState&) const {
  return "an RV case is cancelled with rv.cancel_reservation, where the seed's penalty window "
         "applies";
}

std::vector<StepDeclaration> RvRentalWorkflow::Steps() const { return Table().Declarations(); }

absl::StatusOr<std::vector<v1::CaseEvent>> RvRentalWorkflow::Decide(
    const v1::CaseCommand& command, const v1::CaseState& state,
    const DecisionContext& ctx) const {
  if (ctx.reference == nullptr) return absl::InternalError("no reference data");
  return Table().Decide(command.rv(), state, state.rv().stage(), ctx);
}

void RvRentalWorkflow::Evolve(v1::CaseState& state, const v1::CaseEvent& event,
                              const EventMeta& meta) const {
  v1::RvState& rv = *state.mutable_rv();
  // A record from before amounts were Money is read as if written now.
  Ev upgraded;
  if (NeedsUpgrade(event.rv())) {
    upgraded = event.rv();
    Upgrade(upgraded, rv.estimate().currency().empty() ? "USD" : rv.estimate().currency());
  }
  const Ev& e = upgraded.event_case() != Ev::EVENT_NOT_SET ? upgraded : event.rv();
  auto note = [&](absl::string_view text) { AppendNote(state, meta, text); };
  switch (e.event_case()) {
    case Ev::kReservationSaved: {
      const v1::RvReservationSaved& r = e.reservation_saved();
      *rv.mutable_reservation() = r;
      switch (r.saved_as()) {
        case v1::RV_SAVE_AS_LEAD:
          rv.set_stage(v1::RV_LEAD);
          *rv.mutable_lead() = r;
          break;
        case v1::RV_SAVE_AS_QUOTE:
          rv.set_stage(v1::RV_QUOTE);
          break;
        default:
          rv.set_stage(v1::RV_RESERVED);
          break;
      }
      *rv.mutable_estimate() = r.estimate();
      *rv.mutable_alternates() = r.alternates();
      break;
    }
    case Ev::kDepositTaken:
      *rv.add_deposits() = e.deposit_taken().deposit();
      *rv.mutable_deposits_total() = e.deposit_taken().deposits_total();
      if (rv.stage() == v1::RV_QUOTE) rv.set_stage(v1::RV_RESERVED);
      break;
    case Ev::kReservationCancelled:
      rv.set_stage(v1::RV_RESERVATION_CANCELLED);
      state.mutable_header()->set_cancelled(true);
      *rv.mutable_cancellation() = e.reservation_cancelled();
      if (e.reservation_cancelled().has_penalty()) {
        *rv.mutable_voucher_value() = e.reservation_cancelled().penalty();
      }
      *rv.mutable_closed_at() = ToProto(meta.recorded_at);
      note(e.reservation_cancelled().reason());
      break;
    case Ev::kRentalAgreementOpened:
      rv.set_stage(v1::RV_RA_OPEN);
      *rv.mutable_rental_agreement() = e.rental_agreement_opened();
      *rv.mutable_due_back() = e.rental_agreement_opened().due_back();
      *rv.mutable_estimate() = e.rental_agreement_opened().estimate();
      rv.clear_alternates();
      break;
    case Ev::kRentalAgreementExtended:
      *rv.mutable_due_back() = e.rental_agreement_extended().due_back();
      *rv.mutable_estimate() = e.rental_agreement_extended().estimate();
      break;
    case Ev::kChargesAdjusted:
      *rv.mutable_adjustments() =
          MoneyOf(rv.adjustments().minor_units() + e.charges_adjusted().credit().minor_units(),
                  e.charges_adjusted().credit().currency());
      note(e.charges_adjusted().reason());
      break;
    case Ev::kRentalAgreementClosed:
      rv.set_stage(v1::RV_RA_CLOSED);
      *rv.mutable_closing() = e.rental_agreement_closed();
      *rv.mutable_estimate() = e.rental_agreement_closed().charges();
      *rv.mutable_closed_at() = ToProto(meta.recorded_at);
      break;
    case Ev::kNoteAdded:
      note(e.note_added().text());
      break;
    case Ev::EVENT_NOT_SET:
      break;
  }
}

v1::RvReservationDetail RvRentalWorkflow::Detail(const v1::RvState& rv) {
  v1::RvReservationDetail d;
  const v1::RvReservationSaved& r = rv.reservation();
  d.set_stage(rv.stage());
  d.set_booking_location(r.booking_location());
  *d.mutable_pick_up() = r.pick_up();
  *d.mutable_drop_off() = rv.has_due_back() ? rv.due_back() : r.drop_off();
  d.set_class_code(r.class_code());
  d.set_rate_code(r.rate_code());
  d.set_passengers(r.passengers());
  d.set_vehicle_number(rv.rental_agreement().vehicle_number());
  d.set_ra_number(rv.rental_agreement().ra_number());
  *d.mutable_deposits() = rv.deposits();
  const std::string& currency = rv.estimate().currency();
  *d.mutable_deposits_total() = MoneyOf(rv.deposits_total().minor_units(), currency);
  *d.mutable_estimate() = rv.estimate();
  *d.mutable_balance() =
      rv.stage() == v1::RV_RA_CLOSED
          ? rv.closing().balance()
          : MoneyOf(rv.estimate().total().minor_units() - rv.deposits_total().minor_units(), currency);
  if (r.has_voucher()) *d.mutable_voucher() = r.voucher();
  *d.mutable_voucher_value() = MoneyOf(rv.voucher_value().minor_units(), currency);
  *d.mutable_warnings() = r.warnings();
  *d.mutable_alternates() = rv.alternates();
  return d;
}

bool RvRentalWorkflow::FillReservation(const v1::CaseState& state, v1::ReservationView& view) const {
  view.set_car_class(state.rv().reservation().class_code());
  *view.mutable_rv() = Detail(state.rv());
  return true;
}

void RvRentalWorkflow::FillView(const v1::CaseState& state, v1::CaseView& view) const {
  const v1::RvState& rv = state.rv();
  view.set_state(StageName(rv.stage()));
  view.set_rv_stage(rv.stage());
  view.set_open(state.exists() && !IsTerminal(rv.stage()));
  const v1::RvRenter& renter = rv.reservation().renter();
  view.mutable_customer()->set_name(renter.name());
  view.mutable_customer()->set_email(renter.email());
  view.mutable_customer()->set_phone(!renter.cell_phone().empty() ? renter.cell_phone()
                                                                  : renter.home_phone());
  view.set_queue(rv.reservation().booking_location());
  view.set_client_company(rv.reservation().voucher().it_code());  // a tour's operator
  view.set_travel_from(rv.reservation().pick_up().date());
  view.set_travel_to(rv.reservation().drop_off().date());
  view.set_destination(rv.reservation().drop_off().location());
  for (std::string& name : AllowedCommands(rv.stage())) view.add_allowed_commands(std::move(name));
}

std::string RvRentalWorkflow::EventType(const v1::CaseEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      Ev::descriptor()->FindFieldByNumber(event.rv().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

std::string RvRentalWorkflow::CommandName(const v1::CaseCommand& command) const {
  return NameOf(command.rv().command_case());
}

std::vector<std::string> RvRentalWorkflow::SharedStreams(const v1::CaseCommand& command,
                                                         const v1::CaseState& state,
                                                         const DecisionContext& ctx) const {
  const Cmd& cmd = command.rv();
  if (cmd.has_open_rental_agreement() && ctx.reference != nullptr &&
      FindUnit(ctx.reference->proto().rv(), cmd.open_rental_agreement().vehicle_number()) != nullptr) {
    return {UnitStream(cmd.open_rental_agreement().vehicle_number())};
  }
  if (cmd.has_close_rental_agreement() && !state.rv().rental_agreement().vehicle_number().empty()) {
    return {UnitStream(state.rv().rental_agreement().vehicle_number())};
  }
  return {};
}

std::vector<SharedAppend> RvRentalWorkflow::SharedEffects(const v1::CaseState& state,
                                                          const v1::CaseEvent& event) const {
  const Ev& e = event.rv();
  SharedAppend out;
  if (e.has_rental_agreement_opened()) {
    const v1::RentalAgreementOpened& ra = e.rental_agreement_opened();
    out.stream = UnitStream(ra.vehicle_number());
    v1::RvUnitRentedOut& u = *out.event.mutable_rv_unit()->mutable_rented_out();
    u.set_case_id(state.case_id());
    u.set_ra_number(ra.ra_number());
    u.set_odometer(ra.odometer());
    u.set_generator_tenths(ra.generator_tenths());
    *u.mutable_due_back() = ra.due_back();
    return {std::move(out)};
  }
  if (e.has_rental_agreement_closed()) {
    const v1::RentalAgreementOpened& ra = state.rv().rental_agreement();
    out.stream = UnitStream(ra.vehicle_number());
    v1::RvUnitReturned& u = *out.event.mutable_rv_unit()->mutable_returned();
    u.set_case_id(state.case_id());
    u.set_ra_number(ra.ra_number());
    u.set_odometer(e.rental_agreement_closed().odometer());
    u.set_generator_tenths(e.rental_agreement_closed().generator_tenths());
    return {std::move(out)};
  }
  return {};
}

void RvRentalWorkflow::EvolveShared(v1::SharedState& state, const v1::SharedEvent& event) const {
  v1::RvUnitState& unit = *state.mutable_rv_unit();
  const v1::RvUnitEvent& e = event.rv_unit();
  if (e.has_rented_out()) {
    unit.set_on_case_id(e.rented_out().case_id());
    unit.set_on_ra_number(e.rented_out().ra_number());
    unit.set_odometer(e.rented_out().odometer());
    unit.set_generator_tenths(e.rented_out().generator_tenths());
  } else if (e.has_returned()) {
    unit.clear_on_case_id();
    unit.clear_on_ra_number();
    unit.set_odometer(e.returned().odometer());
    unit.set_generator_tenths(e.returned().generator_tenths());
  }
}

std::string RvRentalWorkflow::SharedEventType(const v1::SharedEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      v1::RvUnitEvent::descriptor()->FindFieldByNumber(event.rv_unit().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

}  // namespace tripdesk::workflows::rv
