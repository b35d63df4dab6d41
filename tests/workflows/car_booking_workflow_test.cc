// The manual car booking decider: given events, when a command, then events
// or a refusal. No storage.
#include "workflows/car_booking/car_booking_workflow.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/reference.h"
#include "tools/commands/car_booking.h"
#include "workflows/registry.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Cmd = v1::ManualCarBookingCommand;

using testing::ShippedReference;

using commands::Approval;
using commands::Booking;
using commands::Close;
using commands::ConfirmationEmail;
using commands::Fee;
using commands::IlCheck;
using commands::Mis;
using commands::Quote;
using commands::Response;
using commands::Tracker;
using commands::Usd;
using commands::VendorSearch;
using commands::Verify;
using commands::Voucher;
using commands::VouchersSent;

class CarBookingTest : public ::testing::Test {
 protected:
  const absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());
  const absl::Time pick_ = now_ + absl::Hours(24 * 7);
  const absl::Time drop_ = pick_ + absl::Hours(24 * 3);
  std::shared_ptr<const ReferenceData> reference_ = ShippedReference();
  const WorkflowRegistry& registry_ = WorkflowRegistry::Default();
  v1::CaseState state_;
  Actor agent_{"alice", kRoleAgent};
  Actor tech_spoc_{"tom", kRoleTechSpoc};
  Actor supervisor_{"sue", kRoleSupervisor};
  uint64_t revision_ = 0;

  void SetUp() override { state_.set_case_id("C1"); }

  static v1::CaseCommand Wrap(Cmd cmd) {
    v1::CaseCommand out;
    *out.mutable_car_booking() = std::move(cmd);
    return out;
  }

  absl::StatusOr<std::vector<v1::CaseEvent>> When(const Cmd& cmd, const Actor& actor) {
    DecisionContext ctx{now_, actor, reference_.get(), {}};
    return registry_.ForCommand(Wrap(cmd))->Decide(Wrap(cmd), state_, ctx);
  }
  absl::StatusOr<std::vector<v1::CaseEvent>> When(const Cmd& cmd) { return When(cmd, agent_); }

  // Decides and folds; fails the test on a refusal. Returns the event types.
  std::vector<std::string> Do(const Cmd& cmd, const Actor& actor) {
    absl::StatusOr<std::vector<v1::CaseEvent>> events = When(cmd, actor);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> types;
    if (!events.ok()) return types;
    for (const v1::CaseEvent& e : *events) {
      EventMeta meta{state_.exists() ? ++revision_ : 0, revision_ + 1, now_, actor.id};
      registry_.ApplyEvent(state_, e, meta);
      types.push_back(registry_.ForEvent(e)->EventType(e));
    }
    return types;
  }
  std::vector<std::string> Do(const Cmd& cmd) { return Do(cmd, agent_); }

  v1::CarBookingStage Stage() const { return state_.car_booking().stage(); }

  Cmd Request() { return commands::Request(pick_, drop_); }
  Cmd Identify() { return commands::Identify(pick_, drop_); }

  // Drives the offline branch until the case reaches `stage`.
  void OfflineUntil(v1::CarBookingStage stage) {
    const std::vector<std::pair<Cmd, Actor>> steps = {
        {Request(), agent_},      {Identify(), agent_},
        {IlCheck(false), agent_}, {Approval(true), tech_spoc_},
        {VendorSearch(), agent_}, {Quote(), agent_},
        {Response(v1::CUSTOMER_RESPONSE_ACCEPTED), agent_},
        {Booking(), agent_},      {Voucher(), agent_},
        {Verify(), agent_},       {Mis(), agent_},
        {ConfirmationEmail(), agent_}, {VouchersSent(), agent_},
        {Close(), agent_},        {Tracker(), agent_},
        {Fee(), agent_}};
    for (const auto& [cmd, actor] : steps) {
      if (state_.exists() && Stage() == stage) return;
      Do(cmd, actor);
    }
    ASSERT_EQ(Stage(), stage);
  }

  // Whether `cmd` is refused with `code` and a message containing `words`.
  ::testing::AssertionResult Refused(const Cmd& cmd, absl::StatusCode code,
                                     const std::string& words, const Actor* actor = nullptr) {
    absl::StatusOr<std::vector<v1::CaseEvent>> r = When(cmd, actor ? *actor : agent_);
    if (r.status().code() != code) {
      return ::testing::AssertionFailure() << "got " << r.status() << ", expected code " << code;
    }
    if (std::string(r.status().message()).find(words) == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << r.status().message() << "' lacks '" << words << "'";
    }
    return ::testing::AssertionSuccess();
  }
};

