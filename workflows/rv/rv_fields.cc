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
                           size_t max) {
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
                         int64_t max) {
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
  return absl::ToCivilDay(ctx.now, LocationZone(*ctx.reference, location));
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

}  // namespace tripdesk::workflows::rv::internal
