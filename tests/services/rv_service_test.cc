// RV rentals through the real tripdeskd over gRPC: a retail reservation to
// its RA's close with a refund, a tour cancelled inside the window with its
// penalty, agents racing for one unit, refusals that write nothing, and the
// unit availability view.
#include <atomic>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/commands/rv.h"
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
using commands::RvCommand;

// Dates on the server's fixed day (tests/testing/test_day.h).
std::string Day(int days_from_today) { return testing::TestDay(days_from_today); }

class RvServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{testing::TestClockFlag()});
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    Connected();
  }

  // The test client on channel_ (again after a test starts its own server).
  void Connected() {
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
    cases_ = &client_->cases();
    log_ = &client_->log();
  }

  // Logged in at `location` (TUS, the counter the tests book at, by default).
  void Identify(grpc::ClientContext& context, const std::string& id, const std::string& role,
                const std::string& location = "TUS") {
    client_->Identify(context, {id, role, location});
  }

  grpc::Status Open(const std::string& case_id, RvCommand command, v1::CommandReply* reply) {
    // Logged in where the reservation is booked.
    const testing::Caller who{"alice", "agent", command.save_reservation().booking_location()};
    return client_->Open(who, case_id, commands::AsCaseCommand(std::move(command)), reply);
  }

  grpc::Status Submit(const std::string& case_id, RvCommand command, v1::CommandReply* reply,
                      const std::string& actor = "alice", const std::string& role = "agent") {
    return client_->Submit({actor, role, "TUS"}, case_id,
                           commands::AsCaseCommand(std::move(command)), reply);
  }

  v1::CommandReply MustSubmit(const std::string& case_id, RvCommand command) {
    v1::CommandReply reply;
    grpc::Status status = Submit(case_id, std::move(command), &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  v1::ReservationView Reservation(const std::string& case_id, uint64_t min_position) {
    v1::GetReservationRequest request;
    request.set_case_id(case_id);
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, "dash", "dashboard");
    v1::ReservationView view;
    grpc::Status status = cases_->GetReservation(&context, request, &view);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return view;
  }

  std::vector<std::string> FreeUnits(const std::string& class_code, const std::string& from,
                                     const std::string& to, uint64_t min_position) {
    v1::ListAvailableUnitsRequest request;
    request.set_class_code(class_code);
    request.set_from_date(from);
    request.set_to_date(to);
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, "dash", "dashboard");
    v1::ListAvailableUnitsResponse response;
    grpc::Status status = cases_->ListAvailableUnits(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const auto& unit : response.units()) out.push_back(unit.vehicle_number());
    return out;
  }

  uint64_t LastPosition() { return server_->LastPosition(channel_); }

  std::vector<std::string> StreamTypes(const std::string& stream) { return client_->StreamTypes(stream); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
  v1::CaseService::Stub* cases_ = nullptr;
  v1::EventLog::Stub* log_ = nullptr;
};