TEST_F(CarBookingTest, OfflineBranchGoldenPathEndsCompletedWithAFee) {
  EXPECT_THAT(Do(Request()), ElementsAre("CarRequestReceived"));
  EXPECT_THAT(Do(Identify()), ElementsAre("CarIdentified"));
  EXPECT_THAT(Do(IlCheck(false)), ElementsAre("IlCheckRecorded"));
  EXPECT_EQ(Stage(), v1::AWAITING_TECH_SPOC);
  EXPECT_THAT(Do(Approval(true), tech_spoc_), ElementsAre("TechSpocApprovalGranted"));
  EXPECT_THAT(Do(VendorSearch()), ElementsAre("VendorSearchRecorded"));
  EXPECT_THAT(Do(Quote()), ElementsAre("QuoteSent"));
  EXPECT_EQ(state_.car_booking().quote().approver(), "tom");
  EXPECT_EQ(state_.car_booking().quote().customer_email(), "sp@example.com");
  EXPECT_THAT(Do(Response(v1::CUSTOMER_RESPONSE_ACCEPTED)), ElementsAre("QuoteAccepted"));
  EXPECT_THAT(Do(Booking()), ElementsAre("BookingConfirmed"));
  EXPECT_THAT(Do(Voucher()), ElementsAre("VoucherCreated"));
  EXPECT_THAT(Do(Verify()), ElementsAre("BookingVerified"));
  EXPECT_THAT(Do(Mis()), ElementsAre("MisFiled"));
  EXPECT_THAT(Do(ConfirmationEmail()), ElementsAre("ConfirmationEmailSent"));
  EXPECT_THAT(Do(VouchersSent()), ElementsAre("AllVouchersSent"));
  EXPECT_THAT(Do(Close(true)), ElementsAre("TicketClosed"));
  EXPECT_EQ(Stage(), v1::TICKET_CLOSED);
  EXPECT_EQ(state_.car_booking().queue(), "US Support");
  EXPECT_THAT(Do(Tracker()), ElementsAre("UsProductionTrackerUpdated"));
  EXPECT_EQ(state_.car_booking().tracker_date(), "2026-11-23");
  EXPECT_THAT(Do(Fee()), ElementsAre("ServiceFeeCharged"));
  EXPECT_EQ(Stage(), v1::COMPLETED);
  EXPECT_EQ(state_.car_booking().fee().amount().minor_units(), 2500);
  const v1::CaseView view = registry_.View(state_);
  EXPECT_FALSE(view.open());
  EXPECT_TRUE(view.allowed_commands().empty());
  EXPECT_EQ(view.state(), "COMPLETED");
}

TEST_F(CarBookingTest, IlBranchGoldenPathWithTripCreatedForTheCustomer) {
  Do(Request());
  Do(Identify());
  Do(IlCheck(true));
  EXPECT_EQ(Stage(), v1::AVAILABLE_ON_IL);
  Cmd trip;
  trip.mutable_create_trip_for_customer()->set_trip_id("IL-TRIP-3");
  EXPECT_THAT(Do(trip), ElementsAre("TripCreatedOnCustomerAccount"));
  Cmd email;
  email.mutable_email_customer_car_added();
  absl::StatusOr<std::vector<v1::CaseEvent>> sent = When(email);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const v1::RenderedEmail& rendered =
      (*sent)[0].car_booking().customer_emailed_car_added().email();
  EXPECT_EQ(rendered.to(), "sp@example.com");
  EXPECT_THAT(rendered.body(), HasSubstr("Toyota RAV4"));
  EXPECT_THAT(rendered.body(), HasSubstr("complete the booking"));
  Do(email);
  EXPECT_THAT(Do(Close(false)), ElementsAre("TicketClosed"));
  EXPECT_EQ(Stage(), v1::CLOSED_ON_IL);
  EXPECT_EQ(state_.car_booking().queue(), "Support");
}

