// The fleet booking decider (seed 001): given events, when a command, then
// events or a refusal. One test per rule, named after it; the assets' and
// accounts' streams are shared between the cases of a test as the log
// shares them.
#include "workflows/fleet/fleet_workflow.h"

#include <google/protobuf/text_format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/decider_kit.h"
#include "workflows/fleet/fleet_billing.h"
#include "workflows/fleet/fleet_reference.h"
#include "workflows/streams.h"

namespace tripdesk::workflows::fleet {
namespace {

using ::testing::HasSubstr;
using testing::CaseUnderTest;
using testing::Events;
using testing::Refused;

v1::CaseCommand Fleet(const std::string& text) {
  v1::CaseCommand out;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, out.mutable_fleet())) << text;
  return out;
}

const Actor kAgent{"alice", kRoleAgent, {kRoleAgent}};
const Actor kSupervisor{"sue", kRoleSupervisor, {kRoleSupervisor}};

// Monday 2026-11-23 10:00 in London (UTC in winter).
class FleetTest : public ::testing::Test {
 protected:
  CaseUnderTest NewCase(const std::string& id) {
    CaseUnderTest c(id);
    if (first_ != nullptr) c.ShareStreamsWith(*first_);
    return c;
  }

  // An approved account with `drivers` verified drivers, added through `c`
  // (a case past its options); returns the account id.
  std::string ApprovedAccount(CaseUnderTest& c, int drivers, bool verify = true) {
    testing::Decision added =
        c.When(Fleet("add_account { account { name: 'Acme Ltd' email: 'ops@acme.example' } }"), kAgent);
    EXPECT_THAT(added, Events("FleetAccountAdded"));
    const std::string id = added.decided[0].fleet().account_added().account().account_id();
    c.Given(Fleet("approve_account { account_id: '" + id + "' }"), kSupervisor);
    for (int i = 0; i < drivers; ++i) {
      testing::Decision d = c.When(
          Fleet("add_driver { account_id: '" + id + "' driver { name: 'Driver " + std::to_string(i) +
                "' licence_number: 'LIC" + std::to_string(i) + "' licence_valid_until: '2030-01-01' } }"),
          kAgent);
      EXPECT_THAT(d, Events("FleetDriverAdded"));
      if (verify) {
        c.Given(Fleet("verify_driver { account_id: '" + id + "' driver_id: '" +
                      d.decided[0].fleet().driver_added().driver().driver_id() + "' }"),
                kSupervisor);
      }
    }
    return id;
  }

  // A case with its start, asset and options chosen.
  void ThroughOptions(CaseUnderTest& c, const std::string& start = "2026-11-24T09:00",
                      const std::string& asset = "VAN-01", const std::string& duration = "1d") {
    c.Given(Fleet("start_booking { start: '" + start + "' }"), kAgent);
    c.Given(Fleet("select_asset { asset_id: '" + asset + "' }"), kAgent);
    c.Given(Fleet("choose_options { duration_id: '" + duration + "' mileage_id: '100mi' }"), kAgent);
  }

  // A case through the handover, ready to create the request.
  void ReadyToCreate(CaseUnderTest& c, const std::string& start = "2026-11-24T09:00",
                     const std::string& asset = "VAN-01", const std::string& duration = "1d") {
    ThroughOptions(c, start, asset, duration);
    const std::string account = ApprovedAccount(c, 1);
    c.Given(Fleet("select_account { account_id: '" + account + "' }"), kAgent);
    c.Given(Fleet("choose_handover { mode: 'branch' }"), kAgent);
    ASSERT_EQ(c.state().fleet().stage(), v1::FLEET_HANDOVER_CHOSEN);
  }

  CaseUnderTest* first_ = nullptr;
};

