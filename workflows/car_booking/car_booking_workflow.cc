#include "workflows/car_booking/car_booking_workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/car_booking/car_booking_reference.h"
#include "workflows/step_table.h"
#include "workflows/templates.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {
namespace {

using Cmd = v1::ManualCarBookingCommand;
using Ev = v1::ManualCarBookingEvent;
using Stage = v1::CarBookingStage;
using Events = std::vector<v1::CaseEvent>;

using Steps_ = StepTable<Cmd, Stage>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

const Steps_& Table();

std::string NameOf(Cmd::CommandCase command) { return Steps_::Name(command); }

std::string StageName(Stage stage) { return Steps_::StageName(stage); }

absl::Status Refuse(S state, Stage stage, Cmd::CommandCase command, absl::string_view rule) {
  return Table().Refusal(state, stage, NameOf(command), rule);
}

v1::CaseEvent Wrap(Ev event) {
  v1::CaseEvent out;
  *out.mutable_car_booking() = std::move(event);
  return out;
}

Events One(Ev event) { return Events{Wrap(std::move(event))}; }

absl::Status Denied(absl::string_view what, absl::string_view role, const Actor& actor) {
  return absl::PermissionDeniedError(absl::StrCat(what, " needs the ", role, " role; ", actor.id,
                                                  " acts as '", actor.role, "'"));
}

// The place's local date and time as the customer reads it there, e.g.
// "2026-12-10 09:00 PST".
std::string LocalTime(const v1::Place& place) {
  absl::TimeZone zone = absl::UTCTimeZone();
  absl::LoadTimeZone(place.zone(), &zone);  // checked when the request was taken
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", FromProto(place.time()), zone);
}



// `reference` may be null (when only the names are wanted).
TemplateValues TemplateValuesOf(const v1::CaseState& state, const ReferenceData* reference) {
  const v1::ManualCarBookingState& car = state.car_booking();
  const v1::ReceiveCarRequest& r = car.request();
  const std::string vendor_code =
      !car.booking().vendor_code().empty() ? car.booking().vendor_code() : car.vendor().vendor_code();
  const v1::Vendor* vendor = reference != nullptr ? FindVendor(reference->proto().car_booking(), vendor_code) : nullptr;
  return TemplateValues{
      {"case_id", state.case_id()},
      {"customer_name", r.customer().name()},
      {"traveller_name", r.traveller_name()},
      {"client_company", r.client_company()},
      {"ticket_ref", r.ticket_ref()},
      {"requested_car", r.requested_car()},
      {"vendor_code", vendor_code},
      {"vendor_name", vendor != nullptr ? vendor->name() : car.vendor().vendor_name()},
      {"car_class", car.car_class()},
      {"car_model", car.car_model()},
      {"pick_up_location", r.pick_up().location()},
      {"pick_up_time", LocalTime(r.pick_up())},
      {"pick_up_zone", r.pick_up().zone()},
      {"drop_off_location", r.drop_off().location()},
      {"drop_off_time", LocalTime(r.drop_off())},
      {"drop_off_zone", r.drop_off().zone()},
      {"confirmation_number", car.booking().confirmation_number()},
      {"voucher_number", car.voucher_number()},
      {"trip_id", car.trip_id()},
      {"quote_amount", car.has_quote() ? FormatMoney(car.quote().amount()) : ""},
  };
}

absl::StatusOr<v1::RenderedEmail> Render(const v1::CaseState& state, const ReferenceData& reference,
                                         absl::string_view template_id) {
  const v1::EmailTemplate* t = FindTemplate(reference.proto().car_booking(), template_id);
  if (t == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the designated email template '", template_id, "' is not in the reference data"));
  }
  const TemplateValues values = TemplateValuesOf(state, &reference);
  absl::StatusOr<std::string> subject = RenderTemplate(t->subject(), values);
  if (!subject.ok()) return subject.status();
  absl::StatusOr<std::string> body = RenderTemplate(t->body(), values);
  if (!body.ok()) return body.status();
  v1::RenderedEmail email;
  email.set_template_id(t->id());
  email.set_to(state.car_booking().request().customer().email());
  email.set_subject(*std::move(subject));
  email.set_body(*std::move(body));
  return email;
}

absl::Status CheckConfirmationNumber(absl::string_view field, absl::string_view value) {
  if (value.size() < 4 || value.size() > 20 ||
      !std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", value, "' is not a confirmation number (4 to 20 letters, digits or '-')"));
  }
  return absl::OkStatus();
}

// ---- One decision per command ----

absl::StatusOr<Events> ReceiveRequest(const v1::ReceiveCarRequest& r, S, Ctx ctx) {
  if (r.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(r.channel())) {
    return absl::InvalidArgumentError(
        "receive_request.channel: must be CHANNEL_CALL, CHANNEL_EMAIL or CHANNEL_CHAT");
  }
  if (absl::Status s = FirstError({
          CheckText("receive_request.customer.name", r.customer().name(), true),
          CheckEmail("receive_request.customer.email", r.customer().email()),
          CheckPhone("receive_request.customer.phone", r.customer().phone()),
          CheckText("receive_request.traveller_name", r.traveller_name(), true),
          CheckText("receive_request.client_company", r.client_company(), true),
          CheckText("receive_request.ticket_ref", r.ticket_ref(), true),
          CheckText("receive_request.queue", r.queue(), false),
          CheckText("receive_request.requested_car", r.requested_car(), true),
          CheckTrip("receive_request", r.pick_up(), r.drop_off(), ctx.now),
      });
      !s.ok()) {
    return s;
  }
  Ev e;
  *e.mutable_request_received()->mutable_request() = r;
  return One(std::move(e));
}

absl::StatusOr<Events> IdentifyCar(const v1::IdentifyCar& c, S, Ctx ctx) {
  if (absl::Status s = FirstError({
          CheckAcriss("identify_car.car_class", c.car_class()),
          CheckText("identify_car.car_model", c.car_model(), true),
          CheckTrip("identify_car", c.pick_up(), c.drop_off(), ctx.now),
          CheckText("identify_car.demo_trip_id", c.demo_trip_id(), true),
      });
      !s.ok()) {
    return s;
  }
  Ev e;
  v1::CarIdentified* out = e.mutable_car_identified();
  out->set_car_class(c.car_class());
  out->set_car_model(c.car_model());
  *out->mutable_pick_up() = c.pick_up();
  *out->mutable_drop_off() = c.drop_off();
  out->set_demo_trip_id(c.demo_trip_id());
  return One(std::move(e));
}

absl::StatusOr<Events> DecideApproval(const v1::DecideTechSpocApproval& c, S, Ctx ctx) {
  if (absl::Status s = CheckText("decide_tech_spoc_approval.reason", c.reason(), !c.approved(),
                                 kMaxLongText);
      !s.ok()) {
    return c.approved() ? s
                        : absl::InvalidArgumentError(
                              "decide_tech_spoc_approval.reason: a refusal needs a reason");
  }
  Ev e;
  if (c.approved()) {
    e.mutable_tech_spoc_approval_granted()->set_approver(ctx.actor.id);
    e.mutable_tech_spoc_approval_granted()->set_reason(c.reason());
  } else {
    e.mutable_tech_spoc_approval_refused()->set_approver(ctx.actor.id);
    e.mutable_tech_spoc_approval_refused()->set_reason(c.reason());
  }
  return One(std::move(e));
}

absl::StatusOr<Events> RecordVendorSearch(const v1::RecordVendorSearch& c, S, Ctx ctx) {
  if (c.source() == v1::VENDOR_SEARCH_SOURCE_UNSPECIFIED ||
      !v1::VendorSearchSource_IsValid(c.source())) {
    return absl::InvalidArgumentError(
        "record_vendor_search.source: must be VENDOR_SEARCH_SOURCE_GDS or "
        "VENDOR_SEARCH_SOURCE_VENDOR_SITE");
  }
  const v1::Vendor* vendor = FindVendor(ctx.reference->proto().car_booking(), c.vendor_code());
  if (vendor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("record_vendor_search.vendor_code: unknown vendor '",
                                                   c.vendor_code(), "'; known: ",
                                                   VendorList(ctx.reference->proto().car_booking())));
  }
  if (absl::Status s = FirstError({
          CheckAcriss("record_vendor_search.car_class", c.car_class()),
          CheckMoney("record_vendor_search.rate", c.rate()),
      });
      !s.ok()) {
    return s;
  }
  Ev e;
  v1::VendorSearchRecorded* out = e.mutable_vendor_search_recorded();
  out->set_source(c.source());
  out->set_vendor_code(vendor->code());
  out->set_vendor_name(vendor->name());
  out->set_car_class(c.car_class());
  *out->mutable_rate() = c.rate();
  return One(std::move(e));
}

