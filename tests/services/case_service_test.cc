// Manual car booking cases through the real tripdeskd over gRPC: both
// branches to the end, the views after each step, refusals that write
// nothing, idempotent retries and views rebuilt from the log.
#include <filesystem>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using commands::CarCommand;

using Who = testing::Caller;
const Who kAgent{"alice", "agent"};
const Who kTechSpoc{"tom", "tech_spoc"};
const Who kSupervisor{"sue", "supervisor"};
const Who kAuditor{"ann", "auditor"};

class CaseServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"));
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
    cases_ = &client_->cases();
    log_ = &client_->log();
  }

  void Identify(grpc::ClientContext& context, const Who& who) { client_->Identify(context, who); }

  grpc::Status Open(const std::string& case_id, CarCommand command, v1::CommandReply* reply,
                    const std::string& command_id = "", const Who& who = kAgent) {
    return client_->Open(who, case_id, commands::AsCaseCommand(std::move(command)), reply,
                         command_id);
  }

  grpc::Status Submit(const std::string& case_id, CarCommand command, v1::CommandReply* reply,
                      const Who& who = kAgent, const std::string& command_id = "",
                      std::optional<uint64_t> expected_revision = std::nullopt) {
    return client_->Submit(who, case_id, commands::AsCaseCommand(std::move(command)), reply,
                           command_id, expected_revision);
  }

  v1::CommandReply MustSubmit(const std::string& case_id, CarCommand command,
                              const Who& who = kAgent) {
    v1::CommandReply reply;
    grpc::Status status = Submit(case_id, std::move(command), &reply, who);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  v1::CaseView GetCase(const std::string& case_id, uint64_t min_position) {
    v1::GetCaseRequest request;
    request.set_case_id(case_id);
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, kAuditor);
    v1::CaseView view;
    grpc::Status status = cases_->GetCase(&context, request, &view);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return view;
  }

  v1::ReservationView GetReservation(const std::string& case_id, uint64_t min_position) {
    v1::GetReservationRequest request;
    request.set_case_id(case_id);
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, kAuditor);
    v1::ReservationView view;
    grpc::Status status = cases_->GetReservation(&context, request, &view);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return view;
  }

  grpc::Status ListTracker(v1::ListTrackerRowsRequest request, v1::ListTrackerRowsResponse* out,
                           uint64_t min_position) {
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, kAuditor);
    return cases_->ListTrackerRows(&context, request, out);
  }

  grpc::Status ListCases(v1::ListCasesRequest request, v1::ListCasesResponse* out,
                         uint64_t min_position) {
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Identify(context, kAuditor);
    return cases_->ListCases(&context, request, out);
  }

  uint64_t LastPosition() { return client_->LastPosition(); }

  // Opens a case and drives it to the end of the offline branch.
  uint64_t DriveOffline(const std::string& case_id) {
    v1::CommandReply reply;
    EXPECT_TRUE(Open(case_id, commands::Request(pick_, drop_), &reply).ok());
    for (const auto& [command, role] : commands::OfflineSteps(pick_, drop_)) {
      reply = MustSubmit(case_id, command, role == "tech_spoc" ? kTechSpoc : kAgent);
    }
    return reply.last_position();
  }

  const absl::Time pick_ = absl::Now() + absl::Hours(24 * 7);
  const absl::Time drop_ = pick_ + absl::Hours(72);
  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
  v1::CaseService::Stub* cases_ = nullptr;
  v1::EventLog::Stub* log_ = nullptr;
};

