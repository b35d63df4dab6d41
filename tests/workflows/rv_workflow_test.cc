// The RV rental decider (seed 004): given events, when a command, then
// events or a refusal. One test per rule, named after it. The units' shared
// streams are folded here the way the command runner folds them.
#include "workflows/rv/rv_workflow.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/reference.h"
#include "tools/commands/rv.h"
#include "workflows/field_rules.h"
#include "workflows/registry.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::rv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Cmd = v1::RvCommand;

using testing::ShippedReference;

using commands::Card;
using commands::CloseRa;
using commands::Deposit;
using commands::Moment;
using commands::OpenRa;
using commands::Retail;
using commands::Tour;

int64_t Line(const v1::RvEstimate& e, const std::string& label) {
  for (const auto& line : e.lines()) {
    if (line.label() == label) return line.amount().minor_units();
  }
  return INT64_MIN;
}

class RvTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());
  std::shared_ptr<const ReferenceData> reference_ = ShippedReference();
  const WorkflowRegistry& registry_ = WorkflowRegistry::Default();
  const RvRentalWorkflow workflow_;
  v1::CaseState state_;
  std::map<std::string, v1::SharedState> units_;  // the units' streams
  Actor agent_{"alice", kRoleAgent};
  Actor supervisor_{"sue", kRoleSupervisor};
  uint64_t revision_ = 0;
  // The events folded into state_, as the log would hold them.
  std::vector<std::pair<v1::CaseEvent, EventMeta>> recorded_;

  void SetUp() override { state_.set_case_id("R1"); }

  static v1::CaseCommand Wrap(const Cmd& cmd) {
    v1::CaseCommand out;
    *out.mutable_rv() = cmd;
    return out;
  }

  DecisionContext Context(const Cmd& cmd, const Actor& actor, const v1::CaseState& state) {
    DecisionContext ctx{now_, actor, reference_.get(), {}};
    // Logged in where the save books (the token's location claim), unless a
    // test of that rule says otherwise.
    if (ctx.actor.location.empty() && cmd.has_save_reservation()) {
      ctx.actor.location = cmd.save_reservation().booking_location();
    }
    for (const std::string& stream : workflow_.SharedStreams(Wrap(cmd), state, ctx)) {
      v1::SharedState shared = units_[stream];
      shared.set_stream(stream);
      ctx.shared.push_back(shared);
    }
    return ctx;
  }

  absl::StatusOr<std::vector<v1::CaseEvent>> When(const Cmd& cmd, const Actor& actor,
                                                  const v1::CaseState& state) {
    return workflow_.Decide(Wrap(cmd), state, Context(cmd, actor, state));
  }
  absl::StatusOr<std::vector<v1::CaseEvent>> When(const Cmd& cmd, const Actor& actor) {
    return When(cmd, actor, state_);
  }
  absl::StatusOr<std::vector<v1::CaseEvent>> When(const Cmd& cmd) { return When(cmd, agent_); }

  // Decides and folds the case and its units; fails the test on a refusal.
  std::vector<std::string> Do(const Cmd& cmd, const Actor& actor, v1::CaseState& state) {
    absl::StatusOr<std::vector<v1::CaseEvent>> events = When(cmd, actor, state);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> types;
    if (!events.ok()) return types;
    for (const v1::CaseEvent& e : *events) {
      for (const SharedAppend& effect : workflow_.SharedEffects(state, e)) {
        v1::SharedState& unit = units_[effect.stream];
        unit.set_exists(true);
        unit.set_revision(unit.revision() + 1);
        workflow_.EvolveShared(unit, effect.event);
        types.push_back(workflow_.SharedEventType(effect.event));
      }
      EventMeta meta{state.exists() ? state.revision() + 1 : 0, ++revision_, now_, actor.id};
      if (&state == &state_) recorded_.push_back({e, meta});
      registry_.ApplyEvent(state, e, meta);
      types.push_back(workflow_.EventType(e));
    }
    return types;
  }
  std::vector<std::string> Do(const Cmd& cmd, const Actor& actor) { return Do(cmd, actor, state_); }
  std::vector<std::string> Do(const Cmd& cmd) { return Do(cmd, agent_); }

  v1::RvStage Stage() const { return state_.rv().stage(); }

  ::testing::AssertionResult Refused(const Cmd& cmd, absl::StatusCode code, const std::string& words,
                                     const Actor* actor = nullptr) {
    absl::StatusOr<std::vector<v1::CaseEvent>> r = When(cmd, actor ? *actor : agent_);
    if (r.status().code() != code) {
      return ::testing::AssertionFailure() << "got " << r.status() << ", expected code " << code;
    }
    if (std::string(r.status().message()).find(words) == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << r.status().message() << "' lacks '" << words << "'";
    }
    return ::testing::AssertionSuccess();
  }

  // A retail reservation with its RA open on unit 304359 for the full
  // estimate; the clock then moves past its return so it can be closed.
  void OpenRetailRa() {
    Do(Retail());
    const int64_t due = state_.rv().estimate().total().minor_units() - state_.rv().deposits_total().minor_units();
    Do(OpenRa("304359", due));
    ASSERT_EQ(Stage(), v1::RV_RA_OPEN);
    now_ = absl::FromCivil(absl::CivilSecond(2026, 12, 23, 9, 0, 0), absl::UTCTimeZone());
  }
};