absl::StatusOr<Events> SendQuote(const v1::SendQuote& c, S state, Ctx ctx) {
  const ReferenceData& reference = *ctx.reference;
  const v1::ManualCarBookingState& car = state.car_booking();
  if (absl::Status s = FirstError({
          CheckMoney("send_quote.amount", c.amount()),
          CheckEmail("send_quote.approver_email", c.approver_email()),
      });
      !s.ok()) {
    return s;
  }
  if (c.amount().minor_units() == 0) {
    return absl::InvalidArgumentError("send_quote.amount: a quote cannot be zero");
  }
  // The email renders the case as the quote leaves it.
  v1::CaseState quoted = state;
  *quoted.mutable_car_booking()->mutable_quote()->mutable_amount() = c.amount();
  absl::StatusOr<v1::RenderedEmail> email =
      Render(quoted, reference, reference.proto().car_booking().quote_template_id());
  if (!email.ok()) return email.status();
  email->add_cc(c.approver_email());
  Ev e;
  v1::QuoteSent* out = e.mutable_quote_sent();
  *out->mutable_amount() = c.amount();
  out->set_customer_email(car.request().customer().email());
  out->set_approver_email(c.approver_email());
  out->set_approver(car.tech_spoc_approver());
  *out->mutable_email() = *std::move(email);
  return One(std::move(e));
}