TEST_F(CarBookingTest, IlBranchWithTheCustomerGuidedToBook) {
  Do(Request());
  Do(Identify());
  Do(IlCheck(true));
  Cmd guide;
  guide.mutable_guide_customer()->set_note("walked them through the IL search");
  EXPECT_THAT(Do(guide), ElementsAre("CustomerGuidedToBook"));
  EXPECT_EQ(Stage(), v1::CUSTOMER_GUIDED);
  // The IL branch never asks for approval.
  EXPECT_TRUE(Refused(Approval(true), absl::StatusCode::kFailedPrecondition,
                "Tech-SPOC approval is asked when the car is not available on IL", &tech_spoc_));
  // The customer books it themselves: the ticket closes.
  EXPECT_THAT(Do(Close()), ElementsAre("TicketClosed"));
  EXPECT_EQ(Stage(), v1::CLOSED_ON_IL);
}

// Seed 000: "Guide the user to create a booking on the IL platform. If the
// user requires assistance, support creates a trip on the customer's
// account."
TEST_F(CarBookingTest, AGuidedCustomerWhoNeedsHelpGetsTheTripCreatedForThem) {
  Do(Request());
  Do(Identify());
  Do(IlCheck(true));
  Cmd guide;
  guide.mutable_guide_customer()->set_note("walked them through the IL search");
  Do(guide);
  Cmd trip;
  trip.mutable_create_trip_for_customer()->set_trip_id("IL-TRIP-9");
  EXPECT_THAT(Do(trip), ElementsAre("TripCreatedOnCustomerAccount"));
  EXPECT_EQ(Stage(), v1::TRIP_READY_FOR_CUSTOMER);
  Cmd email;
  email.mutable_email_customer_car_added();
  EXPECT_THAT(Do(email), ElementsAre("CustomerEmailedCarAdded"));
  EXPECT_THAT(Do(Close()), ElementsAre("TicketClosed"));
  EXPECT_EQ(Stage(), v1::CLOSED_ON_IL);
  // A refusal's reason is the true one: guiding again is refused because it
  // comes right after the IL check, not because the car is unavailable.
  EXPECT_TRUE(Refused(guide, absl::StatusCode::kFailedPrecondition, "is closed (CLOSED_ON_IL)"));
}