TEST_F(RvServiceTest, RetailReservationThroughDepositRaOpenExtensionAndCloseWithARefund) {
  // Picked up today, due back tomorrow at 11:00, extended to 18:00.
  v1::CommandReply reply;
  RvCommand quote = commands::Retail(Day(0), Day(1));
  quote.mutable_save_reservation()->clear_deposit();
  quote.mutable_save_reservation()->set_save_as(v1::RV_SAVE_AS_QUOTE);
  ASSERT_TRUE(Open("RV1", quote, &reply).ok());
  EXPECT_EQ(reply.view().state(), "RV_QUOTE");
  EXPECT_EQ(reply.view().workflow(), v1::WORKFLOW_RV_RENTAL);

  RvCommand deposit;
  *deposit.mutable_take_deposit()->mutable_deposit() = commands::Deposit(25000);
  reply = MustSubmit("RV1", deposit);
  EXPECT_EQ(reply.view().state(), "RV_RESERVED");
  v1::ReservationView view = Reservation("RV1", reply.last_position());
  const int64_t estimate = view.rv().estimate().total().minor_units();
  EXPECT_EQ(view.rv().deposits_total().minor_units(), 25000);
  EXPECT_EQ(view.rv().balance().minor_units(), estimate - 25000);
  EXPECT_EQ(view.rv().class_code(), "C25");
  EXPECT_EQ(view.rv().deposits(0).card().last4(), "4242");

  EXPECT_THAT(FreeUnits("C25", Day(0), Day(1), reply.last_position()), ElementsAre("304359", "304360"));
  reply = MustSubmit("RV1", commands::OpenRa("304359", estimate - 25000));
  EXPECT_EQ(reply.view().state(), "RV_RA_OPEN");
  EXPECT_THAT(StreamTypes("unit-304359"), ElementsAre("RvUnitRentedOut"));
  EXPECT_THAT(FreeUnits("C25", Day(0), Day(1), reply.last_position()), ElementsAre("304360"));
  EXPECT_THAT(FreeUnits("C25", Day(5), Day(9), reply.last_position()), ElementsAre("304359", "304360"));
  view = Reservation("RV1", reply.last_position());
  EXPECT_EQ(view.rv().vehicle_number(), "304359");
  EXPECT_EQ(view.rv().ra_number(), "RA-RV1");
  EXPECT_EQ(view.rv().balance().minor_units(), 0);

  RvCommand extend;
  *extend.mutable_extend_rental_agreement()->mutable_drop_off() = commands::Moment(Day(1), "TUS", "1800");
  *extend.mutable_extend_rental_agreement()->mutable_deposit() = commands::Deposit(20000);
  reply = MustSubmit("RV1", extend);
  view = Reservation("RV1", reply.last_position());
  EXPECT_EQ(view.rv().drop_off().time(), "1800");
  EXPECT_EQ(view.rv().estimate().days(), 2);

  reply = MustSubmit("RV1", commands::CloseRa(22210, 8, 900, Day(1), "1800"));
  EXPECT_EQ(reply.view().state(), "RV_RA_CLOSED");
  EXPECT_FALSE(reply.view().open());
  view = Reservation("RV1", reply.last_position());
  EXPECT_LT(view.rv().balance().minor_units(), 0) << "the security deposit and the excess come back";
  EXPECT_THAT(StreamTypes("unit-304359"), ElementsAre("RvUnitRentedOut", "RvUnitReturned"));
  EXPECT_THAT(FreeUnits("C25", Day(0), Day(1), reply.last_position()), ElementsAre("304359", "304360"));
  EXPECT_THAT(StreamTypes("case-RV1"),
              ElementsAre("RvReservationSaved", "RvDepositTaken", "RentalAgreementOpened",
                          "RvDepositTaken", "RentalAgreementExtended", "RvDepositTaken",
                          "RentalAgreementClosed"));
}

TEST_F(RvServiceTest, TourWithAVoucherCancelledInsideTheWindowCarriesThePenalty) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("TOUR1", commands::Tour(Day(20), Day(34)), &reply).ok());
  EXPECT_EQ(reply.view().state(), "RV_RESERVED");
  RvCommand cancel;
  cancel.mutable_cancel_reservation()->set_reason("tour operator cancelled");
  const uint64_t before = LastPosition();
  grpc::Status refused = Submit("TOUR1", cancel, &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("within 45 days of pick-up (20 days before)"));
  EXPECT_EQ(LastPosition(), before);

  cancel.mutable_cancel_reservation()->set_penalty_option("CXLPEN");
  reply = MustSubmit("TOUR1", cancel);
  EXPECT_EQ(reply.view().state(), "RV_RESERVATION_CANCELLED");
  const v1::ReservationView view = Reservation("TOUR1", reply.last_position());
  EXPECT_EQ(view.rv().voucher().it_code(), "ALLABOUT");
  EXPECT_EQ(view.rv().voucher_value().minor_units(), 30000);
}