absl::StatusOr<Events> RecordCustomerResponse(const v1::RecordCustomerResponse& c, S, Ctx) {
  if (absl::Status s = CheckText("record_customer_response.note", c.note(), false, kMaxLongText);
      !s.ok()) {
    return s;
  }
  Ev e;
  switch (c.response()) {
    case v1::CUSTOMER_RESPONSE_ACCEPTED:
      e.mutable_quote_accepted()->set_note(c.note());
      break;
    case v1::CUSTOMER_RESPONSE_DECLINED:
      e.mutable_quote_declined()->set_note(c.note());
      break;
    case v1::CUSTOMER_RESPONSE_NO_ANSWER:
      e.mutable_quote_unanswered()->set_note(c.note());
      break;
    default:
      return absl::InvalidArgumentError(
          "record_customer_response.response: must be CUSTOMER_RESPONSE_ACCEPTED, "
          "CUSTOMER_RESPONSE_DECLINED or CUSTOMER_RESPONSE_NO_ANSWER");
  }
  return One(std::move(e));
}

absl::StatusOr<Events> ConfirmBooking(const v1::ConfirmBooking& c, S state, Ctx ctx) {
  const v1::ManualCarBookingState& car = state.car_booking();
  if (c.platform() != v1::BOOKING_PLATFORM_OPTIONS_TRAVEL &&
      c.platform() != v1::BOOKING_PLATFORM_VENDOR_SITE) {
    return absl::InvalidArgumentError(
        "confirm_booking.platform: an offline booking is made on "
        "BOOKING_PLATFORM_OPTIONS_TRAVEL or BOOKING_PLATFORM_VENDOR_SITE");
  }
  if (absl::Status s = FirstError({
          CheckConfirmationNumber("confirm_booking.confirmation_number", c.confirmation_number()),
          CheckText("confirm_booking.corporate_discount_id", c.corporate_discount_id(), false),
          CheckText("confirm_booking.billing_number", c.billing_number(), false),
          CheckText("confirm_booking.membership_details", c.membership_details(), false),
          CheckText("confirm_booking.manual_reservation_code", c.manual_reservation_code(), false),
      });
      !s.ok()) {
    return s;
  }
  const v1::Vendor* vendor = FindVendor(ctx.reference->proto().car_booking(), c.vendor_code());
  if (vendor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("confirm_booking.vendor_code: unknown vendor '",
                                                   c.vendor_code(), "'; known: ",
                                                   VendorList(ctx.reference->proto().car_booking())));
  }
  const Stage stage = car.stage();
  if (c.vendor_code() != car.vendor().vendor_code()) {
    return Refuse(state, stage, Cmd::kConfirmBooking,
                  absl::StrCat("the customer accepted a quote from ", car.vendor().vendor_name(),
                               " (", car.vendor().vendor_code(), "), not ", vendor->name(), " (",
                               vendor->code(), ")"));
  }
  if (c.platform() == v1::BOOKING_PLATFORM_OPTIONS_TRAVEL &&
      c.manual_reservation_code() != vendor->manual_reservation_code()) {
    return Refuse(state, stage, Cmd::kConfirmBooking,
                  absl::StrCat("on Options Travel a booking with ", vendor->name(), " (",
                               vendor->code(), ") must carry the manual reservation code ",
                               vendor->manual_reservation_code(), ", got '",
                               c.manual_reservation_code(), "'"));
  }
  std::vector<std::string> missing;
  if (c.corporate_discount_id().empty()) missing.push_back("corporate_discount_id");
  if (c.billing_number().empty()) missing.push_back("billing_number");
  if (c.membership_details().empty()) missing.push_back("membership_details");
  if (!missing.empty()) {
    return Refuse(state, stage, Cmd::kConfirmBooking,
                  absl::StrCat("a booking is confirmed with the Corporate Discount ID, Billing "
                               "Number and Membership details; missing: ",
                               absl::StrJoin(missing, ", ")));
  }
  Ev e;
  v1::BookingConfirmed* out = e.mutable_booking_confirmed();
  out->set_platform(c.platform());
  out->set_vendor_code(c.vendor_code());
  out->set_manual_reservation_code(c.manual_reservation_code());
  out->set_confirmation_number(c.confirmation_number());
  out->set_corporate_discount_id(c.corporate_discount_id());
  out->set_billing_number(c.billing_number());
  out->set_membership_details(c.membership_details());
  return One(std::move(e));
}

absl::StatusOr<Events> VerifyBooking(const v1::VerifyBookingInIl& c, S state, Ctx) {
  if (absl::Status s = FirstError({
          CheckText("verify_booking.trip_id", c.trip_id(), true),
          CheckText("verify_booking.vendor_code", c.vendor_code(), true),
          CheckText("verify_booking.driver_name", c.driver_name(), true),
      });
      !s.ok()) {
    return s;
  }
  const v1::ManualCarBookingState& car = state.car_booking();
  if (c.vendor_code() != car.booking().vendor_code()) {
    return Refuse(state, car.stage(), Cmd::kVerifyBooking,
                  absl::StrCat("the IL database shows vendor ", c.vendor_code(), " for trip ",
                               c.trip_id(), " but the booking is with ",
                               car.booking().vendor_code(), "; correct the booking first"));
  }
  if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(c.driver_name()),
                              absl::StripAsciiWhitespace(car.request().traveller_name()))) {
    return Refuse(state, car.stage(), Cmd::kVerifyBooking,
                  absl::StrCat("the IL database shows driver '", c.driver_name(), "' for trip ",
                               c.trip_id(), " but the traveller is '",
                               car.request().traveller_name(), "'; correct the booking first"));
  }
  Ev e;
  v1::BookingVerified* out = e.mutable_booking_verified();
  out->set_trip_id(c.trip_id());
  out->set_vendor_code(c.vendor_code());
  out->set_driver_name(c.driver_name());
  return One(std::move(e));
}

