// Flight changes (seed 003) through the real tripdeskd over gRPC: a date
// change from the booking to its close, one open change per PNR, and
// refusals that write nothing.
#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_day.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const testing::Caller kAgent{"alice", "agent"};
const testing::Caller kSupervisor{"sue", "supervisor"};
const testing::Caller kDashboard{"dash", "dashboard"};

v1::CaseCommand Change(const std::string& text) {
  v1::CaseCommand out;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, out.mutable_flight_change())) << text;
  return out;
}

std::string Retrieve(const std::string& pnr) {
  return "retrieve_booking { booking_reference: '" + pnr +
         "' customer { name: 'Giulia Rossi' email: 'giulia@example.com' } fare_family: 'CLASSIC' "
         "itinerary { segments { airline: 'AZ' flight_number: '2010' origin: 'FCO' destination: 'LIN' "
         "departure: '2026-12-10T07:00' } segments { airline: 'AZ' flight_number: '2037' origin: 'LIN' "
         "destination: 'FCO' departure: '2026-12-12T19:00' } fare { minor_units: 18000 currency: 'EUR' } "
         "taxes { minor_units: 4000 currency: 'EUR' } } ticket_numbers: '0551234567890' }";
}

class FlightChangeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{testing::TestClockFlag()});
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
  }

  v1::CommandReply Must(const std::string& case_id, const std::string& command,
                        const testing::Caller& who = kAgent) {
    v1::CommandReply reply;
    grpc::Status s = client_->Submit(who, case_id, Change(command), &reply);
    EXPECT_TRUE(s.ok()) << command << ": " << s.error_message();
    return reply;
  }

  grpc::Status Try(const std::string& case_id, const std::string& command,
                   const testing::Caller& who = kAgent) {
    v1::CommandReply reply;
    return client_->Submit(who, case_id, Change(command), &reply);
  }

  std::vector<std::string> StreamTypes(const std::string& stream) { return client_->StreamTypes(stream); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(FlightChangeServiceTest, ADateChangeFromTheBookingToItsClose) {
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Open(kAgent, "FC1", Change(Retrieve("AB12CD")), &reply).ok());
  Must("FC1", "confirm_current_details {}");
  Must("FC1", "check_feasibility { kind: FLIGHT_CHANGE_DATES }");
  Must("FC1", "record_change_decision { proceed: true note: 'customer wants two days later' }");
  Must("FC1",
       "propose_options { options { option_id: 'A' available: true itinerary { segments { airline: 'AZ' "
       "flight_number: '2012' origin: 'FCO' destination: 'LIN' departure: '2026-12-12T07:00' } segments { "
       "airline: 'AZ' flight_number: '2039' origin: 'LIN' destination: 'FCO' departure: "
       "'2026-12-14T19:00' } fare { minor_units: 21050 currency: 'EUR' } taxes { minor_units: 4320 "
       "currency: 'EUR' } } } }");
  Must("FC1", "record_option_decision { option_id: 'A' approved: true }");
  reply = Must("FC1", "compute_cost {}");
  EXPECT_EQ(reply.view().state(), "FC_COST_TOLD");
  EXPECT_EQ(reply.reservation().flight_change().cost().due().minor_units(), 8370);
  Must("FC1", "record_cost_decision { accepted: true }");
  Must("FC1", "take_payment { amount { minor_units: 8370 currency: 'EUR' } card { token: 'tok_visa' last4: '4242' } }");
  Must("FC1", "update_booking { details_checked: true ticket_numbers: '0559999999990' }");
  reply = Must("FC1", "send_itinerary {}");
  EXPECT_THAT(reply.reservation().flight_change().itinerary_sent().email().body(),
              HasSubstr("Total paid for the change: EUR 83.70. Documents: 0559999999990."));
  Must("FC1", "confirm_itinerary_received { reminded_to_check: true }");
  Must("FC1", "acknowledge_other_arrangements { effects: 'hotel in Milan moved by two nights' }");
  Must("FC1", "add_booking_log_note { text: 'dates +2 days, EUR 83.70 paid, ticket reissued' }");
  Must("FC1", "record_crm_interaction { channel: CONTACT_PHONE summary: 'asked for +2 days' }");
  reply = Must("FC1", "close_change {}");
  EXPECT_EQ(reply.view().state(), "FC_CHANGE_COMPLETED");
  EXPECT_FALSE(reply.view().open());
  EXPECT_THAT(StreamTypes("case-FC1"),
              ElementsAre("FlightBookingRetrieved", "CurrentDetailsConfirmed", "ChangeFeasibilityChecked",
                          "CustomerConfirmedChange", "FlightOptionsProposed", "CustomerApprovedOption",
                          "ChangeCostComputed", "CustomerAcceptedCost", "ChangePaymentTaken",
                          "FlightBookingUpdated", "UpdatedItinerarySent", "ItineraryReceiptConfirmed",
                          "OtherArrangementsAcknowledged", "BookingLogNoteAdded", "CrmInteractionRecorded",
                          "FlightChangeClosed"));
  // The PNR was the case's while open; released at the close, a new change may take it.
  ASSERT_TRUE(client_->Open(kAgent, "FC2", Change(Retrieve("AB12CD")), &reply).ok());
}