TEST_F(CaseServiceTest, OfflineBranchToTheEndWithTheViewsRightAfterEachStep) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("C1", commands::Request(pick_, drop_), &reply).ok());
  EXPECT_EQ(reply.view().state(), "REQUEST_RECEIVED");
  EXPECT_EQ(GetCase("C1", reply.last_position()).state(), "REQUEST_RECEIVED");

  struct Step {
    CarCommand command;
    Who who;
    std::string state;
  };
  const std::vector<Step> steps = {
      {commands::Identify(pick_, drop_), kAgent, "CAR_IDENTIFIED"},
      {commands::IlCheck(false), kAgent, "AWAITING_TECH_SPOC"},
      {commands::Approval(true), kTechSpoc, "OFFLINE_APPROVED"},
      {commands::VendorSearch(), kAgent, "VENDOR_FOUND"},
      {commands::Quote(), kAgent, "QUOTE_SENT"},
      {commands::Response(v1::CUSTOMER_RESPONSE_ACCEPTED), kAgent, "QUOTE_ACCEPTED"},
      {commands::Booking(), kAgent, "BOOKING_CONFIRMED"},
      {commands::Voucher(), kAgent, "VOUCHER_CREATED"},
      {commands::Verify(), kAgent, "BOOKING_VERIFIED"},
      {commands::Mis(), kAgent, "MIS_FILED"},
      {commands::ConfirmationEmail(), kAgent, "CONFIRMATION_EMAILED"},
      {commands::VouchersSent(), kAgent, "VOUCHERS_SENT"},
      {commands::Close(), kAgent, "TICKET_CLOSED"},
      {commands::Tracker(), kAgent, "TRACKER_UPDATED"},
      {commands::Fee(), kAgent, "COMPLETED"},
  };
  uint64_t revision = 0;
  for (const Step& step : steps) {
    reply = MustSubmit("C1", step.command, step.who);
    EXPECT_EQ(reply.revision(), ++revision);
    EXPECT_EQ(reply.view().state(), step.state);
    const v1::CaseView view = GetCase("C1", reply.last_position());
    EXPECT_EQ(view.SerializeAsString(), reply.view().SerializeAsString()) << step.state;

    const v1::ReservationView reservation = GetReservation("C1", reply.last_position());
    EXPECT_EQ(reservation.revision(), revision);
    if (step.state == "VENDOR_FOUND") {
      EXPECT_EQ(reservation.vendor_name(), "Hertz");
    }
    if (step.state == "QUOTE_SENT") {
      EXPECT_EQ(reservation.quote_amount().minor_units(), 45000);
    }
    if (step.state == "BOOKING_CONFIRMED") {
      EXPECT_EQ(reservation.confirmation_number(), "K9X2Q7");
      EXPECT_EQ(reservation.manual_reservation_code(), "2220947");
      EXPECT_EQ(reservation.platform(), v1::BOOKING_PLATFORM_OPTIONS_TRAVEL);
      EXPECT_EQ(reservation.mis_billing(), v1::MIS_BILLING_UNSPECIFIED);
    }
    if (step.state == "MIS_FILED") {
      EXPECT_EQ(reservation.mis_billing(), v1::MIS_BILLING_BILL_TO_CLIENT_COMPANY);
    }

    v1::ListTrackerRowsResponse tracker;
    ASSERT_TRUE(ListTracker({}, &tracker, reply.last_position()).ok());
    const bool on_tracker = step.state == "TRACKER_UPDATED" || step.state == "COMPLETED";
    ASSERT_EQ(tracker.rows_size(), on_tracker ? 1 : 0) << step.state;
    if (on_tracker) {
      const v1::TrackerRow& row = tracker.rows(0);
      EXPECT_EQ(row.case_id(), "C1");
      EXPECT_EQ(row.agent(), "alice");
      EXPECT_EQ(row.client_company(), "Acme");
      EXPECT_EQ(row.vendor_code(), "ZE");
      EXPECT_EQ(row.confirmation_number(), "K9X2Q7");
      EXPECT_TRUE(row.mis_filed());
      EXPECT_GT(row.closed_at().seconds(), 0);
      EXPECT_EQ(row.fee_charged(), step.state == "COMPLETED");
    }
  }
  const v1::CaseView done = GetCase("C1", reply.last_position());
  EXPECT_FALSE(done.open());
  EXPECT_EQ(done.queue(), "US Support");
  EXPECT_TRUE(done.allowed_commands().empty());
}

TEST_F(CaseServiceTest, IlBranchToTheClosedTicket) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("C2", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("C2", commands::Identify(pick_, drop_));
  MustSubmit("C2", commands::IlCheck(true));
  MustSubmit("C2", commands::TripForCustomer());
  MustSubmit("C2", commands::EmailCarAdded());
  reply = MustSubmit("C2", commands::Close(false));
  EXPECT_EQ(reply.view().state(), "CLOSED_ON_IL");
  EXPECT_FALSE(reply.view().open());
  const v1::ReservationView reservation = GetReservation("C2", reply.last_position());
  EXPECT_EQ(reservation.platform(), v1::BOOKING_PLATFORM_IL);
  EXPECT_EQ(reservation.trip_id(), "IL-TRIP-3");
  v1::ListTrackerRowsResponse tracker;
  ASSERT_TRUE(ListTracker({}, &tracker, reply.last_position()).ok());
  EXPECT_EQ(tracker.rows_size(), 0);
}

// Seed 000: guide the user to book on IL; if they need help, support creates
// the trip on their account.
TEST_F(CaseServiceTest, AGuidedCustomerWhoNeedsHelpGetsTheTripCreated) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("G1", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("G1", commands::Identify(pick_, drop_));
  MustSubmit("G1", commands::IlCheck(true));
  commands::CarCommand guide;
  guide.mutable_guide_customer()->set_note("showed them the IL search");
  EXPECT_EQ(MustSubmit("G1", guide).view().state(), "CUSTOMER_GUIDED");
  EXPECT_EQ(MustSubmit("G1", commands::TripForCustomer()).view().state(), "TRIP_READY_FOR_CUSTOMER");
  MustSubmit("G1", commands::EmailCarAdded());
  EXPECT_EQ(MustSubmit("G1", commands::Close(false)).view().state(), "CLOSED_ON_IL");
}