absl::StatusOr<Events> FileMis(const v1::FileMis& c, S state, Ctx) {
  if (c.billing() == v1::MIS_BILLING_UNSPECIFIED || !v1::MisBilling_IsValid(c.billing())) {
    return absl::InvalidArgumentError("file_mis.billing: must be MIS_BILLING_BILL_TO_CLIENT_COMPANY");
  }
  if (absl::Status s = CheckText("file_mis.mis_reference", c.mis_reference(), true); !s.ok()) {
    return s;
  }
  if (c.billing() != v1::MIS_BILLING_BILL_TO_CLIENT_COMPANY) {
    return Refuse(state, state.car_booking().stage(), Cmd::kFileMis,
                  absl::StrCat("the booking MIS is billed \"Bill to Client Company\", not ",
                               v1::MisBilling_Name(c.billing())));
  }
  Ev e;
  e.mutable_mis_filed()->set_billing(c.billing());
  e.mutable_mis_filed()->set_mis_reference(c.mis_reference());
  return One(std::move(e));
}

absl::StatusOr<Events> ChargeFee(const v1::ChargeServiceFee& c, S state, Ctx ctx) {
  const v1::Money& scheduled =
      ServiceFeeFor(ctx.reference->proto().car_booking(),
                    state.car_booking().request().client_company());
  Ev e;
  v1::ServiceFeeCharged* out = e.mutable_service_fee_charged();
  *out->mutable_scheduled() = scheduled;
  *out->mutable_amount() = scheduled;
  if (c.has_override_amount()) {
    if (absl::Status s = CheckMoney("charge_service_fee.override_amount", c.override_amount());
        !s.ok()) {
      return s;
    }
    const bool differs = c.override_amount().minor_units() != scheduled.minor_units() ||
                         c.override_amount().currency() != scheduled.currency();
    if (differs) {
      if (ctx.actor.role != kRoleSupervisor) {
        return Denied(absl::StrCat("a fee other than the schedule's ", FormatMoney(scheduled),
                                   " for ", state.car_booking().request().client_company()),
                      kRoleSupervisor, ctx.actor);
      }
      if (absl::Status s = CheckText("charge_service_fee.override_reason", c.override_reason(),
                                     true, kMaxLongText);
          !s.ok()) {
        return absl::InvalidArgumentError(
            "charge_service_fee.override_reason: a fee other than the schedule's needs a reason");
      }
      *out->mutable_amount() = c.override_amount();
      out->set_overridden(true);
      out->set_override_reason(c.override_reason());
    }
  }
  return One(std::move(e));
}

