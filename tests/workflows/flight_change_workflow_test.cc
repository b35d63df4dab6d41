// The flight change decider (seed 003): given events, when a command, then
// events or a refusal. One test per rule, named after it.
#include "workflows/flight_change/flight_change_workflow.h"

#include <google/protobuf/text_format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/decider_kit.h"

namespace tripdesk::workflows::flight_change {
namespace {

using ::testing::HasSubstr;
using testing::CaseUnderTest;
using testing::Events;
using testing::Refused;

v1::CaseCommand Change(const std::string& text) {
  v1::CaseCommand out;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, out.mutable_flight_change())) << text;
  return out;
}

const Actor kAgent{"alice", kRoleAgent, {kRoleAgent}};
const Actor kSupervisor{"sue", kRoleSupervisor, {kRoleSupervisor}};

// Rome to Milan and back on AZ, EUR 180.00 + 40.00 taxes, two tickets.
std::string Retrieve(const std::string& fare_family = "CLASSIC", const std::string& pnr = "ab12cd") {
  return "retrieve_booking { booking_reference: '" + pnr +
         "' customer { name: 'Giulia Rossi' email: 'giulia@example.com' } fare_family: '" +
         fare_family +
         "' itinerary { segments { airline: 'AZ' flight_number: '2010' origin: 'FCO' destination: "
         "'LIN' departure: '2026-12-10T07:00' } segments { airline: 'AZ' flight_number: '2037' "
         "origin: 'LIN' destination: 'FCO' departure: '2026-12-12T19:00' } fare { minor_units: 18000 "
         "currency: 'EUR' } taxes { minor_units: 4000 currency: 'EUR' } } ticket_numbers: "
         "['0551234567890', '0551234567891'] }";
}

// An option: the same route two days later unless `to` says otherwise.
std::string Option(const std::string& id, int64_t fare, int64_t taxes, const std::string& to = "LIN",
                   bool available = true) {
  return "options { option_id: '" + id + "' available: " + (available ? "true" : "false") +
         " itinerary { segments { airline: 'AZ' flight_number: '2012' origin: 'FCO' destination: '" + to +
         "' departure: '2026-12-12T07:00' } segments { airline: 'AZ' flight_number: '2039' origin: '" + to +
         "' destination: 'FCO' departure: '2026-12-14T19:00' } fare { minor_units: " + std::to_string(fare) +
         " currency: 'EUR' } taxes { minor_units: " + std::to_string(taxes) + " currency: 'EUR' } } }";
}

class FlightChangeTest : public ::testing::Test {
 protected:
  // Through approval 1: retrieved, confirmed, feasible, the customer goes on.
  void ThroughChangeConfirmed(CaseUnderTest& c, const std::string& kind = "FLIGHT_CHANGE_DATES",
                              const std::string& fare_family = "CLASSIC") {
    c.Given(Change(Retrieve(fare_family)), kAgent);
    c.Given(Change("confirm_current_details {}"), kAgent);
    c.Given(Change("check_feasibility { kind: " + kind + " }"), kAgent);
    c.Given(Change("record_change_decision { proceed: true }"), kAgent);
  }

  // Through approval 2 with an option of this fare and taxes.
  void ThroughOptionApproved(CaseUnderTest& c, int64_t fare, int64_t taxes,
                             const std::string& fare_family = "CLASSIC") {
    ThroughChangeConfirmed(c, "FLIGHT_CHANGE_DATES", fare_family);
    c.Given(Change("propose_options { " + Option("A", fare, taxes) + " }"), kAgent);
    c.Given(Change("record_option_decision { option_id: 'A' approved: true }"), kAgent);
  }

