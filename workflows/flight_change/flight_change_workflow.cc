#include "workflows/flight_change/flight_change_workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "workflows/money.h"
#include "workflows/reference_data.h"
#include "workflows/step_table.h"
#include "workflows/templates.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::flight_change {
namespace {

using Cmd = v1::FlightChangeCommand;
using Ev = v1::FlightChangeEvent;
using Stage = v1::FlightChangeStage;
using Events = std::vector<v1::CaseEvent>;
using Steps_ = StepTable<Cmd, Stage>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

const Steps_& Table();

v1::CaseEvent Wrap(Ev event) {
  v1::CaseEvent out;
  *out.mutable_flight_change() = std::move(event);
  return out;
}

absl::Status Refuse(S state, absl::string_view command, absl::string_view rule) {
  return Table().Refusal(state, state.flight_change().stage(), command, rule);
}

const v1::FlightChangeReference& Ref(Ctx ctx) { return ctx.reference->proto().flight_change(); }

bool AllOf(absl::string_view s, bool (*is)(unsigned char)) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return is(static_cast<unsigned char>(c)); });
}

v1::Money MoneyOf(int64_t minor_units, const std::string& currency) {
  v1::Money m;
  m.set_minor_units(minor_units);
  m.set_currency(currency);
  return m;
}

const v1::Airline* FindAirline(const v1::FlightChangeReference& ref, absl::string_view code) {
  for (const v1::Airline& a : ref.airlines()) {
    if (a.code() == code) return &a;
  }
  return nullptr;
}

const v1::AirlineChangePolicy* FindPolicy(const v1::FlightChangeReference& ref,
                                          absl::string_view airline, absl::string_view fare_family) {
  for (const v1::AirlineChangePolicy& p : ref.policies()) {
    if (p.airline() == airline && p.fare_family() == fare_family) return &p;
  }
  return nullptr;
}

// A segment as the reservation system shows it.
absl::Status CheckSegment(const std::string& field, const v1::FlightSegment& s) {
  if (s.airline().size() != 2 || !AllOf(s.airline(), absl::ascii_isalnum)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".airline: an IATA airline code, 2 characters"));
  }
  if (s.flight_number().empty() || s.flight_number().size() > 4 || !AllOf(s.flight_number(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".flight_number: 1 to 4 digits"));
  }
  for (const auto& [name, code] : {std::pair<const char*, const std::string*>{"origin", &s.origin()},
                                   {"destination", &s.destination()}}) {
    if (code->size() != 3 || !AllOf(*code, absl::ascii_isupper)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".", name, ": an IATA airport code, 3 capital letters"));
    }
  }
  if (s.origin() == s.destination()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": origin and destination are the same"));
  }
  absl::CivilMinute departure;
  if (!absl::ParseCivilTime(s.departure(), &departure) || absl::FormatCivilTime(departure) != s.departure()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".departure: the local date and time, YYYY-MM-DDTHH:MM"));
  }
  return absl::OkStatus();
}

// Segments in order, connected, and a fare and taxes in `currency` (any
// ISO currency when empty).
absl::Status CheckItinerary(const std::string& field, const v1::FlightItinerary& it,
                            const std::string& currency) {
  if (it.segments().empty()) return absl::InvalidArgumentError(absl::StrCat(field, ".segments: at least one flight"));
  for (int i = 0; i < it.segments_size(); ++i) {
    if (absl::Status s = CheckSegment(absl::StrCat(field, ".segments[", i, "]"), it.segments(i)); !s.ok()) return s;
    if (i > 0 && it.segments(i).departure() < it.segments(i - 1).departure()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".segments[", i, "]: departs before the flight before it"));
    }
  }
  const std::string& want = currency.empty() ? it.fare().currency() : currency;
  for (const auto& [name, m] : {std::pair<const char*, const v1::Money*>{"fare", &it.fare()}, {"taxes", &it.taxes()}}) {
    if (!IsIsoCurrency(m->currency()) || m->currency() != want) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".", name, ": an amount in ", want.empty() ? "an ISO 4217 currency" : want));
    }
    if (m->minor_units() < 0) return absl::InvalidArgumentError(absl::StrCat(field, ".", name, ": may not be negative"));
  }
  return absl::OkStatus();
}

// 13 digits, the first three the airline's prefix.
absl::Status CheckTicket(const std::string& field, const std::string& number, const v1::Airline& airline) {
  if (number.size() != 13 || !AllOf(number, absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": a ticket number is 13 digits"));
  }
  if (number.substr(0, 3) != airline.ticket_prefix()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", airline.name(), " tickets start with ",
                                                   airline.ticket_prefix()));
  }
  return absl::OkStatus();
}

const v1::FlightSegment& First(const v1::FlightItinerary& it) { return it.segments(0); }
const v1::FlightSegment& Last(const v1::FlightItinerary& it) { return it.segments(it.segments_size() - 1); }