absl::StatusOr<Events> RecordIlCheck(const v1::RecordIlCheck& c, S, Ctx) {
  if (absl::Status s = CheckText("record_il_check.il_search_ref", c.il_search_ref(), false); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_il_check_recorded()->set_available(c.available());
  e.mutable_il_check_recorded()->set_il_search_ref(c.il_search_ref());
  return One(std::move(e));
}

absl::StatusOr<Events> GuideCustomer(const v1::GuideCustomerToBook& c, S, Ctx) {
  if (absl::Status s = CheckText("guide_customer.note", c.note(), false, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_customer_guided()->set_note(c.note());
  return One(std::move(e));
}

absl::StatusOr<Events> CreateTripForCustomer(const v1::CreateTripOnCustomerAccount& c, S, Ctx) {
  if (absl::Status s = CheckText("create_trip_for_customer.trip_id", c.trip_id(), true); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_trip_created_for_customer()->set_trip_id(c.trip_id());
  return One(std::move(e));
}

absl::StatusOr<Events> EmailCustomerCarAdded(const v1::EmailCustomerCarAdded&, S state, Ctx ctx) {
  absl::StatusOr<v1::RenderedEmail> email =
      Render(state, *ctx.reference, ctx.reference->proto().car_booking().car_added_template_id());
  if (!email.ok()) return email.status();
  Ev e;
  *e.mutable_customer_emailed_car_added()->mutable_email() = *std::move(email);
  return One(std::move(e));
}

absl::StatusOr<Events> CreateVoucher(const v1::CreateVoucher& c, S, Ctx) {
  if (absl::Status s = CheckText("create_voucher.voucher_number", c.voucher_number(), true);
      !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_voucher_created()->set_voucher_number(c.voucher_number());
  return One(std::move(e));
}

absl::StatusOr<Events> SendConfirmationEmail(const v1::SendConfirmationEmail&, S state, Ctx ctx) {
  absl::StatusOr<v1::RenderedEmail> email =
      Render(state, *ctx.reference, ctx.reference->proto().car_booking().confirmation_template_id());
  if (!email.ok()) return email.status();
  // The approver who was looped in on the quote sees the confirmation.
  const std::string& approver = state.car_booking().quote().approver_email();
  if (!approver.empty()) email->add_cc(approver);
  Ev e;
  *e.mutable_confirmation_email_sent()->mutable_email() = *std::move(email);
  return One(std::move(e));
}

absl::StatusOr<Events> MarkAllVouchersSent(const v1::MarkAllVouchersSent&, S, Ctx) {
  Ev e;
  e.mutable_all_vouchers_sent();
  return One(std::move(e));
}

absl::StatusOr<Events> CloseTicket(const v1::CloseTicket& c, S state, Ctx ctx) {
  if (absl::Status s = CheckText("close_ticket.notes", c.notes(), true, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  v1::TicketClosed* out = e.mutable_ticket_closed();
  out->set_notes(c.notes());
  out->set_transferred_to_us_queue(c.transfer_to_us_queue());
  out->set_queue(c.transfer_to_us_queue() ? ctx.reference->proto().car_booking().us_queue()
                                          : state.car_booking().queue());
  return One(std::move(e));
}

absl::StatusOr<Events> UpdateTracker(const v1::UpdateUsProductionTracker& c, S, Ctx ctx) {
  if (absl::Status s = CheckText("update_tracker.tracker_ref", c.tracker_ref(), false); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_tracker_updated()->set_tracker_ref(c.tracker_ref());
  e.mutable_tracker_updated()->set_date(absl::FormatTime("%Y-%m-%d", ctx.now, absl::UTCTimeZone()));
  return One(std::move(e));
}

absl::StatusOr<Events> AddNote(const v1::AddCaseNote& c, S, Ctx) {
  if (absl::Status s = CheckText("add_note.text", c.text(), true, kMaxLongText); !s.ok()) return s;
  Ev e;
  e.mutable_note_added()->set_text(c.text());
  return One(std::move(e));
}

absl::StatusOr<Events> CancelCase(const v1::CancelCase& c, S, Ctx) {
  if (absl::Status s = CheckText("cancel_case.reason", c.reason(), true, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_cancelled()->set_reason(c.reason());
  return One(std::move(e));
}

// The desk: agents, Tech-SPOCs and supervisors work a case; approving an
// offline booking is the Tech-SPOC's and cancelling a case a supervisor's.
const std::vector<std::string>& Desk() {
  static const auto* const kDesk = new std::vector<std::string>{kRoleAgent, kRoleTechSpoc, kRoleSupervisor};
  return *kDesk;
}

const Steps_& Table() {
  static const auto* const kSteps = [] {
    const std::vector<Stage> closed = {v1::CLOSED_ON_IL,     v1::REFUSED_BY_TECH_SPOC,
                                       v1::QUOTE_DECLINED,   v1::QUOTE_UNANSWERED,
                                       v1::COMPLETED,        v1::CANCELLED};
    // add_note and cancel_case: any stage of an open case.
    const std::vector<Stage> open = Steps_::StagesBut(closed);
    return new Steps_({
        .type = v1::WORKFLOW_MANUAL_CAR_BOOKING,
        .closed = closed,
        .steps = {
            {Cmd::kReceiveRequest, {v1::CAR_BOOKING_STAGE_UNSPECIFIED}, Desk(),
             "a request opens a new case once", Steps_::On(&Cmd::receive_request, &ReceiveRequest)},
            {Cmd::kIdentifyCar, {v1::REQUEST_RECEIVED}, Desk(),
             "the car is identified right after the request is received",
             Steps_::On(&Cmd::identify_car, &IdentifyCar)},
            {Cmd::kRecordIlCheck, {v1::CAR_IDENTIFIED}, Desk(),
             "the IL platform is checked right after the car is identified and a demo trip made",
             Steps_::On(&Cmd::record_il_check, &RecordIlCheck)},
            {Cmd::kGuideCustomer, {v1::AVAILABLE_ON_IL}, Desk(),
             "the customer is guided to book on IL right after the IL check finds the car available",
             Steps_::On(&Cmd::guide_customer, &GuideCustomer)},
            {Cmd::kCreateTripForCustomer, {v1::AVAILABLE_ON_IL, v1::CUSTOMER_GUIDED}, Desk(),
             "support creates the trip on the customer's account right after the IL check finds "
             "the car available, or when a customer guided to book needs help",
             Steps_::On(&Cmd::create_trip_for_customer, &CreateTripForCustomer)},
            {Cmd::kEmailCustomerCarAdded, {v1::TRIP_READY_FOR_CUSTOMER}, Desk(),
             "the customer is told the car was added right after support creates the trip on "
             "their account",
             Steps_::On(&Cmd::email_customer_car_added, &EmailCustomerCarAdded)},
            {Cmd::kDecideTechSpocApproval, {v1::AWAITING_TECH_SPOC}, {kRoleTechSpoc},
             "Tech-SPOC approval is asked when the car is not available on IL, and decided once",
             Steps_::On(&Cmd::decide_tech_spoc_approval, &DecideApproval)},
            {Cmd::kRecordVendorSearch, {v1::OFFLINE_APPROVED}, Desk(),
             "no offline booking without Tech-SPOC approval: the vendor search comes right after it",
             Steps_::On(&Cmd::record_vendor_search, &RecordVendorSearch)},
            {Cmd::kSendQuote, {v1::VENDOR_FOUND}, Desk(),
             "a quote follows the vendor search (right after it, once)",
             Steps_::On(&Cmd::send_quote, &SendQuote)},
            {Cmd::kRecordCustomerResponse, {v1::QUOTE_SENT}, Desk(),
             "the customer answers the quote that was sent, once",
             Steps_::On(&Cmd::record_customer_response, &RecordCustomerResponse)},
            {Cmd::kConfirmBooking, {v1::QUOTE_ACCEPTED}, Desk(),
             "a booking is made only after Tech-SPOC approval and the customer's confirmation of "
             "the quote: it is confirmed right after the customer accepts it",
             Steps_::On(&Cmd::confirm_booking, &ConfirmBooking)},
            {Cmd::kCreateVoucher, {v1::BOOKING_CONFIRMED}, Desk(),
             "no voucher before a confirmed booking: the voucher is created right after it",
             Steps_::On(&Cmd::create_voucher, &CreateVoucher)},
            {Cmd::kVerifyBooking, {v1::VOUCHER_CREATED}, Desk(),
             "the booking is verified in the IL database right after the voucher is created",
             Steps_::On(&Cmd::verify_booking, &VerifyBooking)},
            {Cmd::kFileMis, {v1::BOOKING_VERIFIED}, Desk(),
             "the MIS is filed right after the booking is verified by Trip ID",
             Steps_::On(&Cmd::file_mis, &FileMis)},
            {Cmd::kSendConfirmationEmail, {v1::MIS_FILED}, Desk(),
             "the confirmation email goes right after the MIS is filed",
             Steps_::On(&Cmd::send_confirmation_email, &SendConfirmationEmail)},
            {Cmd::kMarkAllVouchersSent, {v1::CONFIRMATION_EMAILED}, Desk(),
             "vouchers are marked sent right after the confirmation email",
             Steps_::On(&Cmd::mark_all_vouchers_sent, &MarkAllVouchersSent)},
            {Cmd::kCloseTicket, {v1::CUSTOMER_GUIDED, v1::CUSTOMER_EMAILED, v1::VOUCHERS_SENT}, Desk(),
             "the ticket closes once the customer was guided to book or told the car was added "
             "(IL), or once all vouchers are sent (offline)",
             Steps_::On(&Cmd::close_ticket, &CloseTicket)},
            {Cmd::kUpdateTracker, {v1::TICKET_CLOSED}, Desk(),
             "the US Production Tracker is updated right after the ticket is closed",
             Steps_::On(&Cmd::update_tracker, &UpdateTracker)},
            {Cmd::kChargeServiceFee, {v1::TRACKER_UPDATED}, Desk(),
             "no fee before the US Production Tracker is updated: the fee is charged right after it",
             Steps_::On(&Cmd::charge_service_fee, &ChargeFee)},
            {Cmd::kAddNote, open, Desk(), "notes are added to an open case",
             Steps_::On(&Cmd::add_note, &AddNote)},
            {Cmd::kCancelCase, open, {kRoleSupervisor}, "an open case is cancelled, once",
             Steps_::On(&Cmd::cancel_case, &CancelCase)},
        },
    });
  }();
  return *kSteps;
}

// The place's local date (YYYY-MM-DD); empty when it has no time.
std::string LocalDate(const v1::Place& place) {
  if (!place.has_time()) return "";
  absl::TimeZone zone = absl::UTCTimeZone();
  absl::LoadTimeZone(place.zone(), &zone);  // checked when the request was taken
  return absl::FormatTime("%Y-%m-%d", FromProto(place.time()), zone);
}

Stage StageOf(const v1::CaseState& state) {
  return state.exists() ? state.car_booking().stage() : v1::CAR_BOOKING_STAGE_UNSPECIFIED;
}

}  // namespace

absl::flat_hash_set<std::string> CarBookingTemplateFields() {
  absl::flat_hash_set<std::string> names;
  // The names are the keys TemplateValuesOf fills; take them from there.
  for (const auto& [name, value] : TemplateValuesOf(v1::CaseState(), nullptr)) {
    names.insert(name);
  }
  return names;
}

std::vector<std::string> ManualCarBookingWorkflow::AllowedCommands(Stage stage) {
  return Table().Allowed(stage);
}

bool ManualCarBookingWorkflow::IsTerminal(Stage stage) { return Table().IsClosed(stage); }

std::vector<StepDeclaration> ManualCarBookingWorkflow::Steps() const {
  return Table().Declarations();
}

absl::StatusOr<Events> ManualCarBookingWorkflow::Decide(const v1::CaseCommand& command,
                                                        const v1::CaseState& state,
                                                        const DecisionContext& ctx) const {
  if (ctx.reference == nullptr) return absl::InternalError("no reference data in the context");
  return Table().Decide(command.car_booking(), state, StageOf(state), ctx);
}

namespace {

// Applies one event of the car booking to its state, screen by screen of the
// seed; each part answers whether the event was one of its own.
class CarBookingEvolution {
 public:
  CarBookingEvolution(v1::CaseState& state, const EventMeta& meta)
      : state_(state), car_(*state.mutable_car_booking()), meta_(meta) {}

  void Apply(const Ev& e) {
    if (Request(e) || Quote(e) || Fulfilment(e)) return;
    CaseEvent(e);
  }

 private:
  void Close(Stage stage) {
    car_.set_stage(stage);
    *car_.mutable_closed_at() = ToProto(meta_.recorded_at);
  }
  void Note(absl::string_view text) { AppendNote(state_, meta_, text); }

  // The request, its car, the IL check and the Tech-SPOC's answer.
  bool Request(const Ev& e) {
    switch (e.event_case()) {
      case Ev::kRequestReceived:
        car_.set_stage(v1::REQUEST_RECEIVED);
        *car_.mutable_request() = e.request_received().request();
        car_.set_queue(e.request_received().request().queue());
        state_.mutable_header()->set_queue(car_.queue());
        return true;
      case Ev::kCarIdentified: {
        const v1::CarIdentified& c = e.car_identified();
        car_.set_stage(v1::CAR_IDENTIFIED);
        car_.set_car_class(c.car_class());
        car_.set_car_model(c.car_model());
        car_.set_demo_trip_id(c.demo_trip_id());
        *car_.mutable_request()->mutable_pick_up() = c.pick_up();
        *car_.mutable_request()->mutable_drop_off() = c.drop_off();
        return true;
      }
      case Ev::kIlCheckRecorded:
        car_.set_il_available(e.il_check_recorded().available());
        car_.set_il_search_ref(e.il_check_recorded().il_search_ref());
        car_.set_stage(e.il_check_recorded().available() ? v1::AVAILABLE_ON_IL
                                                         : v1::AWAITING_TECH_SPOC);
        return true;
      case Ev::kCustomerGuided:
        car_.set_stage(v1::CUSTOMER_GUIDED);
        car_.set_platform(v1::BOOKING_PLATFORM_IL);
        Note(e.customer_guided().note());
        return true;
      case Ev::kTripCreatedForCustomer:
        car_.set_stage(v1::TRIP_READY_FOR_CUSTOMER);
        car_.set_platform(v1::BOOKING_PLATFORM_IL);
        car_.set_trip_id(e.trip_created_for_customer().trip_id());
        return true;
      case Ev::kCustomerEmailedCarAdded:
        car_.set_stage(v1::CUSTOMER_EMAILED);
        return true;
      case Ev::kTechSpocApprovalGranted:
        car_.set_stage(v1::OFFLINE_APPROVED);
        car_.set_tech_spoc_approver(e.tech_spoc_approval_granted().approver());
        return true;
      case Ev::kTechSpocApprovalRefused:
        car_.set_tech_spoc_approver(e.tech_spoc_approval_refused().approver());
        Note(e.tech_spoc_approval_refused().reason());
        Close(v1::REFUSED_BY_TECH_SPOC);
        return true;
      default:
        return false;
    }
  }

  // The vendor search and the quote's answer.
  bool Quote(const Ev& e) {
    switch (e.event_case()) {
      case Ev::kVendorSearchRecorded:
        car_.set_stage(v1::VENDOR_FOUND);
        *car_.mutable_vendor() = e.vendor_search_recorded();
        return true;
      case Ev::kQuoteSent:
        car_.set_stage(v1::QUOTE_SENT);
        *car_.mutable_quote() = e.quote_sent();
        return true;
      case Ev::kQuoteAccepted:
        car_.set_stage(v1::QUOTE_ACCEPTED);
        Note(e.quote_accepted().note());
        return true;
      case Ev::kQuoteDeclined:
        Note(e.quote_declined().note());
        Close(v1::QUOTE_DECLINED);
        return true;
      case Ev::kQuoteUnanswered:
        Note(e.quote_unanswered().note());
        Close(v1::QUOTE_UNANSWERED);
        return true;
      default:
        return false;
    }
  }

  // Booking, voucher, verification, MIS, emails, ticket, tracker and fee.
  bool Fulfilment(const Ev& e) {
    switch (e.event_case()) {
      case Ev::kBookingConfirmed:
        car_.set_stage(v1::BOOKING_CONFIRMED);
        car_.set_platform(e.booking_confirmed().platform());
        *car_.mutable_booking() = e.booking_confirmed();
        return true;
      case Ev::kVoucherCreated:
        car_.set_stage(v1::VOUCHER_CREATED);
        car_.set_voucher_number(e.voucher_created().voucher_number());
        return true;
      case Ev::kBookingVerified:
        car_.set_stage(v1::BOOKING_VERIFIED);
        *car_.mutable_verification() = e.booking_verified();
        car_.set_trip_id(e.booking_verified().trip_id());
        return true;
      case Ev::kMisFiled:
        car_.set_stage(v1::MIS_FILED);
        *car_.mutable_mis() = e.mis_filed();
        return true;
      case Ev::kConfirmationEmailSent:
        car_.set_stage(v1::CONFIRMATION_EMAILED);
        return true;
      case Ev::kAllVouchersSent:
        car_.set_stage(v1::VOUCHERS_SENT);
        return true;
      case Ev::kTicketClosed:
        Note(e.ticket_closed().notes());
        car_.set_queue(e.ticket_closed().queue());
        state_.mutable_header()->set_queue(car_.queue());
        car_.set_ticket_transferred_to_us_queue(e.ticket_closed().transferred_to_us_queue());
        if (car_.stage() == v1::CUSTOMER_EMAILED || car_.stage() == v1::CUSTOMER_GUIDED) {
          Close(v1::CLOSED_ON_IL);
        } else {
          car_.set_stage(v1::TICKET_CLOSED);
        }
        return true;
      case Ev::kTrackerUpdated:
        car_.set_stage(v1::TRACKER_UPDATED);
        car_.set_tracker_ref(e.tracker_updated().tracker_ref());
        car_.set_tracker_date(e.tracker_updated().date());
        return true;
      case Ev::kServiceFeeCharged:
        *car_.mutable_fee() = e.service_fee_charged();
        Close(v1::COMPLETED);
        return true;
      default:
        return false;
    }
  }

  // The workflow's own note and cancel events, from before the shared steps.
  void CaseEvent(const Ev& e) {
    switch (e.event_case()) {
      case Ev::kNoteAdded:
        Note(e.note_added().text());
        break;
      case Ev::kCancelled:
        Note(e.cancelled().reason());
        state_.mutable_header()->set_cancelled(true);
        Close(v1::CANCELLED);
        break;
      default:
        break;
    }
  }

  v1::CaseState& state_;
  v1::ManualCarBookingState& car_;
  const EventMeta& meta_;
};

}  // namespace

void ManualCarBookingWorkflow::Evolve(v1::CaseState& state, const v1::CaseEvent& event,
                                      const EventMeta& meta) const {
  CarBookingEvolution(state, meta).Apply(event.car_booking());
}

absl::Status ManualCarBookingWorkflow::CheckReference(const v1::ReferenceData& data) const {
  return CheckCarBookingReference(data.car_booking());
}

bool ManualCarBookingWorkflow::FillReservation(const v1::CaseState& state,
                                               v1::ReservationView& view) const {
  if (!state.exists()) return false;
  const v1::ManualCarBookingState& car = state.car_booking();
  *view.mutable_pick_up() = car.request().pick_up();
  *view.mutable_drop_off() = car.request().drop_off();
  view.set_car_class(car.car_class());
  view.set_car_model(car.car_model());
  view.set_platform(car.platform());
  view.set_vendor_code(car.has_booking() ? car.booking().vendor_code() : car.vendor().vendor_code());
  view.set_vendor_name(car.vendor().vendor_name());
  if (car.has_quote()) *view.mutable_quote_amount() = car.quote().amount();
  const v1::BookingConfirmed& b = car.booking();
  view.set_confirmation_number(b.confirmation_number());
  view.set_corporate_discount_id(b.corporate_discount_id());
  view.set_billing_number(b.billing_number());
  view.set_membership_details(b.membership_details());
  view.set_manual_reservation_code(b.manual_reservation_code());
  view.set_voucher_number(car.voucher_number());
  view.set_trip_id(car.trip_id());
  view.set_mis_billing(car.mis().billing());
  view.set_mis_reference(car.mis().mis_reference());
  return true;
}

bool ManualCarBookingWorkflow::IsClosed(const v1::CaseState& state) const {
  return IsTerminal(StageOf(state));
}

bool ManualCarBookingWorkflow::WaitingOnCustomer(const v1::CaseState& state) const {
  const Stage stage = StageOf(state);
  return stage == v1::QUOTE_SENT || stage == v1::CUSTOMER_EMAILED;
}

std::string ManualCarBookingWorkflow::CurrentStageName(const v1::CaseState& state) const {
  return StageName(StageOf(state));
}

void ManualCarBookingWorkflow::OnCancelled(v1::CaseState& state, const EventMeta& meta) const {
  state.mutable_car_booking()->set_stage(v1::CANCELLED);
  *state.mutable_car_booking()->mutable_closed_at() = ToProto(meta.recorded_at);
}

void ManualCarBookingWorkflow::FillView(const v1::CaseState& state, v1::CaseView& view) const {
  const v1::ManualCarBookingState& car = state.car_booking();
  const Stage stage = StageOf(state);
  view.set_state(StageName(stage));
  view.set_car_booking_stage(stage);
  view.set_open(state.exists() && !IsTerminal(stage));
  *view.mutable_customer() = Customer(state);
  view.set_client_company(car.request().client_company());
  view.set_channel(car.request().channel());
  view.set_ticket_ref(car.request().ticket_ref());
  view.set_queue(car.queue());
  view.set_travel_from(LocalDate(car.request().pick_up()));
  view.set_travel_to(LocalDate(car.request().drop_off()));
  view.set_destination(car.request().drop_off().location());
  for (std::string& name : AllowedCommands(stage)) view.add_allowed_commands(std::move(name));
}

std::string ManualCarBookingWorkflow::EventType(const v1::CaseEvent& event) const {
  const Ev& e = event.car_booking();
  const google::protobuf::FieldDescriptor* field = Ev::descriptor()->FindFieldByNumber(e.event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

std::string ManualCarBookingWorkflow::CommandName(const v1::CaseCommand& command) const {
  return NameOf(command.car_booking().command_case());
}

}  // namespace tripdesk::workflows