TEST_F(FlightChangeServiceTest, ChangesWaitingForTheCustomerAndWithPaymentDue) {
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Open(kAgent, "FC1", Change(Retrieve("AB12CD")), &reply).ok());
  Must("FC1", "confirm_current_details {}");
  auto listed = [&](const std::string& filter) {
    v1::ListCasesRequest request;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(filter, &request));
    request.set_min_position(client_->LastPosition());
    v1::ListCasesResponse response;
    EXPECT_TRUE(client_->Call(kDashboard, &v1::CaseService::Stub::ListCases, client_->cases(), request, &response)
                    .ok());
    std::vector<std::string> ids;
    for (const v1::CaseView& v : response.cases()) ids.push_back(v.case_id());
    return ids;
  };
  EXPECT_THAT(listed("waiting_on_customer: true"), ElementsAre());
  reply = Must("FC1", "check_feasibility { kind: FLIGHT_CHANGE_DATES }");
  EXPECT_TRUE(reply.view().waiting_on_customer());
  EXPECT_THAT(listed("waiting_on_customer: true"), ElementsAre("FC1"));
  EXPECT_THAT(listed("waiting_on_customer: true workflow: WORKFLOW_FLIGHT_CHANGE"), ElementsAre("FC1"));
  Must("FC1", "record_change_decision { proceed: true }");
  EXPECT_THAT(listed("waiting_on_customer: true"), ElementsAre());
  Must("FC1",
       "propose_options { options { option_id: 'A' available: true itinerary { segments { airline: 'AZ' "
       "flight_number: '2012' origin: 'FCO' destination: 'LIN' departure: '2026-12-12T07:00' } segments { "
       "airline: 'AZ' flight_number: '2039' origin: 'LIN' destination: 'FCO' departure: "
       "'2026-12-14T19:00' } fare { minor_units: 18000 currency: 'EUR' } taxes { minor_units: 4000 "
       "currency: 'EUR' } } } }");
  Must("FC1", "record_option_decision { option_id: 'A' approved: true }");
  Must("FC1", "compute_cost {}");
  EXPECT_THAT(listed("waiting_on_customer: true"), ElementsAre("FC1"));
  Must("FC1", "record_cost_decision { accepted: true }");
  EXPECT_THAT(listed("waiting_on_customer: true"), ElementsAre());
  EXPECT_THAT(listed("state: 'FC_PAYMENT_DUE'"), ElementsAre("FC1"));
}