TEST_F(RvTest, RetailReservationThroughRaOpenExtensionAndCloseWithARefund) {
  EXPECT_THAT(Do(Retail()), ElementsAre("RvReservationSaved", "RvDepositTaken"));
  EXPECT_EQ(Stage(), v1::RV_RESERVED);
  const v1::RvReservationSaved& saved = state_.rv().reservation();
  EXPECT_EQ(saved.pick_up().time(), "1300");  // TUS default pick-up time
  EXPECT_EQ(saved.drop_off().time(), "1100");
  EXPECT_EQ(saved.estimate().days(), 10);
  EXPECT_EQ(saved.estimated_miles(), 1000);
  EXPECT_EQ(state_.rv().deposits_total().minor_units(), 25000);

  const int64_t total = state_.rv().estimate().total().minor_units();
  EXPECT_THAT(Do(OpenRa("304359", total - 25000)),
              ElementsAre("RvUnitRentedOut", "RentalAgreementOpened", "RvDepositTaken"));
  EXPECT_EQ(state_.rv().rental_agreement().odometer(), 22010);
  EXPECT_EQ(units_["unit-304359"].rv_unit().on_case_id(), "R1");

  Cmd extend;
  *extend.mutable_extend_rental_agreement()->mutable_drop_off() = Moment("2026-12-22", "TUS");
  *extend.mutable_extend_rental_agreement()->mutable_deposit() = Deposit(40000);
  EXPECT_THAT(Do(extend), ElementsAre("RentalAgreementExtended", "RvDepositTaken"));
  EXPECT_EQ(state_.rv().estimate().days(), 12);

  // Back on time, 1000 miles, full tank, generator up 5.0 hours.
  now_ = absl::FromCivil(absl::CivilSecond(2026, 12, 23, 9, 0, 0), absl::UTCTimeZone());
  EXPECT_THAT(Do(CloseRa(23010, 8, 930, "2026-12-22")),
              ElementsAre("RvUnitReturned", "RentalAgreementClosed"));
  EXPECT_EQ(Stage(), v1::RV_RA_CLOSED);
  const v1::RentalAgreementClosed& closed = state_.rv().closing();
  EXPECT_LT(closed.balance().minor_units(), 0);  // the security deposit comes back
  EXPECT_EQ(closed.balance().minor_units(), closed.charges().total().minor_units() - closed.deposits_total().minor_units());
  EXPECT_EQ(closed.settled_to_card().last4(), "4242");
  EXPECT_EQ(units_["unit-304359"].rv_unit().on_case_id(), "");
  EXPECT_EQ(units_["unit-304359"].rv_unit().odometer(), 23010);
  const v1::CaseView view = registry_.View(state_);
  EXPECT_FALSE(view.open());
  EXPECT_EQ(view.state(), "RV_RA_CLOSED");
}

TEST_F(RvTest, RollDateEarlierThanTodayIsRefused) {
  Cmd past = Retail();
  past.mutable_save_reservation()->mutable_pick_up()->set_date("2026-11-22");
  EXPECT_TRUE(Refused(past, absl::StatusCode::kFailedPrecondition,
                      "ERROR - Roll Date is earlier than today"));
  EXPECT_FALSE(state_.exists());
}

// "Today" at a counter is the counter's day: at 18:00 in Tucson (America/
// Phoenix, no daylight saving) it is already tomorrow in UTC, and a
// same-day pick-up is still today there.
TEST_F(RvTest, ASameDayPickUpAtSixPmInPhoenixIsToday) {
  now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 24, 1, 0, 0), absl::UTCTimeZone());
  Cmd yesterday = Retail("2026-11-22", "2026-11-30");
  EXPECT_TRUE(Refused(yesterday, absl::StatusCode::kFailedPrecondition,
                      "Roll Date is earlier than today (pick-up 2026-11-22, today 2026-11-23"));
  Cmd tonight = Retail("2026-11-23", "2026-11-30");
  tonight.mutable_save_reservation()->mutable_pick_up()->set_time("1830");
  EXPECT_THAT(Do(tonight), ::testing::Contains("RvReservationSaved"));
  EXPECT_EQ(state_.rv().reservation().pick_up().date(), "2026-11-23");
}

TEST_F(RvTest, DatesMoreThanTwoYearsAheadAreRefusedOnLeadsAndReservations) {
  Cmd far = Retail();
  far.mutable_save_reservation()->mutable_pick_up()->set_date("2028-11-24");
  far.mutable_save_reservation()->mutable_drop_off()->set_date("2028-11-30");
  EXPECT_TRUE(Refused(far, absl::StatusCode::kInvalidArgument,
                      "save_reservation.pick_up.date: 2028-11-24 is more than two years ahead"));
  Cmd lead;
  v1::SaveRvReservation& l = *lead.mutable_save_reservation();
  l.set_booking_location("TUS");
  l.mutable_renter()->set_name("PAT CALLER");
  l.mutable_renter()->set_cell_phone("520-555-0100");
  *l.mutable_pick_up() = Moment("2099-01-05", "TUS");
  l.set_save_as(v1::RV_SAVE_AS_LEAD);
  EXPECT_TRUE(Refused(lead, absl::StatusCode::kInvalidArgument,
                      "save_reservation.pick_up.date: 2099-01-05 is more than two years ahead"));
  *l.mutable_pick_up() = Moment("2028-11-23", "TUS");  // 731 days: the last day taken
  EXPECT_THAT(Do(lead), ElementsAre("RvReservationSaved"));
}