  // Through the update, the itinerary sent and its receipt confirmed.
  void ThroughReceipt(CaseUnderTest& c) {
    ThroughOptionApproved(c, 18000, 4000);
    c.Given(Change("compute_cost {}"), kAgent);
    c.Given(Change("record_cost_decision { accepted: true }"), kAgent);
    c.Given(Change("take_payment { amount { minor_units: 5000 currency: 'EUR' } card { token: 'tok_visa' last4: '4242' } }"),
            kAgent);
    c.Given(Change("update_booking { details_checked: true confirmation_number: 'AZC123' }"), kAgent);
    c.Given(Change("send_itinerary {}"), kAgent);
    c.Given(Change("confirm_itinerary_received { reminded_to_check: true }"), kAgent);
  }
};

TEST_F(FlightChangeTest, BookingReferenceIsSixLettersOrDigits) {
  CaseUnderTest c("FC1");
  EXPECT_THAT(c.When(Change(Retrieve("CLASSIC", "AB12")), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "six letters or digits"));
  testing::Decision d = c.When(Change(Retrieve()), kAgent);
  ASSERT_THAT(d, Events("FlightBookingRetrieved"));
  EXPECT_EQ(d.decided[0].flight_change().booking_retrieved().booking_reference(), "AB12CD");
  EXPECT_EQ(c.View().references(0).kind(), "pnr");
}

TEST_F(FlightChangeTest, TicketsAreThirteenDigitsWithTheAirlinesPrefix) {
  CaseUnderTest c("FC1");
  std::string bad = Retrieve();
  bad.replace(bad.find("0551234567890"), 13, "2201234567890");
  EXPECT_THAT(c.When(Change(bad), kAgent), Refused(absl::StatusCode::kInvalidArgument, "start with 055"));
  bad = Retrieve();
  bad.replace(bad.find("0551234567890"), 13, "055123");
  EXPECT_THAT(c.When(Change(bad), kAgent), Refused(absl::StatusCode::kInvalidArgument, "13 digits"));
}