TEST_F(CarBookingTest, RefusesAStepOutOfOrderNamingStateRuleAndAllowedCommands) {
  Do(Request());
  absl::StatusOr<std::vector<v1::CaseEvent>> r = When(Quote());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("case C1 is REQUEST_RECEIVED"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("send_quote refused"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("a quote follows the vendor search"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("Allowed now: identify_car, add_note, cancel_case"));
}

TEST_F(CarBookingTest, RefusesOfflineBookingWithoutTechSpocApproval) {
  OfflineUntil(v1::AWAITING_TECH_SPOC);
  EXPECT_TRUE(Refused(VendorSearch(), absl::StatusCode::kFailedPrecondition,
                "no offline booking without Tech-SPOC approval"));
  EXPECT_TRUE(Refused(Booking(), absl::StatusCode::kFailedPrecondition,
                "only after Tech-SPOC approval and the customer's confirmation"));
}

TEST_F(CarBookingTest, RefusesApprovalByAnyoneButATechSpoc) {
  OfflineUntil(v1::AWAITING_TECH_SPOC);
  EXPECT_TRUE(Refused(Approval(true), absl::StatusCode::kPermissionDenied, "needs the tech_spoc role"));
  EXPECT_TRUE(Refused(Approval(true), absl::StatusCode::kPermissionDenied, "needs the tech_spoc role",
                &supervisor_));
}

TEST_F(CarBookingTest, TechSpocRefusalEndsTheCaseAndNeedsAReason) {
  OfflineUntil(v1::AWAITING_TECH_SPOC);
  Cmd no_reason = Approval(false);
  no_reason.mutable_decide_tech_spoc_approval()->clear_reason();
  EXPECT_TRUE(Refused(no_reason, absl::StatusCode::kInvalidArgument, "decide_tech_spoc_approval.reason",
                &tech_spoc_));
  EXPECT_THAT(Do(Approval(false), tech_spoc_), ElementsAre("TechSpocApprovalRefused"));
  EXPECT_EQ(Stage(), v1::REFUSED_BY_TECH_SPOC);
  EXPECT_TRUE(Refused(VendorSearch(), absl::StatusCode::kFailedPrecondition,
                "a closed case takes no more commands"));
}

TEST_F(CarBookingTest, CustomerDeclineAndNoAnswerEndTheCase) {
  OfflineUntil(v1::QUOTE_SENT);
  v1::CaseState sent = state_;
  EXPECT_THAT(Do(Response(v1::CUSTOMER_RESPONSE_DECLINED)), ElementsAre("QuoteDeclined"));
  EXPECT_EQ(Stage(), v1::QUOTE_DECLINED);
  EXPECT_TRUE(Refused(Booking(), absl::StatusCode::kFailedPrecondition, "closed"));
  state_ = sent;
  EXPECT_THAT(Do(Response(v1::CUSTOMER_RESPONSE_NO_ANSWER)), ElementsAre("QuoteUnanswered"));
  EXPECT_EQ(Stage(), v1::QUOTE_UNANSWERED);
  EXPECT_FALSE(registry_.View(state_).open());
}

TEST_F(CarBookingTest, OptionsTravelBookingMustCarryTheVendorsManualReservationCode) {
  OfflineUntil(v1::QUOTE_ACCEPTED);
  EXPECT_TRUE(Refused(Booking(v1::BOOKING_PLATFORM_OPTIONS_TRAVEL, ""),
                absl::StatusCode::kFailedPrecondition, "must carry the manual reservation code 2220947"));
  EXPECT_TRUE(Refused(Booking(v1::BOOKING_PLATFORM_OPTIONS_TRAVEL, "S165500"),
                absl::StatusCode::kFailedPrecondition, "Hertz (ZE)"));
  EXPECT_THAT(Do(Booking(v1::BOOKING_PLATFORM_OPTIONS_TRAVEL, "2220947")),
              ElementsAre("BookingConfirmed"));
}

TEST_F(CarBookingTest, VendorSiteBookingNeedsNoManualReservationCode) {
  OfflineUntil(v1::QUOTE_ACCEPTED);
  EXPECT_THAT(Do(Booking(v1::BOOKING_PLATFORM_VENDOR_SITE, "")), ElementsAre("BookingConfirmed"));
}

TEST_F(CarBookingTest, RefusesBookingWithoutCorporateDiscountBillingAndMembership) {
  OfflineUntil(v1::QUOTE_ACCEPTED);
  Cmd booking = Booking();
  booking.mutable_confirm_booking()->clear_billing_number();
  booking.mutable_confirm_booking()->clear_membership_details();
  EXPECT_TRUE(Refused(booking, absl::StatusCode::kFailedPrecondition,
                "missing: billing_number, membership_details"));
}

TEST_F(CarBookingTest, RefusesBookingWithAVendorOtherThanTheQuotedOne) {
  OfflineUntil(v1::QUOTE_ACCEPTED);
  Cmd booking = Booking(v1::BOOKING_PLATFORM_OPTIONS_TRAVEL, "S165500");
  booking.mutable_confirm_booking()->set_vendor_code("ZI");
  EXPECT_TRUE(Refused(booking, absl::StatusCode::kFailedPrecondition, "accepted a quote from Hertz (ZE)"));
}

TEST_F(CarBookingTest, RefusesVoucherBeforeBookingConfirmed) {
  OfflineUntil(v1::QUOTE_ACCEPTED);
  EXPECT_TRUE(Refused(Voucher(), absl::StatusCode::kFailedPrecondition,
                "no voucher before a confirmed booking"));
}

TEST_F(CarBookingTest, RefusesVerificationWhenIlShowsAnotherVendorOrDriver) {
  OfflineUntil(v1::VOUCHER_CREATED);
  EXPECT_TRUE(Refused(Verify("ZI"), absl::StatusCode::kFailedPrecondition, "shows vendor ZI"));
  EXPECT_TRUE(Refused(Verify("ZE", "Someone Else"), absl::StatusCode::kFailedPrecondition,
                "shows driver 'Someone Else'"));
  EXPECT_THAT(Do(Verify("ZE", "steven peters")), ElementsAre("BookingVerified"));
}

TEST_F(CarBookingTest, RefusesMisNotBilledToClientCompany) {
  OfflineUntil(v1::BOOKING_VERIFIED);
  EXPECT_TRUE(Refused(Mis(v1::MIS_BILLING_BILL_TO_TRAVELLER), absl::StatusCode::kFailedPrecondition,
                "Bill to Client Company"));
  EXPECT_TRUE(Refused(Mis(v1::MIS_BILLING_UNSPECIFIED), absl::StatusCode::kInvalidArgument,
                "file_mis.billing"));
}

TEST_F(CarBookingTest, ConfirmationEmailIsRenderedFromTheDesignatedTemplateAndKept) {
  OfflineUntil(v1::MIS_FILED);
  absl::StatusOr<std::vector<v1::CaseEvent>> r = When(ConfirmationEmail());
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::RenderedEmail& email = (*r)[0].car_booking().confirmation_email_sent().email();
  EXPECT_EQ(email.template_id(), "car_booking_confirmation");
  EXPECT_EQ(email.to(), "sp@example.com");
  EXPECT_THAT(email.cc(), ElementsAre("approver@acme.example"));
  EXPECT_EQ(email.subject(), "Your car is booked: Hertz confirmation K9X2Q7");
  EXPECT_THAT(email.body(), HasSubstr("Dear Steven Peters,"));
  EXPECT_THAT(email.body(), HasSubstr("Voucher: V-1"));
  EXPECT_THAT(email.body(), HasSubstr("Trip ID: TRIP-9"));
  EXPECT_THAT(email.body(), Not(HasSubstr("{{")));
  // Times as the customer reads them at the counter: LAX's local time.
  absl::TimeZone la;
  ASSERT_TRUE(absl::LoadTimeZone("America/Los_Angeles", &la));
  EXPECT_THAT(email.body(),
              HasSubstr(absl::StrCat("LAX, ", absl::FormatTime("%Y-%m-%d %H:%M %Z", pick_, la),
                                     " (America/Los_Angeles)")));
}

// What the customer and the approver received is on the event: an auditor
// sees the quote email as sent.
TEST_F(CarBookingTest, QuoteEmailIsRenderedFromTheDesignatedTemplateAndKept) {
  OfflineUntil(v1::VENDOR_FOUND);
  absl::StatusOr<std::vector<v1::CaseEvent>> r = When(Quote());
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::QuoteSent& quote = (*r)[0].car_booking().quote_sent();
  const v1::RenderedEmail& email = quote.email();
  EXPECT_EQ(email.template_id(), "car_booking_quote");
  EXPECT_EQ(email.to(), "sp@example.com");
  EXPECT_THAT(email.cc(), ElementsAre(quote.approver_email()));
  EXPECT_EQ(email.subject(), "Your car quote: USD 450.00 for Toyota RAV4 (IFAR)");
  EXPECT_THAT(email.body(), HasSubstr("Vendor: Hertz (ZE)"));
  EXPECT_THAT(email.body(), HasSubstr("Total: USD 450.00"));
  EXPECT_THAT(email.body(), Not(HasSubstr("{{")));
}

TEST_F(CarBookingTest, RefusesFeeBeforeTheTrackerIsUpdated) {
  OfflineUntil(v1::TICKET_CLOSED);
  EXPECT_TRUE(Refused(Fee(), absl::StatusCode::kFailedPrecondition,
                "no fee before the US Production Tracker is updated"));
}

TEST_F(CarBookingTest, FeeComesFromTheScheduleOfTheClientCompany) {
  Cmd request = Request();
  request.mutable_receive_request()->set_client_company("Globex");
  Do(request);
  const std::vector<std::pair<Cmd, Actor>> rest = {
      {Identify(), agent_}, {IlCheck(false), agent_}, {Approval(true), tech_spoc_},
      {VendorSearch(), agent_}, {Quote(), agent_}, {Response(v1::CUSTOMER_RESPONSE_ACCEPTED), agent_},
      {Booking(), agent_}, {Voucher(), agent_}, {Verify(), agent_}, {Mis(), agent_},
      {ConfirmationEmail(), agent_}, {VouchersSent(), agent_}, {Close(), agent_}, {Tracker(), agent_}};
  for (const auto& [cmd, actor] : rest) Do(cmd, actor);
  Do(Fee());
  EXPECT_EQ(state_.car_booking().fee().amount().minor_units(), 1500);
  EXPECT_FALSE(state_.car_booking().fee().overridden());
}

TEST_F(CarBookingTest, ADifferentFeeNeedsASupervisorAndAReason) {
  OfflineUntil(v1::TRACKER_UPDATED);
  Cmd other = Fee();
  *other.mutable_charge_service_fee()->mutable_override_amount() = Usd(5000);
  EXPECT_TRUE(Refused(other, absl::StatusCode::kPermissionDenied, "needs the supervisor role"));
  EXPECT_TRUE(Refused(other, absl::StatusCode::kInvalidArgument, "override_reason", &supervisor_));
  other.mutable_charge_service_fee()->set_override_reason("weekend call-out");
  Do(other, supervisor_);
  EXPECT_EQ(state_.car_booking().fee().amount().minor_units(), 5000);
  EXPECT_TRUE(state_.car_booking().fee().overridden());
  EXPECT_EQ(state_.car_booking().fee().scheduled().minor_units(), 2500);
}

TEST_F(CarBookingTest, TheScheduledAmountNeedsNoSupervisor) {
  OfflineUntil(v1::TRACKER_UPDATED);
  Cmd same = Fee();
  *same.mutable_charge_service_fee()->mutable_override_amount() = Usd(2500);
  Do(same);
  EXPECT_FALSE(state_.car_booking().fee().overridden());
}

TEST_F(CarBookingTest, AClosedCaseTakesNoMoreCommands) {
  OfflineUntil(v1::COMPLETED);
  for (const Cmd& cmd : {Fee(), Tracker(), Request()}) {
    EXPECT_TRUE(Refused(cmd, absl::StatusCode::kFailedPrecondition, "a closed case takes no more commands"));
  }
  Cmd note;
  note.mutable_add_note()->set_text("late note");
  EXPECT_TRUE(Refused(note, absl::StatusCode::kFailedPrecondition, "closed (COMPLETED)"));
}

TEST_F(CarBookingTest, OnlyASupervisorCancelsACase) {
  OfflineUntil(v1::QUOTE_SENT);
  Cmd cancel;
  cancel.mutable_cancel_case()->set_reason("duplicate request");
  EXPECT_TRUE(Refused(cancel, absl::StatusCode::kPermissionDenied, "needs the supervisor role"));
  EXPECT_THAT(Do(cancel, supervisor_), ElementsAre("CaseCancelled"));
  EXPECT_EQ(Stage(), v1::CANCELLED);
  EXPECT_THAT(registry_.View(state_).notes(),
              Contains(::testing::Property(&v1::CaseNote::text, "duplicate request")));
}

TEST_F(CarBookingTest, ACaseIsOpenedOnceAndOnlyByARequest) {
  Cmd note;
  note.mutable_add_note()->set_text("hello");
  EXPECT_TRUE(Refused(note, absl::StatusCode::kFailedPrecondition, "must be opened with receive_request"));
  Do(Request());
  EXPECT_TRUE(Refused(Request(), absl::StatusCode::kFailedPrecondition, "a request opens a new case once"));
}

TEST_F(CarBookingTest, MalformedFieldsAreRefusedNamingTheField) {
  struct Case {
    std::string name;
    std::function<void(v1::ReceiveCarRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"channel unset", [](auto& r) { r.set_channel(v1::CHANNEL_UNSPECIFIED); }, "channel"},
      {"channel unknown", [](auto& r) { r.set_channel(static_cast<v1::Channel>(42)); }, "channel"},
      {"bad email", [](auto& r) { r.mutable_customer()->set_email("sp@@example"); },
       "customer.email"},
      {"email without domain", [](auto& r) { r.mutable_customer()->set_email("sp@localhost"); },
       "customer.email"},
      {"bad phone", [](auto& r) { r.mutable_customer()->set_phone("+1-call-me"); },
       "customer.phone"},
      {"no location", [](auto& r) { r.mutable_pick_up()->clear_location(); },
       "pick_up.location"},
      {"bad location", [](auto& r) { r.mutable_drop_off()->set_location("Los Angeles"); },
       "drop_off.location"},
      {"no time", [](auto& r) { r.mutable_pick_up()->clear_time(); }, "pick_up.time"},
      {"bad zone", [](auto& r) { r.mutable_pick_up()->set_zone("PST"); }, "pick_up.zone"},
      {"pick-up in the past",
       [this](auto& r) { *r.mutable_pick_up()->mutable_time() = ToProto(now_ - absl::Hours(1)); },
       "pick_up.time"},
      {"drop-off before pick-up",
       [this](auto& r) { *r.mutable_drop_off()->mutable_time() = ToProto(pick_ - absl::Hours(1)); },
       "drop_off.time"},
      {"pick-up more than two years ahead",
       [this](auto& r) {
         *r.mutable_pick_up()->mutable_time() = ToProto(now_ + absl::Hours(24 * 732));
         *r.mutable_drop_off()->mutable_time() = ToProto(now_ + absl::Hours(24 * 735));
       },
       "pick_up.time: 2028-11-24 10:00 UTC is more than two years ahead"},
      {"far-future drop-off",
       [this](auto& r) {
         *r.mutable_drop_off()->mutable_time() = ToProto(pick_ + absl::Hours(24 * 400));
       },
       "drop_off.time"},
      {"no company", [](auto& r) { r.clear_client_company(); }, "client_company"},
      {"invalid UTF-8", [](auto& r) { r.set_traveller_name("Bad \xC3\x28 name"); },
       "traveller_name"},
      {"control character", [](auto& r) { r.set_ticket_ref("FD\x01"); }, "ticket_ref"},
      {"over-long", [](auto& r) { r.set_requested_car(std::string(500, 'x')); }, "requested_car"},
  };
  for (const Case& c : cases) {
    Cmd cmd = Request();
    c.mutate(*cmd.mutable_receive_request());
    absl::StatusOr<std::vector<v1::CaseEvent>> r = When(cmd);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.field)) << c.name;
  }
}

