// Fleet bookings (seed 001) through the real tripdeskd over gRPC: the wizard
// to a booking reference and the views (all bookings, availability,
// accounts), agents racing for one asset, a retried request, cancelling,
// and refusals that write nothing.
#include <atomic>
#include <thread>

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

v1::CaseCommand Fleet(const std::string& text) {
  v1::CaseCommand out;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, out.mutable_fleet())) << text;
  return out;
}

// A local time on the test day (or days after), in London.
std::string At(int days, const std::string& hhmm) {
  return absl::StrCat(testing::TestDay(days), "T", hhmm);
}

class FleetServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{testing::TestClockFlag()});
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
  }

  grpc::Status Do(const std::string& case_id, const std::string& command, v1::CommandReply* reply,
                  const testing::Caller& who = kAgent, const std::string& command_id = "") {
    return client_->Submit(who, case_id, Fleet(command), reply, command_id);
  }

  v1::CommandReply Must(const std::string& case_id, const std::string& command,
                        const testing::Caller& who = kAgent) {
    v1::CommandReply reply;
    grpc::Status s = Do(case_id, command, &reply, who);
    EXPECT_TRUE(s.ok()) << command << ": " << s.error_message();
    return reply;
  }

  // An approved account with one verified driver, added through `case_id`.
  std::string Account(const std::string& case_id, const std::string& name = "Acme Ltd") {
    v1::CommandReply r = Must(case_id, "add_account { account { name: '" + name +
                                           "' email: 'ops@acme.example' company: 'Acme' } }");
    const std::string id = r.reservation().fleet().added_account_id();
    Must(case_id, "approve_account { account_id: '" + id + "' }", kSupervisor);
    r = Must(case_id, "add_driver { account_id: '" + id +
                          "' driver { name: 'Sam Driver' licence_number: 'SAM1' "
                          "licence_valid_until: '2031-01-01' } }");
    Must(case_id, "verify_driver { account_id: '" + id + "' driver_id: '" +
                      r.reservation().fleet().added_driver_id() + "' }",
         kSupervisor);
    return id;
  }

  // Start, asset, options, the account (approved, one driver), handover.
  void Ready(const std::string& case_id, const std::string& start, const std::string& asset,
             const std::string& account = "") {
    v1::CommandReply reply;
    ASSERT_TRUE(client_->Open(kAgent, case_id, Fleet("start_booking { start: '" + start + "' }"), &reply)
                    .ok());
    Must(case_id, "select_asset { asset_id: '" + asset + "' }");
    Must(case_id, "choose_options { duration_id: '1d' mileage_id: '300mi' extra_ids: 'sat-nav' }");
    const std::string id = account.empty() ? Account(case_id) : account;
    Must(case_id, "select_account { account_id: '" + id + "' }");
    Must(case_id, "choose_handover { mode: 'delivery' }");
  }

  template <typename Request, typename Response>
  Response Query(grpc::Status (v1::CaseService::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request) {
    Response response;
    grpc::Status s = client_->Call(kDashboard, rpc, client_->cases(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::ListFleetBookingsResponse Bookings(const std::string& filters) {
    v1::ListFleetBookingsRequest request;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(filters, &request));
    request.set_min_position(client_->LastPosition());
    return Query(&v1::CaseService::Stub::ListFleetBookings, request);
  }

  std::vector<std::string> StreamTypes(const std::string& stream) { return client_->StreamTypes(stream); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(FleetServiceTest, TheWizardToABookingReferenceAndTheViews) {
  Ready("FB1", At(1, "09:00"), "VAN-01");
  v1::CommandReply reply = Must("FB1", "create_booking {}");
  const v1::FleetBookingState& fleet = reply.reservation().fleet();
  EXPECT_EQ(fleet.stage(), v1::FLEET_BOOKING_REQUESTED);
  const std::string reference = fleet.booking_reference();
  ASSERT_EQ(reference.size(), 8u);
  // 1 day VAN 89.00 + 300 miles 15.00 + sat nav 8.00 = 112.00, VAT 22.40.
  EXPECT_EQ(fleet.options().billing().total().minor_units(), 13440);
  EXPECT_EQ(reply.view().state(), "FLEET_BOOKING_REQUESTED");
  EXPECT_THAT(StreamTypes("asset-VAN-01"), ElementsAre("FleetAssetHeld"));

  v1::ListFleetBookingsResponse all = Bookings("");
  ASSERT_EQ(all.bookings_size(), 1);
  const v1::FleetBookingRow& row = all.bookings(0);
  EXPECT_EQ(row.booking_reference(), reference);
  EXPECT_EQ(row.asset_id(), "VAN-01");
  EXPECT_EQ(row.account_name(), "Acme Ltd");
  EXPECT_EQ(row.driver_name(), "Sam Driver");
  EXPECT_EQ(row.start_local(), At(1, "09:00"));
  EXPECT_EQ(row.end_local(), At(2, "09:00"));
  EXPECT_EQ(row.handover_mode(), "delivery");
  EXPECT_EQ(row.total().minor_units(), 13440);
  EXPECT_EQ(Bookings("asset_id: 'VAN-01'").bookings_size(), 1);
  EXPECT_EQ(Bookings("asset_id: 'VAN-02'").bookings_size(), 0);
  EXPECT_EQ(Bookings("account_id: '" + row.account_id() + "'").bookings_size(), 1);
  EXPECT_EQ(Bookings("from_date: '" + testing::TestDay(1) + "' to_date: '" + testing::TestDay(1) + "'")
                .bookings_size(),
            1);
  EXPECT_EQ(Bookings("from_date: '" + testing::TestDay(2) + "'").bookings_size(), 0);

  // Look-up by booking reference.
  v1::FindCaseByReferenceRequest find;
  find.set_value(reference);
  v1::FindCaseByReferenceResponse found = Query(&v1::CaseService::Stub::FindCaseByReference, find);
  ASSERT_EQ(found.holders_size(), 1);
  EXPECT_EQ(found.holders(0).case_id(), "FB1");
  EXPECT_EQ(found.holders(0).kind(), "booking_reference");

  v1::FleetAssetAvailabilityRequest period;
  period.set_from_date(testing::TestDay(1));
  period.set_to_date(testing::TestDay(1));
  period.set_asset_class("VAN");
  period.set_min_position(client_->LastPosition());
  v1::FleetAssetAvailabilityResponse availability =
      Query(&v1::CaseService::Stub::GetFleetAvailability, period);
  ASSERT_EQ(availability.assets_size(), 2);
  EXPECT_EQ(availability.assets(0).asset().id(), "VAN-01");
  EXPECT_FALSE(availability.assets(0).free());
  EXPECT_EQ(availability.assets(0).bookings(0).case_id(), "FB1");
  EXPECT_TRUE(availability.assets(1).free());

  v1::ListFleetAccountsRequest accounts;
  accounts.set_search("acme");
  accounts.set_min_position(client_->LastPosition());
  ASSERT_EQ(Query(&v1::CaseService::Stub::ListFleetAccounts, accounts).accounts_size(), 1);
  accounts.set_awaiting_approval(true);
  EXPECT_EQ(Query(&v1::CaseService::Stub::ListFleetAccounts, accounts).accounts_size(), 0);
}

TEST_F(FleetServiceTest, AccountsAwaitingApprovalAndDriversAwaitingVerification) {
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Open(kAgent, "FB1", Fleet("start_booking { start: '" + At(1, "09:00") + "' }"), &reply)
                  .ok());
  Must("FB1", "select_asset { asset_id: 'CAR-01' }");
  Must("FB1", "choose_options { duration_id: '4h' mileage_id: '100mi' }");
  reply = Must("FB1", "add_account { account { name: 'Zed Co' phone: '+442079460000' } }");
  const std::string id = reply.reservation().fleet().added_account_id();
  Must("FB1", "add_driver { account_id: '" + id +
                  "' driver { name: 'Ann' licence_number: 'ANN1' licence_valid_until: '2030-01-01' } }");
  v1::ListFleetAccountsRequest request;
  request.set_awaiting_approval(true);
  request.set_min_position(client_->LastPosition());
  v1::ListFleetAccountsResponse waiting = Query(&v1::CaseService::Stub::ListFleetAccounts, request);
  ASSERT_EQ(waiting.accounts_size(), 1);
  EXPECT_EQ(waiting.accounts(0).account().account_id(), id);
  request.set_awaiting_approval(false);
  request.set_drivers_awaiting_verification(true);
  EXPECT_EQ(Query(&v1::CaseService::Stub::ListFleetAccounts, request).accounts_size(), 1);
  Must("FB1", "approve_account { account_id: '" + id + "' }", kSupervisor);
  request.set_min_position(client_->LastPosition());
  request.set_drivers_awaiting_verification(false);
  request.set_awaiting_approval(true);
  EXPECT_EQ(Query(&v1::CaseService::Stub::ListFleetAccounts, request).accounts_size(), 0);
  EXPECT_THAT(StreamTypes("account-" + id),
              ElementsAre("FleetAccountAdded", "FleetDriverAdded", "FleetAccountApproved"));
}

TEST_F(FleetServiceTest, TwoAgentsRacingForOneAssetExactlyOneWins) {
  constexpr int kAgents = 6;
  Ready("RACE0", At(1, "09:00"), "VAN-02");
  const std::string account = Must("RACE0", "add_note { text: 'racing' }").reservation().fleet().account_id();
  for (int i = 1; i < kAgents; ++i) Ready(absl::StrCat("RACE", i), At(1, "12:00"), "VAN-02", account);
  const uint64_t before = client_->LastPosition();
  std::atomic<int> ok{0};
  std::atomic<int> taken{0};
  std::vector<std::thread> agents;
  for (int i = 0; i < kAgents; ++i) {
    agents.emplace_back([&, i] {
      v1::CommandReply reply;
      grpc::Status s = client_->Submit({absl::StrCat("agent", i), "agent"}, absl::StrCat("RACE", i),
                                       Fleet("create_booking {}"), &reply);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 s.error_message().find("asset VAN-02 is held by case RACE") != std::string::npos) {
        ++taken;
      } else {
        ADD_FAILURE() << s.error_code() << " " << s.error_message();
      }
    });
  }
  for (std::thread& t : agents) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(taken.load(), kAgents - 1);
  EXPECT_THAT(StreamTypes("asset-VAN-02"), ElementsAre("FleetAssetHeld"));
  // The winner's request: its case record, the asset's hold, its reference's claim.
  EXPECT_EQ(client_->LastPosition(), before + 3);
}

TEST_F(FleetServiceTest, ARetriedRequestGetsTheSameReferenceAndWritesNothingMore) {
  Ready("FB1", At(1, "09:00"), "CAR-02");
  v1::CommandReply first;
  ASSERT_TRUE(Do("FB1", "create_booking {}", &first, kAgent, "create-FB1").ok());
  const uint64_t after = client_->LastPosition();
  v1::CommandReply again;
  ASSERT_TRUE(Do("FB1", "create_booking {}", &again, kAgent, "create-FB1").ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.reservation().fleet().booking_reference(),
            first.reservation().fleet().booking_reference());
  EXPECT_EQ(client_->LastPosition(), after);
}

TEST_F(FleetServiceTest, CancellingReleasesTheAssetAndKeepsTheRow) {
  Ready("FB1", At(1, "09:00"), "VAN-01");
  Must("FB1", "create_booking {}");
  Must("FB1", "cancel_booking { reason: 'customer cancelled' }");
  EXPECT_THAT(StreamTypes("asset-VAN-01"), ElementsAre("FleetAssetHeld", "FleetAssetReleased"));
  v1::ListFleetBookingsResponse all = Bookings("");
  ASSERT_EQ(all.bookings_size(), 1);
  EXPECT_EQ(all.bookings(0).status(), v1::FLEET_BOOKING_CANCELLED);
  v1::FleetAssetAvailabilityRequest period;
  period.set_from_date(testing::TestDay(1));
  period.set_to_date(testing::TestDay(2));
  period.set_min_position(client_->LastPosition());
  EXPECT_TRUE(Query(&v1::CaseService::Stub::GetFleetAvailability, period).assets(0).free());
  Ready("FB2", At(1, "10:00"), "VAN-01");
  EXPECT_TRUE(Must("FB2", "create_booking {}").reservation().fleet().stage() ==
              v1::FLEET_BOOKING_REQUESTED);
}

TEST_F(FleetServiceTest, RefusalsWriteNothingAndNameTheRule) {
  const uint64_t start = client_->LastPosition();
  v1::CommandReply reply;
  grpc::Status s = client_->Open(kAgent, "BAD1", Fleet("start_booking { start: 'tomorrow' }"), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("YYYY-MM-DDTHH:MM"));
  s = client_->Open(kDashboard, "BAD2", Fleet("start_booking { start: '" + At(1, "09:00") + "' }"), &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->LastPosition(), start);

  ASSERT_TRUE(client_->Open(kAgent, "FB1", Fleet("start_booking { start: '" + At(1, "09:00") + "' }"), &reply)
                  .ok());
  const uint64_t opened = client_->LastPosition();
  s = Do("FB1", "create_booking {}", &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("Allowed now: change_start, select_asset"));
  s = Do("FB1", "select_asset { asset_id: 'BUS-9' }", &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Must("FB1", "select_asset { asset_id: 'VAN-01' }");
  Must("FB1", "choose_options { duration_id: '1d' mileage_id: '100mi' }");
  const uint64_t chosen = client_->LastPosition();
  reply = Must("FB1", "add_account { account { name: 'Acme' email: 'a@acme.example' } }");
  const std::string id = reply.reservation().fleet().added_account_id();
  const uint64_t added = client_->LastPosition();
  EXPECT_GT(added, chosen);
  s = Do("FB1", "approve_account { account_id: '" + id + "' }", &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("approver_role"));
  s = Do("FB1", "select_account { account_id: '" + id + "' }", &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("is not approved"));
  s = Do("FB1", "choose_options { duration_id: '1d' mileage_id: '100mi' promo_code: 'VAN20' extra_ids: ['cdw', 'cdw'] }",
         &reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->LastPosition(), added);
  EXPECT_GT(opened, start);
}

}  // namespace
}  // namespace tripdesk