// F8=EST with alternate dates: three columns, the asked dates in the middle;
// CHOOSE COLUMN 1/2/3 moves the dates with the column taken. A user with the
// feature turned off sees one column.
TEST_F(RvTest, AlternateDatesShowThreeColumnsAndSavingAColumnMovesTheDates) {
  Cmd asked = Retail();
  asked.mutable_save_reservation()->set_alternate_dates(true);
  Do(asked);
  const v1::RvReservationDetail detail = RvRentalWorkflow::Detail(state_.rv());
  EXPECT_EQ(detail.estimate().pick_up_date(), "2026-12-10");
  ASSERT_EQ(detail.alternates_size(), 2);
  EXPECT_EQ(detail.alternates(0).pick_up_date(), "2026-12-06");
  EXPECT_EQ(detail.alternates(1).pick_up_date(), "2026-12-14");

  Cmd later = Retail();
  later.mutable_save_reservation()->set_choose_column(3);
  later.mutable_save_reservation()->clear_deposit();
  Do(later);
  EXPECT_EQ(state_.rv().reservation().pick_up().date(), "2026-12-14");
  EXPECT_EQ(state_.rv().reservation().drop_off().date(), "2026-12-24");
  EXPECT_EQ(state_.rv().alternates_size(), 0) << "no alternates asked this time";
  Cmd bad = Retail();
  bad.mutable_save_reservation()->set_choose_column(4);
  EXPECT_TRUE(Refused(bad, absl::StatusCode::kInvalidArgument, "save_reservation.choose_column: 1, 2 or 3"));

  std::string text = testing::ShippedReferenceText();
  const std::string alice = "user_limits { user: \"alice\"";
  ASSERT_NE(text.find(alice), std::string::npos);
  text.replace(text.find(alice), alice.size(), alice + " alternate_dates_off: true");
  absl::StatusOr<std::shared_ptr<const ReferenceData>> off = ReferenceData::FromTextProto(text);
  ASSERT_TRUE(off.ok()) << off.status();
  reference_ = *off;
  state_ = v1::CaseState();
  state_.set_case_id("R2");
  Do(asked);
  EXPECT_EQ(state_.rv().alternates_size(), 0);
  EXPECT_THAT(state_.rv().reservation().warnings(), ::testing::Contains("ALTERNATE DATES ARE OFF FOR alice"));
  EXPECT_TRUE(Refused(later, absl::StatusCode::kFailedPrecondition,
                      "alternate dates are off for alice: there is no column 3 to choose"));
}

// The main window's Disc Pct/Amt: a retail discount in the estimate.
TEST_F(RvTest, ARetailDiscountByPercentOrAmountIsInTheEstimate) {
  Cmd plain = Retail();
  Do(plain);
  const int64_t full = state_.rv().estimate().total().minor_units();
  Cmd discounted = Retail();
  discounted.mutable_save_reservation()->clear_deposit();
  discounted.mutable_save_reservation()->set_discount_bp(1000);
  discounted.mutable_save_reservation()->mutable_discount()->set_minor_units(2500);
  discounted.mutable_save_reservation()->mutable_discount()->set_currency("USD");
  Do(discounted);
  const int64_t discount = Line(state_.rv().estimate(), "DISCOUNT");
  EXPECT_LT(discount, -2500) << "10% of time and mileage and 25.00";
  EXPECT_EQ(state_.rv().reservation().discount_bp(), 1000);
  EXPECT_GT(state_.rv().estimate().total().minor_units(), full + discount - 5000);  // tax moves too
  EXPECT_LT(state_.rv().estimate().total().minor_units(), full);
  Cmd too_much = Retail();
  too_much.mutable_save_reservation()->set_discount_bp(12000);
  EXPECT_TRUE(Refused(too_much, absl::StatusCode::kInvalidArgument, "save_reservation.discount_bp: 0 to 10000"));
  Cmd euros = Retail();
  euros.mutable_save_reservation()->mutable_discount()->set_minor_units(100);
  euros.mutable_save_reservation()->mutable_discount()->set_currency("EUR");
  EXPECT_TRUE(Refused(euros, absl::StatusCode::kInvalidArgument, "the rate FRD is in USD"));
}

// BK LOC is where the caller is logged in (the token's location claim),
// one the reference data's user access allows; not what the agent types.
TEST_F(RvTest, TheBookingLocationIsWhereTheCallerIsLoggedIn) {
  auto decide = [&](const Cmd& cmd, const Actor& actor) {
    return workflow_.Decide(Wrap(cmd), state_, DecisionContext{now_, actor, reference_.get(), {}});
  };
  Cmd at_cen = Retail();
  at_cen.mutable_save_reservation()->set_booking_location("CEN");
  at_cen.mutable_save_reservation()->clear_deposit();
  at_cen.mutable_save_reservation()->set_confirm_without_deposit(true);
  at_cen.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_RESERVATION);
  const Actor at_tus{"alice", kRoleAgent, {}, "TUS"};
  absl::Status s = decide(at_cen, at_tus).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "save_reservation.booking_location: alice is logged in at TUS, not CEN");
  s = decide(at_cen, Actor{"alice", kRoleAgent}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("alice's token names no location"));
  Cmd anywhere = at_cen;
  anywhere.mutable_save_reservation()->clear_booking_location();
  s = decide(anywhere, Actor{"alice", kRoleAgent, {}, "CINT"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "save_reservation: alice may not log in at CINT (the reference data's user "
                         "access allows TUS, LAX, CEN, INT)");
  s = decide(anywhere, Actor{"bob", kRoleAgent, {}, "CEN"}).status();
  EXPECT_THAT(s.message(), HasSubstr("user access lists no locations for them"));
  // Logged in at CEN, the exemption from the minimum deposit holds; with no
  // booking_location given, the login's is taken.
  EXPECT_TRUE(decide(at_cen, Actor{"alice", kRoleAgent, {}, "CEN"}).ok());
  Cmd unstated = Retail();
  unstated.mutable_save_reservation()->clear_booking_location();
  absl::StatusOr<std::vector<v1::CaseEvent>> saved = decide(unstated, at_tus);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ((*saved)[0].rv().reservation_saved().booking_location(), "TUS");
}

TEST_F(RvTest, UnfetteredUpdateBackDatesOnlyForPermittedUsersAndIsRecorded) {
  Cmd past = Retail();
  past.mutable_save_reservation()->mutable_pick_up()->set_date("2026-11-20");
  past.mutable_save_reservation()->set_unfettered(true);
  EXPECT_TRUE(Refused(past, absl::StatusCode::kPermissionDenied, "unfettered permission"));
  const Actor sue{"sue", kRoleAgent};  // unfettered in the reference data
  EXPECT_THAT(Do(past, sue), ElementsAre("RvReservationSaved", "RvDepositTaken"));
  EXPECT_TRUE(state_.rv().reservation().unfettered());
  v1::CaseState other;
  other.set_case_id("R2");
  EXPECT_THAT(Do(past, supervisor_, other), ElementsAre("RvReservationSaved", "RvDepositTaken"));
}

