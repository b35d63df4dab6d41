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
#include "workflows/rv/rv_steps.h"
#include "workflows/step_table.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::rv {
namespace internal {

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

}  // namespace internal

using namespace internal;  // the workflow's own parts (rv_steps.h)

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

std::string RvRentalWorkflow::CurrentStageName(const v1::CaseState& state) const {
  return StageName(state.rv().stage());
}

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

v1::Person RvRentalWorkflow::Customer(const v1::CaseState& state) const {
  const v1::RvRenter& renter = state.rv().reservation().renter();
  v1::Person p;
  p.set_name(renter.name());
  p.set_email(renter.email());
  p.set_phone(!renter.cell_phone().empty() ? renter.cell_phone() : renter.home_phone());
  return p;
}

void RvRentalWorkflow::FillView(const v1::CaseState& state, v1::CaseView& view) const {
  const v1::RvState& rv = state.rv();
  view.set_state(StageName(rv.stage()));
  view.set_rv_stage(rv.stage());
  view.set_open(state.exists() && !IsTerminal(rv.stage()));
  *view.mutable_customer() = Customer(state);
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

}  // namespace tripdesk::workflows::rv