TEST_F(CarBookingTest, MoneyMustBeMinorUnitsOfAnIsoCurrency) {
  OfflineUntil(v1::VENDOR_FOUND);
  Cmd quote = Quote();
  quote.mutable_send_quote()->mutable_amount()->set_currency("XXX1");
  EXPECT_TRUE(Refused(quote, absl::StatusCode::kInvalidArgument, "send_quote.amount.currency"));
  quote = Quote();
  quote.mutable_send_quote()->mutable_amount()->set_minor_units(-100);
  EXPECT_TRUE(Refused(quote, absl::StatusCode::kInvalidArgument, "send_quote.amount.minor_units"));
  quote = Quote();
  quote.mutable_send_quote()->set_approver_email("not-an-email");
  EXPECT_TRUE(Refused(quote, absl::StatusCode::kInvalidArgument, "send_quote.approver_email"));
}

TEST_F(CarBookingTest, NegativeFeeOverrideIsRefused) {
  OfflineUntil(v1::TRACKER_UPDATED);
  Cmd fee = Fee();
  *fee.mutable_charge_service_fee()->mutable_override_amount() = Usd(-1);
  EXPECT_TRUE(Refused(fee, absl::StatusCode::kInvalidArgument, "override_amount.minor_units", &supervisor_));
}