TEST_F(RvTest, PassengersAreRequiredAndLimitedByTheClass) {
  Cmd none = Retail();
  none.mutable_save_reservation()->set_passengers(0);
  EXPECT_TRUE(Refused(none, absl::StatusCode::kInvalidArgument, "save_reservation.passengers"));
  Cmd six = Retail();
  six.mutable_save_reservation()->set_passengers(6);
  EXPECT_TRUE(Refused(six, absl::StatusCode::kFailedPrecondition,
                      "6 passengers exceed the limit of 5 for class C25"));
  six.mutable_save_reservation()->set_class_code("C30");
  EXPECT_THAT(Do(six), ElementsAre("RvReservationSaved", "RvDepositTaken"));
}

TEST_F(RvTest, EstimatedMilesAreRecalculatedUnlessEditedByHand) {
  Do(Retail());
  EXPECT_EQ(state_.rv().reservation().estimated_miles(), 1000);  // 100 a day x 10
  EXPECT_FALSE(state_.rv().reservation().miles_edited());
  Cmd longer = Retail();
  longer.mutable_save_reservation()->clear_deposit();
  longer.mutable_save_reservation()->mutable_drop_off()->set_date("2026-12-22");
  Do(longer);
  EXPECT_EQ(state_.rv().reservation().estimated_miles(), 1200);
  Cmd edited = longer;
  edited.mutable_save_reservation()->set_estimated_miles(1750);
  Do(edited);
  EXPECT_TRUE(state_.rv().reservation().miles_edited());
  Cmd shorter = longer;
  shorter.mutable_save_reservation()->mutable_drop_off()->set_date("2026-12-15");
  Do(shorter);
  EXPECT_EQ(state_.rv().reservation().estimated_miles(), 1750);  // kept: flagged Y
  EXPECT_EQ(Line(state_.rv().estimate(), "MILES"), 1750 * 34);
  shorter.mutable_save_reservation()->set_recalculate_miles(true);  // flag back to N
  Do(shorter);
  EXPECT_FALSE(state_.rv().reservation().miles_edited());
  EXPECT_EQ(state_.rv().reservation().estimated_miles(), 500);
}

TEST_F(RvTest, PhoneAndAddressAreRequiredForARetailReservation) {
  Cmd no_phone = Retail();
  no_phone.mutable_save_reservation()->mutable_renter()->clear_cell_phone();
  EXPECT_TRUE(Refused(no_phone, absl::StatusCode::kFailedPrecondition,
                      "A phone number is required to save a retail reservation"));
  no_phone.mutable_save_reservation()->mutable_renter()->set_home_phone("714-555-1212");
  EXPECT_TRUE(When(no_phone).ok());  // home phone after the slash will do
  Cmd no_address = Retail();
  no_address.mutable_save_reservation()->mutable_renter()->clear_address();
  EXPECT_TRUE(Refused(no_address, absl::StatusCode::kFailedPrecondition,
                      "The address is a required field for a retail reservation"));
}

TEST_F(RvTest, APoBoxIsNotAcceptedAsTheRentalAgreementAddress) {
  Do(Retail());
  const int64_t due = state_.rv().estimate().total().minor_units() - 25000;
  for (const char* line : {"P.O. Box 12", "PO BOX 9", "post office box 3", "POB 77"}) {
    Cmd open = OpenRa("304359", due);
    open.mutable_open_rental_agreement()->mutable_address()->set_line1(line);
    open.mutable_open_rental_agreement()->mutable_address()->set_city("TUSTIN");
    EXPECT_TRUE(Refused(open, absl::StatusCode::kFailedPrecondition, "A P.O. Box is not accepted"))
        << line;
  }
  EXPECT_FALSE(IsPoBox("12 Boxwood Lane Apt 3")) << "a street name is not a box";
  EXPECT_FALSE(IsPoBox("1 Tempo Boxwood Rd"));
}

TEST_F(RvTest, OneWayWarnsAddsTheDropChargeAndNeedsAnAuthCode) {
  Cmd one_way = Retail();
  one_way.mutable_save_reservation()->mutable_drop_off()->set_location("LAX");
  EXPECT_TRUE(Refused(one_way, absl::StatusCode::kFailedPrecondition,
                      "To save a one-way reservation, an auth code must be entered"));
  for (const char* bad : {"B123456", "A12345", "A1234567", "a123456"}) {
    one_way.mutable_save_reservation()->set_auth_code(bad);
    EXPECT_TRUE(Refused(one_way, absl::StatusCode::kInvalidArgument,
                        "must begin with A or M and then 6 numbers"))
        << bad;
  }
  one_way.mutable_save_reservation()->set_auth_code("M123456");
  Do(one_way);
  EXPECT_TRUE(state_.rv().reservation().one_way());
  EXPECT_THAT(state_.rv().reservation().warnings(),
              ::testing::Contains("INFORM CUSTOMER THAT DEPOSIT IS NON-REFUNDABLE"));
  EXPECT_EQ(Line(state_.rv().estimate(), "DROP"), 50000);

  // A unit that needs moving gets the negative drop discount instead.
  v1::CaseState other;
  other.set_case_id("R2");
  one_way.mutable_save_reservation()->add_options()->set_code("DROP-F");
  Do(one_way, agent_, other);
  EXPECT_EQ(Line(other.rv().estimate(), "DROP-F"), -25000);
  EXPECT_EQ(Line(other.rv().estimate(), "DROP"), INT64_MIN);

  Cmd round_trip = Retail();
  round_trip.mutable_save_reservation()->add_options()->set_code("DROP");
  EXPECT_TRUE(Refused(round_trip, absl::StatusCode::kInvalidArgument, "is for one-way rentals"));
}