TEST_F(RvServiceTest, TwoAgentsRacingForOneUnitOnlyOneRentsIt) {
  constexpr int kAgents = 6;
  int64_t due = 0;
  for (int i = 0; i < kAgents; ++i) {
    v1::CommandReply reply;
    ASSERT_TRUE(Open(absl::StrCat("RACE", i), commands::Retail(Day(2), Day(6)), &reply).ok());
    due = Reservation(absl::StrCat("RACE", i), reply.last_position()).rv().balance().minor_units();
  }
  std::atomic<int> ok{0};
  std::atomic<int> taken{0};
  std::vector<std::thread> agents;
  for (int i = 0; i < kAgents; ++i) {
    agents.emplace_back([&, i] {
      v1::CommandReply reply;
      grpc::Status s = Submit(absl::StrCat("RACE", i), commands::OpenRa("304359", due), &reply,
                              absl::StrCat("agent", i));
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 s.error_message().find("unit 304359 is on open rental agreement") != std::string::npos) {
        ++taken;
      } else {
        ADD_FAILURE() << s.error_code() << " " << s.error_message();
      }
    });
  }
  for (std::thread& t : agents) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(taken.load(), kAgents - 1);
  EXPECT_THAT(StreamTypes("unit-304359"), ElementsAre("RvUnitRentedOut"));
}

TEST_F(RvServiceTest, RefusalsWriteNothingAndNameTheRule) {
  v1::CommandReply reply;
  const uint64_t start = LastPosition();
  RvCommand past = commands::Retail(Day(-1), Day(3));
  grpc::Status s = Open("BAD1", past, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("ERROR - Roll Date is earlier than today"));
  RvCommand walk_up = commands::OpenRa("304359", 100000);
  s = Open("BAD2", walk_up, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("Walk-up RAs are not allowed"));
  RvCommand pan = commands::Retail(Day(3), Day(5));
  pan.mutable_save_reservation()->mutable_deposit()->mutable_card()->set_token("4111111111111111");
  s = Open("BAD3", pan, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("looks like a card number"));
  EXPECT_EQ(LastPosition(), start);

  ASSERT_TRUE(Open("RV2", commands::Retail(Day(3), Day(5)), &reply).ok());
  const uint64_t opened = LastPosition();
  RvCommand adjust;  // only on an open RA, and within alice's 50.00
  *adjust.mutable_adjust_charges()->mutable_credit() = commands::Usd(1000);
  adjust.mutable_adjust_charges()->set_reason("goodwill");
  s = Submit("RV2", adjust, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case RV2 is RV_RESERVED"));
  s = Submit("RV2", commands::CloseRa(1, 1, 1, Day(5)), &reply, "alice", "auditor");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LastPosition(), opened);
}

// Every amount is a Money in the rental's currency; the bare cents fields of
// old records are refused in a command, naming the field to use instead.
TEST_F(RvServiceTest, AmountsAreMoneyInTheRentalsCurrency) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("M1", commands::Retail(Day(3), Day(5)), &reply).ok());
  const v1::RvReservationDetail& rv = reply.reservation().rv();
  EXPECT_EQ(rv.estimate().total().currency(), "USD");
  EXPECT_EQ(rv.deposits_total().minor_units(), 25000);
  EXPECT_EQ(rv.balance().minor_units(), rv.estimate().total().minor_units() - 25000);
  EXPECT_EQ(rv.balance().currency(), "USD");
  const uint64_t opened = LastPosition();

  RvCommand cents;
  v1::RvDeposit* deposit = cents.mutable_take_deposit()->mutable_deposit();
  *deposit = commands::Deposit(10000);
  deposit->clear_amount();
  deposit->GetReflection()->SetInt64(
      deposit, v1::RvDeposit::descriptor()->FindFieldByName("amount_cents"), 10000);
  grpc::Status s = Submit("M1", cents, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("take_deposit.deposit.amount_cents: is no longer taken; use amount"));

  RvCommand euros;
  *euros.mutable_take_deposit()->mutable_deposit() = commands::Deposit(10000);
  euros.mutable_take_deposit()->mutable_deposit()->mutable_amount()->set_currency("EUR");
  s = Submit("M1", euros, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("this rental is in USD, not EUR"));
  EXPECT_EQ(LastPosition(), opened);
}