TEST_F(CarBookingTest, CarClassIsCheckedLetterByLetter) {
  Do(Request());
  Cmd identify = Identify();
  identify.mutable_identify_car()->set_car_class("IAAR");
  EXPECT_TRUE(Refused(identify, absl::StatusCode::kInvalidArgument, "letter 2 ('A')"));
  identify.mutable_identify_car()->set_car_class("SUV");
  EXPECT_TRUE(Refused(identify, absl::StatusCode::kInvalidArgument, "4-letter ACRISS"));
}

TEST_F(CarBookingTest, UnknownVendorIsRefusedListingTheKnownOnes) {
  OfflineUntil(v1::OFFLINE_APPROVED);
  EXPECT_TRUE(Refused(VendorSearch("XX"), absl::StatusCode::kInvalidArgument, "ZE (Hertz)"));
}

// Evolve and Decide agree: in every stage of both branches, a command is
// accepted exactly when the state lists it as allowed.
TEST_F(CarBookingTest, DecideAcceptsExactlyTheCommandsTheStateAllows) {
  Cmd trip;
  trip.mutable_create_trip_for_customer()->set_trip_id("IL-1");
  Cmd email;
  email.mutable_email_customer_car_added();
  Cmd note;
  note.mutable_add_note()->set_text("n");
  Cmd cancel;
  cancel.mutable_cancel_case()->set_reason("r");
  // A valid instance of every command, with the role it needs.
  const std::vector<std::pair<Cmd, Actor>> all = {
      {Request(), agent_}, {Identify(), agent_}, {IlCheck(false), agent_}, {trip, agent_},
      {email, agent_}, {Approval(true), tech_spoc_}, {VendorSearch(), agent_}, {Quote(), agent_},
      {Response(v1::CUSTOMER_RESPONSE_ACCEPTED), agent_}, {Booking(), agent_}, {Voucher(), agent_},
      {Verify(), agent_}, {Mis(), agent_}, {ConfirmationEmail(), agent_}, {VouchersSent(), agent_},
      {Close(), agent_}, {Tracker(), agent_}, {Fee(), agent_}, {note, agent_}, {cancel, supervisor_}};
  auto check_all = [&] {
    const v1::CaseView view = registry_.View(state_);
    std::vector<std::string> allowed(view.allowed_commands().begin(), view.allowed_commands().end());
    if (!state_.exists()) allowed = ManualCarBookingWorkflow::AllowedCommands(v1::CAR_BOOKING_STAGE_UNSPECIFIED);
    for (const auto& [cmd, actor] : all) {
      const std::string name = registry_.ForCommand(Wrap(cmd))->CommandName(Wrap(cmd));
      absl::StatusOr<std::vector<v1::CaseEvent>> r = When(cmd, actor);
      const bool listed = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
      EXPECT_EQ(r.ok(), listed) << name << " at " << view.state() << ": " << r.status();
      if (!listed) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << name;
      }
    }
  };
  const std::vector<std::pair<Cmd, Actor>> offline = {
      {Request(), agent_}, {Identify(), agent_}, {IlCheck(false), agent_},
      {Approval(true), tech_spoc_}, {VendorSearch(), agent_}, {Quote(), agent_},
      {Response(v1::CUSTOMER_RESPONSE_ACCEPTED), agent_}, {Booking(), agent_}, {Voucher(), agent_},
      {Verify(), agent_}, {Mis(), agent_}, {ConfirmationEmail(), agent_}, {VouchersSent(), agent_},
      {Close(), agent_}, {Tracker(), agent_}, {Fee(), agent_}};
  check_all();
  for (const auto& [cmd, actor] : offline) {
    Do(cmd, actor);
    check_all();
  }
  state_ = v1::CaseState();
  state_.set_case_id("C2");
  revision_ = 0;
  for (const auto& [cmd, actor] : std::vector<std::pair<Cmd, Actor>>{
           {Request(), agent_}, {Identify(), agent_}, {IlCheck(true), agent_}, {trip, agent_},
           {email, agent_}, {Close(false), agent_}}) {
    Do(cmd, actor);
    check_all();
  }
}