TEST_F(FlightChangeTest, DetailsAreConfirmedWithTheCustomerBeforeTheAirlinesRules) {
  CaseUnderTest c("FC1");
  c.Given(Change(Retrieve()), kAgent);
  EXPECT_THAT(c.When(Change("check_feasibility { kind: FLIGHT_CHANGE_DATES }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "Allowed now: confirm_current_details"));
}

TEST_F(FlightChangeTest, AChangeThePolicyForbidsIsRefusedWithOfferAlternativesAllowed) {
  CaseUnderTest c("FC1");
  c.Given(Change(Retrieve("LIGHT")), kAgent);
  c.Given(Change("confirm_current_details {}"), kAgent);
  testing::Decision d = c.When(Change("check_feasibility { kind: FLIGHT_CHANGE_DESTINATION }"), kAgent);
  EXPECT_THAT(d, Refused(absl::StatusCode::kFailedPrecondition, "allows no destination change"));
  EXPECT_THAT(d.status.message(), HasSubstr("offer_alternatives"));
  EXPECT_THAT(c.When(Change("offer_alternatives { alternatives: 'a CLASSIC fare to Naples' }"), kAgent),
              Events("AlternativesOffered"));
  testing::Decision ok = c.When(Change("check_feasibility { kind: FLIGHT_CHANGE_DATES }"), kAgent);
  ASSERT_THAT(ok, Events("ChangeFeasibilityChecked"));
  EXPECT_EQ(ok.decided[0].flight_change().feasibility_checked().policy().change_fee().minor_units(), 7500);
}

TEST_F(FlightChangeTest, NoStepAfterAnApprovalBeforeIt) {
  CaseUnderTest c("FC1");
  c.Given(Change(Retrieve()), kAgent);
  c.Given(Change("confirm_current_details {}"), kAgent);
  c.Given(Change("check_feasibility { kind: FLIGHT_CHANGE_DATES }"), kAgent);
  // Approval 1 first.
  EXPECT_THAT(c.When(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "FC_FEASIBILITY_TOLD"));
  c.Given(Change("record_change_decision { proceed: true }"), kAgent);
  c.Given(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent);
  // Approval 2 first.
  EXPECT_THAT(c.When(Change("compute_cost {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "FC_OPTIONS_PROPOSED"));
  c.Given(Change("record_option_decision { option_id: 'A' approved: true }"), kAgent);
  c.Given(Change("compute_cost {}"), kAgent);
  // Approval 3 first.
  EXPECT_THAT(c.When(Change("update_booking { details_checked: true ticket_numbers: ['0559999999990', '0559999999991'] }"),
                     kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "FC_COST_TOLD"));
}

TEST_F(FlightChangeTest, ACustomerDecliningAtAnyApprovalEndsTheCaseWithNothingReissued) {
  for (const std::string at : {"change", "option", "cost"}) {
    CaseUnderTest c("FC-" + at);
    c.Given(Change(Retrieve()), kAgent);
    c.Given(Change("confirm_current_details {}"), kAgent);
    c.Given(Change("check_feasibility { kind: FLIGHT_CHANGE_DATES }"), kAgent);
    testing::Decision d;
    if (at == "change") {
      d = c.When(Change("record_change_decision { proceed: false note: 'keeps the flight' }"), kAgent);
    } else {
      c.Given(Change("record_change_decision { proceed: true }"), kAgent);
      c.Given(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent);
      if (at == "option") {
        d = c.When(Change("record_option_decision { approved: false }"), kAgent);
      } else {
        c.Given(Change("record_option_decision { option_id: 'A' approved: true }"), kAgent);
        c.Given(Change("compute_cost {}"), kAgent);
        d = c.When(Change("record_cost_decision { accepted: false }"), kAgent);
      }
    }
    ASSERT_THAT(d, Events("CustomerDeclinedChange")) << at;
    EXPECT_EQ(d.decided[0].flight_change().customer_declined().at(), at);
    EXPECT_FALSE(c.View().open()) << at;
    EXPECT_FALSE(c.state().flight_change().has_update()) << at;
    EXPECT_THAT(c.When(Change("update_booking { details_checked: true confirmation_number: 'AZC123' }"), kAgent),
                Refused(absl::StatusCode::kFailedPrecondition, "closed (FC_CHANGE_DECLINED)"));
  }
}

TEST_F(FlightChangeTest, OptionsOfADateChangeKeepTheRouteAndOfADestinationChangeChangeIt) {
  CaseUnderTest dates("FC1");
  ThroughChangeConfirmed(dates, "FLIGHT_CHANGE_DATES");
  EXPECT_THAT(dates.When(Change("propose_options { " + Option("A", 20000, 4000, "NAP") + " }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "a date change keeps the route FCO-LIN-FCO"));
  EXPECT_THAT(dates.When(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent),
              Events("FlightOptionsProposed"));
  CaseUnderTest destination("FC2");
  ThroughChangeConfirmed(destination, "FLIGHT_CHANGE_DESTINATION");
  EXPECT_THAT(destination.When(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "for another destination than LIN"));
  EXPECT_THAT(destination.When(Change("propose_options { " + Option("N", 20000, 4000, "NAP") + " }"), kAgent),
              Events("FlightOptionsProposed"));
  // A round trip's last destination is home: the destination is where it turns.
  EXPECT_THAT(destination.When(Change("propose_options { options { option_id: 'X' available: true itinerary { "
                                      "segments { airline: 'AZ' flight_number: '1' origin: 'FCO' destination: 'NAP' "
                                      "departure: '2026-12-10T07:00' } fare { minor_units: 1 currency: 'USD' } "
                                      "taxes { minor_units: 0 currency: 'USD' } } } }"),
                               kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "an amount in EUR"));
}

TEST_F(FlightChangeTest, AnOptionWithoutAvailabilityCannotBeApproved) {
  CaseUnderTest c("FC1");
  ThroughChangeConfirmed(c);
  c.Given(Change("propose_options { " + Option("A", 20000, 4000, "LIN", false) + " " + Option("B", 21000, 4000) + " }"),
          kAgent);
  EXPECT_THAT(c.When(Change("record_option_decision { option_id: 'A' approved: true }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "has no availability"));
  EXPECT_THAT(c.When(Change("record_option_decision { option_id: 'Z' approved: true }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "not one of the options proposed"));
  EXPECT_THAT(c.When(Change("record_option_decision { option_id: 'B' approved: true }"), kAgent),
              Events("CustomerApprovedOption"));
}

TEST_F(FlightChangeTest, CostIsTheChangeFeePlusTheFareAndTaxDifferenceToTheCent) {
  CaseUnderTest c("FC1");
  ThroughOptionApproved(c, 21050, 4320);  // fare +30.50, taxes +3.20, fee 50.00
  testing::Decision d = c.When(Change("compute_cost {}"), kAgent);
  ASSERT_THAT(d, Events("ChangeCostComputed"));
  const v1::ChangeCostComputed& cost = d.decided[0].flight_change().cost_computed();
  EXPECT_EQ(cost.fare_difference().minor_units(), 3050);
  EXPECT_EQ(cost.tax_difference().minor_units(), 320);
  EXPECT_EQ(cost.change_fee().minor_units(), 5000);
  EXPECT_EQ(cost.due().minor_units(), 8370);
  EXPECT_EQ(cost.due().currency(), "EUR");
  EXPECT_EQ(cost.new_total().minor_units(), 21050 + 4320 + 5000);
  EXPECT_EQ(cost.residual().minor_units(), 0);
}

TEST_F(FlightChangeTest, ACheaperFareLeavesAResidualTheAirlinesPolicyTreats) {
  CaseUnderTest credited("FC1");
  ThroughOptionApproved(credited, 12000, 4000, "CLASSIC");  // 60.00 cheaper, fee 50.00
  testing::Decision d = credited.When(Change("compute_cost {}"), kAgent);
  ASSERT_THAT(d, Events("ChangeCostComputed"));
  EXPECT_EQ(d.decided[0].flight_change().cost_computed().due().minor_units(), 5000);
  EXPECT_EQ(d.decided[0].flight_change().cost_computed().residual().minor_units(), 6000);
  EXPECT_EQ(d.decided[0].flight_change().cost_computed().residual_treatment(), v1::RESIDUAL_CREDITED);
  CaseUnderTest refunded("FC2");
  ThroughOptionApproved(refunded, 12000, 4000, "FLEX");
  d = refunded.When(Change("compute_cost {}"), kAgent);
  EXPECT_EQ(d.decided[0].flight_change().cost_computed().due().minor_units(), 0);
  EXPECT_EQ(d.decided[0].flight_change().cost_computed().residual_treatment(), v1::RESIDUAL_REFUNDED);
}

TEST_F(FlightChangeTest, PaymentMustEqualWhatIsDueAndIsSkippedWhenNothingIs) {
  CaseUnderTest c("FC1");
  ThroughOptionApproved(c, 18000, 4000);  // only the fee: 50.00
  c.Given(Change("compute_cost {}"), kAgent);
  c.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  EXPECT_EQ(c.state().flight_change().stage(), v1::FC_PAYMENT_DUE);
  EXPECT_THAT(c.When(Change("take_payment { amount { minor_units: 4000 currency: 'EUR' } card { token: 't' last4: '4242' } }"),
                     kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "is not what is due, EUR 50.00"));
  EXPECT_THAT(c.When(Change("take_payment { amount { minor_units: 5000 currency: 'EUR' } card { token: 't' last4: '42' } }"),
                     kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "last four digits"));
  EXPECT_THAT(c.When(Change("take_payment { amount { minor_units: 5000 currency: 'EUR' } card { token: 't' last4: '4242' } }"),
                     kAgent),
              Events("ChangePaymentTaken"));
  CaseUnderTest free("FC2");
  ThroughOptionApproved(free, 18000, 4000, "FLEX");  // nothing due
  free.Given(Change("compute_cost {}"), kAgent);
  free.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  EXPECT_EQ(free.state().flight_change().stage(), v1::FC_READY_TO_UPDATE);
  EXPECT_THAT(free.When(Change("take_payment { amount { minor_units: 0 currency: 'EUR' } card { token: 't' last4: '4242' } }"),
                        kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "only when something is due"));
}

TEST_F(FlightChangeTest, ASupervisorMayWaiveTheChangeFeeWithAReason) {
  CaseUnderTest c("FC1");
  ThroughOptionApproved(c, 18000, 4000);
  c.Given(Change("compute_cost {}"), kAgent);
  EXPECT_THAT(c.When(Change("waive_change_fee { reason: 'airline disruption' }"), kAgent),
              Refused(absl::StatusCode::kPermissionDenied, "supervisor"));
  EXPECT_THAT(c.When(Change("waive_change_fee {}"), kSupervisor),
              Refused(absl::StatusCode::kInvalidArgument, "waive_change_fee.reason"));
  testing::Decision d = c.When(Change("waive_change_fee { reason: 'airline disruption' }"), kSupervisor);
  ASSERT_THAT(d, Events("ChangeFeeWaived", "ChangeCostComputed"));
  EXPECT_EQ(d.decided[1].flight_change().cost_computed().due().minor_units(), 0);
  EXPECT_TRUE(d.decided[1].flight_change().cost_computed().fee_waived());
}

TEST_F(FlightChangeTest, AFareChangeReissuesTicketsAndOtherwiseAConfirmation) {
  CaseUnderTest reissue("FC1");
  ThroughOptionApproved(reissue, 20000, 4000, "FLEX");
  reissue.Given(Change("compute_cost {}"), kAgent);
  reissue.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  reissue.Given(Change("take_payment { amount { minor_units: 2000 currency: 'EUR' } card { token: 't' last4: '4242' } }"),
                kAgent);
  EXPECT_THAT(reissue.When(Change("update_booking { details_checked: true confirmation_number: 'AZC123' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "each of the booking's 2 tickets is reissued"));
  EXPECT_THAT(reissue.When(Change("update_booking { details_checked: true ticket_numbers: ['0551234567890', '0559999999991'] }"),
                           kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "a reissued ticket has a new number"));
  EXPECT_THAT(reissue.When(Change("update_booking { ticket_numbers: ['0559999999990', '0559999999991'] }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "details_checked"));
  EXPECT_THAT(reissue.When(Change("update_booking { details_checked: true ticket_numbers: ['0559999999990', '0559999999991'] }"),
                           kAgent),
              Events("FlightBookingUpdated"));
  CaseUnderTest same("FC2");
  ThroughOptionApproved(same, 18000, 4000, "FLEX");
  same.Given(Change("compute_cost {}"), kAgent);
  same.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  EXPECT_THAT(same.When(Change("update_booking { details_checked: true ticket_numbers: ['0559999999990', '0559999999991'] }"),
                        kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "nothing is reissued"));
  EXPECT_THAT(same.When(Change("update_booking { details_checked: true confirmation_number: 'azc123' }"), kAgent),
              Events("FlightBookingUpdated"));
  EXPECT_EQ(same.state().flight_change().update().confirmation_number(), "AZC123");
}

TEST_F(FlightChangeTest, TheItineraryEmailIsRenderedWithOldAndNewFlightsAndKept) {
  CaseUnderTest c("FC1");
  ThroughOptionApproved(c, 18000, 4000);
  c.Given(Change("compute_cost {}"), kAgent);
  c.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  c.Given(Change("take_payment { amount { minor_units: 5000 currency: 'EUR' } card { token: 't' last4: '4242' } }"),
          kAgent);
  c.Given(Change("update_booking { details_checked: true confirmation_number: 'AZC123' }"), kAgent);
  testing::Decision d = c.When(Change("send_itinerary {}"), kAgent);
  ASSERT_THAT(d, Events("UpdatedItinerarySent"));
  const v1::RenderedEmail& email = d.decided[0].flight_change().itinerary_sent().email();
  EXPECT_EQ(email.to(), "giulia@example.com");
  EXPECT_EQ(email.subject(), "Your updated itinerary, booking AB12CD");
  EXPECT_THAT(email.body(), HasSubstr("Before:\nAZ2010 FCO-LIN 2026-12-10T07:00"));
  EXPECT_THAT(email.body(), HasSubstr("Now:\nAZ2012 FCO-LIN 2026-12-12T07:00"));
  EXPECT_THAT(email.body(), HasSubstr("Total paid for the change: EUR 50.00. Documents: AZC123."));
  EXPECT_THAT(c.When(Change("send_itinerary { channel: CONTACT_SMS }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "no address for this channel"));
}

TEST_F(FlightChangeTest, ReceiptIsConfirmedWithTheReminderToCheckTheItinerary) {
  CaseUnderTest c("FC1");
  ThroughOptionApproved(c, 18000, 4000, "FLEX");
  c.Given(Change("compute_cost {}"), kAgent);
  c.Given(Change("record_cost_decision { accepted: true }"), kAgent);
  c.Given(Change("update_booking { details_checked: true confirmation_number: 'AZC123' }"), kAgent);
  c.Given(Change("send_itinerary {}"), kAgent);
  EXPECT_THAT(c.When(Change("confirm_itinerary_received {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "remind the customer to check"));
  EXPECT_THAT(c.When(Change("confirm_itinerary_received { reminded_to_check: true }"), kAgent),
              Events("ItineraryReceiptConfirmed"));
}

TEST_F(FlightChangeTest, ClosingNeedsArrangementsALogNoteAndACrmInteraction) {
  CaseUnderTest c("FC1");
  ThroughReceipt(c);
  EXPECT_THAT(c.When(Change("close_change {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition,
                      "still to do: the effects on hotels and other arrangements acknowledged; a note in "
                      "the booking log; an interaction recorded in the CRM"));
  c.Given(Change("acknowledge_other_arrangements { effects: 'hotel in Milan moved by two nights' }"), kAgent);
  c.Given(Change("add_booking_log_note { text: 'dates moved +2 days, fee paid' }"), kAgent);
  EXPECT_THAT(c.When(Change("close_change {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "an interaction recorded in the CRM"));
  EXPECT_THAT(c.When(Change("record_crm_interaction { summary: 'called' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "record_crm_interaction.channel"));
  c.Given(Change("record_crm_interaction { channel: CONTACT_PHONE summary: 'customer asked for +2 days' }"), kAgent);
  EXPECT_THAT(c.When(Change("close_change {}"), kAgent), Events("FlightChangeClosed"));
  EXPECT_FALSE(c.View().open());
  EXPECT_THAT(c.When(Change("archive_correspondence { documents: 'email-2026-12-01.eml' }"), kAgent),
              Events("CorrespondenceArchived"));
}

TEST_F(FlightChangeTest, TheDeskMayCancelAChangeWithAReasonReleasingThePnr) {
  CaseUnderTest c("FC1");
  ThroughChangeConfirmed(c);
  v1::CaseCommand cancel;
  cancel.mutable_common()->mutable_cancel()->set_reason("customer unreachable for a week");
  EXPECT_THAT(c.When(cancel, kSupervisor), Events("CaseCancelledByDesk"));
  EXPECT_EQ(c.state().flight_change().stage(), v1::FC_CHANGE_CANCELLED);
  EXPECT_FALSE(c.View().open());
  EXPECT_EQ(c.View().status(), v1::CASE_STATUS_CANCELLED);
  EXPECT_THAT(c.When(Change("propose_options { " + Option("A", 20000, 4000) + " }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "closed (FC_CHANGE_CANCELLED)"));
}

TEST_F(FlightChangeTest, ClosingBeforeTheItineraryWasReceivedIsRefused) {
  CaseUnderTest c("FC1");
  ThroughChangeConfirmed(c);
  c.Given(Change("acknowledge_other_arrangements { effects: 'none' }"), kAgent);
  EXPECT_THAT(c.When(Change("close_change {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "received the new itinerary"));
}

}  // namespace
}  // namespace tripdesk::workflows::flight_change