// Dates at the counter are the location's local dates: at 20:00 in Tucson
// (03:00 UTC the next day) a pick-up today is today, not yesterday.
TEST_F(RvServiceTest, DatesAtTheCounterAreTheLocationsLocalDates) {
  const std::string evening_in_tucson =
      absl::StrCat("--test_clock_start=", testing::TestDay(1), "T03:00:00Z");
  server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("evening"),
                                                     std::vector<std::string>{evening_in_tucson});
  channel_ = server_->Connect();
  ASSERT_NE(channel_, nullptr);
  Connected();
  v1::CommandReply reply;
  grpc::Status s = Open("LOCAL1", commands::Retail(Day(0), Day(2)), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reply.reservation().rv().pick_up().date(), Day(0));
  // The day before is in the past there.
  s = Open("LOCAL2", commands::Retail(Day(-1), Day(2)), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("today ", Day(0))));
}

// Streams are case-<id> and unit-<number>; a bare case id is no stream and
// NOT_FOUND says how they are named. A command's reply position is the one
// to wait for.
TEST_F(RvServiceTest, StreamNamesAndThePositionToWaitFor) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("S1", commands::Retail(Day(0), Day(1)), &reply).ok());
  const int64_t due = reply.reservation().rv().balance().minor_units();
  reply = MustSubmit("S1", commands::OpenRa("304359", due));
  // The command wrote the unit's stream too (and claimed the RA number on
  // its reference stream): its last position is at or after the case's own
  // last record, and waiting for it shows the unit out.
  EXPECT_GE(reply.last_position(), reply.view().last_position());
  EXPECT_EQ(reply.last_position() - reply.first_position() + 1, 4u);
  EXPECT_THAT(FreeUnits("C25", Day(0), Day(1), reply.last_position()), ElementsAre("304360"));

  for (const std::string& stream : {std::string("case-S1"), std::string("unit-304359")}) {
    v1::GetStreamHeadRequest request;
    request.set_stream(stream);
    v1::StreamHead head;
    grpc::ClientContext context;
    Identify(context, "ann", "auditor");
    EXPECT_TRUE(log_->GetStreamHead(&context, request, &head).ok()) << stream;
  }
  v1::ReadStreamRequest bare;
  bare.set_stream("S1");
  v1::ReadStreamResponse response;
  grpc::ClientContext context;
  Identify(context, "ann", "auditor");
  const grpc::Status s = log_->ReadStream(&context, bare, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("streams are named case-<case id> (case-S1 for case S1)"));
  v1::ReadStreamRequest unknown_unit;
  unknown_unit.set_stream("unit-999");
  grpc::ClientContext unit_context;
  Identify(unit_context, "ann", "auditor");
  const grpc::Status u = log_->ReadStream(&unit_context, unknown_unit, &response);
  EXPECT_EQ(u.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(u.error_message(), ::testing::Not(HasSubstr("streams are named")));
}