// What the customer and the approver were sent is on the QuoteSent record,
// for an auditor to read.
TEST_F(CaseServiceTest, TheQuoteEmailIsKeptOnItsRecord) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("Q1", commands::Request(pick_, drop_), &reply).ok());
  for (const auto& [command, role] : commands::OfflineSteps(pick_, drop_)) {
    MustSubmit("Q1", command, role == "tech_spoc" ? kTechSpoc : kAgent);
    if (command.has_send_quote()) break;
  }
  v1::ReadStreamRequest request;
  request.set_stream("case-Q1");
  v1::ReadStreamResponse records;
  grpc::ClientContext context;
  Identify(context, kAuditor);
  ASSERT_TRUE(log_->ReadStream(&context, request, &records).ok());
  const v1::RecordEnvelope& last = *records.records().rbegin();
  ASSERT_EQ(last.event_type(), "QuoteSent");
  v1::CaseEvent event;
  ASSERT_TRUE(event.ParseFromString(last.payload()));
  const v1::RenderedEmail& email = event.car_booking().quote_sent().email();
  EXPECT_EQ(email.template_id(), "car_booking_quote");
  EXPECT_EQ(email.to(), "sp@example.com");
  EXPECT_THAT(email.cc(), ::testing::ElementsAre("approver@acme.example"));
  EXPECT_THAT(email.body(), HasSubstr("Total: USD 450.00"));
}

TEST_F(CaseServiceTest, OutOfOrderCommandIsRefusedAndWritesNothing) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("C3", commands::Request(pick_, drop_), &reply).ok());
  const uint64_t before = LastPosition();
  grpc::Status refused = Submit("C3", commands::Voucher(), &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("case C3 is REQUEST_RECEIVED"));
  EXPECT_THAT(refused.error_message(), HasSubstr("no voucher before a confirmed booking"));
  EXPECT_THAT(refused.error_message(), HasSubstr("Allowed now: identify_car"));
  EXPECT_EQ(LastPosition(), before);
}

TEST_F(CaseServiceTest, RetriedCommandIdReturnsTheFirstResultAndWritesNothing) {
  v1::CommandReply first;
  ASSERT_TRUE(Open("", commands::Request(pick_, drop_), &first, "open-1").ok());
  EXPECT_FALSE(first.duplicate());
  v1::CommandReply again;
  ASSERT_TRUE(Open("", commands::Request(pick_, drop_), &again, "open-1").ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.case_id(), first.case_id());
  EXPECT_EQ(again.last_position(), first.last_position());

  const std::string id = first.case_id();
  v1::CommandReply identified;
  ASSERT_TRUE(Submit(id, commands::Identify(pick_, drop_), &identified, kAgent, "cmd-2").ok());
  MustSubmit(id, commands::IlCheck(false));
  const uint64_t before = LastPosition();
  v1::CommandReply retry;
  // Deciding identify_car again would be refused; a retry is not decided again.
  ASSERT_TRUE(Submit(id, commands::Identify(pick_, drop_), &retry, kAgent, "cmd-2").ok());
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.revision(), identified.revision());
  EXPECT_EQ(retry.last_position(), identified.last_position());
  EXPECT_EQ(retry.view().state(), "CAR_IDENTIFIED");
  EXPECT_EQ(LastPosition(), before);

  // The same id for another case is a client mistake, said as such.
  v1::CommandReply other;
  EXPECT_EQ(Submit("C-OTHER", commands::IlCheck(true), &other, kAgent, "cmd-2").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

// A command id names one command by one caller: reused for another
// command, or by another caller, it is refused without a word of the first
// command's result, and nothing is written.
TEST_F(CaseServiceTest, ACommandIdReusedForAnotherCommandOrByAnotherCallerIsRefused) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("F1", commands::Request(pick_, drop_), &reply).ok());
  v1::CommandReply identified;
  ASSERT_TRUE(Submit("F1", commands::Identify(pick_, drop_), &identified, kAgent, "id-1").ok());
  const uint64_t before = LastPosition();

  v1::CommandReply il;
  const grpc::Status other_command = Submit("F1", commands::IlCheck(false), &il, kAgent, "id-1");
  EXPECT_EQ(other_command.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(other_command.error_message(),
            "command_id: 'id-1' was already used for another command; a retry repeats the same "
            "command as the same caller. Choose a new id for a new command");
  EXPECT_FALSE(il.has_view()) << "nothing of the first command's result";

  v1::CommandReply stolen;
  const Who mallory{"mallory", "agent"};
  EXPECT_EQ(Submit("F1", commands::Identify(pick_, drop_), &stolen, mallory, "id-1").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_FALSE(stolen.has_view());
  EXPECT_EQ(LastPosition(), before);

  // The real retry still gets its first answer; the IL check, sent with a
  // fresh id, is recorded.
  v1::CommandReply retry;
  ASSERT_TRUE(Submit("F1", commands::Identify(pick_, drop_), &retry, kAgent, "id-1").ok());
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.last_position(), identified.last_position());
  ASSERT_TRUE(Submit("F1", commands::IlCheck(false), &il, kAgent, "id-2").ok());
  EXPECT_FALSE(il.duplicate());
  EXPECT_EQ(il.view().state(), "AWAITING_TECH_SPOC");
}

