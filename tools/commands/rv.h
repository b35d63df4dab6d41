// Valid RV rental commands (retail and tour reservations, RA open and
// close), shared by the tests and tripdesk-load, so all of them drive RV
// cases the same way.
#ifndef TRIPDESK_TOOLS_COMMANDS_RV_H_
#define TRIPDESK_TOOLS_COMMANDS_RV_H_

#include <string>

#include "tools/commands/money.h"
#include "tripdesk/v1/cases.pb.h"
#include "tripdesk/v1/rv.pb.h"

namespace tripdesk::commands {

using RvCommand = v1::RvCommand;

inline v1::CaseCommand AsCaseCommand(RvCommand cmd) {
  v1::CaseCommand out;
  *out.mutable_rv() = std::move(cmd);
  return out;
}

inline v1::PaymentCard Card(const std::string& token, const std::string& last4) {
  v1::PaymentCard c;
  c.set_token(token);
  c.set_last4(last4);
  return c;
}

inline v1::RvDeposit Deposit(int64_t cents, const v1::PaymentCard& card = Card("tok_visa_4242", "4242")) {
  v1::RvDeposit d;
  *d.mutable_amount() = Usd(cents);
  *d.mutable_card() = card;
  return d;
}

inline v1::RvMoment Moment(const std::string& date, const std::string& location, const std::string& time = "") {
  v1::RvMoment m;
  m.set_date(date);
  m.set_time(time);
  m.set_location(location);
  return m;
}

// KAREN SMITH, TUS round trip (by default 2026-12-10 13:00 to 2026-12-20
// 11:00), C25/FRD, four passengers, a 250.00 card deposit.
inline RvCommand Retail(const std::string& pick_up_date = "2026-12-10",
                        const std::string& drop_off_date = "2026-12-20") {
  RvCommand c;
  v1::SaveRvReservation& r = *c.mutable_save_reservation();
  r.set_booking_location("TUS");
  r.mutable_renter()->set_name("KAREN SMITH");
  r.mutable_renter()->set_email("smith@example.com");
  r.mutable_renter()->set_cell_phone("714-444-1212");
  r.mutable_renter()->mutable_address()->set_line1("1 ANY PLACE");
  r.mutable_renter()->mutable_address()->set_city("TUSTIN");
  r.mutable_renter()->mutable_address()->set_region("CA");
  *r.mutable_pick_up() = Moment(pick_up_date, "TUS");
  *r.mutable_drop_off() = Moment(drop_off_date, "TUS");
  r.set_passengers(4);
  r.set_class_code("C25");
  r.set_rate_code("FRD");
  r.set_pay_by_card(true);
  r.set_save_as(v1::RV_SAVE_AS_RESERVATION);
  *r.mutable_deposit() = Deposit(25000);
  return c;
}

// A tour for ALLABOUT (flat tax 10%) booked at INT.
inline RvCommand Tour(const std::string& pick_up_date = "2027-03-01", const std::string& drop_off_date = "2027-03-15") {
  RvCommand c = Retail(pick_up_date, drop_off_date);
  v1::SaveRvReservation& r = *c.mutable_save_reservation();
  r.set_booking_location("INT");
  r.clear_deposit();
  r.clear_rate_code();
  r.set_save_as(v1::RV_SAVE_AS_UNSPECIFIED);
  r.mutable_voucher()->set_it_code("ALLABOUT");
  r.mutable_voucher()->set_voucher_number("K12345");
  r.mutable_voucher()->add_included_options("SLI");
  return c;
}

inline RvCommand OpenRa(const std::string& unit = "304359", int64_t deposit = 0) {
  RvCommand c;
  v1::OpenRentalAgreement& o = *c.mutable_open_rental_agreement();
  o.set_vehicle_number(unit);
  o.set_fuel_eighths(8);
  o.set_generator_tenths(880);
  o.set_date_of_birth("1984-12-07");
  o.mutable_licence()->set_number("S123456");
  o.mutable_licence()->set_region("CA");
  o.mutable_licence()->set_expires("2030-12-07");
  if (deposit > 0) *o.mutable_deposit() = Deposit(deposit);
  return c;
}

inline RvCommand CloseRa(int64_t odometer, int fuel, int64_t generator, const std::string& date,
            const std::string& time = "1100") {
  RvCommand c;
  v1::CloseRentalAgreement& x = *c.mutable_close_rental_agreement();
  x.set_odometer(odometer);
  x.set_fuel_eighths(fuel);
  x.set_generator_tenths(generator);
  *x.mutable_returned() = Moment(date, "TUS", time);
  return c;
}

}  // namespace tripdesk::commands

#endif  // TRIPDESK_TOOLS_COMMANDS_RV_H_