// A client learns the codes from the server, not its textproto: the
// reference data by role, and every "unknown" code answered with the known.
TEST_F(RvServiceTest, ReferenceDataIsReadableAndUnknownCodesListTheKnownOnes) {
  auto read = [&](const std::string& id, const std::string& role, const std::string& section,
                  v1::ReferenceData* data) {
    v1::GetReferenceDataRequest request;
    request.set_section(section);
    grpc::ClientContext context;
    Identify(context, id, role);
    return cases_->GetReferenceData(&context, request, data);
  };
  std::vector<std::string> users;
  auto user_names = [&](const v1::ReferenceData& d) {
    users.clear();
    for (const v1::RvUserLimit& u : d.rv().user_limits()) users.push_back(u.user());
    return users;
  };
  v1::ReferenceData data;
  ASSERT_TRUE(read("alice", "agent", "rv", &data).ok());
  EXPECT_FALSE(data.has_car_booking());
  EXPECT_EQ(data.rv().locations_size(), 5);
  EXPECT_EQ(data.rv().rates(0).seasons(0).period_price().currency(), "USD");
  EXPECT_THAT(user_names(data), ElementsAre("alice")) << "an agent sees their own access only";
  ASSERT_TRUE(read("sue", "supervisor", "", &data).ok());
  EXPECT_TRUE(data.has_car_booking());
  EXPECT_THAT(user_names(data), ElementsAre("sue", "alice"));
  ASSERT_TRUE(read("dash", "dashboard", "", &data).ok());
  EXPECT_THAT(user_names(data), ElementsAre());
  EXPECT_EQ(read("alice", "agent", "cars", &data).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext anonymous;
  EXPECT_EQ(cases_->GetReferenceData(&anonymous, v1::GetReferenceDataRequest(), &data).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const uint64_t start = LastPosition();
  v1::CommandReply reply;
  RvCommand bad_class = commands::Retail(Day(3), Day(5));
  bad_class.mutable_save_reservation()->set_class_code("C99");
  grpc::Status s = Open("U1", bad_class, &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown class 'C99'; one of C25, C30 (tripdesk reference lists them)"));
  RvCommand bad_location = commands::Retail(Day(3), Day(5));
  bad_location.mutable_save_reservation()->mutable_drop_off()->set_location("CEN");
  s = Open("U2", bad_location, &reply);
  EXPECT_THAT(s.error_message(), HasSubstr("CEN is not a rental location; one of TUS, LAX"));
  RvCommand bad_option = commands::Retail(Day(3), Day(5));
  bad_option.mutable_save_reservation()->add_options()->set_code("WIFI");
  s = Open("U3", bad_option, &reply);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown option 'WIFI'; one of SLI, PROMODISC, GEN"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("BKG FEE/CR"))) << "a tax item is not offered";
  EXPECT_EQ(LastPosition(), start);
}

// BK LOC: a reservation is saved at the location the caller's token says
// they are logged in at, one their user access allows; typing another is
// refused, and nothing is written.
TEST_F(RvServiceTest, TheBookingLocationComesFromTheLoginNotTheAgent) {
  const uint64_t start = LastPosition();
  v1::OpenCaseRequest request;
  request.set_case_id("LOC1");
  RvCommand at_cen = commands::Retail(Day(3), Day(5));
  at_cen.mutable_save_reservation()->set_booking_location("CEN");
  *request.mutable_command() = commands::AsCaseCommand(at_cen);
  v1::CommandReply reply;
  {
    grpc::ClientContext context;
    Identify(context, "alice", "agent", "TUS");
    const grpc::Status s = cases_->OpenCase(&context, request, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(s.error_message(), "save_reservation.booking_location: alice is logged in at TUS, not CEN");
  }
  {
    grpc::ClientContext context;
    Identify(context, "alice", "agent", "");
    EXPECT_EQ(cases_->OpenCase(&context, request, &reply).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(LastPosition(), start);
  // Unsaid, the login's location is taken.
  request.mutable_command()->mutable_rv()->mutable_save_reservation()->clear_booking_location();
  grpc::ClientContext context;
  Identify(context, "alice", "agent", "TUS");
  ASSERT_TRUE(cases_->OpenCase(&context, request, &reply).ok());
  EXPECT_EQ(reply.reservation().rv().booking_location(), "TUS");
}

// Seed 004's counter: alternate dates with their three columns in the reply
// and the reservation view, a retail discount, and a tour voucher that
// cannot change once the RA is open.
TEST_F(RvServiceTest, AlternateDatesDiscountsAndALockedVoucher) {
  v1::CommandReply reply;
  RvCommand asked = commands::Retail(Day(30), Day(37));
  asked.mutable_save_reservation()->set_alternate_dates(true);
  asked.mutable_save_reservation()->set_discount_bp(500);
  ASSERT_TRUE(Open("ALT1", asked, &reply).ok());
  ASSERT_EQ(reply.reservation().rv().alternates_size(), 2);
  EXPECT_EQ(reply.reservation().rv().alternates(0).pick_up_date(), Day(26));
  const v1::ReservationView view = Reservation("ALT1", reply.last_position());
  ASSERT_EQ(view.rv().alternates_size(), 2);
  EXPECT_EQ(view.rv().alternates(1).pick_up_date(), Day(34));
  bool discounted = false;
  for (const v1::RvEstimateLine& line : view.rv().estimate().lines()) {
    discounted |= line.label() == "DISCOUNT" && line.amount().minor_units() < 0;
  }
  EXPECT_TRUE(discounted);

  RvCommand later = commands::Retail(Day(30), Day(37));
  later.mutable_save_reservation()->clear_deposit();
  later.mutable_save_reservation()->set_choose_column(3);
  reply = MustSubmit("ALT1", later);
  EXPECT_EQ(reply.reservation().rv().pick_up().date(), Day(34));

  // A tour picked up today: its RA opens, and then the voucher is locked.
  ASSERT_TRUE(Open("TOUR2", commands::Tour(Day(0), Day(3)), &reply).ok());
  RvCommand ra = commands::OpenRa("304360", 500000);
  ra.mutable_open_rental_agreement()->set_generator_tenths(415);  // the unit's reading
  reply = MustSubmit("TOUR2", ra);
  ASSERT_EQ(reply.view().state(), "RV_RA_OPEN");
  const uint64_t opened = LastPosition();
  RvCommand edit = commands::Tour(Day(0), Day(3));
  edit.mutable_save_reservation()->mutable_voucher()->set_voucher_number("K99999");
  v1::SubmitCommandRequest submit;
  submit.set_case_id("TOUR2");
  *submit.mutable_command() = commands::AsCaseCommand(edit);
  grpc::ClientContext context;
  Identify(context, "alice", "agent", "INT");
  const grpc::Status locked = cases_->SubmitCommand(&context, submit, &reply);
  EXPECT_EQ(locked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(locked.error_message(), HasSubstr("is RV_RA_OPEN: save_reservation refused"));
  EXPECT_THAT(locked.error_message(),
              HasSubstr("a tour's voucher cannot be edited or deleted in RA Open or RA Close"));
  EXPECT_EQ(LastPosition(), opened);
}

// A server on a test clock decides and records on that clock's day: a
// pick-up "today" in 2030 is taken (on the system clock it would be more
// than two years ahead), and its record is stamped in 2030. Off loopback
// the test clock is refused.
TEST(RvServiceTestClock, DecisionsAndRecordsFollowTheServersClock) {
  testing::TempDir dir;
  testing::ServerProcess server(dir.Sub("data"), {"--test_clock_start=2030-01-15T10:00:00Z"});
  auto channel = server.Connect();
  ASSERT_NE(channel, nullptr) << server.Log();
  testing::TestClient client(server, channel);
  v1::CommandReply reply;
  const grpc::Status opened =
      client.Open({"alice", "agent", "TUS"}, "T2030",
                  commands::AsCaseCommand(commands::Retail("2030-01-15", "2030-01-17")), &reply);
  ASSERT_TRUE(opened.ok()) << opened.error_message();
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(reply.view().created_at().seconds()),
                             absl::UTCTimeZone()),
            "2030-01-15");
  EXPECT_THAT(server.Log(), HasSubstr("test clock: decisions and records see time from 2030-01-15"));

  testing::ServerProcess exposed(dir.Sub("exposed"),
                                 {"--listen=0.0.0.0:0", "--allow_plaintext_non_loopback",
                                  "--test_clock_start=2030-01-15T10:00:00Z"});
  EXPECT_EQ(testing::DescribeExit(exposed.Wait()), "exited 1");
  EXPECT_THAT(exposed.Log(), HasSubstr("--enable_test_clock fakes the time decisions are made at: "
                                       "loopback only"));
}

// F8=EST: the seed's estimate with alternate dates, asked of a server whose
// clock is on 2015-08-20, through PreviewCommand: the three columns to the
// cent, and nothing written. A preview is refused as the command would be.
TEST(RvServicePreview, TheSeedsAlternateDatesEstimateWithoutSaving) {
  testing::TempDir dir;
  testing::ServerProcess server(dir.Sub("data"), {"--test_clock_start=2015-08-20T17:00:00Z"});
  auto channel = server.Connect();
  ASSERT_NE(channel, nullptr) << server.Log();
  auto cases = v1::CaseService::NewStub(channel);

  RvCommand peters = commands::Retail("2015-09-01", "2015-09-15");
  v1::SaveRvReservation& r = *peters.mutable_save_reservation();
  r.set_booking_location("CEN");
  r.mutable_renter()->set_name("PETERS/STEVEN");
  r.clear_deposit();
  r.set_save_as(v1::RV_SAVE_AS_UNSPECIFIED);
  r.add_options()->set_code("SLI");
  r.add_options()->set_code("PROMODISC");
  r.set_alternate_dates(true);
  v1::PreviewCommandRequest request;
  request.set_open(true);
  request.set_case_id("PETERS");
  *request.mutable_command() = commands::AsCaseCommand(peters);
  request.mutable_command()->mutable_rv()->mutable_save_reservation()->set_save_as(
      v1::RV_SAVE_AS_QUOTE);
  grpc::ClientContext context;
  server.Authorize(context, "alice", "agent", "CEN");
  v1::CommandPreview preview;
  const grpc::Status status = cases->PreviewCommand(&context, request, &preview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(preview.events_size(), 1);
  const v1::RvReservationSaved& saved = preview.events(0).rv().reservation_saved();
  EXPECT_EQ(saved.estimate().total().minor_units(), 264214);
  ASSERT_EQ(saved.alternates_size(), 2);
  EXPECT_EQ(saved.alternates(0).total().minor_units(), 279194);
  EXPECT_EQ(saved.alternates(1).total().minor_units(), 264214);
  EXPECT_EQ(preview.view().state(), "RV_QUOTE");
  ASSERT_EQ(preview.reservation().rv().alternates_size(), 2);
  EXPECT_EQ(preview.reservation().rv().alternates(0).pick_up_date(), "2015-08-28");
  EXPECT_EQ(server.LastPosition(channel), 0u) << "a preview writes nothing";

  // The same refusals as the command: a quote needs an email.
  request.mutable_command()->mutable_rv()->mutable_save_reservation()->mutable_renter()->clear_email();
  grpc::ClientContext refused;
  server.Authorize(refused, "alice", "agent", "CEN");
  const grpc::Status no_email = cases->PreviewCommand(&refused, request, &preview);
  EXPECT_EQ(no_email.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(no_email.error_message(), HasSubstr("If saving as a Quote, an E-Mail Address is required"));
  // And the same roles: an auditor previews nothing.
  grpc::ClientContext auditor;
  server.Authorize(auditor, "ann", "auditor");
  EXPECT_EQ(cases->PreviewCommand(&auditor, request, &preview).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server.LastPosition(channel), 0u);
}

}  // namespace
}  // namespace tripdesk