// Where the trip goes: the last arrival of a one-way trip; of a round trip
// (back where it started), the outbound's last arrival, the outbound being
// the first half of its flights.
const std::string& Destination(const v1::FlightItinerary& it) {
  if (it.segments_size() >= 2 && Last(it).destination() == First(it).origin()) {
    return it.segments(it.segments_size() / 2 - 1).destination();
  }
  return Last(it).destination();
}

// The airports in order, "FCO-LIN-FCO".
std::string Route(const v1::FlightItinerary& it) {
  std::string out = First(it).origin();
  for (const v1::FlightSegment& s : it.segments()) absl::StrAppend(&out, "-", s.destination());
  return out;
}

std::string Describe(const v1::FlightItinerary& it) {
  std::vector<std::string> lines;
  for (const v1::FlightSegment& s : it.segments()) {
    lines.push_back(absl::StrCat(s.airline(), s.flight_number(), " ", s.origin(), "-", s.destination(),
                                 " ", s.departure()));
  }
  return absl::StrJoin(lines, "\n");
}

// Whether the cost needs new tickets: the fare or the taxes changed.
bool NeedsReissue(const v1::ChangeCostComputed& cost) {
  return cost.fare_difference().minor_units() != 0 || cost.tax_difference().minor_units() != 0;
}

v1::ChangeCostComputed Cost(const v1::FlightChangeState& fc, bool fee_waived) {
  const v1::FlightItinerary& old_it = fc.booking().itinerary();
  const v1::FlightItinerary& new_it = fc.chosen().itinerary();
  const std::string& currency = old_it.fare().currency();
  const int64_t fare_diff = new_it.fare().minor_units() - old_it.fare().minor_units();
  const int64_t tax_diff = new_it.taxes().minor_units() - old_it.taxes().minor_units();
  const int64_t fee = fee_waived ? 0 : fc.feasibility().policy().change_fee().minor_units();
  const int64_t difference = fare_diff + tax_diff;
  v1::ChangeCostComputed c;
  *c.mutable_fare_difference() = MoneyOf(fare_diff, currency);
  *c.mutable_tax_difference() = MoneyOf(tax_diff, currency);
  *c.mutable_change_fee() = MoneyOf(fee, currency);
  c.set_fee_waived(fee_waived);
  *c.mutable_due() = MoneyOf(fee + std::max<int64_t>(difference, 0), currency);
  *c.mutable_residual() = MoneyOf(std::max<int64_t>(-difference, 0), currency);
  if (difference < 0) c.set_residual_treatment(fc.feasibility().policy().residual());
  *c.mutable_new_total() =
      MoneyOf(new_it.fare().minor_units() + new_it.taxes().minor_units() + fee, currency);
  return c;
}

// ---- The steps ----