TEST_F(RvTest, MinimumDepositIsRequiredUnlessCentralReservationsConfirms) {
  Cmd no_deposit = Retail();
  no_deposit.mutable_save_reservation()->clear_deposit();
  EXPECT_TRUE(Refused(no_deposit, absl::StatusCode::kFailedPrecondition,
                      "Minimum Deposit (250.00) Required"));
  Cmd small = Retail();
  small.mutable_save_reservation()->mutable_deposit()->mutable_amount()->set_minor_units(10000);
  EXPECT_TRUE(Refused(small, absl::StatusCode::kFailedPrecondition, "Minimum Deposit (250.00) Required"));
  no_deposit.mutable_save_reservation()->set_booking_location("CEN");
  EXPECT_TRUE(Refused(no_deposit, absl::StatusCode::kFailedPrecondition,
                      "SAVE RES WITHOUT A MINIMUM DEPOSIT OK?"));
  no_deposit.mutable_save_reservation()->set_confirm_without_deposit(true);
  EXPECT_THAT(Do(no_deposit), ElementsAre("RvReservationSaved"));
  EXPECT_TRUE(state_.rv().reservation().saved_without_minimum_deposit());
}

TEST_F(RvTest, WithoutADepositTheSaveAsksQuoteOrReservationAndAQuoteNeedsAnEmail) {
  Cmd quote = Retail();
  quote.mutable_save_reservation()->clear_deposit();
  quote.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_UNSPECIFIED);
  EXPECT_TRUE(Refused(quote, absl::StatusCode::kFailedPrecondition,
                      "IS THIS A (Q)UOTATION OR A (R)ESERVATION?"));
  quote.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_QUOTE);
  quote.mutable_save_reservation()->mutable_renter()->clear_email();
  EXPECT_TRUE(Refused(quote, absl::StatusCode::kFailedPrecondition,
                      "If saving as a Quote, an E-Mail Address is required"));
  quote.mutable_save_reservation()->mutable_renter()->set_email("smith@example.com");
  EXPECT_THAT(Do(quote), ElementsAre("RvReservationSaved"));
  EXPECT_EQ(Stage(), v1::RV_QUOTE);
  Cmd with_deposit = Retail();
  with_deposit.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_QUOTE);
  EXPECT_TRUE(Refused(with_deposit, absl::StatusCode::kFailedPrecondition,
                      "a deposit was taken, so this is a reservation"));
  // A deposit on the quote makes it a reservation.
  Cmd deposit;
  *deposit.mutable_take_deposit()->mutable_deposit() = Deposit(25000);
  EXPECT_THAT(Do(deposit), ElementsAre("RvDepositTaken"));
  EXPECT_EQ(Stage(), v1::RV_RESERVED);
}

TEST_F(RvTest, ALeadRestoresItsDatesAndClassLater) {
  Cmd lead;
  v1::SaveRvReservation& l = *lead.mutable_save_reservation();
  l.set_booking_location("TUS");
  l.mutable_renter()->set_name("PAT CALLER");
  l.mutable_renter()->set_cell_phone("520-555-0100");
  *l.mutable_pick_up() = Moment("2027-01-05", "TUS");
  *l.mutable_drop_off() = Moment("2027-01-12", "TUS");
  l.set_class_code("C30");
  l.set_passengers(6);
  l.set_save_as(v1::RV_SAVE_AS_LEAD);
  EXPECT_THAT(Do(lead), ElementsAre("RvReservationSaved"));
  EXPECT_EQ(Stage(), v1::RV_LEAD);

  // The caller phones back: only what is new is entered.
  Cmd booked;
  v1::SaveRvReservation& b = *booked.mutable_save_reservation();
  b.set_booking_location("TUS");
  b.mutable_renter()->mutable_address()->set_line1("9 MESA DR");
  b.mutable_renter()->mutable_address()->set_city("TUCSON");
  b.set_rate_code("FRD");
  b.set_save_as(v1::RV_SAVE_AS_RESERVATION);
  *b.mutable_deposit() = Deposit(25000);
  EXPECT_THAT(Do(booked), ElementsAre("RvReservationSaved", "RvDepositTaken"));
  const v1::RvReservationSaved& r = state_.rv().reservation();
  EXPECT_TRUE(r.restored_from_lead());
  EXPECT_EQ(r.pick_up().date(), "2027-01-05");
  EXPECT_EQ(r.drop_off().date(), "2027-01-12");
  EXPECT_EQ(r.class_code(), "C30");
  EXPECT_EQ(r.passengers(), 6);
  EXPECT_EQ(r.renter().name(), "PAT CALLER");
}

TEST_F(RvTest, TourReservationsOnlyAtIntOrCintWithAVoucherAndNeverBackDated) {
  Cmd at_tus = Tour();
  at_tus.mutable_save_reservation()->set_booking_location("TUS");
  EXPECT_TRUE(Refused(at_tus, absl::StatusCode::kFailedPrecondition,
                      "must be logged in under the location INT (for USA) or CINT (Canada)"));
  Cmd backdated = Tour("2026-11-01", "2026-11-10");
  backdated.mutable_save_reservation()->set_unfettered(true);
  EXPECT_TRUE(Refused(backdated, absl::StatusCode::kFailedPrecondition,
                      "Tour reservations cannot be saved in Unfettered Res (backdated)", &supervisor_));
  Cmd past = Tour("2026-11-01", "2026-11-10");
  EXPECT_TRUE(Refused(past, absl::StatusCode::kFailedPrecondition, "Roll Date is earlier than today"));
  Cmd unknown = Tour();
  unknown.mutable_save_reservation()->mutable_voucher()->set_it_code("NOPE");
  EXPECT_TRUE(Refused(unknown, absl::StatusCode::kInvalidArgument, "voucher.it_code"));

  EXPECT_THAT(Do(Tour()), ElementsAre("RvReservationSaved"));  // no deposit: the operator pays
  EXPECT_EQ(Stage(), v1::RV_RESERVED);
  const v1::RvTourVoucher& v = state_.rv().reservation().voucher();
  EXPECT_EQ(v.class_code(), "C25");  // defaults from the reservation
  EXPECT_EQ(v.rate_code(), "FRD");   // and from the IT code
  EXPECT_EQ(v.days(), 14);
  // Editing a tour reservation is for INT / CINT too.
  EXPECT_TRUE(Refused(at_tus, absl::StatusCode::kFailedPrecondition, "INT (for USA)"));
}

