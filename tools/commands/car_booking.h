// Valid manual car booking commands, one builder per step, shared by the
// tests (decider, service, integration) and tripdesk-load, so all of them
// drive cases the same way.
#ifndef TRIPDESK_TOOLS_COMMANDS_CAR_BOOKING_H_
#define TRIPDESK_TOOLS_COMMANDS_CAR_BOOKING_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "tools/commands/money.h"
#include "tripdesk/v1/car_booking.pb.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::commands {

using CarCommand = v1::ManualCarBookingCommand;

inline v1::Place At(const std::string& location, absl::Time t, const std::string& zone) {
  v1::Place p;
  p.set_location(location);
  p.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  p.set_zone(zone);
  return p;
}

inline v1::CaseCommand AsCaseCommand(CarCommand cmd) {
  v1::CaseCommand out;
  *out.mutable_car_booking() = std::move(cmd);
  return out;
}

// The request of Steven Peters (Acme), picking up at LAX at `pick` and
// dropping off at SFO at `drop`.
inline CarCommand Request(absl::Time pick, absl::Time drop) {
  CarCommand c;
  v1::ReceiveCarRequest* r = c.mutable_receive_request();
  r->set_channel(v1::CHANNEL_EMAIL);
  r->mutable_customer()->set_name("Steven Peters");
  r->mutable_customer()->set_email("sp@example.com");
  r->mutable_customer()->set_phone("+14131111234");
  r->set_traveller_name("Steven Peters");
  r->set_client_company("Acme");
  r->set_ticket_ref("FD-1001");
  r->set_queue("Support");
  r->set_requested_car("Intermediate SUV");
  *r->mutable_pick_up() = At("LAX", pick, "America/Los_Angeles");
  *r->mutable_drop_off() = At("SFO", drop, "America/Los_Angeles");
  return c;
}

inline CarCommand Identify(absl::Time pick, absl::Time drop) {
  CarCommand c;
  v1::IdentifyCar* i = c.mutable_identify_car();
  i->set_car_class("IFAR");
  i->set_car_model("Toyota RAV4");
  *i->mutable_pick_up() = At("LAX", pick, "America/Los_Angeles");
  *i->mutable_drop_off() = At("SFO", drop, "America/Los_Angeles");
  i->set_demo_trip_id("DEMO-7");
  return c;
}

inline CarCommand IlCheck(bool available) {
  CarCommand c;
  c.mutable_record_il_check()->set_available(available);
  c.mutable_record_il_check()->set_il_search_ref("IL-SEARCH-1");
  return c;
}

inline CarCommand TripForCustomer() {
  CarCommand c;
  c.mutable_create_trip_for_customer()->set_trip_id("IL-TRIP-3");
  return c;
}

inline CarCommand EmailCarAdded() {
  CarCommand c;
  c.mutable_email_customer_car_added();
  return c;
}

inline CarCommand Approval(bool approved) {
  CarCommand c;
  c.mutable_decide_tech_spoc_approval()->set_approved(approved);
  c.mutable_decide_tech_spoc_approval()->set_reason(approved ? "" : "policy: economy only");
  return c;
}

inline CarCommand VendorSearch(const std::string& vendor = "ZE") {
  CarCommand c;
  v1::RecordVendorSearch* v = c.mutable_record_vendor_search();
  v->set_source(v1::VENDOR_SEARCH_SOURCE_GDS);
  v->set_vendor_code(vendor);
  v->set_car_class("IFAR");
  *v->mutable_rate() = Usd(32000);
  return c;
}

inline CarCommand Quote() {
  CarCommand c;
  *c.mutable_send_quote()->mutable_amount() = Usd(45000);
  c.mutable_send_quote()->set_approver_email("approver@acme.example");
  return c;
}

inline CarCommand Response(v1::CustomerResponse response) {
  CarCommand c;
  c.mutable_record_customer_response()->set_response(response);
  return c;
}

inline CarCommand Booking(v1::BookingPlatform platform = v1::BOOKING_PLATFORM_OPTIONS_TRAVEL,
                          const std::string& code = "2220947") {
  CarCommand c;
  v1::ConfirmBooking* b = c.mutable_confirm_booking();
  b->set_platform(platform);
  b->set_vendor_code("ZE");
  b->set_manual_reservation_code(code);
  b->set_confirmation_number("K9X2Q7");
  b->set_corporate_discount_id("CDP-55");
  b->set_billing_number("BN-123");
  b->set_membership_details("Gold 9876");
  return c;
}

inline CarCommand Voucher() {
  CarCommand c;
  c.mutable_create_voucher()->set_voucher_number("V-1");
  return c;
}

inline CarCommand Verify(const std::string& vendor = "ZE",
                         const std::string& driver = "Steven Peters") {
  CarCommand c;
  c.mutable_verify_booking()->set_trip_id("TRIP-9");
  c.mutable_verify_booking()->set_vendor_code(vendor);
  c.mutable_verify_booking()->set_driver_name(driver);
  return c;
}

inline CarCommand Mis(v1::MisBilling billing = v1::MIS_BILLING_BILL_TO_CLIENT_COMPANY) {
  CarCommand c;
  c.mutable_file_mis()->set_billing(billing);
  c.mutable_file_mis()->set_mis_reference("MIS-4");
  return c;
}

inline CarCommand ConfirmationEmail() {
  CarCommand c;
  c.mutable_send_confirmation_email();
  return c;
}

inline CarCommand VouchersSent() {
  CarCommand c;
  c.mutable_mark_all_vouchers_sent();
  return c;
}

inline CarCommand Close(bool transfer = true) {
  CarCommand c;
  c.mutable_close_ticket()->set_notes("booked offline, vouchers sent");
  c.mutable_close_ticket()->set_transfer_to_us_queue(transfer);
  return c;
}

inline CarCommand Tracker() {
  CarCommand c;
  c.mutable_update_tracker()->set_tracker_ref("ROW-77");
  return c;
}

inline CarCommand Fee() {
  CarCommand c;
  c.mutable_charge_service_fee();
  return c;
}

// The offline branch after the request, in order, with the role each step
// needs: identify_car ... charge_service_fee.
inline std::vector<std::pair<CarCommand, std::string>> OfflineSteps(absl::Time pick,
                                                                    absl::Time drop) {
  return {{Identify(pick, drop), "agent"},
          {IlCheck(false), "agent"},
          {Approval(true), "tech_spoc"},
          {VendorSearch(), "agent"},
          {Quote(), "agent"},
          {Response(v1::CUSTOMER_RESPONSE_ACCEPTED), "agent"},
          {Booking(), "agent"},
          {Voucher(), "agent"},
          {Verify(), "agent"},
          {Mis(), "agent"},
          {ConfirmationEmail(), "agent"},
          {VouchersSent(), "agent"},
          {Close(), "agent"},
          {Tracker(), "agent"},
          {Fee(), "agent"}};
}

// The IL branch after the request: the car is on IL, the customer books it
// there, the ticket closes.
inline std::vector<std::pair<CarCommand, std::string>> IlSteps(absl::Time pick, absl::Time drop) {
  CarCommand close = Close(false);
  close.mutable_close_ticket()->set_notes("the customer completes the booking on IL");
  return {{Identify(pick, drop), "agent"},
          {IlCheck(true), "agent"},
          {TripForCustomer(), "agent"},
          {EmailCarAdded(), "agent"},
          {close, "agent"}};
}

}  // namespace tripdesk::commands

#endif  // TRIPDESK_TOOLS_COMMANDS_CAR_BOOKING_H_