absl::StatusOr<Events> RetrieveBooking(const v1::RetrieveFlightBooking& c, S, Ctx ctx) {
  const std::string pnr = absl::AsciiStrToUpper(c.booking_reference());
  if (pnr.size() != 6 || !AllOf(pnr, absl::ascii_isalnum)) {
    return absl::InvalidArgumentError("retrieve_booking.booking_reference: six letters or digits (the PNR)");
  }
  if (absl::Status s = FirstError({CheckText("retrieve_booking.customer.name", c.customer().name(), true),
                                   CheckText("retrieve_booking.fare_family", c.fare_family(), true)});
      !s.ok()) {
    return s;
  }
  if (c.customer().email().empty() && c.customer().phone().empty()) {
    return absl::InvalidArgumentError("retrieve_booking.customer: an email or a phone is required");
  }
  if (!c.customer().email().empty()) {
    if (absl::Status s = CheckEmail("retrieve_booking.customer.email", c.customer().email()); !s.ok()) return s;
  }
  if (absl::Status s = CheckItinerary("retrieve_booking.itinerary", c.itinerary(), ""); !s.ok()) return s;
  const std::string& code = First(c.itinerary()).airline();
  const v1::Airline* airline = FindAirline(Ref(ctx), code);
  if (airline == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("retrieve_booking.itinerary.segments[0].airline: ", code,
                                                   " is not an airline the desk serves"));
  }
  if (c.ticket_numbers().empty()) {
    return absl::InvalidArgumentError("retrieve_booking.ticket_numbers: the booking's tickets are required");
  }
  for (int i = 0; i < c.ticket_numbers_size(); ++i) {
    if (absl::Status s = CheckTicket(absl::StrCat("retrieve_booking.ticket_numbers[", i, "]"),
                                     c.ticket_numbers(i), *airline);
        !s.ok()) {
      return s;
    }
  }
  Ev e;
  v1::FlightBookingRetrieved& r = *e.mutable_booking_retrieved();
  r.set_booking_reference(pnr);
  *r.mutable_customer() = c.customer();
  r.set_airline(code);
  r.set_fare_family(c.fare_family());
  *r.mutable_itinerary() = c.itinerary();
  *r.mutable_ticket_numbers() = c.ticket_numbers();
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> ConfirmCurrentDetails(const v1::ConfirmCurrentDetails&, S, Ctx) {
  Ev e;
  e.mutable_current_details_confirmed();
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> CheckFeasibility(const v1::CheckChangeFeasibility& c, S state, Ctx ctx) {
  if (c.kind() == v1::FLIGHT_CHANGE_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("check_feasibility.kind: dates or destination");
  }
  const v1::FlightBookingRetrieved& b = state.flight_change().booking();
  const v1::AirlineChangePolicy* policy = FindPolicy(Ref(ctx), b.airline(), b.fare_family());
  const std::string ticket = absl::StrCat(b.airline(), " ", b.fare_family(), " ticket");
  if (policy == nullptr) {
    return Refuse(state, "check_feasibility",
                  absl::StrCat("the desk has no change policy for a ", ticket,
                               ": follow the airline's policy and offer alternatives"));
  }
  const bool dates = c.kind() == v1::FLIGHT_CHANGE_DATES;
  if (dates ? !policy->date_change_allowed() : !policy->destination_change_allowed()) {
    return Refuse(state, "check_feasibility",
                  absl::StrCat("a ", ticket, " allows no ", dates ? "date" : "destination",
                               " change (the airline's policy): offer alternatives"));
  }
  Ev e;
  e.mutable_feasibility_checked()->set_kind(c.kind());
  *e.mutable_feasibility_checked()->mutable_policy() = *policy;
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> RecordChangeDecision(const v1::RecordChangeDecision& c, S, Ctx) {
  Ev e;
  if (c.proceed()) {
    e.mutable_customer_confirmed_change()->set_note(c.note());
  } else {
    e.mutable_customer_declined()->set_at("change");
    e.mutable_customer_declined()->set_note(c.note());
  }
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> OfferAlternatives(const v1::OfferAlternatives& c, S, Ctx) {
  if (absl::Status s = CheckText("offer_alternatives.alternatives", c.alternatives(), true, kMaxLongText);
      !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_alternatives_offered()->set_alternatives(c.alternatives());
  return Events{Wrap(std::move(e))};
}

// Options keep the route for a date change and change the destination for a
// destination change; fares in the booking's currency.
absl::StatusOr<Events> ProposeOptions(const v1::ProposeFlightOptions& c, S state, Ctx) {
  const v1::FlightChangeState& fc = state.flight_change();
  const v1::FlightItinerary& current = fc.booking().itinerary();
  if (c.options().empty()) return absl::InvalidArgumentError("propose_options.options: at least one option");
  for (int i = 0; i < c.options_size(); ++i) {
    const v1::FlightOption& o = c.options(i);
    const std::string field = absl::StrCat("propose_options.options[", i, "]");
    if (absl::Status s = CheckText(field + ".option_id", o.option_id(), true); !s.ok()) return s;
    if (absl::Status s = CheckItinerary(field + ".itinerary", o.itinerary(), current.fare().currency()); !s.ok()) {
      return s;
    }
    const v1::FlightItinerary& it = o.itinerary();
    if (fc.feasibility().kind() == v1::FLIGHT_CHANGE_DATES) {
      if (Route(it) != Route(current)) {
        return Refuse(state, "propose_options",
                      absl::StrCat("option ", o.option_id(), " flies ", Route(it),
                                   ": a date change keeps the route ", Route(current)));
      }
      bool moved = false;
      for (int k = 0; k < it.segments_size(); ++k) {
        moved |= it.segments(k).departure() != current.segments(k).departure();
      }
      if (!moved) {
        return Refuse(state, "propose_options",
                      absl::StrCat("option ", o.option_id(), " departs when the booking does: a date change "
                                   "changes the dates"));
      }
    } else if (First(it).origin() != First(current).origin() || Destination(it) == Destination(current)) {
      return Refuse(state, "propose_options",
                    absl::StrCat("option ", o.option_id(), " flies ", Route(it), ": a destination change "
                                 "leaves from ", First(current).origin(), " for another destination than ",
                                 Destination(current)));
    }
  }
  Ev e;
  *e.mutable_options_proposed()->mutable_options() = c.options();
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> RecordOptionDecision(const v1::RecordOptionDecision& c, S state, Ctx) {
  Ev e;
  if (!c.approved()) {
    e.mutable_customer_declined()->set_at("option");
    e.mutable_customer_declined()->set_note(c.note());
    return Events{Wrap(std::move(e))};
  }
  const auto& options = state.flight_change().options();
  auto it = std::find_if(options.begin(), options.end(),
                         [&](const v1::FlightOption& o) { return o.option_id() == c.option_id(); });
  if (it == options.end()) {
    return absl::InvalidArgumentError(absl::StrCat("record_option_decision.option_id: '", c.option_id(),
                                                   "' is not one of the options proposed"));
  }
  if (!it->available()) {
    return Refuse(state, "record_option_decision",
                  absl::StrCat("option ", c.option_id(), " has no availability: propose others"));
  }
  *e.mutable_customer_approved_option()->mutable_option() = *it;
  e.mutable_customer_approved_option()->set_note(c.note());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> ComputeCost(const v1::ComputeChangeCost&, S state, Ctx) {
  const v1::FlightChangeState& fc = state.flight_change();
  Ev e;
  *e.mutable_cost_computed() = Cost(fc, fc.has_waiver());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> WaiveFee(const v1::WaiveChangeFee& c, S state, Ctx) {
  if (absl::Status s = CheckText("waive_change_fee.reason", c.reason(), true, kMaxLongText); !s.ok()) return s;
  const v1::FlightChangeState& fc = state.flight_change();
  if (fc.has_waiver()) return Events{};  // waived already
  Ev e;
  e.mutable_change_fee_waived()->set_reason(c.reason());
  *e.mutable_change_fee_waived()->mutable_fee() = fc.feasibility().policy().change_fee();
  Events out{Wrap(std::move(e))};
  // A cost already told is told again without the fee.
  if (fc.has_cost()) {
    Ev again;
    *again.mutable_cost_computed() = Cost(fc, true);
    out.push_back(Wrap(std::move(again)));
  }
  return out;
}

absl::StatusOr<Events> RecordCostDecision(const v1::RecordCostDecision& c, S state, Ctx) {
  Ev e;
  if (c.accepted()) {
    *e.mutable_customer_accepted_cost()->mutable_due() = state.flight_change().cost().due();
    e.mutable_customer_accepted_cost()->set_note(c.note());
  } else {
    e.mutable_customer_declined()->set_at("cost");
    e.mutable_customer_declined()->set_note(c.note());
  }
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> TakePayment(const v1::TakeChangePayment& c, S state, Ctx) {
  const v1::Money& due = state.flight_change().cost().due();
  if (c.amount().currency() != due.currency() || c.amount().minor_units() != due.minor_units()) {
    return absl::InvalidArgumentError(absl::StrCat("take_payment.amount: ", FormatMoney(c.amount()),
                                                   " is not what is due, ", FormatMoney(due)));
  }
  if (c.card().token().empty()) return absl::InvalidArgumentError("take_payment.card.token: is required");
  if (c.card().last4().size() != 4 || !AllOf(c.card().last4(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError("take_payment.card.last4: the card's last four digits");
  }
  Ev e;
  *e.mutable_payment_taken()->mutable_amount() = c.amount();
  *e.mutable_payment_taken()->mutable_card() = c.card();
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> UpdateBooking(const v1::UpdateFlightBooking& c, S state, Ctx ctx) {
  const v1::FlightChangeState& fc = state.flight_change();
  if (!c.details_checked()) {
    return Refuse(state, "update_booking", "check that every new flight detail is right first (details_checked)");
  }
  const v1::Airline* airline = FindAirline(Ref(ctx), fc.booking().airline());
  if (airline == nullptr) return absl::InternalError("the booking's airline left the reference data");
  Ev e;
  v1::FlightBookingUpdated& u = *e.mutable_booking_updated();
  *u.mutable_itinerary() = fc.chosen().itinerary();
  if (NeedsReissue(fc.cost())) {
    if (!c.confirmation_number().empty() || c.ticket_numbers_size() != fc.booking().ticket_numbers_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_booking.ticket_numbers: the fare changed, so each of the booking's ",
          fc.booking().ticket_numbers_size(), " tickets is reissued (no confirmation number)"));
    }
    for (int i = 0; i < c.ticket_numbers_size(); ++i) {
      const std::string field = absl::StrCat("update_booking.ticket_numbers[", i, "]");
      if (absl::Status s = CheckTicket(field, c.ticket_numbers(i), *airline); !s.ok()) return s;
      const auto& old = fc.booking().ticket_numbers();
      if (std::find(old.begin(), old.end(), c.ticket_numbers(i)) != old.end()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": a reissued ticket has a new number"));
      }
    }
    *u.mutable_ticket_numbers() = c.ticket_numbers();
  } else {
    if (!c.ticket_numbers().empty()) {
      return absl::InvalidArgumentError(
          "update_booking.ticket_numbers: the fare did not change, so nothing is reissued: give the "
          "confirmation_number");
    }
    if (c.confirmation_number().size() < 5 || c.confirmation_number().size() > 12 ||
        !AllOf(c.confirmation_number(), absl::ascii_isalnum)) {
      return absl::InvalidArgumentError("update_booking.confirmation_number: 5 to 12 letters or digits");
    }
    u.set_confirmation_number(absl::AsciiStrToUpper(c.confirmation_number()));
  }
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> SendItinerary(const v1::SendUpdatedItinerary& c, S state, Ctx ctx) {
  const v1::FlightChangeState& fc = state.flight_change();
  const v1::ContactChannel channel =
      c.channel() == v1::CONTACT_CHANNEL_UNSPECIFIED ? v1::CONTACT_EMAIL : c.channel();
  std::string to = c.to();
  if (to.empty()) to = channel == v1::CONTACT_EMAIL ? fc.booking().customer().email() : fc.booking().customer().phone();
  if (to.empty()) {
    return absl::InvalidArgumentError("send_itinerary.to: the customer has no address for this channel; give one");
  }
  if (channel == v1::CONTACT_EMAIL) {
    if (absl::Status s = CheckEmail("send_itinerary.to", to); !s.ok()) return s;
  } else if (absl::Status s = CheckPhone("send_itinerary.to", to); !s.ok()) {
    return s;
  }
  const v1::EmailTemplate& t = Ref(ctx).itinerary_template();
  std::vector<std::string> documents(fc.update().ticket_numbers().begin(), fc.update().ticket_numbers().end());
  if (!fc.update().confirmation_number().empty()) documents.push_back(fc.update().confirmation_number());
  const TemplateValues values = {
      {"booking_reference", fc.booking().booking_reference()},
      {"customer_name", fc.booking().customer().name()},
      {"old_itinerary", Describe(fc.booking().itinerary())},
      {"new_itinerary", Describe(fc.update().itinerary())},
      {"total_paid", FormatMoney(fc.has_payment() ? fc.payment().amount() : fc.cost().due())},
      {"documents", absl::StrJoin(documents, ", ")}};
  absl::StatusOr<std::string> subject = RenderTemplate(t.subject(), values);
  if (!subject.ok()) return subject.status();
  absl::StatusOr<std::string> body = RenderTemplate(t.body(), values);
  if (!body.ok()) return body.status();
  Ev e;
  v1::UpdatedItinerarySent& sent = *e.mutable_itinerary_sent();
  sent.set_channel(channel);
  sent.set_to(to);
  v1::RenderedEmail& email = *sent.mutable_email();
  email.set_template_id(t.id());
  email.set_to(to);
  email.set_subject(*subject);
  email.set_body(*body);
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> ConfirmReceived(const v1::ConfirmItineraryReceived& c, S state, Ctx) {
  if (!c.reminded_to_check()) {
    return Refuse(state, "confirm_itinerary_received",
                  "remind the customer to check the new itinerary for errors straight away (reminded_to_check)");
  }
  Ev e;
  e.mutable_itinerary_receipt_confirmed()->set_reminded_to_check(true);
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> AcknowledgeArrangements(const v1::AcknowledgeOtherArrangements& c, S, Ctx) {
  if (absl::Status s = CheckText("acknowledge_other_arrangements.effects", c.effects(), true, kMaxLongText);
      !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_other_arrangements_acknowledged()->set_effects(c.effects());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> AddLogNote(const v1::AddBookingLogNote& c, S, Ctx) {
  if (absl::Status s = CheckText("add_booking_log_note.text", c.text(), true, kMaxLongText); !s.ok()) return s;
  Ev e;
  e.mutable_booking_log_note_added()->set_text(c.text());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> RecordCrm(const v1::RecordCrmInteraction& c, S, Ctx) {
  if (c.channel() == v1::CONTACT_CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError("record_crm_interaction.channel: email, sms, phone or whatsapp");
  }
  if (absl::Status s = CheckText("record_crm_interaction.summary", c.summary(), true, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_crm_interaction_recorded()->set_channel(c.channel());
  e.mutable_crm_interaction_recorded()->set_summary(c.summary());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> Archive(const v1::ArchiveCorrespondence& c, S, Ctx) {
  if (c.documents().empty()) return absl::InvalidArgumentError("archive_correspondence.documents: at least one");
  for (int i = 0; i < c.documents_size(); ++i) {
    if (absl::Status s = CheckText(absl::StrCat("archive_correspondence.documents[", i, "]"), c.documents(i), true);
        !s.ok()) {
      return s;
    }
  }
  Ev e;
  *e.mutable_correspondence_archived()->mutable_documents() = c.documents();
  return Events{Wrap(std::move(e))};
}

// Closing needs the documentation done: what is missing, named.
absl::StatusOr<Events> Close(const v1::CloseFlightChange&, S state, Ctx) {
  const v1::FlightChangeState& fc = state.flight_change();
  std::vector<std::string> missing;
  if (fc.other_arrangements().empty()) missing.push_back("the effects on hotels and other arrangements acknowledged");
  if (fc.booking_log_notes() == 0) missing.push_back("a note in the booking log");
  if (fc.crm_interactions() == 0) missing.push_back("an interaction recorded in the CRM");
  if (!missing.empty()) {
    return Refuse(state, "close_change", absl::StrCat("still to do: ", absl::StrJoin(missing, "; ")));
  }
  Ev e;
  e.mutable_change_closed();
  return Events{Wrap(std::move(e))};
}

const std::vector<std::string>& Desk() {
  static const auto* const kDesk = new std::vector<std::string>{kRoleAgent, kRoleSupervisor};
  return *kDesk;
}

const std::vector<std::string>& Supervisor() {
  static const auto* const kSupervisor = new std::vector<std::string>{kRoleSupervisor};
  return *kSupervisor;
}

std::vector<Stage> Open() {
  return Steps_::StagesBut({v1::FC_CHANGE_COMPLETED, v1::FC_CHANGE_DECLINED, v1::FC_CHANGE_CANCELLED});
}

const Steps_& Table() {
  static const auto* const kSteps = new Steps_({
      .type = v1::WORKFLOW_FLIGHT_CHANGE,
      .closed = {v1::FC_CHANGE_COMPLETED, v1::FC_CHANGE_DECLINED, v1::FC_CHANGE_CANCELLED},
      .steps = {
          {Cmd::kRetrieveBooking, {v1::FLIGHT_CHANGE_STAGE_UNSPECIFIED}, Desk(),
           "a change starts from the booking reference and the booking retrieved",
           Steps_::On(&Cmd::retrieve_booking, &RetrieveBooking)},
          {Cmd::kConfirmCurrentDetails, {v1::FC_DETAILS_RETRIEVED}, Desk(),
           "the current dates and destination are confirmed with the customer once retrieved",
           Steps_::On(&Cmd::confirm_current_details, &ConfirmCurrentDetails)},
          {Cmd::kCheckFeasibility, {v1::FC_DETAILS_CONFIRMED}, Desk(),
           "the airline's rules are checked once the customer confirmed the current details",
           Steps_::On(&Cmd::check_feasibility, &CheckFeasibility)},
          {Cmd::kOfferAlternatives,
           {v1::FC_DETAILS_CONFIRMED, v1::FC_FEASIBILITY_TOLD, v1::FC_CHANGE_CONFIRMED, v1::FC_OPTIONS_PROPOSED},
           Desk(), "alternatives are offered while the change is being worked out",
           Steps_::On(&Cmd::offer_alternatives, &OfferAlternatives)},
          {Cmd::kRecordChangeDecision, {v1::FC_FEASIBILITY_TOLD}, Desk(),
           "the customer decides to go on once told the restrictions, fee and fare difference",
           Steps_::On(&Cmd::record_change_decision, &RecordChangeDecision)},
          {Cmd::kProposeOptions, {v1::FC_CHANGE_CONFIRMED, v1::FC_OPTIONS_PROPOSED}, Desk(),
           "new flight options are proposed once the customer confirmed the change",
           Steps_::On(&Cmd::propose_options, &ProposeOptions)},
          {Cmd::kRecordOptionDecision, {v1::FC_OPTIONS_PROPOSED}, Desk(),
           "the customer approves an option once options are proposed",
           Steps_::On(&Cmd::record_option_decision, &RecordOptionDecision)},
          {Cmd::kComputeCost, {v1::FC_OPTION_APPROVED}, Desk(),
           "the cost is computed once the customer approved an option",
           Steps_::On(&Cmd::compute_cost, &ComputeCost)},
          {Cmd::kWaiveChangeFee, {v1::FC_OPTION_APPROVED, v1::FC_COST_TOLD}, Supervisor(),
           "the change fee is waived before the customer accepts the cost",
           Steps_::On(&Cmd::waive_change_fee, &WaiveFee)},
          {Cmd::kRecordCostDecision, {v1::FC_COST_TOLD}, Desk(),
           "the customer accepts the cost once told the new total",
           Steps_::On(&Cmd::record_cost_decision, &RecordCostDecision)},
          {Cmd::kTakePayment, {v1::FC_PAYMENT_DUE}, Desk(),
           "payment is taken only when something is due, after the customer accepted the cost",
           Steps_::On(&Cmd::take_payment, &TakePayment)},
          {Cmd::kUpdateBooking, {v1::FC_READY_TO_UPDATE}, Desk(),
           "the booking is updated once the customer accepted the change and its cost (and paid what "
           "is due)",
           Steps_::On(&Cmd::update_booking, &UpdateBooking)},
          {Cmd::kSendItinerary, {v1::FC_BOOKING_UPDATED, v1::FC_ITINERARY_SENT}, Desk(),
           "the updated itinerary is sent once the booking is updated",
           Steps_::On(&Cmd::send_itinerary, &SendItinerary)},
          {Cmd::kConfirmItineraryReceived, {v1::FC_ITINERARY_SENT}, Desk(),
           "receipt is confirmed once the itinerary was sent",
           Steps_::On(&Cmd::confirm_itinerary_received, &ConfirmReceived)},
          {Cmd::kAcknowledgeOtherArrangements, Open(), Desk(),
           "effects on other arrangements are told while the case is open",
           Steps_::On(&Cmd::acknowledge_other_arrangements, &AcknowledgeArrangements)},
          {Cmd::kAddBookingLogNote, Open(), Desk(), "the booking log is written while the case is open",
           Steps_::On(&Cmd::add_booking_log_note, &AddLogNote)},
          {Cmd::kRecordCrmInteraction, Open(), Desk(), "interactions are recorded while the case is open",
           Steps_::On(&Cmd::record_crm_interaction, &RecordCrm)},
          {Cmd::kArchiveCorrespondence, Steps_::StagesBut({}), Desk(),
           "correspondence is archived on a case that exists",
           Steps_::On(&Cmd::archive_correspondence, &Archive)},
          {Cmd::kCloseChange, {v1::FC_ITINERARY_RECEIVED}, Desk(),
           "a change is closed once the customer received the new itinerary and was reminded to "
           "check it",
           Steps_::On(&Cmd::close_change, &Close)},
      },
  });
  return *kSteps;
}

// The records that document the change: they gate the close, not the stage.
void EvolveDocumentation(v1::CaseState& state, const Ev& e, const EventMeta& meta) {
  v1::FlightChangeState& fc = *state.mutable_flight_change();
  switch (e.event_case()) {
    case Ev::kOtherArrangementsAcknowledged:
      fc.set_other_arrangements(e.other_arrangements_acknowledged().effects());
      break;
    case Ev::kBookingLogNoteAdded:
      fc.set_booking_log_notes(fc.booking_log_notes() + 1);
      AppendNote(state, meta, e.booking_log_note_added().text());
      break;
    case Ev::kCrmInteractionRecorded: {
      fc.set_crm_interactions(fc.crm_interactions() + 1);
      std::string channel = v1::ContactChannel_Name(e.crm_interaction_recorded().channel());
      if (absl::StartsWith(channel, "CONTACT_")) channel = absl::AsciiStrToLower(channel.substr(8));
      AppendNote(state, meta, absl::StrCat("CRM (", channel, "): ", e.crm_interaction_recorded().summary()));
      break;
    }
    case Ev::kCorrespondenceArchived:
      for (const std::string& d : e.correspondence_archived().documents()) fc.add_archived(d);
      break;
    default:
      break;
  }
}

}  // namespace

std::vector<StepDeclaration> FlightChangeWorkflow::Steps() const { return Table().Declarations(); }

absl::StatusOr<std::vector<v1::CaseEvent>> FlightChangeWorkflow::Decide(
    const v1::CaseCommand& command, const v1::CaseState& state, const DecisionContext& ctx) const {
  if (ctx.reference == nullptr) return absl::InternalError("no reference data");
  return Table().Decide(command.flight_change(), state, state.flight_change().stage(), ctx);
}

void FlightChangeWorkflow::Evolve(v1::CaseState& state, const v1::CaseEvent& event,
                                  const EventMeta& meta) const {
  v1::FlightChangeState& fc = *state.mutable_flight_change();
  const Ev& e = event.flight_change();
  switch (e.event_case()) {
    case Ev::kBookingRetrieved:
      fc.set_stage(v1::FC_DETAILS_RETRIEVED);
      *fc.mutable_booking() = e.booking_retrieved();
      break;
    case Ev::kCurrentDetailsConfirmed:
      fc.set_stage(v1::FC_DETAILS_CONFIRMED);
      break;
    case Ev::kFeasibilityChecked:
      fc.set_stage(v1::FC_FEASIBILITY_TOLD);
      *fc.mutable_feasibility() = e.feasibility_checked();
      break;
    case Ev::kCustomerConfirmedChange:
      fc.set_stage(v1::FC_CHANGE_CONFIRMED);
      AppendNote(state, meta, e.customer_confirmed_change().note());
      break;
    case Ev::kAlternativesOffered:
      AppendNote(state, meta, absl::StrCat("Alternatives offered: ", e.alternatives_offered().alternatives()));
      break;
    case Ev::kOptionsProposed:
      fc.set_stage(v1::FC_OPTIONS_PROPOSED);
      *fc.mutable_options() = e.options_proposed().options();
      break;
    case Ev::kCustomerApprovedOption:
      fc.set_stage(v1::FC_OPTION_APPROVED);
      *fc.mutable_chosen() = e.customer_approved_option().option();
      AppendNote(state, meta, e.customer_approved_option().note());
      break;
    case Ev::kChangeFeeWaived:
      *fc.mutable_waiver() = e.change_fee_waived();
      AppendNote(state, meta, absl::StrCat("Change fee waived: ", e.change_fee_waived().reason()));
      break;
    case Ev::kCostComputed:
      fc.set_stage(v1::FC_COST_TOLD);
      *fc.mutable_cost() = e.cost_computed();
      break;
    case Ev::kCustomerAcceptedCost:
      fc.set_stage(fc.cost().due().minor_units() > 0 ? v1::FC_PAYMENT_DUE : v1::FC_READY_TO_UPDATE);
      AppendNote(state, meta, e.customer_accepted_cost().note());
      break;
    case Ev::kCustomerDeclined:
      fc.set_stage(v1::FC_CHANGE_DECLINED);
      *fc.mutable_declined() = e.customer_declined();
      AppendNote(state, meta, e.customer_declined().note());
      break;
    case Ev::kPaymentTaken:
      fc.set_stage(v1::FC_READY_TO_UPDATE);
      *fc.mutable_payment() = e.payment_taken();
      break;
    case Ev::kBookingUpdated:
      fc.set_stage(v1::FC_BOOKING_UPDATED);
      *fc.mutable_update() = e.booking_updated();
      break;
    case Ev::kItinerarySent:
      fc.set_stage(v1::FC_ITINERARY_SENT);
      *fc.mutable_itinerary_sent() = e.itinerary_sent();
      break;
    case Ev::kItineraryReceiptConfirmed:
      fc.set_stage(v1::FC_ITINERARY_RECEIVED);
      fc.set_receipt_confirmed(true);
      break;
    case Ev::kOtherArrangementsAcknowledged:
    case Ev::kBookingLogNoteAdded:
    case Ev::kCrmInteractionRecorded:
    case Ev::kCorrespondenceArchived:
      EvolveDocumentation(state, e, meta);
      break;
    case Ev::kChangeClosed:
      fc.set_stage(v1::FC_CHANGE_COMPLETED);
      break;
    case Ev::EVENT_NOT_SET:
      break;
  }
}

bool FlightChangeWorkflow::IsClosed(const v1::CaseState& state) const {
  return Table().IsClosed(state.flight_change().stage());
}

std::string FlightChangeWorkflow::CurrentStageName(const v1::CaseState& state) const {
  return Steps_::StageName(state.flight_change().stage());
}

void FlightChangeWorkflow::FillView(const v1::CaseState& state, v1::CaseView& view) const {
  const v1::FlightChangeState& fc = state.flight_change();
  view.set_state(Steps_::StageName(fc.stage()));
  view.set_flight_change_stage(fc.stage());
  view.set_open(state.exists() && !IsClosed(state));
  *view.mutable_customer() = Customer(state);
  const v1::FlightItinerary& it = fc.has_update() ? fc.update().itinerary() : fc.booking().itinerary();
  if (!it.segments().empty()) {
    view.set_travel_from(First(it).departure().substr(0, 10));
    view.set_travel_to(Last(it).departure().substr(0, 10));
    view.set_destination(Destination(it));
  }
  for (std::string& name : Table().Allowed(fc.stage())) view.add_allowed_commands(std::move(name));
}

bool FlightChangeWorkflow::FillReservation(const v1::CaseState& state, v1::ReservationView& view) const {
  if (!state.exists()) return false;
  *view.mutable_flight_change() = state.flight_change();
  view.set_confirmation_number(state.flight_change().booking().booking_reference());
  return true;
}

std::string FlightChangeWorkflow::EventType(const v1::CaseEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      Ev::descriptor()->FindFieldByNumber(event.flight_change().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

std::string FlightChangeWorkflow::CommandName(const v1::CaseCommand& command) const {
  return Steps_::Name(command.flight_change().command_case());
}

absl::Status FlightChangeWorkflow::CheckReference(const v1::ReferenceData& data) const {
  const v1::FlightChangeReference& ref = data.flight_change();
  for (const v1::Airline& a : ref.airlines()) {
    if (a.code().size() != 2 || a.ticket_prefix().size() != 3 || !AllOf(a.ticket_prefix(), absl::ascii_isdigit)) {
      return InvalidReference(absl::StrCat("flight_change.airlines (", a.code(), ")"),
                              "needs a 2-character code and a 3-digit ticket_prefix");
    }
  }
  for (const v1::AirlineChangePolicy& p : ref.policies()) {
    const std::string where = absl::StrCat("flight_change.policies (", p.airline(), " ", p.fare_family(), ")");
    if (FindAirline(ref, p.airline()) == nullptr) return InvalidReference(where, "names no airline of the list");
    if (!IsIsoCurrency(p.change_fee().currency()) || p.change_fee().minor_units() < 0) {
      return InvalidReference(where, "change_fee needs an ISO currency and may not be negative");
    }
    if (p.residual() == v1::RESIDUAL_TREATMENT_UNSPECIFIED) return InvalidReference(where, "residual is not set");
  }
  if (!ref.policies().empty()) {
    for (const std::string* text : {&ref.itinerary_template().subject(), &ref.itinerary_template().body()}) {
      absl::StatusOr<std::vector<std::string>> names = TemplatePlaceholders(*text);
      if (!names.ok()) return InvalidReference("flight_change.itinerary_template", names.status().message());
    }
    if (ref.itinerary_template().body().empty()) {
      return InvalidReference("flight_change.itinerary_template", "the body is empty");
    }
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows::flight_change