TEST_F(RvTest, FlatTaxEvensTheStateTaxOnATourVoucher) {
  Do(Tour());
  const v1::RvEstimate& e = state_.rv().estimate();
  // TUS taxes 7%; ALLABOUT quotes a flat 10%: 3% more of the taxable charges.
  EXPECT_EQ(Line(e, "BKG FEE/CR"), (e.subtotal().minor_units() * 300 + 5000) / 10000);
  EXPECT_EQ(Line(e, "SLI"), 14 * 1575);  // included in the voucher
  v1::CaseState camp;
  camp.set_case_id("R2");
  Cmd no_flat = Tour();
  no_flat.mutable_save_reservation()->mutable_voucher()->set_it_code("CAMP");
  Do(no_flat, agent_, camp);
  EXPECT_EQ(Line(camp.rv().estimate(), "BKG FEE/CR"), INT64_MIN);
}

TEST_F(RvTest, CancellingATourInsideTheWindowNeedsThePenaltyWhichBecomesTheVoucherValue) {
  Do(Tour("2026-12-20", "2027-01-03"));  // 27 days ahead; the window is 45
  Cmd cancel;
  cancel.mutable_cancel_reservation()->set_reason("operator cancelled the tour");
  EXPECT_TRUE(Refused(cancel, absl::StatusCode::kFailedPrecondition,
                      "within 45 days of pick-up (27 days before) requires the penalty option"));
  cancel.mutable_cancel_reservation()->set_penalty_option("SLI");
  EXPECT_TRUE(Refused(cancel, absl::StatusCode::kInvalidArgument, "not a cancellation penalty option"));
  cancel.mutable_cancel_reservation()->set_penalty_option("CXLPEN");
  EXPECT_THAT(Do(cancel), ElementsAre("RvReservationCancelled"));
  EXPECT_EQ(Stage(), v1::RV_RESERVATION_CANCELLED);
  EXPECT_EQ(state_.rv().voucher_value().minor_units(), 30000);

  v1::CaseState early;
  early.set_case_id("R2");
  Do(Tour("2027-03-01", "2027-03-15"), agent_, early);
  Cmd free_cancel;
  free_cancel.mutable_cancel_reservation()->set_reason("changed plans");
  EXPECT_THAT(Do(free_cancel, agent_, early), ElementsAre("RvReservationCancelled"));
  EXPECT_EQ(early.rv().voucher_value().minor_units(), 0);
}

TEST_F(RvTest, NoWalkUpRentalAgreements) {
  EXPECT_TRUE(Refused(OpenRa("304359", 300000), absl::StatusCode::kFailedPrecondition,
                      "A reservation is required in order to open a RA. Walk-up RAs are not allowed"));
  Cmd quote = Retail();
  quote.mutable_save_reservation()->clear_deposit();
  quote.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_QUOTE);
  Do(quote);
  EXPECT_TRUE(Refused(OpenRa("304359", 300000), absl::StatusCode::kFailedPrecondition, "Walk-up"));
}

TEST_F(RvTest, ChargesStartAtTheReservationsPickUpEvenWhenPickedUpLater) {
  Cmd today = Retail();
  today.mutable_save_reservation()->mutable_pick_up()->set_date("2026-11-23");
  today.mutable_save_reservation()->mutable_drop_off()->set_date("2026-11-30");
  Do(today);
  const int64_t reserved_total = state_.rv().estimate().total().minor_units();
  now_ += absl::Hours(72);  // the renter turns up three days late
  Do(OpenRa("304359", reserved_total - 25000));
  EXPECT_EQ(state_.rv().rental_agreement().charges_from().date(), "2026-11-23");
  EXPECT_EQ(state_.rv().estimate().days(), 7);
  EXPECT_EQ(state_.rv().estimate().total().minor_units(), reserved_total);
}

TEST_F(RvTest, GeneratorReadingMayNotBeBelowTheUnitsAndAHigherOneIsConfirmed) {
  Do(Retail());
  const int64_t due = state_.rv().estimate().total().minor_units() - 25000;
  Cmd low = OpenRa("304359", due);
  low.mutable_open_rental_agreement()->set_generator_tenths(870);
  EXPECT_TRUE(Refused(low, absl::StatusCode::kFailedPrecondition,
                      "A generator reading (87.0) less than the unit's current reading (88.0) is not allowed"));
  Cmd high = OpenRa("304359", due);
  high.mutable_open_rental_agreement()->set_generator_tenths(900);
  EXPECT_TRUE(Refused(high, absl::StatusCode::kFailedPrecondition, "is the reading correct?"));
  high.mutable_open_rental_agreement()->set_confirm_generator_reading(true);
  EXPECT_TRUE(When(high).ok());
  Cmd missing = OpenRa("304359", due);
  missing.mutable_open_rental_agreement()->clear_generator_tenths();
  EXPECT_TRUE(Refused(missing, absl::StatusCode::kInvalidArgument, "generator reading is required"));
}

TEST_F(RvTest, TheRentalAgreementTakesADepositForTheFullEstimate) {
  Do(Retail());
  const int64_t total = state_.rv().estimate().total().minor_units();
  EXPECT_TRUE(Refused(OpenRa("304359", 0), absl::StatusCode::kFailedPrecondition,
                      "the RA takes a deposit for the full estimate"));
  EXPECT_TRUE(Refused(OpenRa("304359", total - 25000 - 1), absl::StatusCode::kFailedPrecondition,
                      "already deposited"));
  Do(OpenRa("304359", total - 25000));
  EXPECT_EQ(state_.rv().deposits_total().minor_units(), total);
}