TEST(ReferenceData, RefusesAnInvalidFileNamingTheLine) {
  absl::StatusOr<std::shared_ptr<const ReferenceData>> r =
      ReferenceData::FromTextProto("car_booking {\n  vendors { code: \"ZI\" nme: \"Avis\" }\n}\n");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("line 2"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nme"));
}

TEST(ReferenceData, RefusesTemplatesWithUnknownPlaceholdersOrMissingDesignations) {
  const std::string base =
      "car_booking { vendors { code: 'ZI' name: 'Avis' manual_reservation_code: 'S165500' }"
      " fees { default_fee { minor_units: 100 currency: 'USD' } } us_queue: 'US'"
      " confirmation_template_id: 'c' car_added_template_id: 'a' quote_template_id: 'a'"
      " templates { id: 'a' subject: 's' body: 'b' } ";
  absl::StatusOr<std::shared_ptr<const ReferenceData>> unknown = ReferenceData::FromTextProto(
      base + "templates { id: 'c' subject: 's' body: 'Hi {{customer_nam}}' } }");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("{{customer_nam}}"));
  absl::StatusOr<std::shared_ptr<const ReferenceData>> missing = ReferenceData::FromTextProto(base + "}");
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("confirmation_template_id"));
  absl::StatusOr<std::shared_ptr<const ReferenceData>> ok = ReferenceData::FromTextProto(
      base + "templates { id: 'c' subject: 's' body: 'Hi {{customer_name}}' } }");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

}  // namespace
}  // namespace tripdesk::workflows