// Every interaction with a customer, across their cases of every workflow.
TEST_F(FlightChangeServiceTest, TheCustomersCrmTimelineAcrossAllTheirCases) {
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Open(kAgent, "FC1", Change(Retrieve("AB12CD")), &reply).ok());
  Must("FC1", "record_crm_interaction { channel: CONTACT_PHONE summary: 'asked for two days later' }");
  // The same customer's car booking.
  v1::CaseCommand car;
  const int64_t pick = absl::ToUnixSeconds(testing::TestClockStart() + absl::Hours(24 * 14));
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      absl::StrCat("car_booking { receive_request { channel: CHANNEL_EMAIL customer { name: 'Giulia Rossi' "
                   "email: 'GIULIA@example.com' } traveller_name: 'Giulia Rossi' client_company: 'Acme' "
                   "ticket_ref: 'FD-9' requested_car: 'Compact' pick_up { location: 'LIN' time { seconds: ",
                   pick, " } zone: 'Europe/Rome' } drop_off { location: 'LIN' time { seconds: ", pick + 3 * 86400,
                   " } zone: 'Europe/Rome' } } }"),
      &car));
  ASSERT_TRUE(client_->Open(kAgent, "C9", car, &reply).ok());
  Must("FC1", "add_booking_log_note { text: 'told about the car rental in Milan' }");
  v1::ListCustomerTimelineRequest request;
  request.set_customer("giulia@EXAMPLE.com");
  request.set_min_position(client_->LastPosition());
  v1::ListCustomerTimelineResponse timeline;
  ASSERT_TRUE(client_->Call(kDashboard, &v1::CaseService::Stub::ListCustomerTimeline, client_->cases(), request,
                            &timeline)
                  .ok());
  std::vector<std::string> seen;
  for (const v1::CustomerTimelineEntry& e : timeline.entries()) seen.push_back(absl::StrCat(e.case_id(), " ", e.event_type()));
  EXPECT_THAT(seen, ElementsAre("FC1 BookingLogNoteAdded", "C9 CarRequestReceived", "FC1 CrmInteractionRecorded",
                                "FC1 FlightBookingRetrieved"));
  EXPECT_EQ(timeline.entries(2).text(), "CRM (phone): asked for two days later");
  EXPECT_EQ(timeline.entries(1).workflow(), v1::WORKFLOW_MANUAL_CAR_BOOKING);
  request.set_page_size(1);
  ASSERT_TRUE(client_->Call(kDashboard, &v1::CaseService::Stub::ListCustomerTimeline, client_->cases(), request,
                            &timeline)
                  .ok());
  ASSERT_EQ(timeline.entries_size(), 1);
  request.set_page_token(timeline.next_page_token());
  ASSERT_TRUE(client_->Call(kDashboard, &v1::CaseService::Stub::ListCustomerTimeline, client_->cases(), request,
                            &timeline)
                  .ok());
  EXPECT_EQ(timeline.entries(0).case_id(), "C9");
}

TEST_F(FlightChangeServiceTest, OneOpenChangePerBookingReference) {
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Open(kAgent, "FC1", Change(Retrieve("ZZ99YY")), &reply).ok());
  const uint64_t before = client_->LastPosition();
  grpc::Status s = client_->Open(kAgent, "FC2", Change(Retrieve("zz99yy")), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("pnr ZZ99YY is held by case FC1"));
  EXPECT_EQ(client_->LastPosition(), before);
  v1::FindCaseByReferenceRequest find;
  find.set_value("zz99yy");
  v1::FindCaseByReferenceResponse found;
  ASSERT_TRUE(client_->Call(kDashboard, &v1::CaseService::Stub::FindCaseByReference, client_->cases(), find, &found)
                  .ok());
  ASSERT_EQ(found.holders_size(), 1);
  EXPECT_EQ(found.holders(0).case_id(), "FC1");
}

TEST_F(FlightChangeServiceTest, RefusalsWriteNothingAndNameTheRule) {
  const uint64_t start = client_->LastPosition();
  v1::CommandReply reply;
  grpc::Status s = client_->Open(kAgent, "BAD1", Change("retrieve_booking { booking_reference: 'AB1' }"), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = client_->Open(kDashboard, "BAD2", Change(Retrieve("AB12CD")), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->LastPosition(), start);

  ASSERT_TRUE(client_->Open(kAgent, "FC1", Change(Retrieve("AB12CD")), &reply).ok());
  Must("FC1", "confirm_current_details {}");
  const uint64_t confirmed = client_->LastPosition();
  s = Try("FC1", "check_feasibility {}");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = Try("FC1", "compute_cost {}");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("Allowed now: check_feasibility, offer_alternatives"));
  s = Try("FC1", "waive_change_fee { reason: 'goodwill' }", kSupervisor);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  s = Try("FC1", "close_change {}");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  s = Try("FC1", "record_crm_interaction { channel: CONTACT_PHONE summary: 'x' }", kDashboard);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->LastPosition(), confirmed);
}

}  // namespace
}  // namespace tripdesk