TEST_F(RvTest, AUnitOnAnOpenRentalAgreementCannotBeRentedAgain) {
  const absl::Time booked_at = now_;
  OpenRetailRa();
  now_ = booked_at;
  v1::CaseState other;
  other.set_case_id("R2");
  Do(Retail(), agent_, other);
  const int64_t due = other.rv().estimate().total().minor_units() - 25000;
  absl::StatusOr<std::vector<v1::CaseEvent>> r = When(OpenRa("304359", due), agent_, other);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("unit 304359 is on open rental agreement RA-R1 (case R1)"));
  r = When(OpenRa("304358", due), agent_, other);  // a C30
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the reservation is for class C25"));
  Cmd free_unit = OpenRa("304360", due);
  free_unit.mutable_open_rental_agreement()->set_generator_tenths(415);
  EXPECT_TRUE(When(free_unit, agent_, other).ok());
}

TEST_F(RvTest, AnExtensionTakesANewDeposit) {
  OpenRetailRa();
  Cmd extend;
  *extend.mutable_extend_rental_agreement()->mutable_drop_off() = Moment("2026-12-22", "TUS");
  EXPECT_TRUE(Refused(extend, absl::StatusCode::kFailedPrecondition,
                      "an extension takes a new deposit of at least the added charges"));
  *extend.mutable_extend_rental_agreement()->mutable_drop_off() = Moment("2026-12-19", "TUS");
  EXPECT_TRUE(Refused(extend, absl::StatusCode::kFailedPrecondition, "moves the return later"));
}

TEST_F(RvTest, ClosingNeedsOdometerFuelAndGenerator) {
  OpenRetailRa();
  Cmd close = CloseRa(23000, 8, 900, "2026-12-20");
  close.mutable_close_rental_agreement()->clear_fuel_eighths();
  EXPECT_TRUE(Refused(close, absl::StatusCode::kInvalidArgument,
                      "the odometer reading, fuel level and generator reading are required"));
  EXPECT_TRUE(Refused(CloseRa(22000, 8, 900, "2026-12-20"), absl::StatusCode::kFailedPrecondition,
                      "below the 22010 recorded at pick-up"));
  EXPECT_TRUE(Refused(CloseRa(23000, 8, 800, "2026-12-20"), absl::StatusCode::kFailedPrecondition,
                      "generator reading 80.0 is below"));
}

TEST_F(RvTest, NoCreditForAnEarlyReturnAndFuelIsChargedByTheTank) {
  OpenRetailRa();
  v1::CaseState early = state_;
  v1::CaseState on_time = state_;
  Do(CloseRa(23000, 6, 900, "2026-12-16"), agent_, early);  // four days early, 2/8 down
  units_.clear();
  Do(CloseRa(23000, 6, 900, "2026-12-20"), agent_, on_time);
  EXPECT_EQ(early.rv().closing().charges().days(), 10);
  EXPECT_EQ(early.rv().closing().charges().total().minor_units(), on_time.rv().closing().charges().total().minor_units());
  EXPECT_EQ(Line(early.rv().closing().charges(), "FUEL"), 2 * 1500);
  EXPECT_EQ(Line(early.rv().closing().charges(), "MILES"), 990 * 34);
}

TEST_F(RvTest, TheRefundGoesToTheSingleCardUsedOrTheOneChosenWhenSeveralWere) {
  OpenRetailRa();  // both deposits on ...4242
  v1::CaseState one_card = state_;
  Do(CloseRa(23000, 8, 900, "2026-12-20"), agent_, one_card);
  EXPECT_EQ(one_card.rv().closing().settled_to_card().last4(), "4242");

  Cmd second;
  *second.mutable_take_deposit()->mutable_deposit() = Deposit(10000, Card("tok_mc_5555", "5555"));
  Do(second);
  units_.clear();
  units_["unit-304359"].set_exists(true);
  units_["unit-304359"].mutable_rv_unit()->set_on_case_id("R1");
  EXPECT_TRUE(Refused(CloseRa(23000, 8, 900, "2026-12-20"), absl::StatusCode::kFailedPrecondition,
                      "several cards paid deposits (...4242, ...5555)"));
  Cmd chosen = CloseRa(23000, 8, 900, "2026-12-20");
  *chosen.mutable_close_rental_agreement()->mutable_settle_to_card() = Card("tok_mc_5555", "5555");
  Do(chosen);
  EXPECT_EQ(state_.rv().closing().settled_to_card().token(), "tok_mc_5555");
}

TEST_F(RvTest, AdjustmentsAreCappedByTheUsersLimit) {
  OpenRetailRa();
  Cmd adjust;
  *adjust.mutable_adjust_charges()->mutable_credit() = commands::Usd(8000);
  adjust.mutable_adjust_charges()->set_reason("generator failed for a day");
  EXPECT_TRUE(Refused(adjust, absl::StatusCode::kPermissionDenied,
                      "an adjustment of 80.00 exceeds alice's customer-service adjustment limit of 50.00"));
  const Actor nobody{"bob", kRoleAgent};  // no limit on file: none allowed
  EXPECT_TRUE(Refused(adjust, absl::StatusCode::kPermissionDenied, "limit of 0.00", &nobody));
  EXPECT_THAT(Do(adjust, supervisor_), ElementsAre("RvChargesAdjusted"));
  *adjust.mutable_adjust_charges()->mutable_credit() = commands::Usd(5000);
  EXPECT_THAT(Do(adjust), ElementsAre("RvChargesAdjusted"));
  EXPECT_EQ(state_.rv().adjustments().minor_units(), 13000);
  Do(CloseRa(23000, 8, 900, "2026-12-20"));
  EXPECT_EQ(Line(state_.rv().closing().charges(), "ADJUSTMENT"), -13000);
}