TEST_F(CaseServiceTest, UnauthorisedCallsAreRefusedAndWriteNothing) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("C4", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("C4", commands::Identify(pick_, drop_));
  MustSubmit("C4", commands::IlCheck(false));
  const uint64_t before = LastPosition();

  EXPECT_EQ(Submit("C4", commands::Approval(true), &reply, Who{"", ""}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A genuine token whose role tripdesk does not know grants nothing.
  EXPECT_EQ(Submit("C4", commands::Approval(true), &reply, Who{"bob", "pilot"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status auditor = Submit("C4", commands::Approval(true), &reply, kAuditor);
  EXPECT_EQ(auditor.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(auditor.error_message(), HasSubstr("only reads"));
  grpc::Status agent = Submit("C4", commands::Approval(true), &reply, kAgent);
  EXPECT_EQ(agent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(agent.error_message(), HasSubstr("tech_spoc"));
  CarCommand cancel;
  cancel.mutable_cancel_case()->set_reason("duplicate");
  EXPECT_EQ(Submit("C4", cancel, &reply, kAgent).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LastPosition(), before);

  EXPECT_TRUE(Submit("C4", commands::Approval(true), &reply, kTechSpoc).ok());
}

TEST_F(CaseServiceTest, MalformedCommandsAreRefusedAndWriteNothing) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("C5", commands::Request(pick_, drop_), &reply).ok());
  const uint64_t before = LastPosition();

  v1::SubmitCommandRequest empty;
  empty.set_case_id("C5");
  grpc::ClientContext context;
  Identify(context, kAgent);
  EXPECT_EQ(cases_->SubmitCommand(&context, empty, &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  CarCommand bad_class = commands::Identify(pick_, drop_);
  bad_class.mutable_identify_car()->set_car_class("XXXX");
  grpc::Status status = Submit("C5", bad_class, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("identify_car.car_class"));

  CarCommand past = commands::Identify(absl::Now() - absl::Hours(2), drop_);
  status = Submit("C5", past, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pick_up.time"));

  EXPECT_EQ(Submit("C-NONE", commands::Identify(pick_, drop_), &reply).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Submit("bad id!", commands::Identify(pick_, drop_), &reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Open("C5", commands::Request(pick_, drop_), &reply).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Submit("C5", commands::Identify(pick_, drop_), &reply, kAgent, "", 7).error_code(),
            grpc::StatusCode::ABORTED);
  CarCommand no_request;
  EXPECT_EQ(Open("C6", no_request, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LastPosition(), before);

  EXPECT_TRUE(Submit("C5", commands::Identify(pick_, drop_), &reply, kAgent, "", 0).ok());
}

TEST_F(CaseServiceTest, ListsFilterAndPageAndRefuseBadInput) {
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    v1::CommandReply reply;
    const std::string id = absl::StrCat("L", i);
    ASSERT_TRUE(Open(id, commands::Request(pick_, drop_), &reply).ok());
    last = reply.last_position();
    if (i % 2 == 0) last = MustSubmit(id, commands::Identify(pick_, drop_)).last_position();
  }
  v1::ListCasesRequest identified;
  identified.set_state("CAR_IDENTIFIED");
  v1::ListCasesResponse page;
  ASSERT_TRUE(ListCases(identified, &page, last).ok());
  std::vector<std::string> ids;
  for (const auto& c : page.cases()) ids.push_back(c.case_id());
  EXPECT_THAT(ids, ElementsAre("L4", "L2", "L0"));  // most recently updated first

  v1::ListCasesRequest paged;
  paged.set_page_size(2);
  ids.clear();
  for (int pages = 0; pages < 5; ++pages) {
    v1::ListCasesResponse response;
    ASSERT_TRUE(ListCases(paged, &response, last).ok());
    for (const auto& c : response.cases()) ids.push_back(c.case_id());
    if (response.next_page_token().empty()) break;
    paged.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(ids.size(), 5u);

  v1::ListCasesRequest bad_token;
  bad_token.set_page_token("not-a-token");
  EXPECT_EQ(ListCases(bad_token, &page, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListCasesRequest too_big;
  too_big.set_page_size(100000);
  EXPECT_EQ(ListCases(too_big, &page, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListTrackerRowsResponse rows;
  v1::ListTrackerRowsRequest bad_date;
  bad_date.set_from_date("2026-13-01");
  EXPECT_EQ(ListTracker(bad_date, &rows, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListTrackerRowsRequest reversed;
  reversed.set_from_date("2026-12-01");
  reversed.set_to_date("2026-11-01");
  EXPECT_EQ(ListTracker(reversed, &rows, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetCaseRequest unknown;
  unknown.set_case_id("NOPE");
  grpc::ClientContext context;
  Identify(context, kAuditor);
  v1::CaseView view;
  EXPECT_EQ(cases_->GetCase(&context, unknown, &view).error_code(), grpc::StatusCode::NOT_FOUND);
}

// The steps the server describes are the ones it enforces: the roles a step
// declares are the only ones its command is admitted for.
TEST_F(CaseServiceTest, DescribeWorkflowsAnswersTheDeclaredStepsTheServerEnforces) {
  v1::DescribeWorkflowsResponse described;
  {
    grpc::ClientContext anonymous;
    Identify(anonymous, Who{"", ""});
    EXPECT_EQ(cases_->DescribeWorkflows(&anonymous, {}, &described).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::ClientContext context;
  Identify(context, Who{"dan", "dashboard"});
  ASSERT_TRUE(cases_->DescribeWorkflows(&context, {}, &described).ok());
  ASSERT_GE(described.workflows_size(), 2);
  const v1::WorkflowDescription& car = described.workflows(0);
  EXPECT_EQ(car.workflow(), v1::WORKFLOW_MANUAL_CAR_BOOKING);
  EXPECT_EQ(car.name(), "car_booking");
  const v1::WorkflowStep* approval = nullptr;
  for (const v1::WorkflowStep& step : car.steps()) {
    if (step.command() == "decide_tech_spoc_approval") approval = &step;
    EXPECT_EQ(step.opens(), step.command() == "receive_request") << step.command();
  }
  ASSERT_NE(approval, nullptr);
  EXPECT_THAT(approval->roles(), ElementsAre("tech_spoc"));
  EXPECT_THAT(approval->from_stages(), ElementsAre("AWAITING_TECH_SPOC"));

  v1::CommandReply reply;
  ASSERT_TRUE(Open("C9", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("C9", commands::Identify(pick_, drop_));
  MustSubmit("C9", commands::IlCheck(false));
  const uint64_t before = LastPosition();
  for (const Who& who : {kAgent, kSupervisor}) {
    grpc::Status refused = Submit("C9", commands::Approval(true), &reply, who);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << who.role;
    EXPECT_THAT(refused.error_message(), HasSubstr("needs the tech_spoc role"));
  }
  EXPECT_EQ(LastPosition(), before);
  EXPECT_TRUE(Submit("C9", commands::Approval(true), &reply, kTechSpoc).ok());
}

// The steps every case has, over gRPC: one path with the workflows'
// commands, refusals that write nothing, and notes paged newest first while
// the view keeps a count and the last three.
TEST_F(CaseServiceTest, CaseStepsAndNotesPagedNewestFirst) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("N1", commands::Request(pick_, drop_), &reply).ok());
  auto step = [&](const std::function<void(v1::CaseStepCommand&)>& fill, const Who& who) {
    v1::SubmitCommandRequest request;
    request.set_case_id("N1");
    fill(*request.mutable_command()->mutable_common());
    grpc::ClientContext context;
    Identify(context, who);
    return cases_->SubmitCommand(&context, request, &reply);
  };
  for (int i = 1; i <= 7; ++i) {
    ASSERT_TRUE(step([&](auto& c) { c.mutable_add_note()->set_text(absl::StrCat("note ", i)); }, kAgent).ok());
  }
  EXPECT_EQ(reply.view().note_count(), 7u);
  ASSERT_EQ(reply.view().notes_size(), 3);
  EXPECT_EQ(reply.view().notes(2).text(), "note 7");
  ASSERT_TRUE(step([](auto& c) { c.mutable_assign()->set_agent("bob"); }, kAgent).ok());
  EXPECT_EQ(reply.view().assigned_agent(), "bob");
  const uint64_t before = LastPosition();
  grpc::Status refused = step([](auto& c) { c.mutable_cancel()->set_reason("dup"); }, kAgent);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("common.cancel needs the supervisor role"));
  // Assigning the agent it has is already done: OK, nothing written.
  ASSERT_TRUE(step([](auto& c) { c.mutable_assign()->set_agent("bob"); }, kAgent).ok());
  EXPECT_EQ(LastPosition(), before);

  auto list = [&](const std::string& token, v1::ListNotesResponse* page) {
    v1::ListNotesRequest request;
    request.set_case_id("N1");
    request.set_page_size(3);
    request.set_page_token(token);
    request.set_min_position(before);
    grpc::ClientContext context;
    Identify(context, Who{"dan", "dashboard"});
    return cases_->ListNotes(&context, request, page);
  };
  std::vector<std::string> texts;
  std::string token;
  int pages = 0;
  do {
    v1::ListNotesResponse page;
    ASSERT_TRUE(list(token, &page).ok());
    EXPECT_EQ(page.note_count(), 7u);
    for (const v1::CaseNote& n : page.notes()) texts.push_back(n.text());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(texts, ElementsAre("note 7", "note 6", "note 5", "note 4", "note 3", "note 2", "note 1"));
  v1::ListNotesResponse bad;
  EXPECT_EQ(list("not-a-token", &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const v1::CaseView view = GetCase("N1", before);
  EXPECT_EQ(view.note_count(), 7u);
  EXPECT_EQ(view.notes_size(), 3);
}

// A confirmation number is a unique reference: two cases racing to confirm
// the same one, exactly one wins and the other is refused naming it with
// nothing written; cancelling the winner releases it; FindCaseByReference
// and the CLI answer who holds it.
TEST_F(CaseServiceTest, TwoCasesRacingForOneConfirmationNumberOneWins) {
  v1::CommandReply reply;
  for (const std::string id : {"U1", "U2"}) {
    ASSERT_TRUE(Open(id, commands::Request(pick_, drop_), &reply).ok());
    for (const CarCommand& c :
         {commands::Identify(pick_, drop_), commands::IlCheck(false)}) {
      MustSubmit(id, c);
    }
    MustSubmit(id, commands::Approval(true), kTechSpoc);
    for (const CarCommand& c : {commands::VendorSearch(), commands::Quote(),
                                commands::Response(v1::CUSTOMER_RESPONSE_ACCEPTED)}) {
      MustSubmit(id, c);
    }
  }
  const uint64_t before = LastPosition();
  CarCommand booking = commands::Booking();
  booking.mutable_confirm_booking()->set_confirmation_number("race-77");
  grpc::Status results[2];
  v1::CommandReply replies[2];
  {
    std::thread a([&] { results[0] = Submit("U1", booking, &replies[0]); });
    std::thread b([&] { results[1] = Submit("U2", booking, &replies[1]); });
    a.join();
    b.join();
  }
  ASSERT_NE(results[0].ok(), results[1].ok()) << results[0].error_message() << " / "
                                              << results[1].error_message();
  const int won = results[0].ok() ? 0 : 1;
  const std::string winner = won == 0 ? "U1" : "U2";
  const std::string loser = won == 0 ? "U2" : "U1";
  EXPECT_EQ(results[1 - won].error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(results[1 - won].error_message(),
              HasSubstr("confirmation_number RACE-77 is held by case " + winner));
  // The winner's event and its claim; nothing of the loser's.
  EXPECT_EQ(LastPosition(), before + 2);
  EXPECT_EQ(replies[won].view().references_size(), 1);
  EXPECT_EQ(GetCase(loser, LastPosition()).car_booking_stage(), v1::QUOTE_ACCEPTED);

  auto find = [&](const std::string& value, const std::string& kind, v1::FindCaseByReferenceResponse* out) {
    v1::FindCaseByReferenceRequest request;
    request.set_value(value);
    request.set_kind(kind);
    grpc::ClientContext context;
    Identify(context, kAgent);
    return cases_->FindCaseByReference(&context, request, out);
  };
  v1::FindCaseByReferenceResponse found;
  ASSERT_TRUE(find("Race-77", "", &found).ok());
  ASSERT_EQ(found.holders_size(), 1);
  EXPECT_EQ(found.holders(0).case_id(), winner);
  EXPECT_EQ(found.holders(0).kind(), "confirmation_number");
  EXPECT_TRUE(found.holders(0).held());
  EXPECT_EQ(find("NOPE-1", "", &found).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status bad_kind = find("RACE-77", "passport", &found);
  EXPECT_EQ(bad_kind.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_kind.error_message(), HasSubstr("confirmation_number"));

  // Cancelling the winner releases the number; the other case takes it.
  CarCommand cancel;
  cancel.mutable_cancel_case()->set_reason("customer booked elsewhere");
  MustSubmit(winner, cancel, kSupervisor);
  ASSERT_TRUE(find("RACE-77", "confirmation_number", &found).ok());
  EXPECT_FALSE(found.holders(0).held());
  EXPECT_TRUE(Submit(loser, booking, &reply).ok());
  ASSERT_TRUE(find("RACE-77", "", &found).ok());
  EXPECT_EQ(found.holders(0).case_id(), loser);
}

// ListCases' search filters: names and emails without regard to case or
// accents, company, reference, travel dates, destination, priority,
// assignee and tag, combined, with stable pages.
TEST_F(CaseServiceTest, SearchFiltersFindCasesByWhatADeskKnows) {
  struct Trip {
    std::string id, name, email, company, ticket, drop;
    int days_ahead;
  };
  const std::vector<Trip> trips = {
      {"S1", "Zoë Müller", "Zoe.Muller@Example.com", "Société Générale", "FD-1", "SFO", 5},
      {"S2", "ZOE BRANDT", "zb@example.com", "Acme", "FD-2", "SAN", 9},
      {"S3", "Steven Peters", "sp@example.com", "Acme", "FD-3", "SFO", 20},
      {"S4", "Anna Müller", "am@example.com", "Globex", "FD-4", "LAS", 40},
  };
  uint64_t last = 0;
  for (const Trip& t : trips) {
    CarCommand request = commands::Request(pick_ + absl::Hours(24 * t.days_ahead),
                                          drop_ + absl::Hours(24 * t.days_ahead));
    v1::ReceiveCarRequest& r = *request.mutable_receive_request();
    r.mutable_customer()->set_name(t.name);
    r.mutable_customer()->set_email(t.email);
    r.set_client_company(t.company);
    r.set_ticket_ref(t.ticket);
    r.mutable_drop_off()->set_location(t.drop);
    v1::CommandReply reply;
    ASSERT_TRUE(Open(t.id, request, &reply).ok());
    last = reply.last_position();
  }
  auto common = [&](const std::string& id, const std::function<void(v1::CaseStepCommand&)>& fill) {
    v1::SubmitCommandRequest request;
    request.set_case_id(id);
    fill(*request.mutable_command()->mutable_common());
    grpc::ClientContext context;
    Identify(context, kAgent);
    v1::CommandReply reply;
    EXPECT_TRUE(cases_->SubmitCommand(&context, request, &reply).ok());
    last = std::max(last, reply.last_position());
  };
  common("S2", [](auto& c) { c.mutable_set_priority()->set_priority(v1::CASE_PRIORITY_URGENT); });
  common("S3", [](auto& c) { c.mutable_add_tags()->add_tags("vip"); });
  common("S1", [](auto& c) { c.mutable_add_tags()->add_tags("VIP"); });
  common("S4", [](auto& c) { c.mutable_assign()->set_agent("bob"); });

  auto ids = [&](const std::function<void(v1::ListCasesRequest&)>& fill) {
    v1::ListCasesRequest request;
    fill(request);
    v1::ListCasesResponse response;
    grpc::Status status = ListCases(request, &response, last);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const v1::CaseView& v : response.cases()) out.push_back(v.case_id());
    std::sort(out.begin(), out.end());
    return out;
  };
  using ::testing::IsEmpty;
  EXPECT_THAT(ids([](auto& r) { r.set_customer("zoe"); }), ElementsAre("S1", "S2"));
  EXPECT_THAT(ids([](auto& r) { r.set_customer("MÜLLER"); }), ElementsAre("S1", "S4"));
  EXPECT_THAT(ids([](auto& r) { r.set_customer("zoe muller"); }), ElementsAre("S1"));
  EXPECT_THAT(ids([](auto& r) { r.set_customer("zoe.muller@example.COM"); }), ElementsAre("S1"));
  EXPECT_THAT(ids([](auto& r) { r.set_client_company("societe generale"); }), ElementsAre("S1"));
  EXPECT_THAT(ids([](auto& r) { r.set_client_company("ACME"); }), ElementsAre("S2", "S3"));
  EXPECT_THAT(ids([](auto& r) { r.set_reference("fd-3"); }), ElementsAre("S3"));
  EXPECT_THAT(ids([](auto& r) { r.set_destination("sfo"); }), ElementsAre("S1", "S3"));
  EXPECT_THAT(ids([](auto& r) { r.set_priority(v1::CASE_PRIORITY_URGENT); }), ElementsAre("S2"));
  EXPECT_THAT(ids([](auto& r) { r.set_tag("vip"); }), ElementsAre("S1", "S3"));
  EXPECT_THAT(ids([](auto& r) { r.set_assigned_agent("bob"); }), ElementsAre("S4"));
  EXPECT_THAT(ids([](auto& r) { r.set_tag("vip"); r.set_client_company("acme"); }), ElementsAre("S3"));
  EXPECT_THAT(ids([](auto& r) { r.set_customer("nobody"); }), IsEmpty());
  const std::string from = absl::FormatTime("%Y-%m-%d", pick_ + absl::Hours(24 * 8), absl::UTCTimeZone());
  const std::string to = absl::FormatTime("%Y-%m-%d", pick_ + absl::Hours(24 * 25), absl::UTCTimeZone());
  EXPECT_THAT(ids([&](auto& r) { r.set_travel_from(from); r.set_travel_to(to); }), ElementsAre("S2", "S3"));
  EXPECT_THAT(ids([&](auto& r) { r.set_travel_from(from); r.set_destination("SFO"); }), ElementsAre("S3"));

  // Pages of one: each case once, in the same order as one page.
  v1::ListCasesRequest all;
  all.set_customer("müller");
  v1::ListCasesResponse one_page;
  ASSERT_TRUE(ListCases(all, &one_page, last).ok());
  std::vector<std::string> paged;
  all.set_page_size(1);
  for (int i = 0; i < 5; ++i) {
    v1::ListCasesResponse page;
    ASSERT_TRUE(ListCases(all, &page, last).ok());
    for (const v1::CaseView& v : page.cases()) paged.push_back(v.case_id());
    if (page.next_page_token().empty()) break;
    all.set_page_token(page.next_page_token());
  }
  std::vector<std::string> whole;
  for (const v1::CaseView& v : one_page.cases()) whole.push_back(v.case_id());
  EXPECT_EQ(paged, whole);
  EXPECT_EQ(whole.size(), 2u);

  v1::ListCasesRequest bad;
  bad.set_travel_from("2026-13-01");
  v1::ListCasesResponse ignored;
  EXPECT_EQ(ListCases(bad, &ignored, last).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CaseServiceTest, ValuesReadFromAViewAreTakenAsTheyAreByRequests) {
  v1::CommandReply reply;
  CarCommand request = commands::Request(pick_, drop_);
  ASSERT_TRUE(Open("E1", request, &reply).ok());
  const uint64_t last = MustSubmit("E1", commands::Identify(pick_, drop_)).last_position();
  const v1::CaseView view = GetCase("E1", last);
  // The view carries the enums the request took, not other spellings.
  EXPECT_EQ(view.channel(), request.receive_request().channel());
  EXPECT_EQ(view.car_booking_stage(), v1::CAR_IDENTIFIED);
  EXPECT_EQ(view.state(), v1::CarBookingStage_Name(view.car_booking_stage()));
  EXPECT_EQ(GetReservation("E1", last).mis_billing(), v1::MIS_BILLING_UNSPECIFIED);

  // The state a view gives is the filter a list takes, as it is.
  v1::ListCasesRequest same;
  same.set_state(view.state());
  same.set_workflow(view.workflow());
  v1::ListCasesResponse page;
  ASSERT_TRUE(ListCases(same, &page, last).ok());
  ASSERT_EQ(page.cases_size(), 1);
  EXPECT_EQ(page.cases(0).case_id(), "E1");

  // Another spelling is refused with the ones that are taken.
  v1::ListCasesRequest lower;
  lower.set_state("car_identified");
  grpc::ClientContext context;
  Identify(context, kAuditor);
  grpc::Status status = cases_->ListCases(&context, lower, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("CAR_IDENTIFIED"));
  EXPECT_THAT(status.error_message(), HasSubstr("RV_RESERVED"));
  v1::ListCasesRequest other_workflow;
  other_workflow.set_state("RV_RESERVED");
  other_workflow.set_workflow(v1::WORKFLOW_MANUAL_CAR_BOOKING);
  EXPECT_EQ(ListCases(other_workflow, &page, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CaseServiceTest, ViewsDroppedAndRebuiltFromTheLogEqualTheLiveOnes) {
  DriveOffline("R1");
  v1::CommandReply reply;
  ASSERT_TRUE(Open("R2", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("R2", commands::Identify(pick_, drop_));
  const uint64_t last = MustSubmit("R2", commands::IlCheck(true)).last_position();

  auto capture = [&] {
    std::string all;
    for (const char* id : {"R1", "R2"}) {
      all += GetCase(id, last).SerializeAsString();
      all += GetReservation(id, last).SerializeAsString();
    }
    v1::ListCasesResponse cases;
    EXPECT_TRUE(ListCases({}, &cases, last).ok());
    v1::ListTrackerRowsResponse tracker;
    EXPECT_TRUE(ListTracker({}, &tracker, last).ok());
    EXPECT_EQ(tracker.rows_size(), 1);
    return all + cases.SerializeAsString() + tracker.SerializeAsString();
  };
  const std::string live = capture();

  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  std::filesystem::remove_all(dir_.Sub("data") + "/views");
  Start();
  EXPECT_EQ(capture(), live);

  // Views are written without a WAL: a kill loses their newest batches and
  // checkpoints together, and the runner re-applies them from the log.
  MustSubmit("R2", commands::TripForCustomer());
  server_.reset();  // SIGKILL
  Start();
  v1::CommandReply email = MustSubmit("R2", commands::EmailCarAdded());
  EXPECT_EQ(GetCase("R2", email.last_position()).state(), "CUSTOMER_EMAILED");
  EXPECT_EQ(GetReservation("R2", email.last_position()).trip_id(), "IL-TRIP-3");
  EXPECT_EQ(GetCase("R1", email.last_position()).SerializeAsString(),
            GetCase("R1", 0).SerializeAsString());
}

// An older copy of the log restored beside newer views: the views have
// applied positions the log does not hold. At start the server says so and
// rebuilds the views from the log, so the next command (which takes one of
// those positions again) shows up in them.
TEST_F(CaseServiceTest, ViewsAheadOfARestoredLogAreRebuiltAndTheNextCommandShows) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("V1", commands::Request(pick_, drop_), &reply).ok());
  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  const std::string log = dir_.Sub("data") + "/log";
  std::filesystem::copy(log, dir_.Sub("log-backup"), std::filesystem::copy_options::recursive);

  Start();
  ASSERT_TRUE(Open("V2", commands::Request(pick_, drop_), &reply).ok());
  MustSubmit("V2", commands::Identify(pick_, drop_));
  const uint64_t ahead = MustSubmit("V2", commands::IlCheck(false)).last_position();
  EXPECT_EQ(GetCase("V2", ahead).state(), "AWAITING_TECH_SPOC");
  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");

  std::filesystem::remove_all(log);
  std::filesystem::copy(dir_.Sub("log-backup"), log, std::filesystem::copy_options::recursive);
  Start();
  EXPECT_THAT(server_->Log(), HasSubstr("views do not match the log: the views have applied the "
                                        "log up to position 4 but the log ends at 1"));
  const v1::CommandReply identified = MustSubmit("V1", commands::Identify(pick_, drop_));
  ASSERT_EQ(identified.last_position(), 2u) << "the position the views had applied for V2";
  EXPECT_EQ(GetCase("V1", identified.last_position()).state(), "CAR_IDENTIFIED");
  v1::ListCasesResponse cases;
  ASSERT_TRUE(ListCases({}, &cases, identified.last_position()).ok());
  ASSERT_EQ(cases.cases_size(), 1) << "V2 is not in the restored log";
  EXPECT_EQ(cases.cases(0).case_id(), "V1");
}

// A log replaced by another of the same length: the record at the views'
// position is not the one they applied.
TEST_F(CaseServiceTest, ViewsBesideAnotherLogOfTheSameLengthAreRebuilt) {
  v1::CommandReply reply;
  ASSERT_TRUE(Open("W1", commands::Request(pick_, drop_), &reply).ok());
  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  std::filesystem::rename(dir_.Sub("data") + "/views", dir_.Sub("views-of-W1"));
  std::filesystem::remove_all(dir_.Sub("data") + "/log");
  Start();
  ASSERT_TRUE(Open("W2", commands::Request(pick_, drop_), &reply).ok());
  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  std::filesystem::remove_all(dir_.Sub("data") + "/views");
  std::filesystem::rename(dir_.Sub("views-of-W1"), dir_.Sub("data") + "/views");
  Start();
  EXPECT_THAT(server_->Log(), HasSubstr("the record at position 1 is not the one the views applied"));
  EXPECT_EQ(GetCase("W2", 1).case_id(), "W2");
}

}  // namespace
}  // namespace tripdesk