TEST_F(FleetTest, StartIsALocalDateAndTimeNotInThePast) {
  CaseUnderTest c("F1");
  EXPECT_THAT(c.When(Fleet("start_booking { start: '24/11/2026 9am' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "YYYY-MM-DDTHH:MM"));
  EXPECT_THAT(c.When(Fleet("start_booking { start: '2026-11-23T09:59' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "is in the past"));
  EXPECT_FALSE(c.state().exists());
  EXPECT_THAT(c.When(Fleet("start_booking { start: '2026-11-23T10:00' }"), kAgent),
              Events("FleetBookingStarted"));
  EXPECT_EQ(c.state().fleet().stage(), v1::FLEET_START_CHOSEN);
}

TEST_F(FleetTest, StartTheClocksSkipIsRefused) {
  CaseUnderTest c("F1");
  // London skips 01:00-02:00 on 2027-03-28.
  EXPECT_THAT(c.When(Fleet("start_booking { start: '2027-03-28T01:30' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "does not exist in Europe/London"));
}

TEST_F(FleetTest, AssetMustBeOneOfTheFleets) {
  CaseUnderTest c("F1");
  c.Given(Fleet("start_booking { start: '2026-11-24T09:00' }"), kAgent);
  EXPECT_THAT(c.When(Fleet("select_asset { asset_id: 'BUS-9' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "not one of the fleet's assets"));
}

TEST_F(FleetTest, StepsFollowTheWizardsOrder) {
  CaseUnderTest c("F1");
  c.Given(Fleet("start_booking { start: '2026-11-24T09:00' }"), kAgent);
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "Allowed now: change_start, select_asset"));
  EXPECT_THAT(c.When(Fleet("create_booking {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "FLEET_START_CHOSEN"));
  c.Given(Fleet("select_asset { asset_id: 'VAN-01' }"), kAgent);
  EXPECT_THAT(c.When(Fleet("select_account { account_id: 'AC2222222222' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "after the billing summary"));
}

TEST_F(FleetTest, EndIsStartPlusTheChosenDurationAcrossTheClockChange) {
  CaseUnderTest c("F1");
  ThroughOptions(c, "2027-03-27T10:00", "CAR-01", "1d");
  // 24 hours later, the clocks having gone forward: 11:00 BST.
  EXPECT_EQ(c.state().fleet().options().end_local(), "2027-03-28T11:00");
  EXPECT_EQ(c.View().travel_to(), "2027-03-28");
}

TEST_F(FleetTest, BillingSummaryIsComputedByTheServerToTheCent) {
  CaseUnderTest c("F1");
  c.Given(Fleet("start_booking { start: '2026-11-24T09:00' }"), kAgent);
  c.Given(Fleet("select_asset { asset_id: 'VAN-01' }"), kAgent);
  testing::Decision d = c.When(Fleet("choose_options { duration_id: '3d' mileage_id: '300mi' "
                                     "promo_code: 'winter10' extra_ids: ['child-seat', 'cdw'] }"),
                               kAgent);
  ASSERT_THAT(d, Events("FleetOptionsChosen"));
  const v1::FleetBilling& b = d.decided[0].fleet().options_chosen().billing();
  // 239.00 + 15.00 + 12.00 + 25.00 = 291.00; 10 % off: 29.10; VAT 20 % of 261.90: 52.38.
  ASSERT_EQ(b.lines_size(), 4);
  EXPECT_EQ(b.lines(0).label(), "3 days (VAN)");
  EXPECT_EQ(b.subtotal().minor_units(), 29100);
  EXPECT_EQ(b.discount().minor_units(), 2910);
  EXPECT_EQ(b.tax().minor_units(), 5238);
  EXPECT_EQ(b.total().minor_units(), 31428);
  EXPECT_EQ(b.total().currency(), "GBP");
  EXPECT_EQ(b.promo_code(), "WINTER10");
}

TEST_F(FleetTest, PercentagesRoundHalfUpAndAnAmountOffIsAtMostTheSubtotal) {
  v1::FleetReference ref;
  ref.set_currency("GBP");
  ref.set_tax_basis_points(1750);
  v1::FleetAsset asset;
  asset.set_asset_class("CAR");
  v1::FleetDurationOption duration;
  duration.set_label("4 hours");
  v1::FleetClassPrice* p = duration.add_prices();
  p->set_asset_class("CAR");
  p->mutable_price()->set_minor_units(150);
  v1::FleetMileageOption mileage;
  mileage.mutable_price()->set_minor_units(0);
  v1::FleetPromoCode promo;
  promo.set_percent_off(15);
  BillingInput in{&ref, &asset, &duration, &mileage, {}, &promo};
  absl::StatusOr<v1::FleetBilling> b = ComputeBilling(in);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->discount().minor_units(), 23);  // 22.5 rounds up
  EXPECT_EQ(b->tax().minor_units(), 22);       // 17.5 % of 127 = 22.225
  EXPECT_EQ(b->total().minor_units(), 149);
  promo.set_percent_off(0);
  promo.mutable_amount_off()->set_minor_units(500);
  b = ComputeBilling(in);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->discount().minor_units(), 150);
  EXPECT_EQ(b->total().minor_units(), 0);
}

TEST_F(FleetTest, PromoCodeAppliesOnlyInItsWindowAndToItsClasses) {
  CaseUnderTest c("F1");
  c.Given(Fleet("start_booking { start: '2027-03-01T09:00' }"), kAgent);
  c.Given(Fleet("select_asset { asset_id: 'CAR-01' }"), kAgent);
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' promo_code: 'WINTER10' }"),
                     kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "to 2027-02-28; this one starts on 2027-03-01"));
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' promo_code: 'VAN20' }"),
                     kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "applies to class VAN, not to this asset's CAR"));
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' promo_code: 'FREE' }"),
                     kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "'FREE' is not a promo code"));
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '2h' mileage_id: '100mi' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "one of 4h, 1d, 3d, 1w"));
  EXPECT_THAT(c.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' extra_ids: 'jetpack' }"),
                     kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "'jetpack' is not an extra"));
  EXPECT_FALSE(c.state().fleet().has_options());
}

TEST_F(FleetTest, AccountIdIsAssignedByTheServer) {
  CaseUnderTest c("F1");
  ThroughOptions(c);
  EXPECT_THAT(c.When(Fleet("add_account { account { account_id: 'MINE' name: 'Acme' email: 'a@b.example' } }"),
                     kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "assigned by the server"));
  EXPECT_THAT(c.When(Fleet("add_account { account { name: 'Acme' } }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "an email or a phone is required"));
  testing::Decision d = c.When(Fleet("add_account { account { name: 'Acme' phone: '+441234567890' } }"), kAgent);
  ASSERT_THAT(d, Events("FleetAccountAdded"));
  const std::string id = d.decided[0].fleet().account_added().account().account_id();
  EXPECT_EQ(id.substr(0, 2), "AC");
  EXPECT_TRUE(IsReadableCode(id.substr(2), 10)) << id;
  EXPECT_TRUE(c.Shared(AccountStream(id)).exists());
}

TEST_F(FleetTest, AccountNotApprovedCannotBeSelected) {
  CaseUnderTest c("F1");
  ThroughOptions(c);
  testing::Decision added = c.When(Fleet("add_account { account { name: 'Acme' email: 'a@b.example' } }"), kAgent);
  const std::string id = added.decided[0].fleet().account_added().account().account_id();
  EXPECT_THAT(c.When(Fleet("select_account { account_id: '" + id + "' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "is not approved: approve_account first"));
  EXPECT_THAT(c.When(Fleet("select_account { account_id: 'AC9999999999' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "no account AC9999999999"));
}

TEST_F(FleetTest, ApprovingAnAccountNeedsTheRoleTheReferenceDataNames) {
  CaseUnderTest c("F1");
  ThroughOptions(c);
  testing::Decision added = c.When(Fleet("add_account { account { name: 'Acme' email: 'a@b.example' } }"), kAgent);
  const std::string id = added.decided[0].fleet().account_added().account().account_id();
  EXPECT_THAT(c.When(Fleet("approve_account { account_id: '" + id + "' }"), kAgent),
              Refused(absl::StatusCode::kPermissionDenied, "needs the supervisor role"));
  EXPECT_THAT(c.When(Fleet("approve_account { account_id: '" + id + "' }"), kSupervisor),
              Events("FleetAccountApproved"));
}

TEST_F(FleetTest, ApprovalIsDoneOnceAndSeenByEveryLaterBooking) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ThroughOptions(c1);
  const std::string id = ApprovedAccount(c1, 1);
  EXPECT_TRUE(c1.Shared(AccountStream(id)).fleet_account().approved());
  CaseUnderTest c2 = NewCase("F2");
  ThroughOptions(c2, "2026-12-01T09:00");
  // Approving again writes nothing; the second booking selects it as is.
  EXPECT_THAT(c2.When(Fleet("approve_account { account_id: '" + id + "' }"), kSupervisor), Events());
  EXPECT_THAT(c2.When(Fleet("select_account { account_id: '" + id + "' }"), kAgent),
              Events("FleetAccountSelected", "FleetDriverSelected"));
}

TEST_F(FleetTest, DriverIsAskedOnlyWhenTheAccountHasSeveral) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ThroughOptions(c1);
  const std::string one = ApprovedAccount(c1, 1);
  testing::Decision d = c1.When(Fleet("select_account { account_id: '" + one + "' }"), kAgent);
  EXPECT_THAT(d, Events("FleetAccountSelected", "FleetDriverSelected"));
  EXPECT_TRUE(d.decided[1].fleet().driver_selected().with_account());
  EXPECT_EQ(c1.state().fleet().stage(), v1::FLEET_DRIVER_SELECTED);

  CaseUnderTest c2 = NewCase("F2");
  ThroughOptions(c2, "2026-12-01T09:00");
  const std::string two = ApprovedAccount(c2, 2);
  EXPECT_THAT(c2.When(Fleet("select_account { account_id: '" + two + "' }"), kAgent),
              Events("FleetAccountSelected"));
  EXPECT_EQ(c2.state().fleet().stage(), v1::FLEET_ACCOUNT_SELECTED);
  const std::string driver = c2.Shared(AccountStream(two)).fleet_account().drivers(1).driver().driver_id();
  EXPECT_THAT(c2.When(Fleet("select_driver { driver_id: '" + driver + "' }"), kAgent),
              Events("FleetDriverSelected"));
  EXPECT_EQ(c2.state().fleet().driver_name(), "Driver 1");
}

TEST_F(FleetTest, UnverifiedDriverMustBeVerifiedBeforeSelection) {
  CaseUnderTest c("F1");
  ThroughOptions(c);
  const std::string account = ApprovedAccount(c, 2, /*verify=*/false);
  c.Given(Fleet("select_account { account_id: '" + account + "' }"), kAgent);
  const std::string driver = c.Shared(AccountStream(account)).fleet_account().drivers(0).driver().driver_id();
  EXPECT_THAT(c.When(Fleet("select_driver { driver_id: '" + driver + "' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "is not verified: verify_driver first"));
  EXPECT_THAT(c.When(Fleet("verify_driver { account_id: '" + account + "' driver_id: '" + driver + "' }"),
                     kAgent),
              Refused(absl::StatusCode::kPermissionDenied, "supervisor"));
  c.Given(Fleet("verify_driver { account_id: '" + account + "' driver_id: '" + driver + "' }"), kSupervisor);
  EXPECT_THAT(c.When(Fleet("select_driver { driver_id: '" + driver + "' }"), kAgent),
              Events("FleetDriverSelected"));
}

TEST_F(FleetTest, VerifyingADriverNeedsALicenceValidUntilAfterTheBookingsEnd) {
  CaseUnderTest c("F1");
  ThroughOptions(c, "2026-11-24T09:00", "VAN-01", "1w");  // ends 2026-12-01
  const std::string account = ApprovedAccount(c, 0);
  testing::Decision d = c.When(
      Fleet("add_driver { account_id: '" + account +
            "' driver { name: 'Pat' licence_number: 'PAT1' licence_valid_until: '2026-11-30' } }"),
      kAgent);
  const std::string driver = d.decided[0].fleet().driver_added().driver().driver_id();
  EXPECT_THAT(c.When(Fleet("verify_driver { account_id: '" + account + "' driver_id: '" + driver + "' }"),
                     kSupervisor),
              Refused(absl::StatusCode::kFailedPrecondition,
                      "valid until 2026-11-30, before the booking ends on 2026-12-01"));
  EXPECT_THAT(c.When(Fleet("add_driver { account_id: '" + account +
                           "' driver { name: 'Pat again' licence_number: 'pat1' licence_valid_until: '2031-01-01' } }"),
                     kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "licence pat1 is already driver"));
}

TEST_F(FleetTest, HandoverModeIsOneTheOperatorOffers) {
  CaseUnderTest c("F1");
  ThroughOptions(c);
  c.Given(Fleet("select_account { account_id: '" + ApprovedAccount(c, 1) + "' }"), kAgent);
  EXPECT_THAT(c.When(Fleet("choose_handover { mode: 'drone' }"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "one of branch, delivery, keyless"));
  EXPECT_THAT(c.When(Fleet("choose_handover { mode: 'delivery' }"), kAgent), Events("FleetHandoverChosen"));
}

TEST_F(FleetTest, BookingReferenceIsReadableUniqueAndTheSameOnARetry) {
  CaseUnderTest c("F1");
  ReadyToCreate(c);
  testing::Decision d = c.When(Fleet("create_booking {}"), kAgent);
  ASSERT_THAT(d, Events("FleetBookingRequested"));
  const std::string ref = d.decided[0].fleet().booking_requested().booking_reference();
  EXPECT_TRUE(IsReadableCode(ref, 8)) << ref;
  EXPECT_EQ(ref.find_first_of("01OI"), std::string::npos);
  // Derived from the case: a retried command decides the same reference.
  EXPECT_EQ(ref, FleetBookingWorkflow::BookingReferenceCandidate("F1", 0));
  EXPECT_NE(ref, FleetBookingWorkflow::BookingReferenceCandidate("F2", 0));
  EXPECT_EQ(c.View().references(0).value(), ref);
  EXPECT_EQ(c.state().fleet().stage(), v1::FLEET_BOOKING_REQUESTED);
}

TEST_F(FleetTest, NoDoubleBookingAnOverlappingRequestNamesTheHolder) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ReadyToCreate(c1, "2026-11-24T09:00", "VAN-01", "1d");
  c1.Given(Fleet("create_booking {}"), kAgent);
  const absl::Time held_until = FromProto(c1.Shared(AssetStream("VAN-01")).fleet_asset().holds(0).end());
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M", held_until, absl::UTCTimeZone()), "2026-11-25T09:00");
  CaseUnderTest c2 = NewCase("F2");
  c2.Given(Fleet("start_booking { start: '2026-11-24T15:00' }"), kAgent);
  EXPECT_THAT(c2.When(Fleet("select_asset { asset_id: 'VAN-01' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "asset VAN-01 is held by case F1"));
  // Starting before it and running into it: refused once the end is known.
  c2.Given(Fleet("change_start { start: '2026-11-23T12:00' }"), kAgent);
  c2.Given(Fleet("select_asset { asset_id: 'VAN-01' }"), kAgent);
  EXPECT_THAT(c2.When(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "no two bookings of one asset overlap"));
}

TEST_F(FleetTest, TouchingIntervalsAreNotAnOverlap) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ReadyToCreate(c1, "2026-11-24T09:00", "VAN-01", "1d");
  c1.Given(Fleet("create_booking {}"), kAgent);
  CaseUnderTest c2 = NewCase("F2");
  ReadyToCreate(c2, "2026-11-23T13:00", "VAN-01", "4h");  // ends 17:00, well before
  c2.Given(Fleet("create_booking {}"), kAgent);
  CaseUnderTest c3 = NewCase("F3");
  ReadyToCreate(c3, "2026-11-25T09:00", "VAN-01", "1d");  // starts as F1 ends
  EXPECT_THAT(c3.When(Fleet("create_booking {}"), kAgent), Events("FleetBookingRequested"));
  EXPECT_EQ(c3.Shared(AssetStream("VAN-01")).fleet_asset().holds_size(), 3);
}

TEST_F(FleetTest, AnAssetKeepsOnlyTheHoldsNotOverWhenItsLastWasDecided) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ReadyToCreate(c1, "2026-11-23T12:00", "CAR-01", "4h");  // over at 16:00
  c1.Given(Fleet("create_booking {}"), kAgent);
  CaseUnderTest c2 = NewCase("F2");
  c2.Advance(absl::Hours(6));  // 16:00: F1's hold is over as F2 is decided
  ReadyToCreate(c2, "2026-11-24T09:00", "CAR-01", "1d");
  c2.Given(Fleet("create_booking {}"), kAgent);
  ASSERT_EQ(c2.Shared(AssetStream("CAR-01")).fleet_asset().holds_size(), 1);
  EXPECT_EQ(c2.Shared(AssetStream("CAR-01")).fleet_asset().holds(0).case_id(), "F2");
}

TEST_F(FleetTest, TheRequestIsCheckedAgainAgainstHoldsMadeWhileTheWizardRan) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ReadyToCreate(c1, "2026-11-24T09:00", "VAN-01", "1d");
  CaseUnderTest c2 = NewCase("F2");
  ReadyToCreate(c2, "2026-11-24T12:00", "VAN-01", "4h");
  c2.Given(Fleet("create_booking {}"), kAgent);
  EXPECT_THAT(c1.When(Fleet("create_booking {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "held by case F2"));
  EXPECT_EQ(c1.state().fleet().stage(), v1::FLEET_HANDOVER_CHOSEN);
}

TEST_F(FleetTest, CancellingReleasesTheInterval) {
  CaseUnderTest c1("F1");
  first_ = &c1;
  ReadyToCreate(c1);
  c1.Given(Fleet("create_booking {}"), kAgent);
  EXPECT_THAT(c1.When(Fleet("cancel_booking {}"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "cancel_booking.reason"));
  testing::Decision d = c1.When(Fleet("cancel_booking { reason: 'customer changed plans' }"), kAgent);
  ASSERT_THAT(d, Events("FleetBookingCancelled"));
  EXPECT_TRUE(d.decided[0].fleet().booking_cancelled().released_asset());
  EXPECT_EQ(c1.Shared(AssetStream("VAN-01")).fleet_asset().holds_size(), 0);
  EXPECT_FALSE(c1.View().open());
  CaseUnderTest c2 = NewCase("F2");
  ReadyToCreate(c2);
  EXPECT_THAT(c2.When(Fleet("create_booking {}"), kAgent), Events("FleetBookingRequested"));
  EXPECT_THAT(c1.When(Fleet("select_asset { asset_id: 'VAN-02' }"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "closed"));
}

TEST_F(FleetTest, OnlyItsOwnCancelCancelsAFleetBooking) {
  CaseUnderTest c("F1");
  ReadyToCreate(c);
  c.Given(Fleet("create_booking {}"), kAgent);
  v1::CaseCommand cancel;
  cancel.mutable_common()->mutable_cancel()->set_reason("no");
  EXPECT_THAT(c.When(cancel, kSupervisor),
              Refused(absl::StatusCode::kFailedPrecondition, "fleet.cancel_booking"));
}

TEST_F(FleetTest, GoingBackClearsTheChoicesThatDependedOnIt) {
  CaseUnderTest c("F1");
  ReadyToCreate(c);
  // Another driver's account keeps the handover; the driver goes with the account.
  EXPECT_THAT(c.When(Fleet("select_asset { asset_id: 'VAN-01' }"), kAgent), Events());  // as is
  testing::Decision asset = c.When(Fleet("select_asset { asset_id: 'VAN-02' }"), kAgent);
  ASSERT_THAT(asset, Events("FleetAssetSelected"));
  EXPECT_THAT(asset.decided[0].fleet().asset_selected().cleared(),
              ::testing::ElementsAre("options", "driver"));
  EXPECT_EQ(c.state().fleet().stage(), v1::FLEET_ASSET_SELECTED);
  EXPECT_FALSE(c.state().fleet().has_options());
  EXPECT_EQ(c.state().fleet().account_name(), "Acme Ltd");  // the account did not depend on it
  c.Given(Fleet("choose_options { duration_id: '1d' mileage_id: '100mi' }"), kAgent);
  EXPECT_EQ(c.state().fleet().stage(), v1::FLEET_ACCOUNT_SELECTED);
  testing::Decision start = c.When(Fleet("change_start { start: '2026-12-02T08:00' }"), kAgent);
  ASSERT_THAT(start, Events("FleetStartChanged"));
  EXPECT_THAT(start.decided[0].fleet().start_changed().cleared(), ::testing::ElementsAre("asset", "options"));
  EXPECT_EQ(c.state().fleet().stage(), v1::FLEET_START_CHOSEN);
  EXPECT_EQ(c.state().fleet().handover_mode(), "branch");
}

TEST_F(FleetTest, TheRequestIsRefusedOnceItsStartHasPassed) {
  CaseUnderTest c("F1");
  ReadyToCreate(c, "2026-11-23T11:00");
  c.Advance(absl::Hours(2));
  EXPECT_THAT(c.When(Fleet("create_booking {}"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "has passed: change_start first"));
}

TEST_F(FleetTest, EveryStepNeedsTheDesksRoles) {
  CaseUnderTest c("F1");
  const Actor spoc{"tom", kRoleTechSpoc, {kRoleTechSpoc}};
  EXPECT_THAT(c.When(Fleet("start_booking { start: '2026-11-24T09:00' }"), spoc),
              Refused(absl::StatusCode::kPermissionDenied, "agent or supervisor"));
}

TEST_F(FleetTest, ReferenceDataIsCheckedAtLoad) {
  v1::FleetReference ref = testing::ShippedReference()->proto().fleet();
  EXPECT_TRUE(CheckFleetReference(ref).ok());
  v1::FleetReference bad = ref;
  bad.mutable_durations(0)->mutable_prices()->RemoveLast();
  EXPECT_THAT(CheckFleetReference(bad).message(), HasSubstr("has no price for class CAR"));
  bad = ref;
  bad.mutable_promo_codes(0)->mutable_amount_off()->set_minor_units(100);
  EXPECT_THAT(CheckFleetReference(bad).message(), HasSubstr("exactly one of amount_off and percent_off"));
  bad = ref;
  bad.set_approver_role("tech_spoc");
  EXPECT_THAT(CheckFleetReference(bad).message(), HasSubstr("approver_role"));
}

}  // namespace
}  // namespace tripdesk::workflows::fleet