TEST_F(RvTest, CardsAreKeptAsATokenAndTheLastFourDigitsOnly) {
  Cmd pan = Retail();
  *pan.mutable_save_reservation()->mutable_deposit()->mutable_card() = Card("4111111111111111", "1111");
  EXPECT_TRUE(Refused(pan, absl::StatusCode::kInvalidArgument, "looks like a card number"));
  Cmd bad_last4 = Retail();
  bad_last4.mutable_save_reservation()->mutable_deposit()->mutable_card()->set_last4("42");
  EXPECT_TRUE(Refused(bad_last4, absl::StatusCode::kInvalidArgument, "last4: must be exactly 4 digits"));
  // Free text is checked on the generic path, before the decider.
  Cmd in_notes = Retail();
  in_notes.mutable_save_reservation()->set_notes("card 4111 1111 1111 1111 exp 12/28");
  const absl::Status generic = CheckCommandFields(Wrap(in_notes));
  EXPECT_EQ(generic.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(generic.message(), HasSubstr("save_reservation.notes: holds what looks like a card number"));
  EXPECT_FALSE(ContainsCardNumber("call 714-444-1212 or 714-555-1212"));
  EXPECT_TRUE(ContainsCardNumber("5555-5555-5555-4444"));
}

TEST_F(RvTest, OutOfOrderCommandsNameTheStageAndWhatIsAllowed) {
  EXPECT_TRUE(Refused(CloseRa(1, 1, 1, "2026-12-20"), absl::StatusCode::kFailedPrecondition,
                      "is NOT_OPENED: close_rental_agreement refused"));
  Do(Retail());
  EXPECT_TRUE(Refused(CloseRa(1, 1, 1, "2026-12-20"), absl::StatusCode::kFailedPrecondition,
                      "Allowed now: save_reservation, take_deposit, cancel_reservation, "
                      "open_rental_agreement, add_note"));
  EXPECT_TRUE(Refused(Cmd(), absl::StatusCode::kInvalidArgument, "no command is set"));
}

// Rewrites every amount of `m` as records before Money held it: the bare
// `<name>_cents` beside each Money field, no Money.
void ToCents(google::protobuf::Message& m) {
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) ToCents(*r->MutableRepeatedMessage(&m, f, i));
      continue;
    }
    const google::protobuf::FieldDescriptor* cents =
        m.GetDescriptor()->FindFieldByName(absl::StrCat(f->name(), "_cents"));
    if (f->message_type() == v1::Money::descriptor() && cents != nullptr) {
      r->SetInt64(&m, cents, static_cast<const v1::Money&>(r->GetMessage(m, f)).minor_units());
      r->ClearField(&m, f);
    } else {
      ToCents(*r->MutableMessage(&m, f));
    }
  }
}

TEST_F(RvTest, RecordsWrittenWithCentsFoldToTheSameMoney) {
  OpenRetailRa();
  Cmd adjust;
  *adjust.mutable_adjust_charges()->mutable_credit() = commands::Usd(2500);
  adjust.mutable_adjust_charges()->set_reason("generator fault");
  Do(adjust, supervisor_);
  Do(CloseRa(23010, 8, 930, "2026-12-22"));
  ASSERT_EQ(Stage(), v1::RV_RA_CLOSED);

  v1::CaseState old_state;
  old_state.set_case_id("R1");
  int rewritten = 0;
  for (auto [event, meta] : recorded_) {
    const std::string before = event.SerializeAsString();
    ToCents(event);
    rewritten += event.SerializeAsString() != before;
    registry_.ApplyEvent(old_state, event, meta);
  }
  EXPECT_GE(rewritten, 5);  // saved, deposits, opened, adjusted, closed
  EXPECT_EQ(old_state.DebugString(), state_.DebugString());
  EXPECT_EQ(old_state.rv().closing().balance().currency(), "USD");
  EXPECT_EQ(old_state.rv().adjustments().minor_units(), 2500);
}

TEST(RvReferenceData, RefusesAnInconsistentRvSectionNamingTheEntry) {
  const std::string shipped = testing::ShippedReferenceText();
  const auto refused = [&](const std::string& from, const std::string& to) {
    std::string changed = shipped;
    const size_t at = changed.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    changed.replace(at, from.size(), to);
    absl::StatusOr<std::shared_ptr<const ReferenceData>> r = ReferenceData::FromTextProto(changed);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  EXPECT_THAT(refused("class_code: \"C30\" odometer: 18534", "class_code: \"C99\" odometer: 18534"),
              HasSubstr("rv.units[0] (304358): class_code 'C99' is not a class"));
  EXPECT_THAT(refused("rate_code: \"FRD\" flat_tax_bp: 1000", "rate_code: \"NOPE\" flat_tax_bp: 1000"),
              HasSubstr("rv.tour_operators[0] (ALLABOUT): rate_code 'NOPE' is not a rate product"));
  EXPECT_THAT(refused("max_passengers: 5", "max_passengers: five"), HasSubstr("line "));
  // One currency for the fleet, and amounts as Money.
  EXPECT_THAT(refused("security_deposit_card { minor_units: 50000 currency: \"USD\" }",
                      "security_deposit_card { minor_units: 50000 currency: \"CAD\" }"),
              HasSubstr("rv.control: security_deposit_card is in 'CAD', not the fleet's USD"));
  EXPECT_THAT(refused("fuel_price_per_eighth { minor_units: 1500 currency: \"USD\" }",
                      "fuel_price_per_eighth { minor_units: -1500 currency: \"USD\" }"),
              HasSubstr("fuel_price_per_eighth may not be negative"));
  EXPECT_THAT(refused("kind: RV_OPTION_PERCENTAGE percent_bp: 0",
                      "kind: RV_OPTION_PERCENTAGE price { minor_units: 1 currency: \"USD\" }"),
              HasSubstr("rv.options[5] (BKG FEE/CR): a percentage option has percent_bp, not a price"));
  EXPECT_THAT(refused("control {", "control { security_deposit_card_cents: 50000"),
              HasSubstr("security_deposit_card_cents"));
}

}  // namespace
}  // namespace tripdesk::workflows::rv
